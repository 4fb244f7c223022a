// Camera scanning end to end: Chromium's fake camera plays a video of a real EAN-13
// (fixtures/barcodes/cola-ean13.png, 6901234567892 = Coca-Cola 330ml ¥3.50) to the till
// served by a real `opentill-edge serve`; the zxing decoder in the page must ring it up
// once, however many frames show it, and closing the dialog must stop the camera. A refused
// camera gives a plain message instead of a preview.
//
//   node e2e/camera.mjs                 in English and Chinese, with assertions
//   node e2e/camera.mjs --screenshots   the same, saving docs/screenshots/camera-{en,zh}.png
//
// The video is made here (no ffmpeg needed): the PNG is decoded with node's zlib, padded
// onto a white 640×480 frame and written as Y4M (YUV 4:2:0; the code is grey, so U = V = 128).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { debugEdge, freePort, signInAndOpenShift, waitHealthy } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ui = resolve(here, '..');
const repo = resolve(ui, '..');
const shots = process.argv.includes('--screenshots') ? resolve(repo, 'docs/screenshots') : null;
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const started = Date.now();
const log = (...a) => console.log(`[camera ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);

const edge = debugEdge(repo);
if (!existsSync(join(ui, 'dist/index.html'))) throw new Error('ui/dist is missing: run `npm run build` first');
if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: run scripts/setup.sh`);

/** An 8-bit greyscale or RGB(A), non-interlaced PNG as grey levels (luma, BT.601). */
function readPng(file) {
  const buf = readFileSync(file);
  let width = 0, height = 0, colorType = 0;
  const idat = [];
  for (let at = 8; at < buf.length; ) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const body = buf.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.equal(body[8], 8, 'an 8-bit PNG');
      colorType = body[9];
      assert.equal(body[12], 0, 'a non-interlaced PNG');
    } else if (type === 'IDAT') idat.push(body);
    at += 12 + len;
  }
  const bpp = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  assert.ok(bpp, `PNG colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[y * stride + x - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? px[(y - 1) * stride + x - bpp] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      px[y * stride + x] = (line[x] + pred) & 0xff;
    }
  }
  const grey = Buffer.alloc(width * height);
  for (let i = 0; i < width * height; i++) {
    const o = i * bpp;
    grey[i] = bpp >= 3 ? Math.round(0.299 * px[o] + 0.587 * px[o + 1] + 0.114 * px[o + 2]) : px[o];
  }
  return { width, height, grey };
}

/** A Y4M video of `frames` frames: the image centred on white, W×H, 4:2:0. */
function writeY4m(file, img, W = 640, H = 480, frames = 10) {
  const Y = Buffer.alloc(W * H, 235); // white in BT.601 studio range
  const x0 = (W - img.width) >> 1, y0 = (H - img.height) >> 1;
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) Y[(y0 + y) * W + x0 + x] = 16 + Math.round((img.grey[y * img.width + x] * 219) / 255);
  const chroma = Buffer.alloc((W / 2) * (H / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), Y, chroma, chroma]);
  writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`), ...Array(frames).fill(frame)]));
}

/** A store from the fixtures, served with the built UI. */
async function startStore(dir) {
  mkdirSync(dir, { recursive: true });
  const data = join(dir, 'store');
  const run = (...args) => execFileSync(edge, [...args, '--data', data], { env: { ...process.env, OPENTILL_LANG: 'en' }, stdio: ['ignore', 'pipe', 'pipe'] });
  run('init', '--store', 'SH001', '--name', 'OpenTill Demo', '--name-zh', 'OpenTill 示范店');
  run('import', 'products', join(repo, 'fixtures/catalog.csv'));
  run('import', 'users', join(repo, 'fixtures/cashiers.csv'));
  const port = await freePort();
  const child = spawn(edge, ['serve', '--data', data, '--listen', `127.0.0.1:${port}`, '--ui', join(ui, 'dist')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(base);
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }
  return { base, stop: () => child.kill('SIGTERM') };
}

async function flow(browser, locale, dir) {
  const store = await startStore(join(dir, locale));
  const context = await browser.newContext({ permissions: ['camera'], viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const scripts = [];
    page.on('request', (r) => r.resourceType() === 'script' && scripts.push(r.url()));
    // Keeps every camera stream the page gets, to check they are stopped.
    await context.addInitScript(() => {
      window.cameraStreams = [];
      const get = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = async (c) => {
        const s = await get(c);
        window.cameraStreams.push(s);
        return s;
      };
    });
    await page.goto(store.base + '/');
    await signInAndOpenShift(page, locale);
    await page.locator('.grid .product').first().waitFor();

    // The button is there (the fake device is a camera); the decoder is not loaded yet.
    const button = page.getByTestId('camera-btn');
    await button.waitFor();
    assert.equal((await button.textContent()).trim(), locale === 'en' ? 'Camera scan' : '相机扫码');
    const before = new Set(scripts).size;
    assert.equal(before, 1, `only the main script before the camera opens: ${[...new Set(scripts)].join(', ')}`);
    await button.click();
    await page.getByTestId('camera').waitFor();

    // The code rings up once, though the camera shows it on every frame.
    const name = locale === 'en' ? 'Coca-Cola 330ml' : '可口可乐 330ml';
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=line]').length > 0, null, { timeout: 15000 });
    log(locale, 'decoded and rung up');
    assert.ok(new Set(scripts).size > before, 'the decoder is loaded when the camera opens');
    const status = await page.textContent('[data-testid=camera-status]');
    assert.ok(status.includes('6901234567892'), `the dialog shows the code: ${status}`);
    const playing = await page.evaluate(() => {
      const v = document.querySelector('[data-testid=camera-video]');
      return { src: !!v.srcObject, w: v.videoWidth, h: v.videoHeight, paused: v.paused };
    });
    assert.deepEqual(playing, { src: true, w: 640, h: 480, paused: false }, 'the preview shows the camera');
    if (shots) {
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(shots, `camera-${locale === 'en' ? 'en' : 'zh'}.png`) });
      log('screenshot', `camera-${locale === 'en' ? 'en' : 'zh'}`);
    }
    await page.waitForTimeout(2500); // 25 more frames of the same code
    const lines = await page.$$eval('[data-testid=line]', (ls) => ls.map((l) => [...l.children].map((c) => c.textContent.trim())));
    assert.deepEqual(lines, [[name, '× 1', '¥3.50']], 'one line, quantity 1');

    // Closing the dialog stops the camera.
    await page.click('[data-testid=camera-close]');
    await page.getByTestId('camera').waitFor({ state: 'detached' });
    const tracks = await page.evaluate(() => window.cameraStreams.flatMap((s) => s.getTracks().map((t) => t.readyState)));
    assert.ok(tracks.length > 0, 'the page asked for the camera');
    assert.deepEqual([...new Set(tracks)], ['ended'], 'every camera track is stopped');
    assert.equal(await page.$('video'), null, 'no preview left');
    // And nothing more rang up after it closed.
    await page.waitForTimeout(500);
    assert.equal(await page.locator('[data-testid=line]').count(), 1);

    // A refused camera: a plain message saying what to do, no preview.
    await page.evaluate(() => {
      navigator.mediaDevices.getUserMedia = async () => { throw new DOMException('refused', 'NotAllowedError'); };
    });
    await page.click('[data-testid=camera-btn]');
    const refused = await page.getByTestId('camera-problem').textContent();
    assert.ok(refused.includes(locale === 'en' ? 'Allow the camera' : '允许本页面使用相机'), `the refusal says what to do: ${refused}`);
    assert.equal(await page.locator('[data-testid=camera-video]').isVisible(), false, 'no preview when refused');
    await page.click('[data-testid=camera-close]');
    await page.getByTestId('camera').waitFor({ state: 'detached' });
    assert.deepEqual(errors, [], 'no page errors');
    log(locale, 'passed');
  } finally {
    await context.close();
    store.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'opentill-camera-'));
const video = join(dir, 'cola.y4m');
writeY4m(video, readPng(join(repo, 'fixtures/barcodes/cola-ean13.png')));
if (shots) mkdirSync(shots, { recursive: true });
let browser;
let failed = false;
try {
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
  });
  for (const locale of ['en', 'zh-CN']) await flow(browser, locale, dir);
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
}
log(failed ? 'FAILED' : 'camera scanning passed');
process.exit(failed ? 1 : 0);
