export function percent(p: number | null | undefined, digits = 0): string {
  return p == null ? '—' : `${(p * 100).toFixed(digits)}%`;
}

export function seconds(s: number): string {
  return `${s.toFixed(s < 10 ? 1 : 0)} s`;
}

export function milliseconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function dateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const WORDS: Record<string, string> = {
  no_face: 'No face was found, so the face detectors do not apply to this picture.',
  small_face:
    'Some faces are smaller than the classifiers were trained on: they are shown but count less, and small faces alone are not a finding.',
  fake_passage: 'A passage of the recording sounds synthetic (see the alerts on the timeline).',
  unreliable_condition:
    'The detector is unreliable on media in this condition (codec, bandwidth or quality), so it does not decide the verdict.',
  multiple_faces: 'More than one face appears; each was tracked and judged separately.',
  few_frames: 'Only a few frames could be judged, so the score is less certain.',
  isolated_fake_window: 'Only one short stretch of the sound sounded synthetic.',
  narrowband: 'The sound is narrow-band (telephone-like), which can look synthetic to the detector.',
  truncated_media: 'The file seems cut short; only what could be read was judged.',
  no_sound_track: 'The video has no sound track.',
  silence: 'The recording holds no speech to judge.',
};

/** A flag from a detector in plain words (unknown flags are shown readably). */
export function flagInWords(flag: string): string {
  return WORDS[flag] ?? flag.replace(/_/g, ' ');
}

const STATUS_WORDS: Record<string, string> = {
  ok: 'judged',
  no_signal: 'nothing to judge',
  untrained: 'detector untrained (not counted)',
  rejected: 'file refused',
  unavailable: 'service unavailable',
  failed: 'failed',
};

export function statusInWords(status: string): string {
  return STATUS_WORDS[status] ?? status;
}
