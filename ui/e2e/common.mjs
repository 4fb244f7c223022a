// What the end-to-end scripts share: the edge agent they start, free loopback ports, a
// keyboard-wedge scanner, and a cashier's sign-in.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/** The debug `opentill-edge` cargo built (OPENTILL_EDGE overrides); `repo` is the checkout. */
export function debugEdge(repo) {
  if (process.env.OPENTILL_EDGE) return process.env.OPENTILL_EDGE;
  const bin = resolve(process.env.CARGO_TARGET_DIR ?? resolve(repo, 'target'), 'debug/opentill-edge');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`cargo build -p opentill-edge\` or set OPENTILL_EDGE`);
  return bin;
}

/** A fresh page of the store in `locale`: cashier c01 signs in (PIN on the keypad) and
 *  opens a shift with the float offered, up to the sale screen. */
export async function signInAndOpenShift(page, locale) {
  await page.evaluate((l) => {
    localStorage.clear();
    localStorage.setItem('opentill.locale', l);
  }, locale);
  await page.reload();
  await page.getByTestId('login').waitFor();
  await page.fill('input[name=user]', 'c01');
  for (const k of '1234') await page.click(`.keypad button:text-is("${k}")`);
  await page.click('[data-testid=login] button.primary');
  await page.getByTestId('open-shift').waitFor();
  await page.click('[data-testid=open-shift] button.primary');
  await page.getByTestId('sale').waitFor();
}

/** A loopback port nobody listens on right now. */
export const freePort = () =>
  new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

/**
 * A keyboard-wedge scanner: real key events 4 ms apart, then Enter. The events carry
 * their hardware timestamps (as a scanner's would), so a busy test machine delivering
 * them late does not turn a scan into typing.
 */
const cdpSessions = new WeakMap();
export async function scan(page, code) {
  let cdp = cdpSessions.get(page);
  if (!cdp) {
    cdp = await page.context().newCDPSession(page);
    cdpSessions.set(page, cdp);
  }
  const base = Date.now() / 1000;
  const keys = [...code].map((c) => ({ key: c, text: c })).concat([{ key: 'Enter', code: 'Enter', text: '\r', windowsVirtualKeyCode: 13 }]);
  for (const [i, k] of keys.entries()) {
    const timestamp = base + i * 0.004;
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', ...k, timestamp });
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: k.key, code: k.code, windowsVirtualKeyCode: k.windowsVirtualKeyCode, timestamp: timestamp + 0.002 });
  }
}

/** Waits until an `opentill-edge serve` at `base` answers its health check (≤ `seconds`). */
export async function waitHealthy(base, seconds = 20) {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(base + '/api/health')).ok) return;
    } catch {}
    if (i * 50 > seconds * 1000) throw new Error(`opentill-edge serve at ${base} did not start within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts timing scans in the page (the page is the only clock): from each Enter key event
 * to the next change of the sale's lines. The samples collect in `window.scanMs`.
 */
export async function timeScans(page) {
  await page.evaluate(() => {
    window.scanMs = [];
    window.addEventListener('keydown', (e) => { if (e.key === 'Enter') window.enterAt = performance.now(); }, true);
    new MutationObserver(() => {
      if (window.enterAt) window.scanMs.push(performance.now() - window.enterAt);
      window.enterAt = 0;
    }).observe(document.querySelector('[data-testid=lines]'), { childList: true, subtree: true, characterData: true });
  });
}
