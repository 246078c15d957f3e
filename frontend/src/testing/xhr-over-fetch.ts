// jsdom's XMLHttpRequest hangs when MSW intercepts a FormData body, so component tests
// replace it with this small stand-in that sends the same multipart request through
// fetch (which MSW intercepts) and reports upload progress like a browser.
function readText(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader(); // jsdom's File has no text()
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  });
}

type Listener = ((event: ProgressEvent) => void) | null;

export class XhrOverFetch {
  method = 'GET';
  url = '';
  status = 0;
  responseText = '';
  responseType = '';
  upload: { onprogress: Listener } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  private headers: Record<string, string> = {};
  private responseHeaders = new Headers();
  private controller = new AbortController();

  open(method: string, url: string) {
    this.method = method;
    this.url = new URL(url, window.location.href).toString();
  }

  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }

  getResponseHeader(name: string) {
    return this.responseHeaders.get(name);
  }

  abort() {
    this.controller.abort();
    this.onabort?.();
  }

  send(body: FormData | string | null) {
    void this.run(body);
  }

  private async run(body: FormData | string | null) {
    let payload: string | null = typeof body === 'string' ? body : null;
    const headers = { ...this.headers };
    if (body && typeof body !== 'string') {
      const boundary = 'xhr-over-fetch-boundary';
      let text = '';
      for (const [name, value] of body.entries()) {
        if (typeof value === 'string') {
          text += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
        } else {
          text +=
            `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${value.name}"\r\n` +
            `Content-Type: ${value.type || 'application/octet-stream'}\r\n\r\n${await readText(value)}\r\n`;
        }
      }
      payload = `${text}--${boundary}--\r\n`;
      headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`;
    }
    const total = payload?.length ?? 0;
    this.upload.onprogress?.({ lengthComputable: true, loaded: Math.floor(total / 2), total } as ProgressEvent);
    try {
      const response = await fetch(this.url, { method: this.method, headers, body: payload, signal: this.controller.signal });
      this.upload.onprogress?.({ lengthComputable: true, loaded: total, total } as ProgressEvent);
      this.status = response.status;
      this.responseHeaders = response.headers;
      this.responseText = await response.text();
      this.onload?.();
    } catch {
      if (!this.controller.signal.aborted) this.onerror?.();
    }
  }
}
