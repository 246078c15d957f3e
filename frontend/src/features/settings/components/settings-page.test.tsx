import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { pageOf, imageAnalysis } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

describe('settings', () => {
  it('keeps the API key in storage and sends it as X-API-Key', async () => {
    const seen: (string | null)[] = [];
    server.use(
      http.get('*/v1/analyses', ({ request }) => {
        seen.push(request.headers.get('X-API-Key'));
        return HttpResponse.json(pageOf([imageAnalysis]));
      }),
    );
    renderApp('/settings');
    await userEvent.type(await screen.findByLabelText('API key'), 'ddk_secret');
    await userEvent.click(screen.getByRole('button', { name: 'Save key' }));
    expect(localStorage.getItem('dd.apiKey')).toBe('ddk_secret');
    await userEvent.click(screen.getByRole('link', { name: 'History' }));
    await screen.findAllByTestId('history-row');
    expect(seen.at(-1)).toBe('ddk_secret');
  });

  it('a 401 offers the key field, and the key unlocks the page', async () => {
    server.use(
      http.get('*/v1/analyses', ({ request }) =>
        request.headers.get('X-API-Key') === 'ddk_good'
          ? HttpResponse.json(pageOf([imageAnalysis]))
          : HttpResponse.json({ type: 'unauthorized', detail: 'A valid API key is required.', request_id: 'r' }, { status: 401 }),
      ),
    );
    renderApp('/history');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('This gateway needs a valid API key.');
    await userEvent.type(screen.getByLabelText('API key'), 'ddk_good');
    await userEvent.click(screen.getByRole('button', { name: 'Save key' }));
    expect(await screen.findAllByTestId('history-row')).toHaveLength(1);
  });

  it('switches between light and dark themes', async () => {
    renderApp('/settings');
    await userEvent.click(await screen.findByRole('radio', { name: 'Dark' }));
    expect(document.documentElement).toHaveClass('dark');
    await userEvent.click(screen.getByRole('radio', { name: 'Light' }));
    expect(document.documentElement).not.toHaveClass('dark');
    expect(localStorage.getItem('dd.theme')).toBe('light');
  });
});
