import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { failedAnalysis, imageAnalysis, partialAnalysis } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

const serve = (doc: object) => server.use(http.get('*/v1/analyses/:id', () => HttpResponse.json(doc)));

describe('result page', () => {
  it('image: verdict, gauge, why, face box, per-model scores and flags in words', async () => {
    renderApp('/analyses/img1');
    const banner = await screen.findByTestId('verdict-banner');
    expect(banner).toHaveAttribute('data-verdict', 'fake');
    expect(within(banner).getByRole('img', { name: 'Fake probability 93%' })).toBeInTheDocument();
    expect(banner).toHaveTextContent('counted for 100% of the verdict');
    expect(screen.getAllByTestId('face-box')).toHaveLength(1);
    expect(screen.getByRole('table', { name: 'Detector scores for face 1' })).toHaveTextContent('95.0%');
    expect(screen.getByText(/More than one face appears/)).toBeInTheDocument();
    expect(screen.getByText('untrained — not counted')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Report (PDF)' })).toHaveAttribute('href', '/v1/analyses/img1/report?format=pdf');
    expect(screen.getByText(/curl -F 'file=@face.jpg'/)).toBeInTheDocument();
  });

  it('video: face track and sound windows on one timeline; a point shows its face', async () => {
    renderApp('/analyses/vid1');
    const chart = await screen.findByTestId('timeline-chart');
    expect(within(chart).getAllByTestId('timeline-point')).toHaveLength(3);
    // Two scored windows (the silent one is not drawn).
    expect(within(chart).getAllByTestId('timeline-audio-window')).toHaveLength(2);
    expect(screen.getAllByTestId('track-row')).toHaveLength(1);
    await userEvent.click(within(chart).getAllByTestId('timeline-point')[2]);
    const sample = screen.getByTestId('selected-sample');
    expect(sample).toHaveTextContent('Face track 0 at 2.5 s');
    expect(await within(sample).findByTestId('sample-thumbnail')).toHaveAttribute(
      'src',
      '/v1/analyses/vid1/artifacts/thumb-1.jpg',
    );
    // Keyboard: a point is a button reachable with Tab and activated with Enter.
    within(chart).getAllByTestId('timeline-point')[0].focus();
    await userEvent.keyboard('{Enter}');
    expect(sample).toHaveTextContent('Face track 0 at 0.5 s');
  });

  it('audio: spectrogram windows at or above the threshold are shaded, with a table', async () => {
    renderApp('/analyses/aud1');
    const windows = await screen.findAllByTestId('spectrogram-window');
    expect(windows.map((w) => w.getAttribute('data-suspicious'))).toEqual(['false', 'true', 'false']);
    expect(screen.getAllByTestId('window-row')[2]).toHaveTextContent('not scored');
    expect(screen.getByTestId('audio-player')).toHaveAttribute('src', '/v1/analyses/aud1/media');
    // Choosing a window plays it from its start.
    const play = vi.spyOn(HTMLMediaElement.prototype, 'play').mockResolvedValue(undefined);
    const player = screen.getByTestId('audio-player') as HTMLAudioElement;
    Object.defineProperty(player, 'readyState', { value: 4 });
    await userEvent.click(windows[1]);
    expect(play).toHaveBeenCalledTimes(1);
    expect(player.currentTime).toBe(1);
    play.mockRestore();
  });

  it('failed: the error in words and what to do', async () => {
    serve(failedAnalysis);
    renderApp('/analyses/bad1');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('interrupted by a server restart');
    expect(alert).toHaveTextContent('Submit the file again');
  });

  it('partial: says which part was left out and why', async () => {
    serve(partialAnalysis);
    renderApp('/analyses/part1');
    expect(await screen.findByTestId('partial-notice')).toHaveTextContent('audio service was unavailable');
    expect(screen.getByTestId('verdict-banner')).toHaveTextContent('not counted — service unavailable');
  });

  it('not found: a sentence, not a blank page', async () => {
    renderApp('/analyses/nope');
    expect(await screen.findByRole('alert')).toHaveTextContent('This analysis does not exist');
  });

  it('running: shows live progress from the event stream, then the verdict', async () => {
    const running = { ...imageAnalysis, status: 'running', verdict: null, modalities: {}, finished_at: null };
    server.use(
      http.get('*/v1/analyses/:id', () => HttpResponse.json(running)),
      http.get('*/v1/analyses/:id/events', () => {
        const encoder = new TextEncoder();
        const stream = new ReadableStream({
          async start(controller) {
            const send = (event: object) => controller.enqueue(encoder.encode(`data: ${JSON.stringify(event)}\n\n`));
            send({ event: 'started', analysis_id: 'img1', modality: 'image' });
            send({ event: 'progress', analysis_id: 'img1', modality: 'image', fraction: 0.4 });
            await new Promise((r) => setTimeout(r, 150));
            send({ event: 'fused', analysis_id: 'img1', analysis: imageAnalysis });
            controller.close();
          },
        });
        return new HttpResponse(stream, { headers: { 'Content-Type': 'text/event-stream' } });
      }),
    );
    renderApp('/analyses/img1');
    expect(await screen.findByRole('progressbar', { name: 'Picture (faces)' })).toHaveAttribute('aria-valuenow', '40');
    expect(await screen.findByTestId('verdict-banner', {}, { timeout: 3000 })).toHaveTextContent('Likely fake');
  });
});

describe('verdict banner: an unreliable score', () => {
  it('says the detectors are not reliable here, not that provenance decided', async () => {
    const doc = {
      ...imageAnalysis,
      id: 'small1',
      verdict: {
        ...imageAnalysis.verdict,
        label: 'uncertain',
        fake_probability: 0.83,
        reasons: [
          {
            rule_id: 'unreliable_condition',
            rule: 'A score its service marks unreliable cannot decide the verdict alone.',
            reason: 'image: 1 face was found, all smaller than 64 px (largest 34 px).',
            severity: 'verdict',
            forces_label: 'uncertain',
          },
        ],
      },
    };
    serve(doc);
    renderApp('/analyses/small1');
    const banner = await screen.findByTestId('verdict-banner');
    expect(banner).toHaveTextContent('The detectors are not reliable on this file');
    expect(banner).not.toHaveTextContent('made by a generator');
    expect(banner).toHaveTextContent('confidence low');
    const [reason] = within(banner).getAllByTestId('verdict-reason');
    expect(reason).toHaveTextContent('Unreliable score');
    expect(reason).not.toHaveTextContent('File provenance');
    expect(reason).toHaveTextContent('all smaller than 64 px');
  });
});
