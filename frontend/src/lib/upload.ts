// Uploads one file to POST /v1/analyses with XMLHttpRequest, whose upload events give a
// real progress bar (fetch cannot report upload progress).
import { ApiError, errorFromBody, networkError } from './api-error';
import { authHeaders } from './api-key';
import type { Analysis, AnalysisAccepted } from './api/types';

export type UploadAnswer = AnalysisAccepted | Analysis;

export interface UploadOptions {
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  force?: boolean;
}

export function uploadFile(file: File, options: UploadOptions = {}): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const url = options.force ? '/v1/analyses?force=true' : '/v1/analyses';
    xhr.open('POST', url);
    xhr.responseType = 'text';
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) options.onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body && typeof body === 'object' && 'id' in body) {
        options.onProgress?.(1);
        resolve(body as UploadAnswer);
      } else {
        reject(errorFromBody(xhr.status, body, xhr.getResponseHeader('Retry-After')));
      }
    };
    xhr.onerror = () => reject(networkError());
    xhr.onabort = () => reject(new ApiError({ status: 0, type: 'aborted', detail: 'Upload cancelled.' }));
    options.signal?.addEventListener('abort', () => xhr.abort());
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
