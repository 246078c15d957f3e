// Evidence pictures are URLs relative to the gateway root (api.md); documents stored by
// older gateways carried them inline as base64, which still shows.
import type { AudioEvidence, VideoThumbnail } from '@/lib/api/types';

type WithUrl = { url?: string | null; jpeg_base64?: string | null };
type WithSpectrogram = { spectrogram_url?: string | null; spectrogram_png_base64?: string | null };

export function thumbnailSrc(thumbnail: VideoThumbnail): string | null {
  const t = thumbnail as WithUrl;
  if (t.url) return t.url;
  return t.jpeg_base64 ? `data:image/jpeg;base64,${t.jpeg_base64}` : null;
}

export function spectrogramSrc(evidence: AudioEvidence): string | null {
  const e = evidence as WithSpectrogram;
  if (e.spectrogram_url) return e.spectrogram_url;
  return e.spectrogram_png_base64 ? `data:image/png;base64,${e.spectrogram_png_base64}` : null;
}
