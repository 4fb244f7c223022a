// Keyboard-wedge scanners type a code and Enter. This is the rule of
// hardware/src/scanner.rs (`WedgeRule`), ported as is: keys at most `maxGapMs` apart,
// ending with Enter, at least `minLen` characters make a scan; anything else is typing.

export type WedgeEvent = { scan: string } | { typed: string };

export class WedgeRule {
  private keys: Array<[string, number]> = [];
  constructor(public maxGapMs = 35, public minLen = 4) {}

  /** Feeds one key (`'\n'` for Enter) pressed at `atMs`. */
  key(key: string, atMs: number): WedgeEvent | null {
    const last = this.keys[this.keys.length - 1];
    if (last && atMs - last[1] > this.maxGapMs) {
      const typed = this.keys.map(([c]) => c).join('');
      this.keys = [];
      const next = this.key(key, atMs);
      if (next === null) return { typed };
      if ('typed' in next) return { typed: typed + next.typed };
      return next;
    }
    if (key === '\n') {
      const code = this.keys.map(([c]) => c).join('');
      this.keys = [];
      return [...code].length >= this.minLen ? { scan: code } : { typed: code + '\n' };
    }
    this.keys.push([key, atMs]);
    return null;
  }

  /** Characters held since the last event (a scan in progress, or slow typing). */
  pending(): string {
    return this.keys.map(([c]) => c).join('');
  }
}

function editable(el: EventTarget | null): HTMLInputElement | HTMLTextAreaElement | null {
  if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) return el;
  return null;
}

/**
 * Catches scans on the whole page, whatever has focus. Keys typed into a field reach it
 * as usual; when they turn out to be a scan, the scanned characters are taken back out of
 * the field and the Enter is swallowed. Returns a function that stops listening.
 */
export function listenForScans(target: Window, onScan: (code: string) => void, rule = new WedgeRule()): () => void {
  const handler = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    const key = e.key === 'Enter' ? '\n' : e.key.length === 1 ? e.key : null;
    if (key === null) return;
    const field = editable(e.target);
    const before = rule.pending();
    const event = rule.key(key, e.timeStamp);
    if (event && 'scan' in event) {
      e.preventDefault();
      e.stopPropagation();
      if (field && field.value.endsWith(event.scan)) {
        field.value = field.value.slice(0, field.value.length - event.scan.length);
        field.dispatchEvent(new Event('input', { bubbles: true }));
      }
      onScan(event.scan);
    } else if (key === '\n' && before.length > 0 && !field) {
      e.preventDefault();
    }
  };
  target.addEventListener('keydown', handler, true);
  return () => target.removeEventListener('keydown', handler, true);
}
