// The typed client generated from the gateway's OpenAPI document (schema.d.ts, made by
// `make client`), wired with the API key and turned into ApiErrors on failure.
import createClient, { type Middleware } from 'openapi-fetch';
import { errorFromBody, networkError, type ApiError } from '../api-error';
import { authHeaders } from '../api-key';
import type { paths } from './schema';
import type { Analysis, AnalysisPage, AnalysisSummary, ListAnalysesQuery } from './types';

const withKey: Middleware = {
  onRequest({ request }) {
    for (const [name, value] of Object.entries(authHeaders())) request.headers.set(name, value);
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? '',
  // Looked up per call, not captured once, so test doubles and polyfills apply.
  fetch: (request) => globalThis.fetch(request),
});
api.use(withKey);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Awaits an openapi-fetch call: the data, or an ApiError (network failures included). */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch {
    throw networkError();
  }
  const { response } = result;
  if (!response.ok) {
    throw errorFromBody(response.status, result.error, response.headers.get('Retry-After'));
  }
  return result.data as T;
}

export type { ApiError };

export function getAnalysis(id: string): Promise<Analysis> {
  return unwrap(api.GET('/v1/analyses/{analysis_id}', { params: { path: { analysis_id: id } } }));
}

export function deleteAnalysis(id: string): Promise<unknown> {
  return unwrap(api.DELETE('/v1/analyses/{analysis_id}', { params: { path: { analysis_id: id } } }));
}

export interface ListFilters {
  limit: number;
  offset: number;
  kind?: string;
  verdict?: string;
  q?: string;
}

/** Reads either answer shape: the AnalysisPage of api.md, or the older plain array with
 * X-Total-Count (full documents), so the history works against both gateways. */
export function toPage(data: unknown, totalHeader: string | null, filters: ListFilters): AnalysisPage {
  if (data && !Array.isArray(data) && typeof data === 'object' && 'items' in data) {
    return data as AnalysisPage;
  }
  const rows = (Array.isArray(data) ? data : []) as Analysis[];
  const items = rows.map(
    (a): AnalysisSummary => ({
      id: a.id,
      status: a.status,
      kind: a.media.kind,
      filename: a.media.filename ?? null,
      mime: a.media.mime,
      size_bytes: a.media.size_bytes,
      created_at: a.created_at,
      finished_at: a.finished_at ?? null,
      verdict_label: a.verdict?.label ?? null,
      fake_probability: a.verdict?.fake_probability ?? null,
      thumbnail_url: null,
    }),
  );
  const total = Number(totalHeader ?? items.length);
  return { items, total, limit: filters.limit, offset: filters.offset };
}

export async function listAnalyses(filters: ListFilters): Promise<AnalysisPage> {
  const query: Record<string, string | number> = { limit: filters.limit, offset: filters.offset };
  if (filters.kind) query.kind = filters.kind;
  if (filters.verdict) query.verdict = filters.verdict;
  if (filters.q) query.q = filters.q;
  let totalHeader: string | null = null;
  const data = await unwrap(
    api
      .GET('/v1/analyses', { params: { query: query as ListAnalysesQuery } })
      .then((result) => {
        totalHeader = result.response.headers.get('X-Total-Count');
        return result;
      }),
  );
  return toPage(data, totalHeader, filters);
}

export type ReportFormat = 'json' | 'html' | 'pdf';

export function reportUrl(id: string, format: ReportFormat): string {
  return `/v1/analyses/${encodeURIComponent(id)}/report?format=${format}`;
}

export function mediaUrl(id: string): string {
  return `/v1/analyses/${encodeURIComponent(id)}/media`;
}

export function eventsUrl(id: string): string {
  return `/v1/analyses/${encodeURIComponent(id)}/events`;
}
