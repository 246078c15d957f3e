export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="p-4 text-slate-700 dark:text-slate-300">
      Loading {what}…
    </p>
  );
}
