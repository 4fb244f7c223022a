// Pieces every screen uses: the translator, money and error-handling signatures, the
// modal dialog.
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
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
