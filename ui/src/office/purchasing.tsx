// Purchasing (采购) on the Stock tab: the suppliers (added or replaced), a purchase order
// placed with a supplier (products scanned anywhere on the tab or typed, a quantity and a
// unit cost in yuan each), and the orders with their state and what is still to come per
// line. An open or partly received order is received here: the quantities start at what
// is outstanding and may be changed (less, or more than ordered); the state the receipt
// would leave is shown before it is posted. An open or partly received order may be
// amended (采购单修改: quantities and unit costs edited, not below what came; products
// added) or cancelled with a reason (采购单取消: what is still to come is closed, what came
// stays). The till service checks everything (an unknown SKU or supplier is refused with
// the reason) and nothing is recorded then.
import { useEffect, useState } from 'preact/hooks';
import type { PurchaseOrder, Supplier } from '../api/client';
import type { components } from '../api/schema';
import { formatMoney, parseMoney, type Locale, type MessageKey } from '../i18n';
import { storeTime } from '../storetime';
import type { TabProps } from './index';
import { parseQty } from './transfers';

type StockLine = components['schemas']['StockLineDto'];

// ---- pure helpers (unit-tested) ----

/** A product on the order form: quantity and unit cost as typed (yuan). */
export interface OrderDraftLine { sku: string; name: string; qty: string; cost: string; weighed?: boolean }

/** A product onto the order form: one already there gets `qty` more; a new one joins the
 *  end with the cost given (its last known cost, or empty to type). */
export function addOrderLine(lines: OrderDraftLine[], line: Omit<OrderDraftLine, 'qty'>, qty: number | null): OrderDraftLine[] {
  const i = lines.findIndex((l) => l.sku === line.sku);
  if (i < 0) return [...lines, { ...line, qty: qty === null ? '' : String(qty) }];
  if (qty === null) return lines;
  const had = parseQty(lines[i].qty, 0) ?? 0;
  return lines.map((l, j) => (j === i ? { ...l, qty: String(had + qty) } : l));
}

export type OrderProblem = 'empty' | 'qty' | 'cost' | 'supplier';
/** The lines the API takes (cost in minor units), or the first thing wrong. */
export function toOrderLines(supplier: string, entries: { sku: string; qty: string; cost: string }[]):
  { ok: true; lines: StockLine[] } | { ok: false; problem: OrderProblem; sku?: string } {
  if (!supplier.trim()) return { ok: false, problem: 'supplier' };
  if (entries.length === 0) return { ok: false, problem: 'empty' };
  const lines: StockLine[] = [];
  for (const e of entries) {
    const qty = parseQty(e.qty);
    if (qty === null) return { ok: false, problem: 'qty', sku: e.sku };
    const cost = parseMoney(e.cost);
    if (cost === null) return { ok: false, problem: 'cost', sku: e.sku };
    lines.push({ sku: e.sku, qty, unit_cost_minor: cost });
  }
  return { ok: true, lines };
}

/** Whether goods may still be received against an order. */
export function receivable(po: PurchaseOrder): boolean {
  return po.state === 'open' || po.state === 'partial';
}

/** Whether an order may still be amended or cancelled: not cancelled, something to come. */
export function amendable(po: PurchaseOrder): boolean {
  return po.state === 'open' || po.state === 'partial';
}

/** Minor units as yuan typed in a cost field: 180 → "1.80". */
export function yuan(minor: number): string {
  return (minor / 100).toFixed(2);
}

/** A line of the amend form: the quantity and unit cost as typed; `received` is what
 *  came of it (0 for a product joining the order, `added`). */
export interface AmendDraftLine { sku: string; qty: string; cost: string; received: number; added?: boolean }

/** The amend form to start from: each line at what is ordered and its cost. */
export function amendPrefill(po: PurchaseOrder): AmendDraftLine[] {
  return po.lines.map((l) => ({ sku: l.sku, qty: String(l.ordered), cost: yuan(l.unit_cost_minor), received: l.received }));
}

export type AmendProblem = 'qty' | 'cost' | 'below' | 'unchanged' | 'nothing';
/** The amendment the API takes: the lines changed or added (cost in minor units), or the
 *  first thing wrong. A line on the order may go to 0 if nothing came of it (dropped), or
 *  down to what came; a product added needs 1 or more. */
export function toAmendLines(po: PurchaseOrder, drafts: AmendDraftLine[]):
  { ok: true; lines: StockLine[] } | { ok: false; problem: AmendProblem; sku?: string } {
  const lines: StockLine[] = [];
  let ordered = 0;
  for (const d of drafts) {
    const qty = parseQty(d.qty, d.added ? 1 : 0);
    if (qty === null) return { ok: false, problem: 'qty', sku: d.sku };
    if (qty < d.received) return { ok: false, problem: 'below', sku: d.sku };
    const cost = parseMoney(d.cost);
    if (cost === null) return { ok: false, problem: 'cost', sku: d.sku };
    ordered += qty;
    const was = po.lines.find((l) => l.sku === d.sku);
    if (!was || was.ordered !== qty || was.unit_cost_minor !== cost) lines.push({ sku: d.sku, qty, unit_cost_minor: cost });
  }
  if (ordered === 0) return { ok: false, problem: 'nothing' };
  if (lines.length === 0) return { ok: false, problem: 'unchanged' };
  return { ok: true, lines };
}

/** The state an order would be in after an amendment. */
export function stateAfterAmend(po: PurchaseOrder, lines: StockLine[]): string {
  const kept = po.lines.map((l) => ({ ordered: lines.find((x) => x.sku === l.sku)?.qty ?? l.ordered, received: l.received }));
  return orderState([...kept, ...lines.filter((x) => !po.lines.some((l) => l.sku === x.sku)).map((x) => ({ ordered: x.qty, received: 0 }))]);
}

/** A cancellation's reason as the till service takes it (1 to 200 characters), or null. */
export function cancelReason(typed: string): string | null {
  const reason = typed.trim();
  return reason && [...reason].length <= 200 ? reason : null;
}

/** A line's product name in the page's language (the other language when it has none);
 *  empty when the catalog does not know the SKU. */
export function lineName(line: { name?: string | null; name_zh?: string | null }, locale: Locale): string {
  return (locale === 'zh-CN' ? line.name_zh || line.name : line.name || line.name_zh) ?? '';
}

/** A line's product: its name beside the SKU, or the SKU alone. */
function LineProduct({ line, locale }: { line: { sku: string; name?: string | null; name_zh?: string | null }; locale: Locale }) {
  const name = lineName(line, locale);
  return name ? <><span data-testid="po-line-name">{name}</span> <small class="muted sku">{line.sku}</small></> : <span class="muted sku">{line.sku}</span>;
}

/** The receive form's quantities to start from: what is outstanding per line. */
export function outstandingPrefill(po: PurchaseOrder): Record<string, string> {
  return Object.fromEntries(po.lines.map((l) => [l.sku, String(l.outstanding)]));
}

/** The receipt's lines (0 leaves a line out), or null when a quantity does not read or
 *  nothing would be received. */
export function toReceiveLines(po: PurchaseOrder, typed: Record<string, string>): StockLine[] | null {
  const lines: StockLine[] = [];
  for (const l of po.lines) {
    const qty = parseQty(typed[l.sku] ?? '', 0);
    if (qty === null) return null;
    if (qty > 0) lines.push({ sku: l.sku, qty });
  }
  return lines.length ? lines : null;
}

/** An order's state from its lines, as the till service reads it (core `po_state`). */
export function orderState(lines: { ordered: number; received: number }[]): 'open' | 'partial' | 'received' | 'over' {
  // (A cancelled order is `cancelled` whatever its lines say: the till service's `state`.)
  if (lines.every((l) => l.received === 0)) return 'open';
  if (lines.some((l) => l.received < l.ordered)) return 'partial';
  if (lines.some((l) => l.received > l.ordered)) return 'over';
  return 'received';
}

/** The state an order would be in after receiving `lines`. */
export function stateAfter(po: PurchaseOrder, lines: StockLine[]): string {
  return orderState(po.lines.map((l) => ({ ordered: l.ordered, received: l.received + (lines.find((x) => x.sku === l.sku)?.qty ?? 0) })));
}

/** The order form to start from a replenishment suggestion. */
export interface OrderPrefill { sku: string; qty: number; n: number }

// ---- the panels ----

/** The suppliers and the form that adds (or, with a known id, replaces) one. */
export function SuppliersPanel(p: TabProps & { suppliers: Supplier[] | null; onChange: () => void }) {
  const { t, client, attempt, manager } = p;
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [lead, setLead] = useState('2');
  const [phone, setPhone] = useState('');
  const leadDays = /^\d{1,3}$/.test(lead.trim()) ? Number(lead.trim()) : null;
  return (
    <section class="card" data-testid="suppliers">
      <h1>{t('office.po.suppliers')}</h1>
      {p.suppliers && p.suppliers.length === 0 && <p class="muted">{t('office.po.noSuppliers')}</p>}
      {p.suppliers && p.suppliers.length > 0 && (
        <table class="table" data-testid="supplier-list">
          <thead><tr><th>{t('office.po.supplierId')}</th><th>{t('office.po.supplierName')}</th><th class="num">{t('office.po.leadTime')}</th><th>{t('office.po.phone')}</th></tr></thead>
          <tbody>{p.suppliers.map((s) => (
            <tr data-testid="supplier"><td class="muted sku">{s.supplier_id}</td><td>{s.name}</td><td class="num">{t('office.po.days', { n: s.lead_time_days })}</td><td>{s.phone ?? ''}</td></tr>
          ))}</tbody>
        </table>
      )}
      <form class="entry-form" data-testid="supplier-form" onSubmit={async (e) => {
        e.preventDefault();
        if (!id.trim() || !name.trim() || leadDays === null) return;
        const saved = await attempt(() => client.putSupplier({ supplier: { supplier_id: id.trim(), name: name.trim(), lead_time_days: leadDays, phone: phone.trim() || null }, user_id: manager.user_id, pin: manager.pin }));
        if (!saved) return;
        p.notify(t('office.po.supplierSaved', { name: saved.name }));
        setId(''), setName(''), setPhone('');
        p.onChange();
      }}>
        <h2>{t('office.po.addSupplier')}</h2>
        <div class="row">
          <label class="narrow-field">{t('office.po.supplierId')}<input name="supplier-id" value={id} autocomplete="off" placeholder="COKE" onInput={(e) => setId(e.currentTarget.value.toUpperCase())} /></label>
          <label class="grow">{t('office.po.supplierName')}<input name="supplier-name" value={name} autocomplete="off" onInput={(e) => setName(e.currentTarget.value)} /></label>
        </div>
        <div class="row">
          <label class="narrow-field">{t('office.po.leadTime')}<input name="supplier-lead" inputMode="numeric" value={lead} autocomplete="off" class={leadDays === null ? 'invalid' : ''} onInput={(e) => setLead(e.currentTarget.value)} /></label>
          <label class="grow">{t('office.po.phone')}<input name="supplier-phone" inputMode="tel" value={phone} autocomplete="off" onInput={(e) => setPhone(e.currentTarget.value)} /></label>
        </div>
        <button class="btn primary wide" disabled={!id.trim() || !name.trim() || leadDays === null} data-testid="supplier-save">{t('office.po.saveSupplier')}</button>
      </form>
    </section>
  );
}

/** The purchase orders, receiving against them, and the form for a new one. */
export function PurchaseOrdersPanel(p: TabProps & { suppliers: Supplier[] | null; prefill: OrderPrefill | null; takesScans: boolean; onOrdered: () => void }) {
  const { t, client, attempt } = p;
  const [orders, setOrders] = useState<PurchaseOrder[] | null>(null);
  // One form open at a time under an order: receive, amend or cancel.
  const [open, setOpen] = useState<{ po: string; form: 'receive' | 'amend' | 'cancel' } | null>(null);
  const load = () => attempt(() => client.purchaseOrders()).then((x) => x && setOrders(x));
  useEffect(() => { load(); }, []);
  const changed = (next: PurchaseOrder) => {
    setOrders((old) => old && old.map((x) => (x.po_id === next.po_id ? next : x)));
    setOpen(null);
    p.onOrdered();
  };
  const amending = open?.form === 'amend';
  const button = (o: PurchaseOrder, form: 'receive' | 'amend' | 'cancel', label: string) => (
    <button class="btn" data-testid={`po-${form}`} onClick={() => setOpen({ po: o.po_id, form })}>{label}</button>
  );
  return (
    <section class="card purchasing" data-testid="purchase-orders">
      <OrderForm {...p} takesScans={p.takesScans && !amending} onOrdered={() => (load(), p.onOrdered())} />
      <h1>{t('office.po.orders')}</h1>
      {orders && orders.length === 0 && <p class="muted">{t('office.po.noOrders')}</p>}
      {orders && orders.length > 0 && (
        <table class="table" data-testid="po-list">
          <thead><tr><th>{t('office.po.order')}</th><th>{t('office.po.supplier')}</th><th>{t('office.stock.name')}</th><th class="num">{t('office.po.ordered')}</th><th class="num">{t('office.po.received')}</th><th class="num">{t('office.po.outstanding')}</th><th>{t('office.po.state')}</th><th /></tr></thead>
          {orders.map((o) => (
            <tbody data-testid="po" data-po={o.po_id} data-state={o.state}>
              {o.lines.map((l, i) => (
                <tr data-testid="po-line" data-sku={l.sku}>
                  {i === 0 && <td rowSpan={o.lines.length}><span class="sku">{o.po_id}</span><br /><small class="muted">{storeTime(o.ordered_ms, p.offsetMin, p.locale)}</small>
                    {o.amended_ms != null && <><br /><small class="muted" data-testid="po-amended">{t('office.po.amendedAt', { time: storeTime(o.amended_ms, p.offsetMin, p.locale) })}</small></>}</td>}
                  {i === 0 && <td rowSpan={o.lines.length}>{supplierName(p.suppliers, o.supplier_id)}</td>}
                  <td><LineProduct line={l} locale={p.locale} /></td><td class="num" data-testid="po-ordered">{l.ordered}</td>
                  <td class="num">{l.received}{l.over > 0 && <small class="good"> (+{l.over})</small>}</td>
                  <td class={'num' + (l.outstanding > 0 ? ' bad' : '')} data-testid="po-outstanding">{l.outstanding}{l.closed > 0 && <small class="muted" data-testid="po-closed"> {t('office.po.closed', { n: l.closed })}</small>}</td>
                  {i === 0 && <td rowSpan={o.lines.length}><span class={'po-state ' + o.state} data-testid="po-state">{t(`office.po.state.${o.state}` as MessageKey)}</span>
                    {o.cancel_reason && <><br /><small class="muted" data-testid="po-cancel-reason">{o.cancel_reason}</small></>}</td>}
                  {i === 0 && <td rowSpan={o.lines.length} class="num">{open?.po !== o.po_id && amendable(o) && <div class="po-actions">
                    {receivable(o) && button(o, 'receive', t('office.po.receive'))}
                    {button(o, 'amend', t('office.po.amend'))}
                    {button(o, 'cancel', t('office.po.cancelOrder'))}
                  </div>}</td>}
                </tr>
              ))}
              {open?.po === o.po_id && (
                <tr><td colSpan={8}>
                  {open.form === 'receive' && <ReceiveForm {...p} order={o} onClose={() => setOpen(null)} onReceived={changed} />}
                  {open.form === 'amend' && <AmendForm {...p} order={o} onClose={() => setOpen(null)} onAmended={changed} />}
                  {open.form === 'cancel' && <CancelForm {...p} order={o} onClose={() => setOpen(null)} onCancelled={changed} />}
                </td></tr>
              )}
            </tbody>
          ))}
        </table>
      )}
    </section>
  );
}

function supplierName(suppliers: Supplier[] | null, id: string): string {
  const s = suppliers?.find((x) => x.supplier_id === id);
  return s ? `${s.name} (${id})` : id;
}

function OrderForm(p: TabProps & { suppliers: Supplier[] | null; prefill: OrderPrefill | null; takesScans: boolean; onOrdered: () => void }) {
  const { t, locale, client, attempt, manager } = p;
  const [supplier, setSupplier] = useState('');
  const [lines, setLines] = useState<OrderDraftLine[]>([]);
  const [code, setCode] = useState('');
  const [count, setCount] = useState('');
  const [problem, setProblem] = useState<{ key: OrderProblem; sku?: string } | null>(null);
  const [sending, setSending] = useState(false);
  const pick = supplier || p.suppliers?.[0]?.supplier_id || '';
  // A product typed (SKU or barcode) or scanned joins the lines. A code the catalog does
  // not know joins as typed: the till service refuses the order with the reason.
  const addProduct = async (text: string, typedQty: number | null) => {
    const typed = text.trim();
    if (!typed) return;
    const entry = await client.catalogEntry(typed).then((e) => e.product, () => null);
    const found = entry ?? (await client.scan(typed).then((s) => s.product, () => null));
    const line = found
      ? { sku: found.sku, name: locale === 'zh-CN' ? found.name_zh || found.name : found.name, cost: '', weighed: found.unit === 'kg' }
      : { sku: typed, name: t('office.po.unknown'), cost: '' };
    setLines((old) => addOrderLine(old, line, typedQty ?? (line.weighed ? null : 1)));
    setCode(''), setCount(''), setProblem(null);
  };
  useEffect(() => {
    if (p.prefill) {
      const { sku, qty } = p.prefill;
      addProduct(sku, null).then(() => setLines((old) => old.map((l) => (l.sku === sku ? { ...l, qty: String(qty) } : l))));
      document.querySelector('[data-testid=po-form]')?.scrollIntoView({ block: 'start' });
    }
  }, [p.prefill?.n]);
  if (p.takesScans) p.scanInto.current = (scanned) => { addProduct(scanned, null); };
  const typedCount = count.trim() ? parseQty(count) : null;
  const set = (sku: string, field: 'qty' | 'cost', value: string) => (setLines((old) => old.map((l) => (l.sku === sku ? { ...l, [field]: value } : l))), setProblem(null));
  const total = lines.reduce((sum, l) => {
    const qty = parseQty(l.qty), cost = parseMoney(l.cost);
    return qty === null || cost === null ? sum : sum + Math.round(l.weighed ? (qty * cost) / 1000 : qty * cost);
  }, 0);
  return (
    <form data-testid="po-form" onSubmit={async (e) => {
      e.preventDefault();
      if (sending) return;
      const built = toOrderLines(pick, lines);
      if (!built.ok) return setProblem({ key: built.problem, sku: built.sku });
      setSending(true);
      const placed = await attempt(() => client.placeOrder({ supplier_id: pick, lines: built.lines, user_id: manager.user_id, pin: manager.pin }));
      setSending(false);
      if (!placed) return;
      setLines([]);
      p.notify(t('office.po.placed', { id: placed.po_id }));
      p.onOrdered();
    }}>
      <h1>{t('office.po.newOrder')}</h1>
      <label>{t('office.po.supplier')}
        <select name="po-supplier" value={pick} onChange={(e) => (setSupplier(e.currentTarget.value), setProblem(null))}>
          {(p.suppliers ?? []).map((s) => <option value={s.supplier_id}>{s.name} ({s.supplier_id})</option>)}
        </select>
      </label>
      <div class="row">
        <label class="grow">{t('office.stock.code')}<input name="po-code" value={code} autocomplete="off" onInput={(e) => setCode(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); if (typedCount !== null || !count.trim()) addProduct(code, typedCount); } }} /></label>
        <label class="narrow-field">{t('office.po.qty')}<input name="po-qty" inputMode="numeric" value={count} placeholder="1" autocomplete="off" onInput={(e) => setCount(e.currentTarget.value)} /></label>
        <button type="button" class="btn" disabled={!code.trim() || (count.trim() !== '' && typedCount === null)} onClick={() => addProduct(code, typedCount)} data-testid="po-add">{t('office.po.add')}</button>
      </div>
      <p class="muted">{t('office.po.scanHint')}</p>
      {lines.length > 0 && (
        <table class="table" data-testid="po-draft">
          <thead><tr><th>{t('office.stock.name')}</th><th class="num">{t('office.po.qty')}</th><th class="num">{t('office.po.unitCost')}</th><th /></tr></thead>
          <tbody>{lines.map((l) => (
            <tr data-testid="po-draft-line" data-sku={l.sku}>
              <td>{l.name} <small class="muted sku">{l.sku}</small></td>
              <td class="num"><input name={`po-qty-${l.sku}`} class={'qty-input' + (parseQty(l.qty) === null ? ' invalid' : '')} inputMode="numeric" value={l.qty} aria-label={t('office.po.qty')} autocomplete="off" onInput={(e) => set(l.sku, 'qty', e.currentTarget.value)} />{l.weighed && <span class="muted"> g</span>}</td>
              <td class="num"><input name={`po-cost-${l.sku}`} class={'qty-input' + (l.cost.trim() && parseMoney(l.cost) === null ? ' invalid' : '')} inputMode="decimal" value={l.cost} placeholder="0.00" aria-label={t('office.po.unitCost')} autocomplete="off" onInput={(e) => set(l.sku, 'cost', e.currentTarget.value)} /></td>
              <td class="num"><button type="button" class="btn" aria-label={t('office.po.remove')} data-testid="po-remove" onClick={() => (setLines((old) => old.filter((x) => x.sku !== l.sku)), setProblem(null))}>✕</button></td>
            </tr>
          ))}</tbody>
          <tfoot><tr><td colSpan={2}>{t('office.po.total')}</td><td class="num" data-testid="po-total">{formatMoney(total, locale)}</td><td /></tr></tfoot>
        </table>
      )}
      {problem && <p class="field-problem" role="alert" data-testid="po-problem">{t(`office.po.bad.${problem.key}` as MessageKey, { sku: problem.sku ?? '' })}</p>}
      <button class="btn primary wide" disabled={sending || lines.length === 0} data-testid="po-submit">{t('office.po.place')}</button>
    </form>
  );
}

function ReceiveForm(p: TabProps & { order: PurchaseOrder; onClose: () => void; onReceived: (po: PurchaseOrder) => void }) {
  const { t, client, attempt, manager, order } = p;
  const [typed, setTyped] = useState(() => outstandingPrefill(order));
  const [sending, setSending] = useState(false);
  const lines = toReceiveLines(order, typed);
  const after = lines ? stateAfter(order, lines) : null;
  return (
    <form class="po-receive" data-testid="po-receive-form" onSubmit={async (e) => {
      e.preventDefault();
      if (!lines || sending) return;
      setSending(true);
      const next = await attempt(() => client.receiveOrder(order.po_id, { lines, user_id: manager.user_id, pin: manager.pin }));
      setSending(false);
      if (!next) return;
      p.notify(t('office.po.receivedDone', { id: next.po_id, state: t(`office.po.state.${next.state}` as MessageKey) }));
      p.onReceived(next);
    }}>
      <strong>{t('office.po.receiveTitle', { id: order.po_id })}</strong>
      <div class="row wrap">
        {order.lines.map((l) => (
          <label class="narrow-field"><LineProduct line={l} locale={p.locale} />
            <input name={`receive-${l.sku}`} inputMode="numeric" value={typed[l.sku] ?? ''} autocomplete="off" class={parseQty(typed[l.sku] ?? '', 0) === null ? 'invalid' : ''}
              onInput={(e) => { const v = e.currentTarget.value; setTyped((old) => ({ ...old, [l.sku]: v })); }} />
          </label>
        ))}
      </div>
      <p class="muted" data-testid="po-after">{after ? t('office.po.after', { state: t(`office.po.state.${after}` as MessageKey) }) : t('office.po.nothing')}</p>
      <div class="row">
        <button type="button" class="btn" onClick={p.onClose}>{t('office.po.cancel')}</button>
        <button class="btn primary grow" disabled={!lines || sending} data-testid="po-receive-submit">{t('office.po.postReceipt')}</button>
      </div>
    </form>
  );
}

function AmendForm(p: TabProps & { order: PurchaseOrder; takesScans: boolean; onClose: () => void; onAmended: (po: PurchaseOrder) => void }) {
  const { t, client, attempt, manager, order } = p;
  const [drafts, setDrafts] = useState(() => amendPrefill(order));
  // Names of the order's products, and of those added here as they are found.
  const [names, setNames] = useState<Record<string, { name?: string | null; name_zh?: string | null }>>(() => Object.fromEntries(order.lines.map((l) => [l.sku, l])));
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<{ key: AmendProblem; sku?: string } | null>(null);
  const [sending, setSending] = useState(false);
  const built = toAmendLines(order, drafts);
  const after = built.ok ? stateAfterAmend(order, built.lines) : null;
  // A product typed or scanned joins the order (the till service refuses one the
  // catalog does not know); one already on it is left for its quantity to be edited.
  const addProduct = async (text: string) => {
    const typed = text.trim();
    if (!typed) return;
    const entry = await client.catalogEntry(typed).then((e) => e.product, () => null);
    const found = entry ?? (await client.scan(typed).then((s) => s.product, () => null));
    const sku = found?.sku ?? typed;
    setNames((old) => (found ? { ...old, [sku]: { name: found.name, name_zh: found.name_zh } } : old));
    setDrafts((old) => (old.some((d) => d.sku === sku) ? old : [...old, { sku, qty: '', cost: '', received: 0, added: true }]));
    setCode(''), setProblem(null);
  };
  if (p.takesScans) p.scanInto.current = (scanned) => { addProduct(scanned); };
  const set = (sku: string, field: 'qty' | 'cost', value: string) => (setDrafts((old) => old.map((d) => (d.sku === sku ? { ...d, [field]: value } : d))), setProblem(null));
  return (
    <form class="po-receive" data-testid="po-amend-form" onSubmit={async (e) => {
      e.preventDefault();
      if (sending) return;
      if (!built.ok) return setProblem({ key: built.problem, sku: built.sku });
      setSending(true);
      const next = await attempt(() => client.amendOrder(order.po_id, { lines: built.lines, user_id: manager.user_id, pin: manager.pin }));
      setSending(false);
      if (!next) return;
      p.notify(t('office.po.amendedDone', { id: next.po_id, state: t(`office.po.state.${next.state}` as MessageKey) }));
      p.onAmended(next);
    }}>
      <strong>{t('office.po.amendTitle', { id: order.po_id })}</strong>
      <table class="table">
        <thead><tr><th>{t('office.stock.name')}</th><th class="num">{t('office.po.qty')}</th><th class="num">{t('office.po.unitCost')}</th><th class="num">{t('office.po.received')}</th></tr></thead>
        <tbody>{drafts.map((d) => (
          <tr data-testid="po-amend-line" data-sku={d.sku}>
            <td><LineProduct line={{ sku: d.sku, ...names[d.sku] }} locale={p.locale} /></td>
            <td class="num"><input name={`amend-qty-${d.sku}`} class={'qty-input' + (parseQty(d.qty, d.added ? 1 : 0) === null ? ' invalid' : '')} inputMode="numeric" value={d.qty} aria-label={t('office.po.qty')} autocomplete="off" onInput={(e) => set(d.sku, 'qty', e.currentTarget.value)} /></td>
            <td class="num"><input name={`amend-cost-${d.sku}`} class={'qty-input' + (d.cost.trim() && parseMoney(d.cost) === null ? ' invalid' : '')} inputMode="decimal" value={d.cost} placeholder="0.00" aria-label={t('office.po.unitCost')} autocomplete="off" onInput={(e) => set(d.sku, 'cost', e.currentTarget.value)} /></td>
            <td class="num">{d.received}</td>
          </tr>
        ))}</tbody>
      </table>
      <div class="row">
        <label class="grow">{t('office.po.amendAdd')}<input name="amend-code" value={code} autocomplete="off" onInput={(e) => setCode(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); addProduct(code); } }} /></label>
        <button type="button" class="btn" disabled={!code.trim()} onClick={() => addProduct(code)} data-testid="po-amend-add">{t('office.po.add')}</button>
      </div>
      <p class="muted" data-testid="po-amend-after">{after ? t('office.po.after', { state: t(`office.po.state.${after}` as MessageKey) }) : t('office.po.amendHint')}</p>
      {problem && <p class="field-problem" role="alert" data-testid="po-amend-problem">{t(`office.po.amendBad.${problem.key}` as MessageKey, { sku: problem.sku ?? '' })}</p>}
      <div class="row">
        <button type="button" class="btn" onClick={p.onClose}>{t('office.po.cancel')}</button>
        <button class="btn primary grow" disabled={sending} data-testid="po-amend-submit">{t('office.po.saveAmendment')}</button>
      </div>
    </form>
  );
}

function CancelForm(p: TabProps & { order: PurchaseOrder; onClose: () => void; onCancelled: (po: PurchaseOrder) => void }) {
  const { t, client, attempt, manager, order } = p;
  const [typed, setTyped] = useState('');
  const [sending, setSending] = useState(false);
  const reason = cancelReason(typed);
  const closing = order.lines.reduce((n, l) => n + l.outstanding, 0);
  return (
    <form class="po-receive" data-testid="po-cancel-form" onSubmit={async (e) => {
      e.preventDefault();
      if (!reason || sending) return;
      setSending(true);
      const next = await attempt(() => client.cancelOrder(order.po_id, { reason, user_id: manager.user_id, pin: manager.pin }));
      setSending(false);
      if (!next) return;
      p.notify(t('office.po.cancelledDone', { id: next.po_id }));
      p.onCancelled(next);
    }}>
      <strong>{t('office.po.cancelTitle', { id: order.po_id })}</strong>
      <p class="muted">{t('office.po.cancelHint', { n: closing })}</p>
      <label>{t('office.po.reason')}<input name="cancel-reason" value={typed} maxLength={200} autocomplete="off" onInput={(e) => setTyped(e.currentTarget.value)} /></label>
      <div class="row">
        <button type="button" class="btn" onClick={p.onClose}>{t('office.po.keepOrder')}</button>
        <button class="btn danger grow" disabled={!reason || sending} data-testid="po-cancel-submit">{t('office.po.cancelOrder')}</button>
      </div>
    </form>
  );
}
