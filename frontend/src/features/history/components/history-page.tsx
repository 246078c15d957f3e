import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { ErrorNotice } from '@/components/ui/error-notice';
import { Loading } from '@/components/ui/loading';
import { VerdictBadge } from '@/components/ui/verdict-badge';
import type { AnalysisSummary } from '@/lib/api/types';
import { useAuthedUrl } from '@/lib/authed-url';
import { dateTime, percent } from '@/lib/format';
import { useDeleteAnalysis, useHistory } from '../api/use-history';

export const PAGE_SIZE = 20;

const selectClass =
  'min-h-10 rounded-md border border-slate-400 bg-white px-2 text-sm dark:border-slate-500 dark:bg-slate-950';

export function HistoryPage() {
  const [params, setParams] = useSearchParams();
  const kind = params.get('kind') ?? '';
  const verdict = params.get('verdict') ?? '';
  const q = params.get('q') ?? '';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const [search, setSearch] = useState(q);
  const [toDelete, setToDelete] = useState<AnalysisSummary | null>(null);
  const history = useHistory({ limit: PAGE_SIZE, offset, kind, verdict, q });
  const remove = useDeleteAnalysis();

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    if (name !== 'offset') next.delete('offset');
    setParams(next, { replace: true });
  };

  // Search as you type, once typing pauses.
  useEffect(() => {
    if (search === q) return;
    const timer = setTimeout(() => setFilter('q', search.trim()), 300);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search]);

  const page = history.data;
  const total = page?.total ?? 0;
  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-bold">History</h1>
      <form
        role="search"
        aria-label="Filter analyses"
        className="flex flex-wrap items-end gap-3"
        onSubmit={(event) => {
          event.preventDefault();
          setFilter('q', search.trim());
        }}
      >
        <div className="flex min-w-0 flex-1 flex-col gap-1">
          <label htmlFor="history-q" className="text-sm font-medium">
            File name
          </label>
          <input
            id="history-q"
            type="search"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            className="min-h-10 min-w-0 rounded-md border border-slate-400 bg-white px-3 text-sm dark:border-slate-500 dark:bg-slate-950"
            placeholder="Search by file name"
          />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="history-kind" className="text-sm font-medium">
            Kind
          </label>
          <select id="history-kind" value={kind} onChange={(e) => setFilter('kind', e.target.value)} className={selectClass}>
            <option value="">All kinds</option>
            <option value="image">Images</option>
            <option value="audio">Audio</option>
            <option value="video">Video</option>
          </select>
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="history-verdict" className="text-sm font-medium">
            Verdict
          </label>
          <select
            id="history-verdict"
            value={verdict}
            onChange={(e) => setFilter('verdict', e.target.value)}
            className={selectClass}
          >
            <option value="">All verdicts</option>
            <option value="fake">Likely fake</option>
            <option value="real">Likely real</option>
            <option value="uncertain">Uncertain</option>
          </select>
        </div>
      </form>

      {history.isPending && <Loading what="your analyses" />}
      {history.error && <ErrorNotice error={history.error} onRetry={() => void history.refetch()} />}
      {remove.error && <ErrorNotice error={remove.error} title="The analysis was not deleted." />}
      {page && (
        <>
          <p role="status" className="text-sm" data-testid="history-count">
            {total === 0
              ? 'No analyses match.'
              : `Showing ${offset + 1}–${Math.min(offset + page.items.length, total)} of ${total}`}
          </p>
          <ul className="flex flex-col gap-2" data-testid="history-list">
            {page.items.map((item) => (
              <HistoryRow key={item.id} item={item} onDelete={() => setToDelete(item)} />
            ))}
          </ul>
          {total > PAGE_SIZE && (
            <nav aria-label="Pages" className="flex items-center gap-2">
              <Button disabled={offset === 0} onClick={() => setFilter('offset', String(Math.max(0, offset - PAGE_SIZE)))}>
                Previous page
              </Button>
              <Button
                disabled={offset + PAGE_SIZE >= total}
                onClick={() => setFilter('offset', String(offset + PAGE_SIZE))}
              >
                Next page
              </Button>
            </nav>
          )}
        </>
      )}
      <ConfirmDialog
        open={toDelete != null}
        title="Delete this analysis?"
        message={`${toDelete?.filename ?? 'This analysis'} and its evidence will be removed for good.`}
        confirmLabel="Delete"
        onCancel={() => setToDelete(null)}
        onConfirm={() => {
          if (toDelete) remove.mutate(toDelete.id);
          setToDelete(null);
        }}
      />
    </div>
  );
}

function HistoryRow({ item, onDelete }: { item: AnalysisSummary; onDelete: () => void }) {
  const thumb = useAuthedUrl(item.thumbnail_url);
  const name = item.filename ?? 'Untitled file';
  const running = item.status === 'queued' || item.status === 'running';
  return (
    <li
      className="flex flex-wrap items-center gap-3 rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-700 dark:bg-slate-900"
      data-testid="history-row"
    >
      <div className="flex h-14 w-14 shrink-0 items-center justify-center overflow-hidden rounded bg-slate-200 text-xs dark:bg-slate-800">
        {thumb ? <img src={thumb} alt="" className="h-full w-full object-cover" /> : <span aria-hidden="true">{item.kind}</span>}
      </div>
      <div className="min-w-0 flex-1">
        <Link to={`/analyses/${item.id}`} className="break-all font-medium text-blue-800 underline dark:text-blue-300">
          {name}
        </Link>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          {item.kind} · {dateTime(item.created_at)}
        </p>
      </div>
      <div className="flex items-center gap-2">
        {running ? (
          <span className="text-sm">{item.status === 'queued' ? 'Queued' : 'Running'}</span>
        ) : item.status === 'failed' ? (
          <span className="text-sm font-semibold text-red-800 dark:text-red-300">Failed</span>
        ) : (
          <>
            <VerdictBadge label={item.verdict_label} />
            <span className="text-sm tabular-nums">{percent(item.fake_probability)}</span>
          </>
        )}
        <Button variant="secondary" onClick={onDelete} disabled={running} aria-label={`Delete ${name}`}>
          Delete
        </Button>
      </div>
    </li>
  );
}
