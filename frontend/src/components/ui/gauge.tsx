import { scoreColour } from './verdict-badge';

/** A half-circle gauge of P(fake), with the threshold marked. */
export function Gauge({ value, threshold = 0.5 }: { value: number | null; threshold?: number }) {
  const r = 40;
  const angle = (p: number) => Math.PI * (1 - p);
  const point = (p: number, radius = r) => [50 + radius * Math.cos(angle(p)), 50 - radius * Math.sin(angle(p))];
  const [ex, ey] = point(value ?? 0);
  const [t1x, t1y] = point(threshold, r - 8);
  const [t2x, t2y] = point(threshold, r + 8);
  const label = value == null ? 'Fake probability: not assessed' : `Fake probability ${Math.round(value * 100)}%`;
  return (
    <svg viewBox="0 0 100 60" className="h-24 w-40" role="img" aria-label={label}>
      <path d="M10 50 A40 40 0 0 1 90 50" fill="none" stroke="currentColor" strokeOpacity="0.2" strokeWidth="8" />
      {value != null && value > 0 && (
        <path
          d={`M10 50 A40 40 0 0 1 ${ex.toFixed(2)} ${ey.toFixed(2)}`}
          fill="none"
          stroke={scoreColour(value, threshold)}
          strokeWidth="8"
        />
      )}
      <line x1={t1x} y1={t1y} x2={t2x} y2={t2y} stroke="currentColor" strokeWidth="1.5" />
      <text x="50" y="48" textAnchor="middle" fontSize="14" fontWeight="700" fill="currentColor">
        {value == null ? '—' : `${Math.round(value * 100)}%`}
      </text>
    </svg>
  );
}
