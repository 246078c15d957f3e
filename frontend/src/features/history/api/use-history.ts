import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { deleteAnalysis, listAnalyses, type ListFilters } from '@/lib/api/client';

export const historyKey = (filters: ListFilters) => ['analyses', filters] as const;

export function useHistory(filters: ListFilters) {
  return useQuery({
    queryKey: historyKey(filters),
    queryFn: () => listAnalyses(filters),
    placeholderData: keepPreviousData,
    // Rows still running change by themselves.
    refetchInterval: (q) =>
      q.state.data?.items.some((item) => item.status === 'queued' || item.status === 'running') ? 4000 : false,
  });
}

export function useDeleteAnalysis() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => deleteAnalysis(id),
    onSuccess: (_data, id) => {
      queryClient.removeQueries({ queryKey: ['analysis', id] });
      return queryClient.invalidateQueries({ queryKey: ['analyses'] });
    },
  });
}
