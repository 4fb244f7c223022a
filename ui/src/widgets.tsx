// Pieces every screen uses: the translator, money and error-handling signatures, the
// modal dialog.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { MessageKey } from './i18n';

/** A message in the current language. */
export type T = (key: MessageKey, params?: Record<string, string | number>) => string;
/** Minor units as the current language writes them. */
export type Money = (minor: number) => string;
/** Runs a request with the busy state on; a failure is shown as a problem and gives undefined. */
export type Attempt = <R>(op: () => Promise<R>) => Promise<R | undefined>;

/** The message key of a tender kind (`cash`, `card`, `mobile`, `stored`). */
export const kindKey = (k: string) => (`kind.${k}` as MessageKey);

export function Dialog({ children, onClose }: { children: ComponentChildren; onClose: () => void }) {
  useEffect(() => {
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', esc);
    return () => window.removeEventListener('keydown', esc);
  }, []);
  return <div class="overlay"><div class="dialog" role="dialog">{children}</div></div>;
}

/** What a polled read holds: the last answer, when it came, whether the reads since have
 *  failed, and a way to read again at once. */
export interface Polled<D> { data: D | null; at: number; stale: boolean; refresh: () => void }

/** Reads `read` now and every `everyMs` while the component is shown, and again at once on
 *  `refresh` or when a dep changes. The first read reports a failure (through `attempt`);
 *  the ones after it only mark what is shown as stale. */
export function usePolled<D>(read: () => Promise<D>, attempt: Attempt, everyMs: number, deps: unknown[] = []): Polled<D> {
  const [data, setData] = useState<D | null>(null);
  const [at, setAt] = useState(0);
  const [stale, setStale] = useState(false);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = async (first: boolean) => {
      try {
        const d = first ? await attempt(read) : await read();
        if (stopped) return;
        if (d !== undefined && d !== null) (setData(d), setAt(Date.now()));
        setStale(d === undefined || d === null);
      } catch {
        if (!stopped) setStale(true);
      }
      if (!stopped) timer = setTimeout(() => next(false), everyMs);
    };
    next(reload === 0);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [reload, ...deps]);
  return { data, at, stale, refresh: () => setReload((n) => n + 1) };
}
