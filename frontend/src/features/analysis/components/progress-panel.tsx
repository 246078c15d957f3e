import { Card } from '@/components/ui/card';
import { ProgressBar } from '@/components/ui/progress-bar';
import type { Analysis, AnalysisEvent } from '@/lib/api/types';

const STAGE_WORDS: Record<string, string> = {
  queued: 'Waiting in the queue',
  started: 'Checking',
  progress: 'Checking',
  done: 'Finished',
  fused: 'Combining the scores into a verdict',
  failed: 'The analysis failed',
};

const MODALITY_WORDS: Record<string, string> = {
  image: 'Picture (faces)',
  video: 'Video frames (faces)',
  audio: 'Sound track (voice)',
};

export function expectedModalities(analysis: Analysis): string[] {
  const media = analysis.media as Analysis['media'] & { has_audio?: boolean | null };
  if (media.kind === 'video') return media.has_audio === false ? ['video'] : ['video', 'audio'];
  return [media.kind];
}

/** Live progress, announced politely to screen readers. */
export function ProgressPanel({
  analysis,
  progress,
  lastEvent,
}: {
  analysis: Analysis;
  progress: Record<string, number>;
  lastEvent: AnalysisEvent | null;
}) {
  const modalities = [...new Set([...expectedModalities(analysis), ...Object.keys(progress)])];
  const stage =
    analysis.status === 'queued' && !lastEvent
      ? STAGE_WORDS.queued
      : lastEvent
        ? `${STAGE_WORDS[lastEvent.event] ?? lastEvent.event}${lastEvent.modality && lastEvent.event !== 'fused' ? `: ${MODALITY_WORDS[lastEvent.modality] ?? lastEvent.modality}` : ''}`
        : 'Analysing';
  return (
    <Card title="Analysing…">
      <p aria-live="polite" role="status" className="mb-3" data-testid="analysis-stage">
        {stage}
      </p>
      <div className="flex flex-col gap-3">
        {modalities.map((modality) => (
          <ProgressBar
            key={modality}
            label={MODALITY_WORDS[modality] ?? modality}
            value={progress[modality] ?? (analysis.status === 'queued' ? null : 0)}
          />
        ))}
      </div>
      <p className="mt-3 text-sm text-slate-700 dark:text-slate-300">
        You can leave this page: the analysis goes on and will be in your history.
      </p>
    </Card>
  );
}
