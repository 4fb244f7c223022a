// Handing an online order over at the till: the customer shows the order's QR code
// (`OTO:…`), scanned like any code on the sale screen. The dialog shows the order (the
// customer, what they ordered, where it stands); when the till service allows it, the
// cashier hands it over with their own ID and PIN (asked for when the till no longer holds
// the PIN, after a reload). The sale is recorded by the till service, paid online through
// the order's channel, and its receipt offered like any completed sale's. Otherwise the
// dialog says why the order cannot be handed over.
import { useState } from 'preact/hooks';
import type { Client, Handover, Order, Sale } from './api/client';
import type { MessageKey } from './i18n';
import { qtyText } from './office/orders';
import { Dialog, type Attempt, type Money, type T } from './widgets';

/** Why an order cannot be handed over now, as a message key with its parameters; null
 *  when it can. */
export function whyNotHandover(o: Order, money: Money): { key: MessageKey; params: Record<string, string> } | null {
  if (o.next.includes('handover')) return null;
  if (o.sale_id) return { key: 'o2o.till.already', params: { state: o.state_label, sale: o.sale_id, amount: money(o.sale_total_minor ?? 0) } };
  if (o.state === 'cancelled') {
    const reason = o.online_cancel_reason ?? [...o.steps].reverse().find((s) => s.step === 'cancelled')?.note ?? '';
    return { key: reason ? 'o2o.till.cancelledWhy' : 'o2o.till.cancelled', params: { reason } };
  }
  if (o.state === 'rejected') return { key: 'o2o.till.rejected', params: {} };
  return { key: 'o2o.till.notReady', params: { state: o.state_label } };
}

export function HandoverDialog(p: { t: T; money: Money; client: Client; attempt: Attempt; order: Order; userId: string; pin: string; onClose: () => void; onReceipt: (sale: Sale) => void }) {
  const { t, money, order: o } = p;
  const [pin, setPin] = useState('');
  const [done, setDone] = useState<Handover | null>(null);
  const [sending, setSending] = useState(false);
  const shown = done?.order ?? o;
  const why = done ? null : whyNotHandover(o, money);
  const delivery = o.fulfilment === 'delivery';
  const online = done?.sale.tenders.find((x) => x.kind === 'online');
  const handOver = async (e: Event) => {
    e.preventDefault();
    if (sending) return;
    setSending(true);
    const r = await p.attempt(() => p.client.handOver(o.order_id, { user_id: p.userId, pin: p.pin || pin }));
    setSending(false);
    if (r) setDone(r);
  };
  return (
    <Dialog onClose={p.onClose}>
      <form class="handover" data-testid="handover" data-state={shown.state} onSubmit={handOver}>
        <div class="order-head">
          <h2>{t('o2o.till.title', { id: o.order_id })}</h2>
          <span class="grow" />
          <span class={'order-state ' + shown.state} data-testid="handover-state">{shown.state_label}</span>
        </div>
        <p class="handover-customer" data-testid="handover-customer">
          <strong>{o.customer_name}</strong> · <span class="sku">{o.customer_phone}</span>
          <span class="muted"> · {o.channel} · {t(delivery ? 'o2o.delivery' : 'o2o.pickup')}</span>
        </p>
        {o.note && <p class="order-note">{t('o2o.note', { note: o.note })}</p>}
        <table class="table order-lines" data-testid="handover-lines">
          <tbody>{o.lines.map((l) => (
            <tr><td>{l.name} <small class="muted sku">{l.sku}</small></td><td class="num">× {qtyText(t, l)}</td></tr>
          ))}</tbody>
        </table>
        {shown.conflict && <p class="order-conflict" role="note">{t('o2o.conflict', { reason: shown.online_cancel_reason ?? '' })}</p>}
        {done && (
          <div class="handover-done" data-testid="handover-done">
            <div class="handover-total"><small>{t(delivery ? 'o2o.till.dispatched' : 'o2o.till.handedOver')}</small><strong data-testid="handover-total">{money(done.sale.total_minor)}</strong></div>
            <p data-testid="handover-paid">{online ? t('o2o.till.paidOnline', { channel: o.channel }) : t('o2o.till.paid')} · <span class="sku">{done.sale.sale_id}</span></p>
            {!done.sale.new && <p class="muted">{t('o2o.till.again')}</p>}
          </div>
        )}
        {why && <p class="print-problem" role="alert" data-testid="handover-why">{t(why.key, why.params)}</p>}
        {!done && !why && !p.pin && (
          <label>{t('o2o.till.pin', { user: p.userId })}<input name="handover-pin" type="password" inputMode="numeric" value={pin} autocomplete="off" autofocus onInput={(e) => setPin(e.currentTarget.value)} /></label>
        )}
        <div class="row">
          {done ? (
            <>
              <button type="button" class="btn grow" onClick={p.onClose} data-testid="handover-close">{t('common.ok')}</button>
              <button type="button" class="btn primary grow" onClick={() => p.onReceipt(done.sale)} data-testid="handover-receipt">{t('o2o.till.receipt')}</button>
            </>
          ) : (
            <>
              <button type="button" class="btn grow" onClick={p.onClose} data-testid="handover-cancel">{t(why ? 'common.ok' : 'common.cancel')}</button>
              {!why && <button class="btn primary grow" disabled={sending || (!p.pin && !pin)} data-testid="handover-submit">{t(delivery ? 'o2o.till.dispatch' : 'o2o.till.submit')}</button>}
            </>
          )}
        </div>
      </form>
    </Dialog>
  );
}

