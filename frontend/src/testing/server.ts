import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { audioAnalysis, imageAnalysis, pageOf, videoAnalysis } from './fixtures';

export const documents = [imageAnalysis, videoAnalysis, audioAnalysis];

export const defaultHandlers = [
  http.get('*/v1/analyses', () => HttpResponse.json(pageOf(documents))),
  http.get('*/v1/analyses/:id', ({ params }) => {
    const found = documents.find((d) => d.id === params.id);
    return found
      ? HttpResponse.json(found)
      : HttpResponse.json({ type: 'not_found', detail: 'No such analysis.', request_id: 'r1' }, { status: 404 });
  }),
  http.get('*/v1/analyses/:id/artifacts/:name', () => new HttpResponse(new Uint8Array([137, 80, 78, 71]), { headers: { 'Content-Type': 'image/png' } })),
  http.get('*/v1/analyses/:id/media', () => new HttpResponse(new Uint8Array([0]), { headers: { 'Content-Type': 'application/octet-stream' } })),
];

export const server = setupServer(...defaultHandlers);
