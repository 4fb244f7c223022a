import { describe, expect, it } from 'vitest';
import type { PurchaseOrder } from '../api/client';
import { addOrderLine, amendable, amendPrefill, cancelReason, lineName, orderState, outstandingPrefill, receivable, stateAfter, stateAfterAmend, toAmendLines, toOrderLines, toReceiveLines, yuan } from './purchasing';

const po = (lines: [string, number, number][]): PurchaseOrder => {
  const l = lines.map(([sku, ordered, received]) => ({ sku, ordered, received, unit_cost_minor: 180, outstanding: Math.max(ordered - received, 0), over: Math.max(received - ordered, 0), closed: 0 }));
  return { po_id: 'PO1', supplier_id: 'COKE', ordered_ms: 0, lines: l, state: orderState(l) };
};

describe('the order form', () => {
  it('adds a product once, summing quantities', () => {
    let lines = addOrderLine([], { sku: 'A', name: 'a', cost: '' }, 1);
    lines = addOrderLine(lines, { sku: 'B', name: 'b', cost: '' }, 5);
    lines = addOrderLine(lines, { sku: 'A', name: 'a', cost: '' }, 2);
    expect(lines.map((l) => [l.sku, l.qty])).toEqual([['A', '3'], ['B', '5']]);
    expect(addOrderLine([], { sku: 'K', name: 'k', cost: '', weighed: true }, null)[0].qty).toBe('');
  });

  it('builds the lines in minor units, or names what is wrong first', () => {
    expect(toOrderLines('COKE', [{ sku: 'A', qty: '24', cost: '1.8' }, { sku: 'B', qty: '12', cost: '¥5' }]))
      .toEqual({ ok: true, lines: [{ sku: 'A', qty: 24, unit_cost_minor: 180 }, { sku: 'B', qty: 12, unit_cost_minor: 500 }] });
    expect(toOrderLines('COKE', [{ sku: 'A', qty: '0', cost: '1' }])).toEqual({ ok: false, problem: 'qty', sku: 'A' });
    expect(toOrderLines('COKE', [{ sku: 'A', qty: '2', cost: '1.234' }])).toEqual({ ok: false, problem: 'cost', sku: 'A' });
    expect(toOrderLines('COKE', [{ sku: 'A', qty: '2', cost: '' }])).toEqual({ ok: false, problem: 'cost', sku: 'A' });
    expect(toOrderLines('COKE', [{ sku: 'A', qty: '2', cost: '0' }])).toMatchObject({ ok: true });
    expect(toOrderLines('COKE', [])).toEqual({ ok: false, problem: 'empty' });
    expect(toOrderLines(' ', [{ sku: 'A', qty: '2', cost: '1' }])).toEqual({ ok: false, problem: 'supplier' });
  });
});

describe('the orders', () => {
  it("name each line's product in the page's language, or not at all", () => {
    const cola = { name: 'Coca-Cola 330ml', name_zh: '可口可乐 330ml' };
    expect([lineName(cola, 'zh-CN'), lineName(cola, 'en')]).toEqual(['可口可乐 330ml', 'Coca-Cola 330ml']);
    expect(lineName({ name: 'Cola', name_zh: '' }, 'zh-CN')).toBe('Cola');
    expect(lineName({ name: null, name_zh: null }, 'en')).toBe('');
    expect(lineName({}, 'zh-CN')).toBe('');
  });
});

describe('receiving', () => {
  it('reads states as the till service does', () => {
    for (const [lines, state] of [
      [[['A', 10, 0], ['B', 5, 0]], 'open'],
      [[['A', 10, 4], ['B', 5, 0]], 'partial'],
      [[['A', 10, 10], ['B', 5, 5]], 'received'],
      [[['A', 10, 12], ['B', 5, 5]], 'over'],
      [[['A', 10, 12], ['B', 5, 1]], 'partial'],
    ] as [[string, number, number][], string][]) {
      expect(po(lines).state).toBe(state);
    }
  });

  it('starts at what is outstanding and previews the state after', () => {
    const o = po([['A', 24, 20], ['B', 12, 0]]);
    expect(receivable(o)).toBe(true);
    const typed = outstandingPrefill(o);
    expect(typed).toEqual({ A: '4', B: '12' });
    const all = toReceiveLines(o, typed)!;
    expect(all).toEqual([{ sku: 'A', qty: 4 }, { sku: 'B', qty: 12 }]);
    expect(stateAfter(o, all)).toBe('received');
    expect(stateAfter(o, toReceiveLines(o, { A: '0', B: '6' })!)).toBe('partial');
    expect(stateAfter(o, toReceiveLines(o, { A: '6', B: '12' })!)).toBe('over');
    expect(toReceiveLines(o, { A: '0', B: '0' })).toBeNull();
    expect(toReceiveLines(o, { A: 'x', B: '1' })).toBeNull();
    expect(receivable(po([['A', 1, 1]]))).toBe(false);
  });
});

describe('amending and cancelling', () => {
  it('only an open or partly received order', () => {
    expect(amendable(po([['A', 10, 0]]))).toBe(true);
    expect(amendable(po([['A', 10, 4]]))).toBe(true);
    expect(amendable(po([['A', 10, 10]]))).toBe(false);
    expect(amendable(po([['A', 10, 12]]))).toBe(false);
    expect(amendable({ ...po([['A', 10, 4]]), state: 'cancelled' })).toBe(false);
    expect(receivable({ ...po([['A', 10, 4]]), state: 'cancelled' })).toBe(false);
  });

  it('starts at what is ordered and sends only what changed, or names what is wrong first', () => {
    const o = po([['A', 24, 20], ['B', 12, 0]]);
    const drafts = amendPrefill(o);
    expect(drafts).toEqual([{ sku: 'A', qty: '24', cost: '1.80', received: 20 }, { sku: 'B', qty: '12', cost: '1.80', received: 0 }]);
    expect(yuan(5)).toBe('0.05');
    expect(toAmendLines(o, drafts)).toEqual({ ok: false, problem: 'unchanged' });
    const edit = (sku: string, qty: string, cost = '1.80') => drafts.map((d) => (d.sku === sku ? { ...d, qty, cost } : d));
    expect(toAmendLines(o, edit('A', '30'))).toEqual({ ok: true, lines: [{ sku: 'A', qty: 30, unit_cost_minor: 180 }] });
    expect(toAmendLines(o, edit('B', '12', '1.75'))).toEqual({ ok: true, lines: [{ sku: 'B', qty: 12, unit_cost_minor: 175 }] });
    expect(toAmendLines(o, edit('B', '0'))).toEqual({ ok: true, lines: [{ sku: 'B', qty: 0, unit_cost_minor: 180 }] });
    expect(toAmendLines(o, edit('A', '19'))).toEqual({ ok: false, problem: 'below', sku: 'A' });
    expect(toAmendLines(o, edit('A', 'x'))).toEqual({ ok: false, problem: 'qty', sku: 'A' });
    expect(toAmendLines(o, edit('A', '24', '1.8.0'))).toEqual({ ok: false, problem: 'cost', sku: 'A' });
    const added = [...drafts, { sku: 'C', qty: '6', cost: '3', received: 0, added: true }];
    expect(toAmendLines(o, added)).toEqual({ ok: true, lines: [{ sku: 'C', qty: 6, unit_cost_minor: 300 }] });
    expect(toAmendLines(o, [...drafts, { sku: 'C', qty: '0', cost: '3', received: 0, added: true }])).toEqual({ ok: false, problem: 'qty', sku: 'C' });
    const open = po([['A', 24, 0]]);
    expect(toAmendLines(open, [{ sku: 'A', qty: '0', cost: '1.80', received: 0 }])).toEqual({ ok: false, problem: 'nothing' });
  });

  it('previews the state after an amendment', () => {
    const o = po([['A', 24, 20], ['B', 12, 0]]);
    expect(stateAfterAmend(o, [{ sku: 'A', qty: 20, unit_cost_minor: 180 }, { sku: 'B', qty: 0, unit_cost_minor: 180 }])).toBe('received');
    expect(stateAfterAmend(o, [{ sku: 'C', qty: 6, unit_cost_minor: 300 }])).toBe('partial');
    expect(stateAfterAmend(po([['A', 24, 0]]), [{ sku: 'A', qty: 30, unit_cost_minor: 180 }])).toBe('open');
  });

  it('takes a reason of 1 to 200 characters', () => {
    expect(cancelReason('  供应商缺货 ')).toBe('供应商缺货');
    expect(cancelReason('   ')).toBeNull();
    expect(cancelReason('长'.repeat(200))).toHaveLength(200);
    expect(cancelReason('长'.repeat(201))).toBeNull();
  });
});
