import { Card } from '@/components/ui/card';
import { scoreColour } from '@/components/ui/verdict-badge';
import type { ImageEvidence as ImageEvidenceData } from '@/lib/api/types';
import { useAuthedUrl } from '@/lib/authed-url';
import { percent } from '@/lib/format';

export function ImageEvidence({
  evidence,
  src,
  filename,
  threshold,
}: {
  evidence: ImageEvidenceData;
  src: string;
  filename: string;
  threshold: number;
}) {
  const url = useAuthedUrl(src);
  const { width, height, faces } = evidence;
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 200));
  return (
    <Card title="The picture">
      <div className="grid gap-4 md:grid-cols-2">
        <figure className="min-w-0">
          <div className="relative w-full" style={{ aspectRatio: `${width} / ${height}` }}>
            {url && (
              <img src={url} alt={`Uploaded file ${filename}, with the faces found outlined`} className="absolute inset-0 h-full w-full rounded" />
            )}
            <svg
              viewBox={`0 0 ${width} ${height}`}
              preserveAspectRatio="none"
              className="absolute inset-0 h-full w-full"
              aria-hidden="true"
            >
              {faces.map((face, i) => (
                <g key={i} data-testid="face-box">
                  <rect
                    x={face.box.x1}
                    y={face.box.y1}
                    width={face.box.x2 - face.box.x1}
                    height={face.box.y2 - face.box.y1}
                    fill="none"
                    stroke={scoreColour(face.fake_probability, threshold)}
                    strokeWidth={stroke}
                  />
                </g>
              ))}
            </svg>
          </div>
          <figcaption className="mt-2 text-sm text-slate-700 dark:text-slate-300">
            {faces.length === 0
              ? evidence.whole_frame_scores
                ? 'No face was found; a whole-image detector judged the picture.'
                : 'No face was found; the face detectors do not apply to this picture.'
              : `${faces.length} face${faces.length === 1 ? '' : 's'} outlined: red leans fake, green leans real, amber is in between.`}
          </figcaption>
        </figure>
        <div className="min-w-0">
          {faces.map((face, i) => (
            <div key={i} className="mb-4">
              <h3 className="font-semibold">
                Face {i + 1}: {percent(face.fake_probability)} fake
              </h3>
              <p className="text-sm">Detection confidence {percent(face.detection_confidence)}</p>
              <ModelScoreTable scores={face.scores} caption={`Detector scores for face ${i + 1}`} />
            </div>
          ))}
          {evidence.no_face && evidence.whole_frame_scores && (
            <ModelScoreTable scores={evidence.whole_frame_scores} caption="Detector scores for the whole picture" />
          )}
          <p className="text-sm text-slate-700 dark:text-slate-300">How faces are combined: {evidence.aggregation}</p>
        </div>
      </div>
    </Card>
  );
}

function ModelScoreTable({ scores, caption }: { scores: { model: string; fake_probability: number }[]; caption: string }) {
  return (
    <table className="mt-1 w-full text-sm">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr className="text-left">
          <th scope="col" className="py-1 pr-2">Detector</th>
          <th scope="col" className="py-1">Fake probability</th>
        </tr>
      </thead>
      <tbody>
        {scores.map((s) => (
          <tr key={s.model} className="border-t border-slate-200 dark:border-slate-700">
            <td className="break-all py-1 pr-2 font-mono text-xs">{s.model}</td>
            <td className="py-1">{percent(s.fake_probability, 1)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
