import { useId, useState, type FormEvent } from 'react';
import { setApiKey, useApiKey } from '@/lib/api-key';
import { Button } from './ui/button';

/** Enter, change or forget the API key (stored in this browser, sent as X-API-Key). */
export function ApiKeyField({ compact = false }: { compact?: boolean }) {
  const saved = useApiKey();
  const [value, setValue] = useState(saved);
  const [shown, setShown] = useState(false);
  const [message, setMessage] = useState('');
  const id = useId();

  const save = (event: FormEvent) => {
    event.preventDefault();
    setApiKey(value);
    setMessage(value.trim() ? 'API key saved in this browser.' : 'API key removed.');
  };

  return (
    <form onSubmit={save} className="flex flex-col gap-2">
      <label htmlFor={id} className="text-sm font-medium">
        API key
      </label>
      {!compact && (
        <p id={`${id}-help`} className="text-sm text-slate-700 dark:text-slate-300">
          Needed only when the gateway requires keys. It is kept in this browser's storage and
          sent with each request as the X-API-Key header.
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <input
          id={id}
          name="api-key"
          type={shown ? 'text' : 'password'}
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(event) => setValue(event.target.value)}
          aria-describedby={compact ? undefined : `${id}-help`}
          placeholder="ddk_…"
          className="min-h-10 min-w-0 flex-1 rounded-md border border-slate-400 bg-white px-3 font-mono text-sm dark:border-slate-500 dark:bg-slate-950"
        />
        <Button onClick={() => setShown((s) => !s)} aria-pressed={shown}>
          {shown ? 'Hide' : 'Show'}
        </Button>
        <Button type="submit" variant="primary">
          Save key
        </Button>
        {saved && !compact && (
          <Button
            onClick={() => {
              setValue('');
              setApiKey('');
              setMessage('API key removed.');
            }}
          >
            Forget key
          </Button>
        )}
      </div>
      <p role="status" className="text-sm">
        {message}
      </p>
    </form>
  );
}
