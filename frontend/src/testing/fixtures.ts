// Documents in the shapes of api.md, for component tests.
import type { Analysis, AnalysisPage } from '@/lib/api/types';

const model = (name: string, weights = 'real') => ({
  name,
  version: '1.0',
  sha256: 'ab'.repeat(32),
  weights,
  framework: 'tensorflow',
  task: 'face-forgery',
  output: 'fake_probability',
});

const base = {
  created_at: '2026-12-07T03:00:00Z',
  started_at: '2026-12-07T03:00:00Z',
  finished_at: '2026-12-07T03:00:02Z',
  progress: {},
  error: null,
  partial: false,
  partial_reason: null,
};

export const imageAnalysis = {
  ...base,
  id: 'img1',
  status: 'done',
  media: { kind: 'image', mime: 'image/jpeg', format: 'jpeg', size_bytes: 9353, sha256: 'cd'.repeat(32), filename: 'face.jpg' },
  verdict: {
    label: 'fake',
    fake_probability: 0.93,
    real_probability: 0.07,
    threshold: 0.5,
    uncertain_band: 0.1,
    partial: false,
    contributions: [{ modality: 'image', fake_probability: 0.93, weight: 1, effective_weight: 0.9, share: 1 }],
    excluded: [],
    rule: 'weighted mean of logits',
  },
  modalities: {
    image: {
      modality: 'image',
      status: 'ok',
      fake_probability: 0.93,
      confidence: 0.9,
      flags: ['multiple_faces'],
      reason: null,
      models: [model('mesonet-meso4-df'), model('mesonet-f2f', 'untrained')],
      latencies_ms: { detect: 12, classify: 30 },
      evidence: {
        kind: 'image',
        width: 256,
        height: 256,
        format: 'jpeg',
        faces: [
          {
            box: { x1: 10, y1: 20, x2: 200, y2: 230 },
            detection_confidence: 0.99,
            fake_probability: 0.93,
            scores: [
              { model: 'mesonet-meso4-df', fake_probability: 0.95 },
              { model: 'mesonet-f2f', fake_probability: 0.8 },
            ],
          },
        ],
        no_face: false,
        whole_frame_scores: null,
        aggregation: 'max over faces',
      },
    },
  },
  models: [model('mesonet-meso4-df')],
  latencies_ms: { sniff: 2, image: 45, fusion: 3, total: 52 },
} as unknown as Analysis;

const windows = [
  { start_s: 0, end_s: 1, fake_probability: 0.2, speech: true },
  { start_s: 1, end_s: 2, fake_probability: 0.85, speech: true },
  { start_s: 2, end_s: 3, fake_probability: null, speech: false },
];

export const videoAnalysis = {
  ...base,
  id: 'vid1',
  status: 'done',
  media: { kind: 'video', mime: 'video/mp4', format: 'mp4', size_bytes: 201226, sha256: 'ef'.repeat(32), filename: 'talk.mp4', has_audio: true },
  verdict: {
    label: 'uncertain',
    fake_probability: 0.52,
    real_probability: 0.48,
    threshold: 0.5,
    uncertain_band: 0.1,
    partial: false,
    contributions: [
      { modality: 'video', fake_probability: 0.4, weight: 1, effective_weight: 0.8, share: 0.6 },
      { modality: 'audio', fake_probability: 0.7, weight: 1, effective_weight: 0.5, share: 0.4 },
    ],
    excluded: [],
    rule: 'weighted mean of logits',
  },
  modalities: {
    video: {
      modality: 'video',
      status: 'ok',
      fake_probability: 0.4,
      confidence: 0.8,
      flags: [],
      models: [model('mesonet-meso4-df')],
      latencies_ms: { decode: 100 },
      evidence: {
        kind: 'video',
        duration_s: 3,
        fps: 25,
        width: 320,
        height: 240,
        sampled_frames: 3,
        frames_without_face: [],
        timeline: [
          { t_s: 0.5, track_id: 0, fake_probability: 0.3, box: { x1: 1, y1: 1, x2: 50, y2: 50 } },
          { t_s: 1.5, track_id: 0, fake_probability: 0.5, box: { x1: 1, y1: 1, x2: 50, y2: 50 } },
          { t_s: 2.5, track_id: 0, fake_probability: 0.4, box: { x1: 1, y1: 1, x2: 50, y2: 50 } },
        ],
        tracks: [{ track_id: 0, samples: 3, first_s: 0.5, last_s: 2.5, fake_probability: 0.4 }],
        thumbnails: [
          { t_s: 0.5, track_id: 0, fake_probability: 0.3, box: { x1: 1, y1: 1, x2: 50, y2: 50 }, url: '/v1/analyses/vid1/artifacts/thumb-0.jpg' },
          { t_s: 2.5, track_id: 0, fake_probability: 0.4, box: { x1: 1, y1: 1, x2: 50, y2: 50 }, url: '/v1/analyses/vid1/artifacts/thumb-1.jpg' },
        ],
        aggregation: 'mean over tracks',
        has_audio: true,
      },
    },
    audio: {
      modality: 'audio',
      status: 'ok',
      fake_probability: 0.7,
      confidence: 0.5,
      flags: ['isolated_fake_window'],
      models: [{ ...model('aasist'), framework: 'pytorch', task: 'anti-spoofing' }],
      latencies_ms: { score: 200 },
      evidence: {
        kind: 'audio',
        duration_s: 3,
        sample_rate: 16000,
        speech_ratio: 0.66,
        windows,
        aggregation: 'mean over speech windows',
        spectrogram_url: '/v1/analyses/vid1/artifacts/spectrogram.png',
      },
    },
  },
  models: [],
  latencies_ms: { sniff: 3, video: 400, audio: 250, fusion: 2, total: 660 },
} as unknown as Analysis;

export const audioAnalysis = {
  ...base,
  id: 'aud1',
  status: 'done',
  partial: false,
  media: { kind: 'audio', mime: 'audio/wav', format: 'wav', size_bytes: 122848, sha256: '12'.repeat(32), filename: 'voice.wav' },
  verdict: {
    label: 'fake',
    fake_probability: 0.97,
    real_probability: 0.03,
    threshold: 0.5,
    uncertain_band: 0.1,
    partial: false,
    contributions: [{ modality: 'audio', fake_probability: 0.97, weight: 1, effective_weight: 1, share: 1 }],
    excluded: [],
    rule: 'weighted mean of logits',
  },
  modalities: {
    audio: {
      ...(videoAnalysis.modalities!.audio as object),
      fake_probability: 0.97,
      evidence: { ...(videoAnalysis.modalities!.audio!.evidence as object), spectrogram_url: '/v1/analyses/aud1/artifacts/spectrogram.png' },
    },
  },
  models: [],
  latencies_ms: { audio: 250, total: 260 },
} as unknown as Analysis;

export const failedAnalysis = {
  ...base,
  id: 'bad1',
  status: 'failed',
  media: imageAnalysis.media,
  verdict: null,
  modalities: {},
  models: [],
  latencies_ms: {},
  error: { type: 'interrupted', detail: 'The analysis was interrupted by a restart; submit it again.', request_id: 'req-9' },
} as unknown as Analysis;

export const partialAnalysis = {
  ...videoAnalysis,
  id: 'part1',
  partial: true,
  partial_reason: 'audio: the audio service was unavailable',
  verdict: {
    ...videoAnalysis.verdict!,
    partial: true,
    contributions: [videoAnalysis.verdict!.contributions[0]],
    excluded: [{ modality: 'audio', status: 'unavailable', reason: 'The audio service could not be reached.' }],
  },
} as unknown as Analysis;

export function summaryOf(a: Analysis) {
  return {
    id: a.id,
    status: a.status,
    kind: a.media.kind,
    filename: a.media.filename ?? null,
    mime: a.media.mime,
    size_bytes: a.media.size_bytes,
    created_at: a.created_at,
    finished_at: a.finished_at ?? null,
    verdict_label: a.verdict?.label ?? null,
    fake_probability: a.verdict?.fake_probability ?? null,
    thumbnail_url: `/v1/analyses/${a.id}/artifacts/thumb.jpg`,
  };
}

export function pageOf(items: Analysis[], limit = 20, offset = 0, total = items.length): AnalysisPage {
  return { items: items.map(summaryOf), total, limit, offset } as AnalysisPage;
}

// A picture whose PNG text chunk names a generator, with a JPEG-like compression section
// and an intact (untrusted) C2PA manifest: every part of the provenance card has data.
export const provenanceAnalysis = {
  ...imageAnalysis,
  id: 'prov1',
  media: { ...imageAnalysis.media, filename: 'castle.jpg' },
  verdict: {
    ...imageAnalysis.verdict!,
    label: 'fake',
    fake_probability: 0.12,
    real_probability: 0.88,
    rule: 'weighted mean of logits; provenance rules fired: PROV-C2PA-AI, PROV-GENERATOR-TRACE',
    reasons: [
      {
        rule_id: 'PROV-C2PA-AI',
        rule: 'An intact C2PA manifest declares the content AI-generated.',
        reason: 'The manifest signed by DD Test Generator declares trainedAlgorithmicMedia.',
        severity: 'verdict',
        forces_label: 'fake',
      },
      {
        rule_id: 'PROV-C2PA-UNTRUSTED',
        rule: 'The signature and hashes verify but the signer is not on our trust list.',
        reason: 'DD Test Generator is not a trust anchor here.',
        severity: 'info',
        forces_label: null,
      },
    ],
  },
  provenance: {
    kind: 'image',
    elapsed_ms: 6.2,
    timed_out: false,
    c2pa: {
      state: 'ok',
      validation: 'untrusted_signer',
      embedded: true,
      manifests: 1,
      signer_subject: 'DD Test Generator',
      signer_issuer: 'DD Test CA',
      claim_generator: 'dd-test-generator/1.0',
      actions: [{ action: 'c2pa.created', digital_source_type: 'trainedAlgorithmicMedia', software_agent: 'DD Diffusion 1.0' }],
      digital_source_types: ['trainedAlgorithmicMedia'],
      ingredients: [],
      failures: [{ code: 'signingCredential.untrusted' }],
    },
    traces: [
      {
        source: 'png_text',
        key: 'tEXt:parameters',
        tool: 'Stable Diffusion web UI (A1111)',
        ai: true,
        excerpt: 'a castle on a hill, golden hour Steps: 30, Sampler: DPM++ 2M Karras',
      },
    ],
    metadata: {
      state: 'ok',
      make: null,
      model: null,
      lens: null,
      capture_time: null,
      software: 'Adobe Photoshop 25.0',
      gps_present: false,
      edit_history: [],
      exif: 'ok',
      xmp: 'absent',
      iptc: 'absent',
      unreadable: [],
    },
    compression: {
      state: 'ok',
      tables: [],
      estimated_quality: 87,
      table_family: 'ijg',
      double_compression: true,
      double_compression_score: 0.41,
      ela_url: '/v1/analyses/prov1/artifacts/ela.png',
    },
  },
} as unknown as Analysis;
