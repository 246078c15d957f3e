import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { CopyButton } from '@/components/ui/copy-button';
import { reportUrl, type ReportFormat } from '@/lib/api/client';
import type { Analysis } from '@/lib/api/types';
import { useApiKey } from '@/lib/api-key';
import { openWithKey } from '@/lib/authed-url';

const FORMATS: { format: ReportFormat; label: string }[] = [
  { format: 'html', label: 'Report (HTML)' },
  { format: 'pdf', label: 'Report (PDF)' },
  { format: 'json', label: 'Report (JSON)' },
];

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The curl command that repeats this upload against this gateway. */
export function curlCommand(origin: string, filename: string, withKey: boolean): string {
  const key = withKey ? ' -H "X-API-Key: $DD_API_KEY"' : '';
  return `curl${key} -F ${shellQuote(`file=@${filename}`)} ${shellQuote(`${origin}/v1/analyses?wait=true`)}`;
}

export function SharePanel({ analysis }: { analysis: Analysis }) {
  const key = useApiKey();
  const origin = window.location.origin;
  const finished = analysis.status === 'done' || analysis.status === 'failed';
  const curl = curlCommand(origin, analysis.media.filename ?? 'file', Boolean(key));
  const link = `${origin}/analyses/${analysis.id}`;
  return (
    <Card title="Share">
      <div className="flex flex-col gap-3">
        <div className="flex flex-wrap gap-2">
          {FORMATS.map(({ format, label }) =>
            !finished ? (
              <Button key={format} disabled>
                {label}
              </Button>
            ) : key ? (
              <Button key={format} onClick={() => void openWithKey(reportUrl(analysis.id, format), key)}>
                {label}
              </Button>
            ) : (
              <a
                key={format}
                href={reportUrl(analysis.id, format)}
                target="_blank"
                rel="noopener"
                className="inline-flex min-h-10 items-center rounded-md border border-slate-400 px-3 py-2 text-sm font-medium underline hover:bg-slate-100 dark:border-slate-500 dark:hover:bg-slate-800"
              >
                {label}
              </a>
            ),
          )}
        </div>
        {!finished && <p className="text-sm">Reports are ready once the analysis has finished.</p>}
        <div>
          <p className="text-sm font-medium">Repeat this check from a terminal</p>
          <pre className="mt-1 overflow-x-auto whitespace-pre-wrap break-all rounded bg-slate-100 p-2 text-xs dark:bg-slate-800">
            {curl}
          </pre>
          <div className="mt-2 flex flex-wrap gap-2">
            <CopyButton text={curl} label="Copy curl command" />
            <CopyButton text={link} label="Copy link to this analysis" />
          </div>
        </div>
      </div>
    </Card>
  );
}
