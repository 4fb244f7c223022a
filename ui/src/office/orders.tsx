// Online orders (线上订单, O2O): orders placed through an online shop or a delivery
// platform, fetched by the store's edge agent when it syncs. To do (placed, accepted,
// picked, ready) above done; each order with its state, channel, pickup or delivery, the
// customer and their note, the price this store quoted when it accepted, its pick list by
// category (what is short of stock marked) and its steps. The buttons are what the till
// service says may be done next; a pickup order is handed over at the till when the
// customer's QR code is scanned, a delivery order is dispatched from here. The till
// service checks every step and refuses with the reason; the list is read again after
// each step and every few seconds while the tab is open (new orders arrive by sync).
import { useState } from 'preact/hooks';
import type { Order, OrderLine } from '../api/client';
import { categoryName, type Locale, type MessageKey } from '../i18n';
import { storeTime } from '../storetime';
import { Dialog, type Money, type T, usePolled } from '../widgets';
import type { TabProps } from './index';

// ---- pure helpers (unit-tested) ----

/** What an order's QR code starts with (core's `QR_PREFIX`). */
export const ORDER_QR_PREFIX = 'OTO:';

/** Whether a scanned or typed code is an online order's QR code rather than a product. */
export function isOrderCode(code: string): boolean {
  const c = code.trim();
  return c.startsWith(ORDER_QR_PREFIX) && c.length > ORDER_QR_PREFIX.length;
}

/** The states in which the store still has something to do. */
const OPEN_STATES = ['placed', 'accepted', 'picked', 'ready'];

/** Orders still to do (placed, accepted, picked, ready) and done (handed over, dispatched,
 *  rejected, cancelled), each in the API's order (newest first). */
export function groupOrders(list: Order[]): { todo: Order[]; done: Order[] } {
  const open = (o: Order) => OPEN_STATES.includes(o.state);
  return { todo: list.filter(open), done: list.filter((o) => !open(o)) };
}

/** Whether the store has less on hand than a line asks for. */
/** Short when what is free (on hand less other open orders' reservations) does not cover
 *  the line: what accepting the order checks. */
export const isShort = (l: OrderLine) => l.free < l.qty;

/** A pick list: the lines by category, in the API's order (category, then SKU), with how
 *  many are short of stock. An order already gone or ended has nothing short: its stock
 *  left with it, or never needed to. */
export function pickList(o: Order): { groups: { category: string; lines: OrderLine[] }[]; short: number } {
  const groups: { category: string; lines: OrderLine[] }[] = [];
  for (const l of o.lines) {
    const last = groups[groups.length - 1];
    if (last && last.category === l.category) last.lines.push(l);
    else groups.push({ category: l.category, lines: [l] });
  }
  const open = OPEN_STATES.includes(o.state);
  return { groups, short: open ? o.lines.filter(isShort).length : 0 };
}

export type OrderAction = 'accept' | 'reject' | 'pick' | 'ready' | 'dispatch' | 'cancel';

/** The buttons the back office shows for an order, from what the till service allows next
 *  (`next`): handing a pickup order over happens at the till (`atTill`: the customer's QR
 *  code is scanned there); a delivery's handover is dispatching it to the courier. */
export function officeActions(o: Order): { actions: OrderAction[]; atTill: boolean } {
  const actions: OrderAction[] = [];
  for (const n of ['accept', 'pick', 'ready', 'handover', 'reject', 'cancel']) {
    if (!o.next.includes(n)) continue;
    if (n === 'handover') {
      if (o.fulfilment === 'delivery') actions.push('dispatch');
    } else actions.push(n as OrderAction);
  }
  return { actions, atTill: o.next.includes('handover') && o.fulfilment !== 'delivery' };
}

/** Whether an action asks for a reason or note first (rejecting, cancelling, a waybill). */
export const asksForNote = (a: OrderAction) => a === 'reject' || a === 'cancel' || a === 'dispatch';

/** A quantity as a pick list shows it: pieces, or grams of a weighed product. */
export function qtyText(t: T, l: Pick<OrderLine, 'qty' | 'unit'>): string {
  return l.unit === 'kg' ? t('o2o.grams', { n: l.qty }) : String(l.qty);
}

// ---- the tab ----

/** How often the list is read again while the tab is open. */
const REFRESH_MS = 5_000;

export function OrdersTab(p: TabProps) {
  const { t, locale, client, attempt, offsetMin } = p;
  const { data: orders, at, stale, refresh } = usePolled(() => client.orders(), attempt, REFRESH_MS, [locale]);
  const [acting, setActing] = useState<{ action: OrderAction; order: Order } | null>(null);

  // Steps that need no reason go straight to the till service.
  const act = async (action: OrderAction, o: Order) => {
    if (asksForNote(action)) return setActing({ action, order: o });
    const who = { user_id: p.manager.user_id, pin: p.manager.pin };
    const done = await attempt(() => client.orderStep(o.order_id, { step: action, ...who }));
    if (done) p.notify(t(`o2o.${action}Done` as MessageKey, { id: o.order_id, amount: done.quoted_minor != null ? p.money(done.quoted_minor) : '' }));
    refresh();
  };

  const time = (ms: number) => storeTime(ms, offsetMin, locale);
  const { todo, done } = groupOrders(orders ?? []);
  const group = (key: 'todo' | 'done', rows: Order[]) => (
    <div class="orders-group" data-group={key}>
      <h2>{t(`o2o.${key}` as MessageKey)} <span class="muted">{rows.length}</span></h2>
      {rows.length === 0
        ? <p class="muted">{t(key === 'todo' ? 'o2o.noneToDo' : 'o2o.noneDone')}</p>
        : <ul class="orders-items">{rows.map((o) => <OrderItem t={t} money={p.money} locale={locale} time={time} order={o} onAction={(a) => act(a, o)} />)}</ul>}
    </div>
  );
  return (
    <section class="card orders-office" data-testid="orders-tab">
      <div class="office-head">
        <h1>{t('o2o.title')}</h1>
        {orders && <span class={stale ? 'print-problem' : 'muted'} data-testid="orders-updated">{t(stale ? 'o2o.stale' : 'o2o.updated', { time: time(at) })}</span>}
      </div>
      <p class="muted orders-hint">{t('o2o.hint')}</p>
      {orders && group('todo', todo)}
      {orders && done.length > 0 && group('done', done)}
      {acting && <NoteDialog {...p} action={acting.action} order={acting.order} onClose={() => setActing(null)} onDone={() => (setActing(null), refresh())} />}
    </section>
  );
}

function OrderItem({ t, money, locale, time, order: o, onAction }: { t: T; money: Money; locale: Locale; time: (ms: number) => string; order: Order; onAction: (a: OrderAction) => void }) {
  const { groups, short } = pickList(o);
  const { actions, atTill } = officeActions(o);
  const open = OPEN_STATES.includes(o.state);
  return (
    <li class={'order-item ' + o.state} data-testid="order" data-id={o.order_id} data-state={o.state}>
      <div class="order-head">
        <span class={'order-state ' + o.state} data-testid="order-state">{o.state_label}</span>
        <strong class="order-id">{o.order_id}</strong>
        <span class="order-tag">{o.channel}</span>
        <span class={'order-tag ' + o.fulfilment} data-testid="order-fulfilment">{t(o.fulfilment === 'delivery' ? 'o2o.delivery' : 'o2o.pickup')}</span>
        <span class="grow" />
        <span class="muted order-when">{time(o.placed_ms)}</span>
      </div>
      <div class="order-customer" data-testid="order-customer">
        <span>{o.customer_name} · <span class="sku">{o.customer_phone}</span>{o.member && <span class="muted"> · {t('o2o.member', { member: o.member })}</span>}</span>
        {o.quoted_minor != null && <span class="order-quoted" data-testid="order-quoted">{t('o2o.quoted', { amount: money(o.quoted_minor) })}</span>}
      </div>
      {o.note && <p class="order-note" data-testid="order-note">{t('o2o.note', { note: o.note })}</p>}
      {o.conflict && <p class="order-conflict" role="note" data-testid="order-conflict">{t('o2o.conflict', { reason: o.online_cancel_reason ?? '' })}</p>}
      {!o.conflict && o.online_cancel_reason && <p class="order-cancelled" data-testid="order-online-cancel">{t('o2o.onlineCancel', { reason: o.online_cancel_reason })}</p>}
      <table class="table order-lines" data-testid="pick-list">
        <thead><tr><th>{t('o2o.col.product')}</th><th class="num">{t('o2o.col.qty')}</th>{open && <th class="num">{t('o2o.col.onHand')}</th>}</tr></thead>
        {groups.map((g) => (
          <tbody>
            <tr class="order-category"><th colSpan={open ? 3 : 2}>{g.category ? categoryName(locale, g.category) : t('o2o.noCategory')}</th></tr>
            {g.lines.map((l) => {
              const bad = open && isShort(l);
              return (
                <tr class={bad ? 'short' : ''} data-testid="pick-line" data-sku={l.sku} data-short={bad ? 'yes' : 'no'}>
                  <td>{l.name} <small class="muted sku">{l.sku}</small></td>
                  <td class="num">{qtyText(t, l)}</td>
                  {open && <td class={'num' + (bad ? ' bad' : '')}>{qtyText(t, { qty: l.on_hand, unit: l.unit })}{bad && <small> · {t('o2o.short', { n: qtyText(t, { qty: l.qty - Math.max(l.free, 0), unit: l.unit }) })}</small>}</td>}
                </tr>
              );
            })}
          </tbody>
        ))}
      </table>
      {short > 0 && <p class="order-short" data-testid="order-short">{t('o2o.shortLines', { n: short })}</p>}
      {o.sale_id && <p class="good-note" data-testid="order-sale">{t('o2o.sale', { id: o.sale_id, amount: money(o.sale_total_minor ?? 0) })}</p>}
      {o.steps.length > 0 && (
        <ol class="transfer-history" data-testid="order-steps">
          {o.steps.map((s) => (
            <li data-step={s.step}>
              <span class="muted">{time(s.ts_ms)}</span> <strong>{t(`o2o.step.${s.step}` as MessageKey)}</strong>
              <span class="muted"> · {s.by}</span>
              {s.note && <span class="transfer-note"> · “{s.note}”</span>}
            </li>
          ))}
        </ol>
      )}
      {(actions.length > 0 || atTill) && (
        <div class="order-actions">
          {atTill && <span class="order-at-till" data-testid="order-at-till">{t('o2o.atTill', { qr: o.qr })}</span>}
          <span class="grow" />
          {actions.map((a) => (
            <button class={'btn ' + (a === 'reject' || a === 'cancel' ? 'danger' : 'primary')} onClick={() => onAction(a)} data-testid={'order-' + a}>{t(`o2o.${a}` as MessageKey)}</button>
          ))}
        </div>
      )}
    </li>
  );
}

/** Reject or cancel with a reason, or dispatch with a note (a waybill), in a dialog. */
function NoteDialog(p: TabProps & { action: OrderAction; order: Order; onClose: () => void; onDone: () => void }) {
  const { t, client, attempt, manager, action, order: o } = p;
  const [note, setNote] = useState('');
  const [sending, setSending] = useState(false);
  const needed = action !== 'dispatch';
  const submit = async (e: Event) => {
    e.preventDefault();
    if (sending || (needed && !note.trim())) return;
    const who = { user_id: manager.user_id, pin: manager.pin };
    const text = note.trim() || null;
    setSending(true);
    const ok = action === 'dispatch'
      ? await attempt(() => client.handOver(o.order_id, { note: text, ...who })).then((r) => r && t('o2o.dispatchDone', { id: o.order_id, amount: p.money(r.sale.total_minor) }))
      : await attempt(() => client.orderStep(o.order_id, { step: action, note: text, ...who })).then((r) => r && t(`o2o.${action}Done` as MessageKey, { id: o.order_id }));
    setSending(false);
    if (!ok) return;
    p.notify(ok);
    p.onDone();
  };
  return (
    <Dialog onClose={p.onClose}>
      <form class="order-dialog" data-testid={'order-' + action + '-dialog'} onSubmit={submit}>
        <h2>{t(`o2o.${action}Title` as MessageKey, { id: o.order_id })}</h2>
        <p class="muted">{t(`o2o.${action}Hint` as MessageKey)}</p>
        <label>{t(action === 'dispatch' ? 'o2o.waybill' : 'o2o.reason')}
          <input name="order-note" value={note} maxLength={200} autocomplete="off" autofocus onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        <div class="row">
          <button type="button" class="btn grow" onClick={p.onClose}>{t('common.cancel')}</button>
          <button class={'btn grow ' + (action === 'dispatch' ? 'primary' : 'danger')} disabled={sending || (needed && !note.trim())} data-testid="order-confirm">{t(`o2o.${action}` as MessageKey)}</button>
        </div>
      </form>
    </Dialog>
  );
}
