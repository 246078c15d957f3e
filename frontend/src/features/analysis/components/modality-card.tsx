import type { ModalityResult } from '@/lib/api/types';
import { flagInWords, percent, statusInWords } from '@/lib/format';
import { modalityName } from './verdict-banner';

/** One modality's score, status and caveats in plain words. */
export function ModalitySummary({ name, result }: { name: string; result: ModalityResult }) {
  return (
    <li className="rounded-md border border-slate-200 p-3 dark:border-slate-700" data-testid={`modality-${name}`}>
      <p className="font-semibold">
        {modalityName(name)}: {result.fake_probability == null ? statusInWords(result.status) : `${percent(result.fake_probability)} fake`}
      </p>
      <p className="text-sm">
        Status: {statusInWords(result.status)}
        {result.status === 'ok' && ` · confidence ${percent(result.confidence)}`}
      </p>
      {result.reason && <p className="text-sm">{result.reason}</p>}
      {(result.flags ?? []).length > 0 && (
        <ul className="mt-1 list-disc pl-5 text-sm">
          {(result.flags ?? []).map((flag) => (
            <li key={flag}>{flagInWords(flag)}</li>
          ))}
        </ul>
      )}
    </li>
  );
}
