import { useRef } from 'react';
import { Link, useParams } from 'react-router';
import { Card } from '@/components/ui/card';
import { ErrorNotice } from '@/components/ui/error-notice';
import { Loading } from '@/components/ui/loading';
import { mediaUrl } from '@/lib/api/client';
import type { Analysis, AudioEvidence as AudioEvidenceData } from '@/lib/api/types';
import { bytes, dateTime } from '@/lib/format';
import { ApiError } from '@/lib/api-error';
import { isRunning, useLiveAnalysis } from '../api/use-live-analysis';
import { AudioEvidence } from './audio-evidence';
import { ImageEvidence } from './image-evidence';
import { ModalitySummary } from './modality-card';
import { ModelsPanel } from './models-panel';
import { ProgressPanel } from './progress-panel';
import { ProvenanceCard } from './provenance-card';
import { SharePanel } from './share-panel';
import { VerdictBanner } from './verdict-banner';
import { VideoEvidence } from './video-evidence';

export function AnalysisPage() {
  const { id = '' } = useParams();
  const { data, error, isPending, refetch, progress, live } = useLiveAnalysis(id);

  if (isPending) return <Loading what="the analysis" />;
  if (error && !data) {
    return (
      <div className="flex flex-col gap-4">
        <h1 className="text-2xl font-bold">Analysis</h1>
        <ErrorNotice error={error} onRetry={() => void refetch()} />
      </div>
    );
  }
  const analysis = data as Analysis;
  return (
    <div className="flex flex-col gap-4">
      <header>
        <h1 className="break-all text-2xl font-bold">{analysis.media.filename ?? 'Untitled file'}</h1>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          {analysis.media.kind} · {analysis.media.format} · {bytes(analysis.media.size_bytes)} · uploaded{' '}
          {dateTime(analysis.created_at)}
        </p>
      </header>
      {isRunning(analysis) ? (
        <ProgressPanel analysis={analysis} progress={progress} lastEvent={live.lastEvent} />
      ) : (
        <Result analysis={analysis} />
      )}
    </div>
  );
}

function Result({ analysis }: { analysis: Analysis }) {
  const playerRef = useRef<HTMLVideoElement>(null);
  const threshold = analysis.verdict?.threshold ?? 0.5;
  const modalities = analysis.modalities ?? {};
  const media = mediaUrl(analysis.id);
  const filename = analysis.media.filename ?? 'file';
  const image = modalities.image?.evidence?.kind === 'image' ? modalities.image.evidence : null;
  const video = modalities.video?.evidence?.kind === 'video' ? modalities.video.evidence : null;
  const audio =
    modalities.audio?.evidence?.kind === 'audio' ? (modalities.audio.evidence as AudioEvidenceData) : null;

  return (
    <>
      {analysis.status === 'failed' && (
        <ErrorNotice
          error={
            new ApiError({
              status: 500,
              type: analysis.error?.type ?? 'internal_error',
              detail: analysis.error?.detail ?? '',
              requestId: analysis.error?.request_id ?? null,
            })
          }
          title="The analysis failed."
        >
          <p className="mt-2 text-sm">
            <Link to="/" className="underline">
              Upload the file again
            </Link>{' '}
            to retry.
          </p>
        </ErrorNotice>
      )}
      {analysis.status === 'done' && <VerdictBanner analysis={analysis} />}
      {Object.keys(modalities).length > 0 && (
        <Card title="What each detector found">
          <ul className="grid gap-3 md:grid-cols-2">
            {Object.entries(modalities).map(([name, result]) => (
              <ModalitySummary key={name} name={name} result={result} />
            ))}
          </ul>
        </Card>
      )}
      {image && <ImageEvidence evidence={image} src={media} filename={filename} threshold={threshold} />}
      {video && (
        <VideoEvidence
          evidence={video}
          mediaSrc={media}
          filename={filename}
          windows={audio?.windows ?? []}
          threshold={threshold}
          playerRef={playerRef}
        />
      )}
      {audio && (
        <AudioEvidence
          evidence={audio}
          mediaSrc={media}
          filename={filename}
          threshold={threshold}
          externalPlayer={video ? playerRef : undefined}
        />
      )}
      {analysis.provenance && <ProvenanceCard provenance={analysis.provenance} />}
      <ModelsPanel analysis={analysis} />
      <SharePanel analysis={analysis} />
    </>
  );
}
