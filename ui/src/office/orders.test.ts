import { describe, expect, it } from 'vitest';
import type { Order, OrderLine } from '../api/client';
import { whyNotHandover } from '../handover-dialog';
import { formatMoney, translate } from '../i18n';
import { asksForNote, groupOrders, isOrderCode, isShort, officeActions, pickList, qtyText } from './orders';

const line = (sku: string, category: string, qty: number, on_hand: number, unit = 'each'): OrderLine => ({ sku, name: sku.toLowerCase(), category, unit, qty, on_hand, free: on_hand });
const order = (id: string, state: string, o: Partial<Order> = {}): Order => ({
  order_id: id, qr: 'OTO:' + id, channel: 'meituan', fulfilment: 'pickup', state, state_label: state, customer_name: '陈女士', customer_phone: '13800138000',
  placed_ms: 0, lines: [line('DRK-1', 'drinks', 2, 10)], steps: [], next: [], ...o,
});
const money = (minor: number) => formatMoney(minor, 'en');
const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) => translate('en', key, params);

describe('an order QR code', () => {
  it('is OTO: and an id, scanned or typed with spaces around', () => {
    expect(['OTO:MT-1', ' OTO:12345 ', 'OTO:a'].map(isOrderCode)).toEqual([true, true, true]);
  });
  it('is not a product barcode, a member pass, an empty code or a lower-case prefix', () => {
    expect(['6901234567892', 'OTO:', 'oto:MT-1', 'MT-1', 'OTOMT-1', 'PASS:abc', ''].map(isOrderCode)).toEqual([false, false, false, false, false, false, false]);
  });
});

describe('grouping', () => {
  it('puts placed, accepted, picked and ready to do, the rest done, keeping the order', () => {
    const list = ['placed', 'handed_over', 'ready', 'rejected', 'accepted', 'cancelled', 'picked', 'dispatched'].map((s, i) => order('O' + i, s));
    const { todo, done } = groupOrders(list);
    expect(todo.map((o) => o.state)).toEqual(['placed', 'ready', 'accepted', 'picked']);
    expect(done.map((o) => o.state)).toEqual(['handed_over', 'rejected', 'cancelled', 'dispatched']);
    expect(groupOrders([])).toEqual({ todo: [], done: [] });
  });
});

describe('the pick list', () => {
  const lines = [line('DRK-1', 'drinks', 4, 10), line('DRK-2', 'drinks', 20, 6), line('FRU-1', 'fruit', 500, 300, 'kg'), line('SNK-1', 'snacks', 1, 1)];
  it('groups the lines by category in the order they come', () => {
    const { groups } = pickList(order('A', 'placed', { lines }));
    expect(groups.map((g) => [g.category, g.lines.map((l) => l.sku)])).toEqual([['drinks', ['DRK-1', 'DRK-2']], ['fruit', ['FRU-1']], ['snacks', ['SNK-1']]]);
  });
  it('marks lines with less on hand than ordered, exactly as much is enough', () => {
    expect(lines.map(isShort)).toEqual([false, true, true, false]);
    expect(pickList(order('A', 'placed', { lines })).short).toBe(2);
  });
  it('marks nothing short once the order is finished', () => {
    for (const s of ['handed_over', 'dispatched', 'rejected', 'cancelled']) expect(pickList(order('A', s, { lines })).short).toBe(0);
  });
  it('writes grams for weighed products', () => {
    expect([qtyText(t, lines[0]), qtyText(t, lines[2])]).toEqual(['4', '500 g']);
  });
});

describe('the back office buttons', () => {
  it('follow what the till service allows next', () => {
    expect(officeActions(order('A', 'placed', { next: ['accept', 'reject', 'cancel'] }))).toEqual({ actions: ['accept', 'reject', 'cancel'], atTill: false });
    expect(officeActions(order('A', 'accepted', { next: ['pick', 'ready', 'cancel'] }))).toEqual({ actions: ['pick', 'ready', 'cancel'], atTill: false });
    expect(officeActions(order('A', 'handed_over'))).toEqual({ actions: [], atTill: false });
  });
  it('send a ready pickup to the till and dispatch a ready delivery from here', () => {
    expect(officeActions(order('A', 'ready', { next: ['handover', 'cancel'] }))).toEqual({ actions: ['cancel'], atTill: true });
    expect(officeActions(order('A', 'ready', { fulfilment: 'delivery', next: ['handover', 'cancel'] }))).toEqual({ actions: ['dispatch', 'cancel'], atTill: false });
  });
  it('ask for a reason before rejecting or cancelling, and a note before dispatching', () => {
    expect((['accept', 'reject', 'pick', 'ready', 'dispatch', 'cancel'] as const).filter(asksForNote)).toEqual(['reject', 'dispatch', 'cancel']);
  });
});

describe('at the till', () => {
  const why = (o: Order) => {
    const w = whyNotHandover(o, money);
    return w && t(w.key, w.params);
  };
  it('hands over what the till service allows', () => {
    expect(whyNotHandover(order('A', 'ready', { next: ['handover', 'cancel'] }), money)).toBeNull();
  });
  it('says why not otherwise', () => {
    expect(why(order('A', 'accepted', { state_label: 'accepted', next: ['pick'] }))).toBe('Not ready yet (accepted): it can be handed over once the back office marks it ready.');
    expect(why(order('A', 'handed_over', { state_label: 'handed over', sale_id: 'O2O-A', sale_total_minor: 1400 }))).toBe('Already handed over: sale O2O-A (¥14.00).');
    expect(why(order('A', 'cancelled', { online_cancel_reason: 'ordered twice' }))).toBe('This order was cancelled (ordered twice): do not hand it over.');
    expect(why(order('A', 'cancelled', { steps: [{ step: 'cancelled', by: 'm01', ts_ms: 1, note: 'no courier' }] }))).toBe('This order was cancelled (no courier): do not hand it over.');
    expect(why(order('A', 'cancelled'))).toBe('This order was cancelled: do not hand it over.');
    expect(why(order('A', 'rejected'))).toBe('The store rejected this order: there is nothing to hand over.');
  });
});
