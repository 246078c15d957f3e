// Every failed call becomes an ApiError: the gateway's {type, detail, request_id} body,
// the HTTP status, and Retry-After when there is one. A network failure ("the gateway is
// down") is type 'network'; an answer that is not our JSON is type 'bad_response'.

export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly detail: string;
  readonly requestId: string | null;
  readonly retryAfterS: number | null;

  constructor(opts: {
    status: number;
    type: string;
    detail: string;
    requestId?: string | null;
    retryAfterS?: number | null;
  }) {
    super(opts.detail);
    this.name = 'ApiError';
    this.status = opts.status;
    this.type = opts.type;
    this.detail = opts.detail;
    this.requestId = opts.requestId ?? null;
    this.retryAfterS = opts.retryAfterS ?? null;
  }
}

export function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Builds the error from a parsed body (or none) and the response's status/headers. */
export function errorFromBody(status: number, body: unknown, retryAfter: string | null): ApiError {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const type = typeof b.type === 'string' ? b.type : status === 0 ? 'network' : 'bad_response';
  let detail = typeof b.detail === 'string' ? b.detail : '';
  if (!detail && Array.isArray(b.detail)) detail = 'The request is invalid.';
  return new ApiError({
    status,
    type,
    detail,
    requestId: typeof b.request_id === 'string' ? b.request_id : null,
    retryAfterS: parseRetryAfter(retryAfter),
  });
}

export function networkError(): ApiError {
  return new ApiError({ status: 0, type: 'network', detail: '' });
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return networkError();
}
