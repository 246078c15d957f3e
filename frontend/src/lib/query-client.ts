import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './api-error';
import { subscribeApiKey } from './api-key';

export function makeQueryClient(): QueryClient {
  const client = new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        // Client errors (4xx) are answers, not glitches: do not retry them.
        retry: (count, error) =>
          count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      },
    },
  });
  // A new API key may unlock what was refused: ask again.
  subscribeApiKey(() => void client.invalidateQueries());
  return client;
}
