// <img>, <video> and <audio> cannot send the API key header. With no key set the gateway
// URL is used as it is (streaming, Range seeking, browser cache); with a key the bytes are
// fetched with the header and shown from a blob: URL.
import { useEffect, useState } from 'react';
import { useApiKey } from './api-key';

export function useAuthedUrl(url: string | null | undefined): string | null {
  const key = useApiKey();
  const [blobUrl, setBlobUrl] = useState<string | null>(null);

  useEffect(() => {
    if (!url || !key || url.startsWith('data:')) return;
    let revoked = false;
    let objectUrl: string | null = null;
    fetch(url, { headers: { 'X-API-Key': key } })
      .then((response) => (response.ok ? response.blob() : null))
      .then((blob) => {
        if (!blob || revoked) return;
        objectUrl = URL.createObjectURL(blob);
        setBlobUrl(objectUrl);
      })
      .catch(() => undefined);
    return () => {
      revoked = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      setBlobUrl(null);
    };
  }, [url, key]);

  if (!url) return null;
  if (!key || url.startsWith('data:')) return url;
  return blobUrl;
}

/** Downloads a gateway URL with the key header and opens it (for report links). */
export async function openWithKey(url: string, key: string): Promise<void> {
  const response = await fetch(url, { headers: { 'X-API-Key': key } });
  if (!response.ok) throw new Error(String(response.status));
  const objectUrl = URL.createObjectURL(await response.blob());
  window.open(objectUrl, '_blank', 'noopener');
  setTimeout(() => URL.revokeObjectURL(objectUrl), 60_000);
}
