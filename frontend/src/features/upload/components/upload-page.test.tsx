import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { imageAnalysis } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

describe('upload page', () => {
  it('uploads a file and opens its result page', async () => {
    let received: string | null = null;
    server.use(
      http.post('*/v1/analyses', async ({ request }) => {
        received = /name="file"; filename="([^"]+)"/.exec(await request.text())?.[1] ?? null;
        return HttpResponse.json({ id: 'img1', status: 'queued', location: '/v1/analyses/img1' }, { status: 202 });
      }),
    );
    renderApp('/');
    const input = screen.getByLabelText(/choose files to analyse/i);
    await userEvent.upload(input, new File(['jpeg-bytes'], 'face.jpg', { type: 'image/jpeg' }));
    expect(await screen.findByRole('heading', { name: imageAnalysis.media.filename! }, { timeout: 15_000 })).toBeInTheDocument();
    expect(received).toBe('face.jpg');
    expect(await screen.findByTestId('verdict-banner')).toHaveTextContent('Likely fake');
  });

  it('explains a refused file type in words, with what to do next', async () => {
    server.use(
      http.post('*/v1/analyses', () =>
        HttpResponse.json(
          { type: 'unsupported_media_type', detail: 'text/plain is not supported', request_id: 'req-415' },
          { status: 415 },
        ),
      ),
    );
    renderApp('/');
    // The picker's accept= filter is only a hint; a drop or "All files" gets past it.
    const user = userEvent.setup({ applyAccept: false });
    await user.upload(screen.getByLabelText(/choose files to analyse/i), new File(['hello'], 'notes.txt', { type: 'text/plain' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('This file is not an image, audio or video format the server reads.');
    expect(alert).toHaveTextContent(/What to do: Upload a picture/);
    expect(alert).toHaveTextContent('req-415');
    expect(alert).not.toHaveTextContent('{');
  });

  it('lists several files, each with its own outcome', async () => {
    let n = 0;
    server.use(
      http.post('*/v1/analyses', () => {
        n += 1;
        return n === 1
          ? HttpResponse.json({ id: 'a1', status: 'queued', location: '/v1/analyses/a1' }, { status: 202 })
          : HttpResponse.json({ type: 'rate_limited', detail: 'slow down', request_id: 'r' }, { status: 429, headers: { 'Retry-After': '12' } });
      }),
    );
    renderApp('/');
    await userEvent.upload(screen.getByLabelText(/choose files to analyse/i), [
      new File(['a'], 'one.jpg', { type: 'image/jpeg' }),
      new File(['b'], 'two.jpg', { type: 'image/jpeg' }),
    ]);
    expect(await screen.findByRole('link', { name: /open the result for/i })).toBeInTheDocument();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Too many requests');
    expect(alert).toHaveTextContent(/Try again in 1[12] s/);
  });

  it('says when the gateway cannot be reached', async () => {
    server.use(http.post('*/v1/analyses', () => HttpResponse.error()));
    renderApp('/');
    await userEvent.upload(screen.getByLabelText(/choose files to analyse/i), new File(['a'], 'one.jpg', { type: 'image/jpeg' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('cannot be reached');
  });
});
