// Online orders (O2O) end to end: a real `opentill-cloud serve` takes orders through its
// API for store SH001, whose edge agent (`opentill-edge serve --push-every-secs 1`,
// enrolled with that cloud) fetches them as it syncs. In Chromium the manager opens the
// back office's Online orders tab: accepts a pickup order (the store's quoted price
// shows), marks it picked and ready, sees a delivery order refused for lack of stock and
// rejects it with a reason, and sees an order cancelled online among the done ones. At
// the sale screen the customer's QR code (`OTO:…`, scanned by the wedge scanner) opens
// the order; the cashier hands it over: a sale `O2O-…` paid online. The till's API and,
// after the next sync, the cloud's say it was handed over. English, then Chinese (new
// orders arriving while the tab is open; a delivery dispatched from the back office; the
// till asks for the PIN after a reload).
//
//   node e2e/o2o.mjs                 with assertions
//   node e2e/o2o.mjs --screenshots   the same, saving docs/screenshots/{orders,handover}-{en,zh}.png
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { debugEdge, freePort, scan, waitHealthy } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ui = resolve(here, '..');
const repo = resolve(ui, '..');
const shots = process.argv.includes('--screenshots') ? resolve(repo, 'docs/screenshots') : null;
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const started = Date.now();
const log = (...a) => console.log(`[o2o ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);

const edge = debugEdge(repo);
const cloudBin = process.env.OPENTILL_CLOUD ?? resolve(dirname(edge), 'opentill-cloud');
if (!existsSync(cloudBin)) throw new Error(`${cloudBin} is missing: run \`cargo build -p opentill-cloud\` or set OPENTILL_CLOUD`);
if (!existsSync(join(ui, 'dist/index.html'))) throw new Error('ui/dist is missing: run `npm run build` first');
if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: run scripts/setup.sh`);

const TOKEN = 'e2e-admin-token';
const children = [];

/** `opentill-cloud serve` on SQLite; resolves once it says where it listens. */
async function startCloud(dir) {
  const db = `sqlite:${join(dir, 'cloud.db')}`;
  const port = await freePort();
  const child = spawn(cloudBin, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`], { env: { ...process.env, OPENTILL_CLOUD_ADMIN_TOKEN: TOKEN, OPENTILL_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const first = await new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', ok);
    child.once('exit', (code) => fail(new Error(`opentill-cloud serve exited (${code})`)));
  });
  assert.match(first, /^opentill-cloud listening on http:\/\//);
  const url = first.trim().split(' ').pop();
  const call = async (method, path, body) => {
    const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  return { url, db, call };
}

/** Store SH001 from the fixtures with stock received, enrolled with the cloud and served
 *  with the built UI, syncing every second. */
async function startStore(dir, cloud) {
  const data = join(dir, 'store');
  const run = (...args) => execFileSync(edge, [...args, '--data', data], { env: { ...process.env, OPENTILL_LANG: 'en' }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  run('init', '--store', 'SH001', '--name', 'OpenTill Demo', '--name-zh', 'OpenTill 示范店');
  run('import', 'products', join(repo, 'fixtures/catalog.csv'));
  run('import', 'users', join(repo, 'fixtures/cashiers.csv'));
  run('po', 'receive', '--line', 'DRK-00001:10', '--line', 'SNK-00002:5');
  const code = execFileSync(cloudBin, ['enrol-code', '--db', cloud.db, '--store', 'SH001', '--tenant', 'acme', '--brand', 'acme-mart'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  run('sync', 'enroll', '--cloud', cloud.url, '--code', code);
  const port = await freePort();
  const child = spawn(edge, ['serve', '--data', data, '--listen', `127.0.0.1:${port}`, '--ui', join(ui, 'dist'), '--push-every-secs', '1'], { env: { ...process.env, OPENTILL_LOG: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(base);
  const api = async (path, lang = 'en') => {
    const res = await fetch(base + path, { headers: { 'accept-language': lang } });
    assert.ok(res.ok, `${path}: ${res.status}`);
    return res.json();
  };
  return { base, api };
}

/** Waits until `check()` holds, polling. */
async function eventually(what, check, ms = 40000) {
  for (const until = Date.now() + ms; ; ) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const order = (id, fulfilment, lines, more = {}) => ({ order_id: id, store_id: 'SH001', channel: 'meituan', fulfilment, customer_name: '陈女士', customer_phone: '13800138000', lines, note: '少放冰', ...more });

async function place(cloud, o) {
  const { status, body } = await cloud.call('POST', '/v1/o2o/orders', o);
  assert.equal(status, 201, `order ${o.order_id} placed: ${JSON.stringify(body)}`);
  assert.equal(body.qr, `OTO:${o.order_id}`);
}

/** Cashier c01 signs in (in `locale`); opens a shift when none is open. */
async function signIn(page, locale) {
  await page.evaluate((l) => {
    localStorage.clear();
    localStorage.setItem('opentill.locale', l);
  }, locale);
  await page.reload();
  await page.getByTestId('login').waitFor();
  await page.fill('input[name=user]', 'c01');
  await page.fill('input[name=pin]', '1234');
  await page.click('[data-testid=login] button.primary');
  await page.locator('[data-testid=open-shift], [data-testid=sale]').first().waitFor();
  if (await page.getByTestId('open-shift').isVisible()) await page.click('[data-testid=open-shift] button.primary');
  await page.getByTestId('sale').waitFor();
}

async function openOrdersTab(page) {
  await page.click('[data-testid=office-btn]');
  await page.getByTestId('manager-gate').waitFor();
  await page.fill('input[name=manager]', 'm01');
  await page.fill('input[name=manager-pin]', '9999');
  await page.click('[data-testid=manager-gate] button.primary');
  await page.getByTestId('office').waitFor();
  await page.click('[data-testid=office-orders]');
  await page.getByTestId('orders-tab').waitFor();
}

const item = (page, id) => page.locator(`[data-testid=order][data-id="${id}"]`);

/** Clicks an order's button and reads the notice it gives, then puts it away. */
async function step(page, id, action) {
  await item(page, id).locator(`[data-testid=order-${action}]`).click();
  const notice = (await page.locator('.notice').textContent()).trim();
  await page.click('.dialog .btn.primary');
  await page.locator('.notice').waitFor({ state: 'detached' });
  return notice;
}

async function shot(page, name) {
  if (!shots) return;
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, `${name}.png`) });
  log('screenshot', name);
}

async function flow(page, store, cloud, locale) {
  const en = locale === 'en';
  const tag = en ? 'en' : 'zh';
  const [pickup, short] = en ? ['MT-E1', 'MT-E2'] : ['MT-Z1', 'MT-Z2'];
  await signIn(page, locale);
  await openOrdersTab(page);

  // The orders the platform placed arrive by sync; the tab reads them again by itself.
  await item(page, pickup).waitFor({ timeout: 40000 });
  await item(page, short).waitFor();
  const head = await item(page, pickup).textContent();
  assert.ok(head.includes('陈女士') && head.includes('13800138000') && head.includes('meituan') && head.includes(en ? 'Pickup' : '到店自提'), `the order shows its customer and channel: ${head}`);
  assert.ok((await item(page, pickup).getByTestId('order-note').textContent()).includes('少放冰'));
  assert.equal(await item(page, pickup).getByTestId('order-state').textContent(), en ? 'placed' : '待接单');
  assert.equal(await item(page, short).getByTestId('order-fulfilment').textContent(), en ? 'Delivery' : '配送');
  // The pick list by category; the delivery asks for more cola than the store has.
  const categories = await item(page, pickup).locator('.order-category').allTextContents();
  assert.deepEqual(categories, en ? ['Drinks', 'Snacks'] : ['饮料', '零食'], 'the pick list goes by category');
  assert.equal(await item(page, short).locator('[data-testid=pick-line][data-short=yes]').count(), 1, 'the short line is marked');
  assert.ok((await item(page, short).getByTestId('order-short').textContent()).includes('1'));
  assert.equal(await item(page, pickup).locator('[data-testid=pick-line][data-short=yes]').count(), 0);

  // Accept: the store prices it (4 × ¥3.50 + ¥7.50, or 2 × ¥3.50 + ¥7.50).
  const quoted = en ? '¥21.50' : '¥14.50';
  const accepted = await step(page, pickup, 'accept');
  assert.ok(accepted.includes(pickup) && accepted.includes(quoted), `accepted at the store's price: ${accepted}`);
  await item(page, pickup).locator('[data-testid=order-state]', { hasText: en ? 'accepted' : '已接单' }).waitFor();
  assert.equal(await item(page, pickup).getByTestId('order-quoted').textContent(), en ? `Quoted ${quoted}` : `报价 ${quoted}`);
  await step(page, pickup, 'pick');
  await step(page, pickup, 'ready');
  await item(page, pickup).locator('[data-testid=order-state]', { hasText: en ? 'ready' : '待取货' }).waitFor();
  assert.equal(await item(page, pickup).getByTestId('order-at-till').textContent(), en ? `Hand over at the till: scan OTO:${pickup}` : `请在收银台交付：扫描 OTO:${pickup}`);
  assert.equal(await item(page, pickup).locator('[data-testid=order-dispatch]').count(), 0, 'a pickup is handed over at the till, not from here');
  const history = await item(page, pickup).locator('[data-testid=order-steps] li').evaluateAll((ls) => ls.map((l) => l.dataset.step));
  assert.deepEqual(history, ['accepted', 'picked', 'ready']);
  await page.evaluate(() => document.querySelector('[data-testid=orders-tab]').scrollTo(0, 0));
  await shot(page, `orders-${tag}`);

  // The delivery cannot be accepted: the till service names what is short.
  await item(page, short).locator('[data-testid=order-accept]').click();
  const refusal = await page.getByTestId('problem').textContent();
  assert.ok(refusal.includes(en ? 'not enough stock for DRK-00001 (needs 30' : '库存不足：DRK-00001（需要 30'), `the refusal names the product: ${refusal}`);
  await page.click('[data-testid=problem] button');
  await item(page, short).locator('[data-testid=order-reject]').click();
  await page.getByTestId('order-reject-dialog').waitFor();
  assert.ok(await page.isDisabled('[data-testid=order-confirm]'), 'a rejection needs a reason');
  await page.fill('input[name=order-note]', en ? 'not enough cola' : '可乐库存不足');
  await page.click('[data-testid=order-confirm]');
  await page.click('.dialog .btn.primary');
  await page.locator(`[data-group=done] [data-testid=order][data-id="${short}"][data-state=rejected]`).waitFor();
  assert.ok((await item(page, short).getByTestId('order-steps').textContent()).includes(en ? 'not enough cola' : '可乐库存不足'));
  if (en) {
    // An order the customer cancelled online is done, with their reason.
    await page.locator('[data-group=done] [data-testid=order][data-id="MT-E3"][data-state=cancelled]').waitFor({ timeout: 40000 });
    assert.equal(await item(page, 'MT-E3').getByTestId('order-online-cancel').textContent(), 'Cancelled online: ordered twice');
  } else {
    // A delivery is dispatched from the back office, with the courier's waybill.
    await item(page, 'MT-Z3').waitFor();
    await step(page, 'MT-Z3', 'accept');
    await step(page, 'MT-Z3', 'ready');
    await item(page, 'MT-Z3').locator('[data-testid=order-dispatch]').click();
    await page.getByTestId('order-dispatch-dialog').waitFor();
    await page.fill('input[name=order-note]', 'SF1234567890');
    await page.click('[data-testid=order-confirm]');
    const dispatched = (await page.locator('.notice').textContent()).trim();
    assert.ok(dispatched.includes('MT-Z3') && dispatched.includes('¥7.50'), `dispatched, a sale paid online: ${dispatched}`);
    await page.click('.dialog .btn.primary');
    await page.locator('[data-group=done] [data-testid=order][data-id="MT-Z3"][data-state=dispatched]').waitFor();
    assert.equal(await item(page, 'MT-Z3').getByTestId('order-sale').textContent(), '销售单 O2O-MT-Z3 · ¥7.50');
    const z3 = await store.api('/api/o2o/orders/MT-Z3');
    assert.deepEqual([z3.state, z3.sale_id, z3.steps.at(-1).note], ['dispatched', 'O2O-MT-Z3', 'SF1234567890']);
  }

  // At the till: the customer's QR code opens the order.
  await page.click('[data-testid=office-back]');
  await page.getByTestId('sale').waitFor();
  if (!en) {
    // After a reload the till no longer holds the cashier's PIN: the dialog asks for it.
    await page.reload();
    await page.getByTestId('sale').waitFor();
  }
  await scan(page, `OTO:${pickup}`);
  await page.getByTestId('handover').waitFor();
  assert.equal(await page.locator('[data-testid=line]').count(), 0, 'the QR code is not rung up as a product');
  assert.equal(await page.getByTestId('handover-state').textContent(), en ? 'ready' : '待取货');
  assert.ok((await page.getByTestId('handover-customer').textContent()).includes('陈女士'));
  assert.equal(await page.locator('[data-testid=handover-lines] tr').count(), 2);
  if (!en) {
    assert.ok(await page.isDisabled('[data-testid=handover-submit]'), 'no PIN yet');
    await page.fill('input[name=handover-pin]', '1234');
  } else {
    assert.equal(await page.locator('input[name=handover-pin]').count(), 0, 'the signed-in cashier hands it over');
  }
  assert.equal((await page.textContent('[data-testid=handover-submit]')).trim(), en ? 'Hand over' : '交付');
  await page.click('[data-testid=handover-submit]');
  await page.getByTestId('handover-done').waitFor();
  assert.equal(await page.getByTestId('handover-total').textContent(), quoted);
  const paid = await page.getByTestId('handover-paid').textContent();
  assert.ok(paid.includes(en ? 'Paid online (meituan)' : '已线上支付（meituan）') && paid.includes(`O2O-${pickup}`), `paid online: ${paid}`);
  assert.equal(await page.getByTestId('handover-state').textContent(), en ? 'handed over' : '已自提');
  await shot(page, `handover-${tag}`);
  // Its receipt, like any completed sale's.
  await page.click('[data-testid=handover-receipt]');
  const receipt = await page.getByTestId('receipt-text').textContent();
  assert.ok(receipt.includes(`O2O-${pickup}`), `the receipt is the order's sale: ${receipt}`);
  await page.click('[data-testid=receipt-close]');

  // Scanned again: it says it was handed over, with its sale.
  await scan(page, `OTO:${pickup}`);
  const why = await page.getByTestId('handover-why').textContent();
  assert.ok(why.includes(`O2O-${pickup}`) && why.includes(quoted), `already handed over: ${why}`);
  assert.equal(await page.locator('[data-testid=handover-submit]').count(), 0);
  await page.click('[data-testid=handover-cancel]');
  // A typed code opens it too (the search box, then Enter).
  await page.fill('[data-testid=search]', `OTO:${short}`);
  await page.press('[data-testid=search]', 'Enter');
  assert.ok((await page.getByTestId('handover-why').textContent()).includes(en ? 'rejected this order' : '本店已拒绝此订单'));
  await page.click('[data-testid=handover-cancel]');

  // The till's API and, after the next sync, the cloud say it was handed over.
  const atTill = await store.api(`/api/o2o/orders/${pickup}`);
  assert.deepEqual([atTill.state, atTill.sale_id, atTill.next], ['handed_over', `O2O-${pickup}`, []]);
  const sale = await store.api(`/api/sales/O2O-${pickup}`);
  assert.deepEqual(sale.tenders.map((x) => [x.kind, x.amount_minor, x.reference]), [['online', atTill.sale_total_minor, `meituan:${pickup}`]]);
  await eventually(`the cloud to see ${pickup} handed over`, async () => (await cloud.call('GET', `/v1/o2o/orders/SH001/${pickup}`)).body.state === 'handed_over');
  const seen = (await cloud.call('GET', `/v1/o2o/orders/SH001/${short}`)).body;
  assert.equal(seen.state, 'rejected');
  log(locale, 'passed');
}

const dir = mkdtempSync(join(tmpdir(), 'opentill-o2o-'));
if (shots) mkdirSync(shots, { recursive: true });
let browser;
let failed = false;
try {
  const cloud = await startCloud(dir);
  const store = await startStore(dir, cloud);
  // Head office publishes the catalog the platform sells from.
  const products = [
    { sku: 'DRK-00001', barcodes: ['6901234567892'], name: 'Coca-Cola 330ml', name_zh: '可口可乐 330ml', category: 'drinks', unit: 'each', price_minor: 350, tax_bp: 1300 },
    { sku: 'SNK-00002', barcodes: ['6908662654392'], name: "Lay's Classic Original Chips 70g", name_zh: '乐事美国经典原味薯片 70g', category: 'snacks', unit: 'each', price_minor: 750, tax_bp: 1300 },
  ];
  const published = await cloud.call('PUT', '/v1/catalog/products?tenant=acme', products);
  assert.equal(published.status, 200, JSON.stringify(published.body));
  await place(cloud, order('MT-E1', 'pickup', [{ sku: 'DRK-00001', qty: 4 }, { sku: 'SNK-00002', qty: 1 }]));
  await place(cloud, order('MT-E2', 'delivery', [{ sku: 'DRK-00001', qty: 30 }], { channel: 'eleme', note: null }));
  await place(cloud, order('MT-E3', 'pickup', [{ sku: 'SNK-00002', qty: 2 }]));
  const cancelled = await cloud.call('POST', '/v1/o2o/orders/SH001/MT-E3/cancel', { reason: 'ordered twice' });
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));

  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(store.base + '/');
  await flow(page, store, cloud, 'en');
  // New orders while nobody is looking: the Chinese run finds them by the tab's refresh.
  await place(cloud, order('MT-Z1', 'pickup', [{ sku: 'DRK-00001', qty: 2 }, { sku: 'SNK-00002', qty: 1 }]));
  await place(cloud, order('MT-Z2', 'delivery', [{ sku: 'DRK-00001', qty: 30 }], { channel: 'eleme', note: null }));
  await place(cloud, order('MT-Z3', 'delivery', [{ sku: 'SNK-00002', qty: 1 }], { channel: 'eleme', note: null }));
  await flow(page, store, cloud, 'zh-CN');
  assert.deepEqual(errors, [], 'no page errors');
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser?.close();
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
log(failed ? 'FAILED' : 'online orders passed');
process.exit(failed ? 1 : 0);
