import type { RefObject } from 'react';

/** Seeks a media element; waits for its metadata when it has not loaded yet. */
export function seek(ref: RefObject<HTMLMediaElement>, t: number): void {
  const media = ref.current;
  if (!media) return;
  const go = () => {
    media.currentTime = t;
  };
  if (media.readyState >= 1) go();
  else media.addEventListener('loadedmetadata', go, { once: true });
}

/** Plays [start, end) and pauses at its end. */
export function playSegment(ref: RefObject<HTMLMediaElement>, start: number, end: number): void {
  const media = ref.current;
  if (!media) return;
  seek(ref, start);
  const stop = () => {
    if (media.currentTime >= end) {
      media.pause();
      media.removeEventListener('timeupdate', stop);
    }
  };
  media.addEventListener('timeupdate', stop);
  void media.play?.()?.catch(() => undefined);
}
