import { describe, expect, it } from 'vitest';
import { ApiError, Client, type Transport, type TransportRequest } from './client';

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
