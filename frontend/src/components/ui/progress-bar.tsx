export function ProgressBar({ label, value }: { label: string; value: number | null }) {
  const pct = value == null ? null : Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div className="w-full">
      <div className="mb-1 flex justify-between gap-2 text-sm">
        <span>{label}</span>
        <span aria-hidden="true">{pct == null ? 'waiting' : `${pct}%`}</span>
      </div>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct ?? undefined}
        aria-valuetext={pct == null ? 'waiting' : `${pct}%`}
        className="h-2.5 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-700"
      >
        <div
          className="h-full rounded-full bg-blue-700 transition-[width] dark:bg-blue-400"
          style={{ width: `${pct ?? 0}%` }}
        />
      </div>
    </div>
  );
}
