import { Gauge } from '@/components/ui/gauge';
import { toneOf, VERDICT_CLASSES, VERDICT_TEXT } from '@/components/ui/verdict-badge';
import type { Analysis } from '@/lib/api/types';
import { percent, statusInWords } from '@/lib/format';

const HEADLINE = {
  fake: 'The detectors found signs that this was generated or manipulated.',
  real: 'The detectors found no sign of manipulation.',
  uncertain: 'The detectors cannot tell: the score is too close to the threshold.',
  none: 'Nothing in this file could be judged, so there is no verdict.',
};

const FORCED_HEADLINE = 'The file itself says it was made by a generator (see why below).';
const UNRELIABLE_HEADLINE = 'The detectors are not reliable on this file, so their score cannot decide (see why below).';

// Fusion's own rule (not a provenance rule): every usable score was marked unreliable.
const UNRELIABLE_RULE = 'unreliable_condition';
const ruleSource = (ruleId: string) => (ruleId === UNRELIABLE_RULE ? 'Unreliable score' : 'File provenance');

const MODALITY_NAMES: Record<string, string> = { image: 'Picture', video: 'Video frames', audio: 'Sound' };
export const modalityName = (m: string) => MODALITY_NAMES[m] ?? m;

/** How sure the verdict is: the distance of the fused score from the threshold. */
export function confidenceOf(p: number | null | undefined, threshold: number, band: number): string {
  if (p == null) return 'none';
  const distance = Math.abs(p - threshold);
  if (distance < band) return 'low';
  return distance >= Math.max(0.3, band * 2) ? 'high' : 'medium';
}

export function VerdictBanner({ analysis }: { analysis: Analysis }) {
  const verdict = analysis.verdict;
  const p = verdict?.fake_probability ?? null;
  const threshold = verdict?.threshold ?? 0.5;
  const band = verdict?.uncertain_band ?? 0.1;
  const untrained = Object.values(analysis.modalities ?? {}).filter((m) => m.status === 'untrained');
  const reasons = verdict?.reasons ?? [];
  // A rule decided the label, not the score: a provenance rule (e.g. a generator's
  // metadata), or fusion's own when every usable score is unreliable.
  const forcedBy = reasons.find((r) => r.forces_label && r.forces_label === verdict?.label);
  const unreliable = forcedBy?.rule_id === UNRELIABLE_RULE;
  // No detector score but a rule decided (a generated picture without a face): still a verdict.
  const tone = p == null && !forcedBy ? 'none' : toneOf(verdict?.label);
  return (
    <section
      aria-labelledby="verdict-heading"
      data-testid="verdict-banner"
      data-verdict={tone}
      className={`rounded-xl border-2 p-4 ${VERDICT_CLASSES[tone]}`}
    >
      <div className="flex flex-wrap items-center gap-4">
        <Gauge value={p} threshold={threshold} />
        <div className="min-w-0 flex-1">
          <h2 id="verdict-heading" className="text-2xl font-bold">
            {VERDICT_TEXT[tone]}
          </h2>
          <p className="mt-1">{unreliable ? UNRELIABLE_HEADLINE : forcedBy ? FORCED_HEADLINE : HEADLINE[tone]}</p>
          <p className="mt-1 text-sm">
            Fake probability <strong>{percent(p)}</strong> (threshold {percent(threshold)}, ±{percent(band)} is
            uncertain) · confidence <strong>{unreliable ? 'low' : confidenceOf(p, threshold, band)}</strong>
          </p>
        </div>
      </div>
      {(analysis.partial || verdict?.partial) && (
        <p className="mt-3 rounded-md bg-white/70 p-2 text-sm dark:bg-black/30" data-testid="partial-notice">
          <strong>Partial result:</strong> {analysis.partial_reason ?? 'a part of this file could not be judged'}. The
          verdict comes from the other parts only.
        </p>
      )}
      {verdict && (verdict.contributions.length > 0 || verdict.excluded.length > 0 || untrained.length > 0 || reasons.length > 0) && (
        <div className="mt-3">
          <h3 className="font-semibold">Why</h3>
          <ul className="mt-1 flex flex-col gap-1 text-sm">
            {verdict.contributions.map((c) => (
              <li key={c.modality}>
                <strong>{modalityName(c.modality)}</strong>: fake probability {percent(c.fake_probability)}, counted for{' '}
                {percent(c.share)} of the verdict (weight {c.weight.toFixed(2)}, after confidence{' '}
                {c.effective_weight.toFixed(2)}).
              </li>
            ))}
            {verdict.excluded.map((e) => (
              <li key={`x-${e.modality}`}>
                <strong>{modalityName(e.modality)}</strong>: not counted — {statusInWords(e.status)}. {e.reason}
              </li>
            ))}
            {reasons.map((r) => (
              <li key={`r-${r.rule_id}`} data-testid="verdict-reason" data-rule={r.rule_id}>
                <strong>{ruleSource(r.rule_id)}</strong>
                {r.forces_label ? ` (decides the label: ${r.forces_label})` : r.severity === 'warning' ? ' (warning)' : ''}: {r.rule}{' '}
                {r.reason}
              </li>
            ))}
          </ul>
          <p className="mt-2 text-xs">Rule: {verdict.rule}</p>
        </div>
      )}
    </section>
  );
}
