// The API key lives in the browser's storage and is sent as X-API-Key on every call.
import { useSyncExternalStore } from 'react';

const STORAGE_KEY = 'dd.apiKey';
const listeners = new Set<() => void>();

export function getApiKey(): string {
  try {
    return localStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setApiKey(key: string): void {
  const trimmed = key.trim();
  try {
    if (trimmed) localStorage.setItem(STORAGE_KEY, trimmed);
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled (private mode): the key lasts for this page only.
  }
  listeners.forEach((listener) => listener());
}

export function subscribeApiKey(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useApiKey(): string {
  return useSyncExternalStore(subscribeApiKey, getApiKey, () => '');
}

export function authHeaders(): Record<string, string> {
  const key = getApiKey();
  return key ? { 'X-API-Key': key } : {};
}
