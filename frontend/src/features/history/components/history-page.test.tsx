import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { toPage } from '@/lib/api/client';
import { audioAnalysis, imageAnalysis, pageOf, videoAnalysis } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

describe('history page', () => {
  it('lists analyses with verdict, filters by kind/verdict/name and pages', async () => {
    const urls: URL[] = [];
    server.use(
      http.get('*/v1/analyses', ({ request }) => {
        const url = new URL(request.url);
        urls.push(url);
        return HttpResponse.json(pageOf([imageAnalysis, videoAnalysis], 20, Number(url.searchParams.get('offset') ?? 0), 45));
      }),
    );
    renderApp('/history');
    const rows = await screen.findAllByTestId('history-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('face.jpg');
    expect(rows[0]).toHaveTextContent('Likely fake');
    expect(screen.getByTestId('history-count')).toHaveTextContent('Showing 1–2 of 45');

    await userEvent.selectOptions(screen.getByLabelText('Kind'), 'video');
    await userEvent.selectOptions(screen.getByLabelText('Verdict'), 'fake');
    await userEvent.type(screen.getByLabelText('File name'), 'talk');
    await waitFor(() => expect(urls.at(-1)?.searchParams.get('q')).toBe('talk'));
    const last = urls.at(-1)!;
    expect(last.searchParams.get('kind')).toBe('video');
    expect(last.searchParams.get('verdict')).toBe('fake');

    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(urls.at(-1)?.searchParams.get('offset')).toBe('20'));
  });

  it('deletes an analysis after confirmation', async () => {
    let items = [imageAnalysis, audioAnalysis];
    const deleted: string[] = [];
    server.use(
      http.get('*/v1/analyses', () => HttpResponse.json(pageOf(items))),
      http.delete('*/v1/analyses/:id', ({ params }) => {
        deleted.push(String(params.id));
        items = items.filter((a) => a.id !== params.id);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    renderApp('/history');
    await screen.findAllByTestId('history-row');
    await userEvent.click(screen.getByRole('button', { name: 'Delete voice.wav' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete this analysis?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(deleted).toEqual([]);
    await userEvent.click(screen.getByRole('button', { name: 'Delete voice.wav' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.getAllByTestId('history-row')).toHaveLength(1));
    expect(deleted).toEqual(['aud1']);
  });

  it('reads the older plain-array answer with X-Total-Count', () => {
    const page = toPage([imageAnalysis], '7', { limit: 20, offset: 0 });
    expect(page.total).toBe(7);
    expect(page.items[0]).toMatchObject({ id: 'img1', kind: 'image', verdict_label: 'fake', filename: 'face.jpg' });
  });
});
