// Live analysis events from GET /v1/analyses/{id}/events (Server-Sent Events).
// EventSource cannot send headers, so with an API key set the stream is read with fetch
// (which can) and parsed here; without a key the browser's EventSource is used.
import { getApiKey } from './api-key';
import { eventsUrl } from './api/client';
import type { AnalysisEvent } from './api/types';

export interface EventHandlers {
  onEvent: (event: AnalysisEvent) => void;
  /** The stream broke or could not open; the caller falls back to polling. */
  onError: () => void;
}

const FINAL = new Set(['fused', 'failed']);

/** Splits an SSE text buffer into complete `data:` payloads; returns the unparsed rest. */
export function parseSseChunk(buffer: string): { events: string[]; rest: string } {
  const events: string[] = [];
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data) events.push(data);
  }
  return { events, rest };
}

function deliver(raw: string, handlers: EventHandlers): boolean {
  try {
    const event = JSON.parse(raw) as AnalysisEvent;
    handlers.onEvent(event);
    return FINAL.has(event.event);
  } catch {
    return false;
  }
}

export function subscribeAnalysisEvents(id: string, handlers: EventHandlers): () => void {
  const key = getApiKey();
  if (!key && typeof EventSource !== 'undefined') {
    const source = new EventSource(eventsUrl(id));
    source.onmessage = (message) => {
      if (deliver(message.data, handlers)) source.close();
    };
    source.onerror = () => {
      source.close();
      handlers.onError();
    };
    return () => source.close();
  }
  const controller = new AbortController();
  void (async () => {
    try {
      const response = await fetch(eventsUrl(id), {
        headers: { 'X-API-Key': key, Accept: 'text/event-stream' },
        signal: controller.signal,
      });
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parsed = parseSseChunk(buffer + value);
        buffer = parsed.rest;
        for (const raw of parsed.events) {
          if (deliver(raw, handlers)) {
            controller.abort();
            return;
          }
        }
      }
      handlers.onError();
    } catch {
      if (!controller.signal.aborted) handlers.onError();
    }
  })();
  return () => controller.abort();
}
