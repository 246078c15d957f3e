import { screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { imageAnalysis, provenanceAnalysis } from '@/testing/fixtures';
import { renderApp } from '@/testing/render';
import { server } from '@/testing/server';

const serve = (doc: object) => server.use(http.get('*/v1/analyses/:id', () => HttpResponse.json(doc)));

describe('provenance card', () => {
  it('shows credentials, the named generator, metadata, JPEG traces and the ELA picture', async () => {
    serve(provenanceAnalysis);
    renderApp('/analyses/prov1');
    const card = await screen.findByRole('region', { name: 'Provenance' });

    // Headings for each part, so a screen reader can jump between them.
    for (const name of ['Content credentials (C2PA)', 'Generator traces', 'Metadata', 'JPEG compression']) {
      expect(within(card).getByRole('heading', { name, level: 3 })).toBeInTheDocument();
    }
    expect(within(card).getByTestId('c2pa-status')).toHaveTextContent('the signer is not on our trust list');
    expect(within(card).getByText('DD Test Generator, issued by DD Test CA')).toBeInTheDocument();
    expect(within(card).getByText('dd-test-generator/1.0')).toBeInTheDocument();
    expect(within(card).getByTestId('c2pa-source-types')).toHaveTextContent('trainedAlgorithmicMedia');

    const [trace] = within(card).getAllByTestId('generator-trace');
    expect(trace).toHaveTextContent('Stable Diffusion web UI (A1111)');
    expect(trace).toHaveTextContent('an AI image generator');
    expect(trace).toHaveTextContent('PNG text chunk');

    // Absent fields in neutral words, GPS as yes/no.
    expect(within(card).getByTestId('meta-camera')).toHaveTextContent('Not recorded');
    expect(within(card).getByTestId('meta-gps')).toHaveTextContent('No');
    expect(within(card).getByText('Adobe Photoshop 25.0')).toBeInTheDocument();

    expect(within(card).getByTestId('jpeg-quality')).toHaveTextContent('87');
    expect(within(card).getByText(/standard \(IJG\/libjpeg\) tables/)).toBeInTheDocument();
    expect(within(card).getByTestId('jpeg-double')).toHaveTextContent('Signs of an earlier compression (score 0.41)');
    const ela = within(card).getByRole('img', { name: /Error-level analysis/ });
    expect(ela).toHaveAttribute('src', '/v1/analyses/prov1/artifacts/ela.png');
    expect(within(card).getByText(/an aid to the eye, not a probability/)).toBeInTheDocument();
  });

  it("puts each fired rule's sentence in the verdict's why list", async () => {
    serve(provenanceAnalysis);
    renderApp('/analyses/prov1');
    const banner = await screen.findByTestId('verdict-banner');
    expect(banner).toHaveAttribute('data-verdict', 'fake');
    expect(banner).toHaveTextContent('The file itself says it was made by a generator');
    const reasons = within(banner).getAllByTestId('verdict-reason');
    expect(reasons.map((r) => r.getAttribute('data-rule'))).toEqual(['PROV-C2PA-AI', 'PROV-C2PA-UNTRUSTED']);
    expect(reasons[0]).toHaveTextContent('An intact C2PA manifest declares the content AI-generated.');
    expect(reasons[0]).toHaveTextContent('decides the label: fake');
  });

  it('says plainly when the file carries nothing, and is absent for old documents', async () => {
    serve({
      ...provenanceAnalysis,
      verdict: { ...provenanceAnalysis.verdict, label: 'real', reasons: [] },
      provenance: {
        kind: 'image',
        elapsed_ms: 1,
        timed_out: false,
        c2pa: { state: 'absent' },
        traces: [],
        metadata: { state: 'absent', gps_present: false },
        compression: null,
      },
    });
    renderApp('/analyses/prov1');
    const card = await screen.findByRole('region', { name: 'Provenance' });
    expect(within(card).getByTestId('c2pa-status')).toHaveTextContent('None');
    expect(within(card).getByText(/None found/)).toBeInTheDocument();
    expect(within(card).getByText(/says nothing either way/)).toBeInTheDocument();
    expect(within(card).queryByRole('img')).not.toBeInTheDocument();
    expect(screen.queryAllByTestId('verdict-reason')).toHaveLength(0);
  });

  it('is not shown for a document without a provenance section', async () => {
    serve(imageAnalysis);
    renderApp('/analyses/img1');
    await screen.findByTestId('verdict-banner');
    expect(screen.queryByRole('region', { name: 'Provenance' })).not.toBeInTheDocument();
  });
});
