import { describe, expect, it } from 'vitest';
import type { PurchaseOrder } from '../api/client';
import { addOrderLine, orderState, outstandingPrefill, receivable, stateAfter, toOrderLines, toReceiveLines } from './purchasing';

const po = (lines: [string, number, number][]): PurchaseOrder => {
  const l = lines.map(([sku, ordered, received]) => ({ sku, ordered, received, outstanding: Math.max(ordered - received, 0), over: Math.max(received - ordered, 0) }));
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
