// The analysis document (TanStack Query) kept live while it runs: events from the SSE
// stream update per-modality progress and deliver the finished document; if the stream
// cannot be used, the document is polled instead. Leaving the page only stops listening:
// the job goes on at the gateway.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { getAnalysis } from '@/lib/api/client';
import type { Analysis, AnalysisEvent } from '@/lib/api/types';
import { subscribeAnalysisEvents } from '@/lib/events';

export const analysisKey = (id: string) => ['analysis', id] as const;

export function isRunning(analysis: Analysis | undefined): boolean {
  return analysis?.status === 'queued' || analysis?.status === 'running';
}

export interface LiveState {
  progress: Record<string, number>;
  lastEvent: AnalysisEvent | null;
  streaming: boolean;
}

export function useLiveAnalysis(id: string) {
  const queryClient = useQueryClient();
  const [live, setLive] = useState<LiveState>({ progress: {}, lastEvent: null, streaming: false });
  const [polling, setPolling] = useState(false);

  const query = useQuery({
    queryKey: analysisKey(id),
    queryFn: () => getAnalysis(id),
    refetchInterval: (q) => (isRunning(q.state.data) ? (polling ? 1500 : 5000) : false),
  });
  const running = isRunning(query.data);

  useEffect(() => {
    if (!running) return;
    const unsubscribe = subscribeAnalysisEvents(id, {
      onEvent(event) {
        setLive((s) => {
          const progress = { ...s.progress };
          if (event.modality && event.event === 'progress') progress[event.modality] = event.fraction ?? 0;
          if (event.modality && event.event === 'done') progress[event.modality] = 1;
          if (event.modality && event.event === 'started') progress[event.modality] ??= 0;
          return { progress, lastEvent: event, streaming: true };
        });
        if (event.event === 'fused' || event.event === 'failed') {
          if (event.analysis) queryClient.setQueryData(analysisKey(id), event.analysis);
          void queryClient.invalidateQueries({ queryKey: analysisKey(id) });
        }
      },
      onError() {
        setLive((s) => ({ ...s, streaming: false }));
        setPolling(true);
      },
    });
    return unsubscribe;
  }, [id, running, queryClient]);

  const progress = { ...(query.data?.progress ?? {}), ...live.progress };
  return { ...query, progress, live, polling };
}
