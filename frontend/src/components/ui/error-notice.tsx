import { useEffect, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { toApiError } from '@/lib/api-error';
import { describeError } from '@/lib/error-messages';
import { ApiKeyField } from '../api-key-field';
import { Button } from './button';

/** Any failure as a sentence and what to do next; never raw JSON or a blank page. */
export function ErrorNotice({
  error,
  title,
  onRetry,
  children,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
  children?: ReactNode;
}) {
  const apiError = toApiError(error);
  const { sentence, next, wait } = describeError(apiError);
  const countdown = useCountdown(wait ? apiError.retryAfterS : null);
  const detail = apiError.detail && apiError.detail !== sentence ? apiError.detail : null;
  return (
    <div
      role="alert"
      className="rounded-lg border border-red-300 bg-red-50 p-4 text-red-950 dark:border-red-800 dark:bg-red-950 dark:text-red-50"
    >
      {title && <p className="font-semibold">{title}</p>}
      <p className="font-medium" data-testid="error-sentence">
        {sentence}
      </p>
      {detail && <p className="mt-1 text-sm">Server says: {detail}</p>}
      <p className="mt-1 text-sm">
        <strong>What to do:</strong> {next}
        {wait && ` ${countdown != null && countdown > 0 ? `Try again in ${countdown} s.` : 'You can try again now.'}`}
      </p>
      {apiError.requestId && <p className="mt-1 text-xs">Request id: {apiError.requestId}</p>}
      {apiError.type === 'unauthorized' || apiError.type === 'forbidden' ? (
        <div className="mt-3 rounded-md bg-white p-3 text-slate-900 dark:bg-slate-900 dark:text-slate-100">
          <ApiKeyField compact />
          <p className="mt-1 text-sm">
            Or manage it in <Link className="underline" to="/settings">Settings</Link>.
          </p>
        </div>
      ) : null}
      {children}
      {onRetry && (
        <Button className="mt-3" onClick={onRetry} disabled={countdown != null && countdown > 0}>
          Try again
        </Button>
      )}
    </div>
  );
}

function useCountdown(from: number | null): number | null {
  const [left, setLeft] = useState(from);
  useEffect(() => {
    if (from == null) return;
    const timer = setInterval(() => setLeft((s) => (s == null || s <= 0 ? 0 : s - 1)), 1000);
    return () => clearInterval(timer);
  }, [from]);
  return left;
}
