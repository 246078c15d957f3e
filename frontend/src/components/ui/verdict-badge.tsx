export type VerdictTone = 'fake' | 'real' | 'uncertain' | 'none';

export const VERDICT_TEXT: Record<VerdictTone, string> = {
  fake: 'Likely fake',
  real: 'Likely real',
  uncertain: 'Uncertain',
  none: 'Not assessed',
};

export const VERDICT_CLASSES: Record<VerdictTone, string> = {
  fake: 'bg-red-100 text-red-900 border-red-300 dark:bg-red-950 dark:text-red-100 dark:border-red-800',
  real: 'bg-green-100 text-green-900 border-green-300 dark:bg-green-950 dark:text-green-100 dark:border-green-800',
  uncertain: 'bg-amber-100 text-amber-900 border-amber-300 dark:bg-amber-950 dark:text-amber-100 dark:border-amber-800',
  none: 'bg-slate-100 text-slate-800 border-slate-300 dark:bg-slate-800 dark:text-slate-100 dark:border-slate-600',
};

export function toneOf(label: string | null | undefined): VerdictTone {
  return label === 'fake' || label === 'real' || label === 'uncertain' ? label : 'none';
}

export function VerdictBadge({ label }: { label: string | null | undefined }) {
  const tone = toneOf(label);
  return (
    <span className={`inline-block rounded-full border px-2 py-0.5 text-xs font-semibold ${VERDICT_CLASSES[tone]}`}>
      {VERDICT_TEXT[tone]}
    </span>
  );
}

/** Colour for a P(fake) score (faces, points, windows); always paired with a number. */
export function scoreColour(p: number | null | undefined, threshold = 0.5, band = 0.1): string {
  if (p == null) return '#64748b';
  if (p >= threshold + band) return '#dc2626';
  if (p <= threshold - band) return '#16a34a';
  return '#d97706';
}
