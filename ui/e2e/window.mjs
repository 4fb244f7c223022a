// The real Tauri window (`opentill-till`) under Xvfb, driven over WebDriver
// (tauri-driver → WebKitWebDriver → the window's WebKitGTK webview).
//
//   node e2e/window.mjs               a sale in the window: PIN login, open shift, two items
//                                     rung up, cash with change, the sale read back through
//                                     IPC; screenshots of the sale screen and its result,
//                                     checked not blank, in a temporary folder
//   node e2e/window.mjs --screenshots the same, saving them as docs/screenshots/tauri-sale.png
//                                     and tauri-receipt.png
//   node e2e/window.mjs --bench 10    cold start: launch to a usable sale screen, 10 times;
//                                     a table, and JSON (--out FILE, default
//                                     target/bench/window.json)
//
// Uses $OPENTILL_TILL, else $CARGO_TARGET_DIR/debug/opentill-till (default ../target), a
// fresh temporary --data directory (the demo store), a free X display and free ports.
// Every process it starts (Xvfb, tauri-driver, and what tauri-driver starts:
// WebKitWebDriver and the window) is stopped by its PID at the end, also on failure.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ui = resolve(here, '..');
const repo = resolve(ui, '..');
const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const benchRuns = argv.includes('--bench') ? Number(flag('--bench') ?? 10) : 0;
// The committed screenshots change only when asked for (`--screenshots`), as with e2e/run.mjs.
const shotDir = argv.includes('--screenshots') ? resolve(repo, 'docs/screenshots') : mkdtempSync(join(tmpdir(), 'opentill-window-shots-'));
const started = Date.now();
const log = (...a) => console.log(`[window ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const targetDir = process.env.CARGO_TARGET_DIR ?? resolve(repo, 'target');
const app = process.env.OPENTILL_TILL ?? resolve(targetDir, 'debug/opentill-till');

/** A program on PATH (or in ~/.cargo/bin, where `cargo install` puts tauri-driver). */
function which(name) {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(join(homedir(), '.cargo/bin'));
  for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  throw new Error(`${name} is missing: run scripts/setup.sh`);
}

// ---- processes: started here, stopped here, by PID ----

const children = [];
/** The X display the window is on. */
let display = null;
const tempDirs = [];

/** The PIDs of `pid`'s descendants, deepest last (from /proc). */
function descendants(pid) {
  const byParent = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!byParent.has(ppid)) byParent.set(ppid, []);
      byParent.get(ppid).push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  const out = [];
  const walk = (p) => {
    for (const c of byParent.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function start(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
  const entry = { name, child, stderr: '' };
  child.stderr?.on('data', (d) => {
    entry.stderr = (entry.stderr + d).slice(-4000);
  });
  children.push(entry);
  return entry;
}

let cleaning = null;
async function cleanup() {
  cleaning ??= (async () => {
    // Newest first: tauri-driver (and the driver and window under it), then Xvfb.
    for (const { child } of children.slice().reverse()) {
      if (!child.pid) continue;
      const pids = [child.pid, ...descendants(child.pid)];
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
      for (let i = 0; i < 60 && pids.some(alive); i++) await sleep(50);
      for (const pid of pids.filter(alive)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => cleanup().finally(() => process.exit(130)));
}

/** Xvfb on the first free display (it picks one and writes its number to fd 3). */
async function startXvfb() {
  const x = start('Xvfb', which('Xvfb'), ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const display = await new Promise((ok, fail) => {
    let text = '';
    const timer = setTimeout(() => fail(new Error(`Xvfb did not start: ${x.stderr}`)), 10000);
    x.child.stdio[3].on('data', (d) => {
      text += d;
      if (text.includes('\n')) {
        clearTimeout(timer);
        ok(':' + text.trim());
      }
    });
    x.child.once('exit', (code) => fail(new Error(`Xvfb exited (${code}): ${x.stderr}`)));
  });
  log('Xvfb on display', display);
  return display;
}

async function startDriver(display) {
  const port = await freePort();
  let nativePort = await freePort();
  while (nativePort === port) nativePort = await freePort();
  const driver = start('tauri-driver', which('tauri-driver'), ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...process.env, DISPLAY: display },
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(base + '/status');
      if (res.ok && (await res.json()).value?.ready !== false) break;
    } catch {
      // Not listening yet.
    }
    if (driver.child.exitCode !== null) throw new Error(`tauri-driver exited: ${driver.stderr}`);
    if (i > 200) throw new Error(`tauri-driver did not answer on ${base}: ${driver.stderr}`);
    await sleep(50);
  }
  log('tauri-driver on', base);
  return { base, driver };
}

// ---- a small WebDriver client (W3C, plain HTTP) ----

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

class Session {
  static async start(base, args) {
    const res = await wd(base, 'POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: app, args } } },
    });
    return new Session(base, res.sessionId);
  }
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }
  cmd(method, path, body) {
    return wd(this.base, method, `/session/${this.id}${path}`, body);
  }
  async find(css) {
    return (await this.cmd('POST', '/element', { using: 'css selector', value: css }))[ELEMENT];
  }
  async all(css) {
    return (await this.cmd('POST', '/elements', { using: 'css selector', value: css })).map((e) => e[ELEMENT]);
  }
  /** Runs `body` (a function body) in the page with `args`; returns its value. */
  run(body, ...args) {
    return this.cmd('POST', '/execute/sync', { script: body, args });
  }
  /** Waits until `body` returns something truthy in the page. */
  async until(what, body, args = [], timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let value;
      try {
        value = await this.run(body, ...args);
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(25);
    }
  }
  present(css, timeoutMs) {
    return this.until(css, 'return !!document.querySelector(arguments[0])', [css], timeoutMs);
  }
  async click(css) {
    await this.present(css);
    await this.cmd('POST', `/element/${await this.find(css)}/click`, {});
  }
  async type(css, text) {
    await this.present(css);
    await this.cmd('POST', `/element/${await this.find(css)}/value`, { text });
  }
  text(css) {
    return this.run('const e = document.querySelector(arguments[0]); return e ? e.textContent : null', css);
  }
  /** The till API through the window's own IPC, as the UI calls it. */
  api(method, path, body = null) {
    return this.cmd('POST', '/execute/async', {
      script: 'const done = arguments[arguments.length - 1]; window.__TAURI__.core.invoke("api", { method: arguments[0], path: arguments[1], body: arguments[2], lang: "en" }).then(done, (e) => done({ error: e }));',
      args: [method, path, body],
    });
  }
  async close() {
    try {
      await wd(this.base, 'DELETE', `/session/${this.id}`);
    } catch {
      // The window may be gone already; cleanup() stops whatever is left.
    }
  }
}

async function wd(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
  if (!res.ok || json.value?.error) throw new Error(`${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
  return json.value;
}

// ---- what a cashier does ----

/** ¥1,234.50 → 123450. */
const minor = (text) => {
  const m = /(-?)¥([\d,]+)\.(\d\d)/.exec(text ?? '');
  assert.ok(m, `not an amount: ${text}`);
  return (m[1] ? -1 : 1) * (Number(m[2].replace(/,/g, '')) * 100 + Number(m[3]));
};

/** The first cashier of fixtures/cashiers.csv, which the demo store imports. */
function cashier() {
  const rows = readFileSync(join(repo, 'fixtures/cashiers.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map((f) => f.trim()));
  const row = rows.find((r) => r[2] === 'cashier');
  assert.ok(row, 'fixtures/cashiers.csv has a cashier');
  return { user: row[0], pin: row[3] };
}

/** PIN login, and the shift opened if the till has none: ends on a usable sale screen. */
async function signIn(s) {
  const { user, pin } = cashier();
  await s.present('[data-testid=login]', 30000);
  await s.type('input[name=user]', user);
  for (const k of pin) await s.click(`[data-testid=login] .keypad button[aria-label="${k}"]`);
  await s.click('[data-testid=login] button.primary');
  const next = await s.until('the open-shift or sale screen', `return document.querySelector('[data-testid=open-shift]') ? 'open-shift' : document.querySelector('[data-testid=sale]') ? 'sale' : document.querySelector('[data-testid=problem]')?.textContent`);
  if (next === 'open-shift') {
    log('opening the shift');
    await s.click('[data-testid=open-shift] button.primary');
  } else {
    assert.equal(next, 'sale', `after login: ${next}`);
  }
  await s.present('[data-testid=sale] .grid .product');
}

const saleScreenReady = "return !!document.querySelector('[data-testid=sale] .grid .product')";

async function saleFlow(driverBase, data) {
  const s = await Session.start(driverBase, ['--data', data, '--lang', 'en']);
  try {
    log('window opened');
    assert.equal(await s.run('return typeof window.__TAURI__?.core?.invoke'), 'function', 'the page runs inside the Tauri window');
    await signIn(s);
    log('signed in; the sale screen is up');

    // Two of the first product on screen.
    const name = await s.text('[data-testid=sale] .grid .product .pname');
    const price = minor(await s.text('[data-testid=sale] .grid .product .price'));
    await s.click('[data-testid=sale] .grid .product');
    await s.until('one line', "return document.querySelectorAll('[data-testid=line]').length === 1");
    await s.click('[data-testid=sale] .grid .product');
    await s.until('qty 2', "return document.querySelector('[data-testid=line] .qty')?.textContent === '× 2'");
    const total = minor(await s.text('[data-testid=total]'));
    assert.equal(total, 2 * price, `the total of 2 × ${name}`);
    log(`rang up 2 × ${name} = ${total / 100}`);
    await sleep(300);
    screenshot(join(shotDir, 'tauri-sale.png'));

    // Cash, the first quick amount above the total, with change.
    await s.click('[data-testid=pay]');
    await s.click('[data-testid=kind-cash]');
    const quick = await s.all('[data-testid=quick-cash] button');
    assert.ok(quick.length >= 1, 'quick cash amounts');
    const pick = quick[Math.min(1, quick.length - 1)];
    await s.cmd('POST', `/element/${pick}/click`, {});
    await s.until('the sale to be paid', "return document.querySelector('[data-testid=remaining]')?.textContent === '¥0.00'");
    await s.click('[data-testid=complete]');

    // The sale screen's result: the receipt, and the sale as the till recorded it.
    await s.present('[data-testid=receipt]');
    const receipt = await s.text('[data-testid=receipt-text]');
    const saleId = await s.run("return localStorage.getItem('opentill.lastSale')");
    assert.ok(saleId, 'the UI recorded the last sale id');
    const reply = await s.api('GET', `/api/sales/${saleId}`);
    assert.equal(reply.status, 200, JSON.stringify(reply));
    const sale = reply.body;
    assert.equal(sale.sale_id, saleId);
    assert.equal(sale.total_minor, total);
    assert.deepEqual(sale.tenders.map((t) => t.kind), ['cash']);
    if (sale.change_minor > 0) assert.equal(minor(await s.text('[data-testid=change-due]')), sale.change_minor, 'change shown = change recorded');
    assert.ok(receipt.includes(name) || receipt.length > 100, `receipt text: ${receipt}`);
    assert.equal(await s.run("return document.querySelector('[data-testid=status-online]').classList.contains('good')"), true, 'the status bar says the till service answers');
    log(`sale ${saleId} completed: total ${sale.total_minor / 100}, change ${sale.change_minor / 100}`);

    await sleep(300);
    screenshot(join(shotDir, 'tauri-receipt.png'));
  } finally {
    await s.close();
  }
}

/** The whole X screen (the window as a person sees it), with ImageMagick. */
function screenshot(file) {
  mkdirSync(dirname(file), { recursive: true });
  execFileSync(which('import'), ['-display', display, '-window', 'root', file]);
  const colours = Number(execFileSync(which('identify'), ['-format', '%k', file], { encoding: 'utf8' }));
  assert.ok(colours > 50, `${file} looks blank (${colours} colours)`);
  log('screenshot', file);
}

// ---- cold start ----

async function bench(driverBase, data, runs) {
  // The first start makes the demo store; sign in and open the shift once, so every later
  // start opens straight onto the sale screen, as a till does each morning.
  let t0 = performance.now();
  let s = await Session.start(driverBase, ['--data', data, '--lang', 'en']);
  await s.present('[data-testid=login]', 60000);
  const firstStart = performance.now() - t0;
  await signIn(s);
  await sleep(1500); // localStorage reaches the disk
  await s.close();
  await sleep(500);
  const rows = [];
  for (let i = 1; i <= runs; i++) {
    t0 = performance.now();
    s = await Session.start(driverBase, ['--data', data, '--lang', 'en']);
    const windowMs = performance.now() - t0;
    try {
      await s.until('the sale screen', `${saleScreenReady} || (document.querySelector('[data-testid=login]') ? 'login' : false)`, [], 30000).then((v) => {
        if (v === 'login') throw new Error('the window came back on the login screen: the signed-in cashier was not kept');
      });
      const readyMs = performance.now() - t0;
      rows.push({ run: i, window_ms: Math.round(windowMs), sale_screen_ms: Math.round(readyMs) });
      log(`run ${i}: window ${Math.round(windowMs)} ms, usable sale screen ${Math.round(readyMs)} ms`);
    } finally {
      await s.close();
    }
    await sleep(500);
  }
  const sorted = rows.map((r) => r.sale_screen_ms).sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  const summary = { runs, min_ms: sorted[0], median_ms: pct(50), p90_ms: pct(90), max_ms: sorted[sorted.length - 1], first_start_with_demo_store_ms: Math.round(firstStart) };
  console.log('\n| run | window up (ms) | usable sale screen (ms) |\n|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.run} | ${r.window_ms} | ${r.sale_screen_ms} |`);
  console.log(`\nlaunch → usable sale screen: min ${summary.min_ms} ms, median ${summary.median_ms} ms, p90 ${summary.p90_ms} ms, max ${summary.max_ms} ms over ${runs} starts (goal ≤ 1500 ms)`);
  console.log(`first start, making the demo store (2,392 products): ${summary.first_start_with_demo_store_ms} ms to the login screen`);
  const build = /\/release\//.test(app) ? 'release' : 'debug';
  const out = resolve(flag('--out') ?? join(repo, 'target/bench/window.json'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ app, build, measured_at: new Date().toISOString(), goal_ms: 1500, summary, rows }, null, 2) + '\n');
  log('wrote', out);
}

async function main() {
  if (!existsSync(app)) throw new Error(`${app} is missing: run \`cargo build -p opentill-till-app\` or set OPENTILL_TILL`);
  which('WebKitWebDriver');
  const dir = mkdtempSync(join(tmpdir(), 'opentill-window-'));
  tempDirs.push(dir);
  const data = join(dir, 'till');
  display = await startXvfb();
  const { base } = await startDriver(display);
  if (benchRuns > 0) await bench(base, data, benchRuns);
  else await saleFlow(base, data);
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.error(e);
  for (const { name, stderr } of children) if (stderr.trim()) console.error(`--- ${name} stderr (last lines) ---\n${stderr.trim()}`);
} finally {
  await cleanup();
}
log(failed ? 'FAILED' : 'passed');
process.exit(failed ? 1 : 0);
