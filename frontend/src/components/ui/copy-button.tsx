import { useState } from 'react';
import { Button } from './button';

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (http page, permissions): the old way.
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand?.('copy') ?? false;
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <span className="inline-flex items-center gap-2">
      <Button
        onClick={async () => {
          setState((await copyText(text)) ? 'copied' : 'failed');
          setTimeout(() => setState('idle'), 2500);
        }}
      >
        {label}
      </Button>
      <span role="status" className="text-sm">
        {state === 'copied' ? 'Copied.' : state === 'failed' ? 'Could not copy; select the text instead.' : ''}
      </span>
    </span>
  );
}
