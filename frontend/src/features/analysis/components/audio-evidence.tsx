import { useRef, type RefObject } from 'react';
import { Card } from '@/components/ui/card';
import type { AudioEvidence as AudioEvidenceData, AudioWindow } from '@/lib/api/types';
import { useAuthedUrl } from '@/lib/authed-url';
import { percent } from '@/lib/format';
import { spectrogramSrc } from '../evidence-urls';
import { playSegment } from './player';

export function AudioEvidence({
  evidence,
  mediaSrc,
  filename,
  threshold,
  externalPlayer,
}: {
  evidence: AudioEvidenceData;
  /** The recording; omitted for a video's sound track (the video player plays it). */
  mediaSrc?: string;
  filename: string;
  threshold: number;
  externalPlayer?: RefObject<HTMLMediaElement>;
}) {
  const ownPlayer = useRef<HTMLAudioElement>(null);
  const player = externalPlayer ?? ownPlayer;
  const src = useAuthedUrl(externalPlayer ? null : mediaSrc);
  const spectrogram = useAuthedUrl(spectrogramSrc(evidence));
  const duration = Math.max(evidence.duration_s, ...evidence.windows.map((w) => w.end_s), 0.1);
  const play = (w: AudioWindow) => playSegment(player, w.start_s, w.end_s);
  const suspicious = (w: AudioWindow) => w.fake_probability != null && w.fake_probability >= threshold;
  const label = (w: AudioWindow) =>
    `${w.start_s.toFixed(1)}–${w.end_s.toFixed(1)} s, ${w.fake_probability == null ? 'not scored (no speech)' : `${percent(w.fake_probability)} fake`}`;

  return (
    <Card title={externalPlayer ? 'The sound track' : 'The recording'}>
      <div className="flex flex-col gap-4">
        {!externalPlayer && (
          <audio
            ref={ownPlayer}
            src={src ?? undefined}
            controls
            preload="metadata"
            className="w-full"
            data-testid="audio-player"
            aria-label={`The uploaded recording ${filename}`}
          />
        )}
        <figure className="min-w-0">
          <div className="relative h-40 w-full overflow-hidden rounded bg-slate-900" data-testid="spectrogram">
            {spectrogram && (
              <img src={spectrogram} alt="" className="absolute inset-0 h-full w-full object-fill" />
            )}
            {evidence.windows.map((w, i) => (
              <button
                key={i}
                type="button"
                data-testid="spectrogram-window"
                data-suspicious={suspicious(w)}
                aria-label={`Play ${label(w)}`}
                onClick={() => play(w)}
                className={`absolute inset-y-0 border-x border-white/40 ${suspicious(w) ? 'border-t-4 border-t-red-500 bg-red-600/25' : 'bg-transparent hover:bg-white/15'}`}
                style={{ left: `${(w.start_s / duration) * 100}%`, width: `${((w.end_s - w.start_s) / duration) * 100}%` }}
              />
            ))}
          </div>
          <figcaption className="mt-1 text-sm text-slate-700 dark:text-slate-300">
            Spectrogram (time left to right, pitch bottom to top). Shaded windows scored at or above the{' '}
            {percent(threshold)} threshold; choose a window to play it.
          </figcaption>
        </figure>
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <caption className="mb-1 text-left font-semibold">Windows</caption>
            <thead>
              <tr className="text-left">
                <th scope="col" className="py-1 pr-2">Time</th>
                <th scope="col" className="py-1 pr-2">Speech</th>
                <th scope="col" className="py-1 pr-2">Fake probability</th>
                <th scope="col" className="py-1"><span className="sr-only">Play</span></th>
              </tr>
            </thead>
            <tbody>
              {evidence.windows.map((w, i) => (
                <tr key={i} className="border-t border-slate-200 dark:border-slate-700" data-testid="window-row">
                  <td className="py-1 pr-2">
                    {w.start_s.toFixed(1)}–{w.end_s.toFixed(1)} s
                  </td>
                  <td className="py-1 pr-2">{w.speech ? 'yes' : 'no'}</td>
                  <td className={`py-1 pr-2 ${suspicious(w) ? 'font-bold text-red-800 dark:text-red-300' : ''}`}>
                    {w.fake_probability == null ? 'not scored' : percent(w.fake_probability)}
                  </td>
                  <td className="py-1">
                    <button
                      type="button"
                      className="rounded px-2 py-1 underline"
                      onClick={() => play(w)}
                      aria-label={`Play ${label(w)}`}
                    >
                      Play
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          {evidence.duration_s.toFixed(1)} s at {evidence.sample_rate} Hz, {percent(evidence.speech_ratio)} speech. How
          windows are combined: {evidence.aggregation}
        </p>
      </div>
    </Card>
  );
}
