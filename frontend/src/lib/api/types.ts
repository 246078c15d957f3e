// Names for the generated OpenAPI types (schema.d.ts is generated; never edit it).
import type { components, paths } from './schema';

type Schemas = components['schemas'];

export type Analysis = Schemas['Analysis'];
export type AnalysisAccepted = Schemas['AnalysisAccepted'];
export type AnalysisEvent = Schemas['AnalysisEvent'];
export type AnalysisStatus = Schemas['AnalysisStatus'];
export type AudioEvidence = Schemas['AudioEvidence'];
export type AudioWindow = Schemas['AudioWindow'];
export type Box = Schemas['Box'];
export type ErrorBody = Schemas['ErrorBody'];
export type FaceEvidence = Schemas['FaceEvidence'];
export type ImageEvidence = Schemas['ImageEvidence'];
export type MediaKind = Schemas['MediaKind'];
export type ModalityResult = Schemas['ModalityResult'];
export type ModelInfo = Schemas['ModelInfo'];
export type Verdict = Schemas['Verdict'];
export type ProvenanceReport = Schemas['ProvenanceReport'];
export type C2paReport = Schemas['C2paReport'];
export type GeneratorTrace = Schemas['GeneratorTrace'];
export type ImageMetadata = Schemas['ImageMetadata'];
export type ContainerMetadata = Schemas['ContainerMetadata'];
export type CompressionTraces = Schemas['CompressionTraces'];
export type RuleOutcome = Schemas['RuleOutcome'];
export type VerdictLabel = Schemas['VerdictLabel'];
export type VideoEvidence = Schemas['VideoEvidence'];
export type VideoThumbnail = Schemas['VideoThumbnail'];
export type VideoTimelinePoint = Schemas['VideoTimelinePoint'];
export type VideoTrack = Schemas['VideoTrack'];

// The history summaries (api.md): taken from the generated schema once the gateway
// exports them; until then the same shape, so the code compiles against either document.
type FromSchema<K extends string, Fallback> = Schemas extends Record<K, infer T> ? T : Fallback;

export type AnalysisSummary = FromSchema<
  'AnalysisSummary',
  {
    id: string;
    status: AnalysisStatus;
    kind: MediaKind;
    filename?: string | null;
    mime: string;
    size_bytes: number;
    created_at: string;
    finished_at?: string | null;
    verdict_label?: VerdictLabel | null;
    fake_probability?: number | null;
    thumbnail_url?: string | null;
  }
>;

export type AnalysisPage = FromSchema<
  'AnalysisPage',
  { items: AnalysisSummary[]; total: number; limit: number; offset: number }
>;

export type ListAnalysesQuery = NonNullable<paths['/v1/analyses']['get']['parameters']['query']>;
