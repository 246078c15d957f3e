import { Card } from '@/components/ui/card';
import type { Analysis, ModelInfo } from '@/lib/api/types';
import { milliseconds } from '@/lib/format';

const WEIGHTS_WORDS: Record<string, string> = {
  real: 'real (trained)',
  untrained: 'untrained — not counted',
  missing: 'missing — did not run',
};

export function allModels(analysis: Analysis): ModelInfo[] {
  const seen = new Map<string, ModelInfo>();
  const every = [...(analysis.models ?? []), ...Object.values(analysis.modalities ?? {}).flatMap((m) => m.models ?? [])];
  for (const model of every) seen.set(`${model.name}@${model.version}`, model);
  return [...seen.values()];
}

export function ModelsPanel({ analysis }: { analysis: Analysis }) {
  const models = allModels(analysis);
  const stageLatencies = Object.entries(analysis.latencies_ms ?? {});
  const modalityLatencies = Object.entries(analysis.modalities ?? {}).flatMap(([modality, result]) =>
    Object.entries(result.latencies_ms ?? {}).map(([stage, ms]) => [`${modality}: ${stage}`, ms] as const),
  );
  return (
    <Card title="Models and timing">
      <div className="grid gap-4 lg:grid-cols-2">
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <caption className="mb-1 text-left font-semibold">Models used</caption>
            <thead>
              <tr className="text-left">
                <th scope="col" className="py-1 pr-2">Model</th>
                <th scope="col" className="py-1 pr-2">Version</th>
                <th scope="col" className="py-1 pr-2">Weights</th>
                <th scope="col" className="py-1">SHA-256</th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <tr key={`${m.name}@${m.version}`} className="border-t border-slate-200 align-top dark:border-slate-700" data-testid="model-row">
                  <td className="py-1 pr-2">
                    <span className="break-all font-mono text-xs">{m.name}</span>
                    <span className="block text-xs text-slate-700 dark:text-slate-300">
                      {m.task}, {m.framework}
                    </span>
                  </td>
                  <td className="break-all py-1 pr-2">{m.version}</td>
                  <td className={`py-1 pr-2 ${m.weights !== 'real' ? 'font-semibold text-amber-900 dark:text-amber-200' : ''}`}>
                    {WEIGHTS_WORDS[m.weights] ?? m.weights}
                  </td>
                  <td className="py-1">
                    {m.sha256 ? (
                      <details>
                        <summary className="cursor-pointer underline">Show</summary>
                        <code className="break-all text-xs">{m.sha256}</code>
                      </details>
                    ) : (
                      'none'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <table className="w-full text-sm">
            <caption className="mb-1 text-left font-semibold">Time taken per stage</caption>
            <tbody>
              {[...stageLatencies, ...modalityLatencies].map(([stage, ms]) => (
                <tr key={stage} className="border-t border-slate-200 dark:border-slate-700">
                  <th scope="row" className="py-1 pr-2 text-left font-normal">
                    {stage}
                  </th>
                  <td className="py-1 text-right tabular-nums">{milliseconds(ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </Card>
  );
}
