import { describe, expect, it } from 'vitest';
import { ApiError, Client, HttpTransport, TauriTransport, defaultTransport, tauriGlobal, type TauriGlobal, type Transport, type TransportRequest } from './client';

/** A transport that answers from a table, as a Tauri IPC transport would from the in-process router. */
function fake(answers: Record<string, { status: number; body: unknown }>, seen: TransportRequest[] = []): Transport {
  return {
    async send(req) {
      seen.push(req);
      const a = answers[`${req.method} ${req.path}`];
      if (!a) throw new TypeError('Failed to fetch');
      return a;
    },
  };
}

describe('Client', () => {
  it('sends the language and the JSON body through any transport', async () => {
    const seen: TransportRequest[] = [];
    const client = new Client(fake({ 'POST /api/login': { status: 200, body: { user_id: 'c01', role: 'cashier' } } }, seen), () => 'en');
    expect(await client.login('c01', '1234')).toEqual({ user_id: 'c01', role: 'cashier' });
    expect(seen).toEqual([{ method: 'POST', path: '/api/login', body: { user_id: 'c01', pin: '1234' }, lang: 'en' }]);
  });
  it('turns API errors into their kind and message', async () => {
    const client = new Client(fake({ 'GET /api/products/barcode/123': { status: 404, body: { kind: 'unknown_barcode', message: '未知条码 123' } } }), () => 'zh-CN');
    const err = await client.byBarcode('123').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect([err.kind, err.message, err.status]).toEqual(['unknown_barcode', '未知条码 123', 404]);
  });
  it('reports an unreachable till service as offline', async () => {
    const err = await new Client(fake({}), () => 'en').health().catch((e) => e);
    expect(err.kind).toBe('offline');
  });
  it('escapes path parameters', async () => {
    const seen: TransportRequest[] = [];
    await new Client(fake({}, seen), () => 'en').categoryProducts('personal care').catch(() => {});
    expect(seen[0].path).toBe('/api/categories/personal%20care/products?limit=60');
  });
});

/** A fake `window.__TAURI__`: records each invoke and answers as the `api` command would. */
function fakeTauri(answer: (args: Record<string, unknown>) => unknown): { tauri: TauriGlobal; calls: [string, Record<string, unknown>][] } {
  const calls: [string, Record<string, unknown>][] = [];
  const tauri: TauriGlobal = {
    core: {
      async invoke<T>(command: string, args: Record<string, unknown> = {}) {
        calls.push([command, args]);
        return answer(args) as T;
      },
    },
  };
  return { tauri, calls };
}

describe('TauriTransport', () => {
  it('invokes the api command with method, path, body and language', async () => {
    const { tauri, calls } = fakeTauri(() => ({ status: 200, body: { user_id: 'c01', role: 'cashier' } }));
    const client = new Client(new TauriTransport(tauri), () => 'zh-CN');
    expect(await client.login('c01', '1234')).toEqual({ user_id: 'c01', role: 'cashier' });
    expect(calls).toEqual([['api', { method: 'POST', path: '/api/login', body: { user_id: 'c01', pin: '1234' }, lang: 'zh-CN' }]]);
  });
  it('sends null for a request without a body', async () => {
    const { tauri, calls } = fakeTauri(() => ({ status: 200, body: { ok: true } }));
    await new Client(new TauriTransport(tauri), () => 'en').health();
    expect(calls[0][1]).toEqual({ method: 'GET', path: '/api/health', body: null, lang: 'en' });
  });
  it("passes the router's errors through with their kind and status", async () => {
    const { tauri } = fakeTauri(() => ({ status: 422, body: { kind: 'tender_short', message: 'short by 1.00' } }));
    const err = await new Client(new TauriTransport(tauri), () => 'en').sell({ sale_id: 'x', items: [], tenders: [] } as never).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect([err.kind, err.message, err.status]).toEqual(['tender_short', 'short by 1.00', 422]);
  });
  it('turns a request the command refused into an API error, not offline', async () => {
    const tauri: TauriGlobal = { core: { invoke: () => Promise.reject({ kind: 'not_supported', message: 'poll instead' }) } };
    const err = await new Client(new TauriTransport(tauri), () => 'en').health().catch((e) => e);
    expect([err.kind, err.message, err.status]).toEqual(['not_supported', 'poll instead', 400]);
  });
  it('reports a failed IPC call as offline', async () => {
    const tauri: TauriGlobal = { core: { invoke: () => Promise.reject(new Error('command api not found')) } };
    const err = await new Client(new TauriTransport(tauri), () => 'en').health().catch((e) => e);
    expect(err.kind).toBe('offline');
  });
  it('has no event stream, so network scans are simply not delivered', () => {
    const { tauri } = fakeTauri(() => ({ status: 200, body: null }));
    const stop = new Client(new TauriTransport(tauri), () => 'en').onNetworkScan(() => {});
    expect(typeof stop).toBe('function');
    stop();
  });
  it('is chosen when window.__TAURI__ exists, HTTP otherwise', () => {
    const { tauri } = fakeTauri(() => null);
    expect(tauriGlobal({ __TAURI__: tauri })).toBe(tauri);
    expect(defaultTransport({ __TAURI__: tauri })).toBeInstanceOf(TauriTransport);
    expect(defaultTransport({})).toBeInstanceOf(HttpTransport);
    expect(defaultTransport({ __TAURI__: { core: {} } })).toBeInstanceOf(HttpTransport);
    expect(defaultTransport(undefined)).toBeInstanceOf(HttpTransport);
  });
});
