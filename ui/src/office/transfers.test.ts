import { describe, expect, it } from 'vitest';
import type { Transfer } from '../api/client';
import { actionsFor, addLine, columnsFor, countByDirection, type DraftLine, groupTransfers, parseQty, prefill, previewReceipt, setLineQty, storeProblem, toLines } from './transfers';

const line = (sku: string, q: Partial<Record<'requested' | 'shipped' | 'received' | 'in_transit' | 'variance', number>> = {}) =>
  ({ sku, name: sku.toLowerCase(), unit: 'each', requested: 0, shipped: 0, received: 0, in_transit: 0, variance: 0, ...q });
const transfer = (id: string, direction: 'in' | 'out', state: string, lines = [line('DRK-1', { requested: 6 })]): Transfer => ({
  transfer_id: id, from_store: direction === 'in' ? 'BJ002' : 'SH001', to_store: direction === 'in' ? 'SH001' : 'BJ002', direction, state,
  state_label: state, lines, history: [], cancel_overridden: false, updated_ms: 0,
});

describe('quantities', () => {
  it('reads whole numbers within range', () => {
    expect(['1', ' 12 ', '1000000', '0'].map((x) => parseQty(x))).toEqual([1, 12, 1_000_000, null]);
    expect(parseQty('0', 0)).toBe(0);
    expect(['', '1.5', '-2', '1e3', '1000001', 'abc'].map((x) => parseQty(x, 0))).toEqual([null, null, null, null, null, null]);
  });
});

describe('the form lines', () => {
  const cola = { sku: 'DRK-1', name: 'Cola' };
  it('adds one a scan, the typed quantity when given, to a product already there', () => {
    let lines: DraftLine[] = [];
    lines = addLine(lines, cola);
    lines = addLine(lines, cola);
    lines = addLine(lines, { sku: 'SNK-1', name: 'Chips' }, 12);
    expect(lines.map((l) => [l.sku, l.qty])).toEqual([['DRK-1', '2'], ['SNK-1', '12']]);
    expect(addLine(lines, cola, 999_999)[0].qty).toBe('1000000');
  });
  it('adds a weighed product with no quantity, for its grams to be typed', () => {
    const lines = addLine([], { sku: 'PRD-41', name: 'Bananas', weighed: true }, null);
    expect(lines).toEqual([{ sku: 'PRD-41', name: 'Bananas', weighed: true, qty: '' }]);
    expect(addLine(lines, { sku: 'PRD-41', name: 'Bananas', weighed: true }, null)).toBe(lines);
    expect(addLine(setLineQty(lines, 'PRD-41', '500'), { sku: 'PRD-41', name: 'Bananas' }, 250)[0].qty).toBe('750');
  });
  it('builds the API lines, or says what is wrong first', () => {
    expect(toLines([{ sku: 'A', qty: '2' }, { sku: 'B', qty: '1' }], 'new')).toEqual({ ok: true, lines: [{ sku: 'A', qty: 2 }, { sku: 'B', qty: 1 }] });
    expect(toLines([], 'new')).toEqual({ ok: false, problem: 'empty' });
    expect(toLines([{ sku: 'A', qty: '2' }, { sku: 'B', qty: '0' }], 'new')).toEqual({ ok: false, problem: 'qty', sku: 'B' });
    // Shipping 0 of a product leaves it out; shipping nothing at all is no shipment.
    expect(toLines([{ sku: 'A', qty: '0' }, { sku: 'B', qty: '3' }], 'ship')).toEqual({ ok: true, lines: [{ sku: 'B', qty: 3 }] });
    expect(toLines([{ sku: 'A', qty: '0' }], 'ship')).toEqual({ ok: false, problem: 'empty' });
    // A receipt keeps 0: none of it arrived.
    expect(toLines([{ sku: 'A', qty: '0' }, { sku: 'B', qty: '3' }], 'receive')).toEqual({ ok: true, lines: [{ sku: 'A', qty: 0 }, { sku: 'B', qty: 3 }] });
    expect(toLines([{ sku: 'A', qty: '' }], 'receive')).toEqual({ ok: false, problem: 'arrived', sku: 'A' });
  });
  it('checks the store named', () => {
    expect(['', ' ', 'BJ 002'].map((s) => storeProblem(s, 'SH001'))).toEqual(['store', 'store', 'store']);
    expect(storeProblem('SH001', 'SH001')).toBe('sameStore');
    expect(storeProblem(' BJ002 ', 'SH001')).toBeNull();
  });
});

describe('ship and receive', () => {
  const shipped = transfer('TR-1', 'in', 'in_transit', [line('A', { requested: 6, shipped: 5, in_transit: 5 }), line('B', { shipped: 2, in_transit: 2 }), line('C', { requested: 1 })]);
  it('starts from what was asked for, or what was shipped', () => {
    expect(prefill(shipped, 'requested')).toEqual({ A: '6', C: '1' });
    expect(prefill(shipped, 'shipped')).toEqual({ A: '5', B: '2' });
  });
  it('previews the variance before a receipt is posted', () => {
    expect(previewReceipt(shipped, { A: '5', B: '2' })).toMatchObject({ short: 0, over: 0, ok: true });
    const p = previewReceipt(shipped, { A: '3', B: '4' });
    expect(p.lines.map((l) => [l.sku, l.shipped, l.arrived, l.variance])).toEqual([['A', 5, 3, -2], ['B', 2, 4, 2]]);
    expect([p.short, p.over, p.ok]).toEqual([2, 2, true]);
    const unread = previewReceipt(shipped, { A: 'x', B: '0' });
    expect(unread.lines.map((l) => l.variance)).toEqual([null, -2]);
    expect([unread.short, unread.ok]).toEqual([2, false]);
  });
});

describe('the list', () => {
  const list = [
    transfer('T1', 'out', 'requested'),
    transfer('T2', 'in', 'received'),
    transfer('T3', 'in', 'in_transit'),
    transfer('T4', 'out', 'cancelled'),
    transfer('T5', 'in', 'requested'),
  ];
  it('groups by direction, still moving first, in the order the API gave', () => {
    const ids = (xs: Transfer[]) => xs.map((x) => x.transfer_id);
    const all = groupTransfers(list, 'all');
    expect([ids(all.open), ids(all.done)]).toEqual([['T1', 'T3', 'T5'], ['T2', 'T4']]);
    const incoming = groupTransfers(list, 'in');
    expect([ids(incoming.open), ids(incoming.done)]).toEqual([['T3', 'T5'], ['T2']]);
    expect(ids(groupTransfers(list, 'out').open)).toEqual(['T1']);
    expect(countByDirection(list)).toEqual({ all: 5, in: 3, out: 2 });
  });
  it('offers what this store can do', () => {
    expect(list.map(actionsFor)).toEqual([['ship', 'cancel'], [], ['receive'], [], ['cancel']]);
    // Goods on their way out are the other store's to receive.
    expect(actionsFor(transfer('T6', 'out', 'in_transit'))).toEqual([]);
  });
  it('shows the quantities that matter in each state', () => {
    expect(columnsFor(list[0])).toEqual(['requested']);
    expect(columnsFor(transfer('T', 'in', 'in_transit', [line('A', { requested: 2, shipped: 2 })]))).toEqual(['requested', 'shipped', 'in_transit']);
    expect(columnsFor(transfer('T', 'in', 'in_transit', [line('A', { shipped: 2 })]))).toEqual(['shipped', 'in_transit']);
    expect(columnsFor(transfer('T', 'in', 'received', [line('A', { shipped: 2, received: 1 })]))).toEqual(['shipped', 'received', 'variance']);
    expect(columnsFor(transfer('T', 'out', 'cancelled'))).toEqual(['requested']);
  });
});
