// Transfers between stores (调拨): what is coming in and going out, with each one's state,
// what is on the road, what arrived short or over, and its history in the store's time.
// A request from another store is shipped from here (quantities as asked, editable) or
// cancelled; a transfer on its way here is received (quantities as shipped, editable, the
// variance shown before it is posted). Two forms: ask another store for goods, and ship
// to a store nobody asked. Products are scanned anywhere on the tab or typed. The till
// service checks every step and refuses with the reason; the list is read again after
// each step and every few seconds while the tab is open.
import { useState } from 'preact/hooks';
import type { Transfer, Transfers } from '../api/client';
import type { components } from '../api/schema';
import type { MessageKey } from '../i18n';
import { storeTime } from '../storetime';
import { Dialog, type T, usePolled } from '../widgets';
import type { TabProps } from './index';

type TransferLine = components['schemas']['TransferLineDto'];

// ---- pure helpers (unit-tested) ----

/** The most of one product a transfer line may carry (pieces, or grams). */
export const MAX_QTY = 1_000_000;

/** A whole number from `min` to 1,000,000, or null. */
export function parseQty(text: string, min = 1): number | null {
  const s = text.trim();
  if (!/^\d{1,7}$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= MAX_QTY ? n : null;
}

/** A product on a form with the quantity typed (text until it is sent). */
export interface DraftLine { sku: string; name: string; qty: string; weighed?: boolean }

/** `qty` more of a product (a scan adds one): a product already on the form gets it added
 *  to what it had; a new one joins the end. `null` adds the product with no quantity yet
 *  (a weighed product: its grams are typed). */
export function addLine(lines: DraftLine[], line: Omit<DraftLine, 'qty'>, qty: number | null = 1): DraftLine[] {
  const i = lines.findIndex((l) => l.sku === line.sku);
  if (i < 0) return [...lines, { ...line, qty: qty === null ? '' : String(Math.min(qty, MAX_QTY)) }];
  if (qty === null) return lines;
  const had = parseQty(lines[i].qty, 0) ?? 0;
  return lines.map((l, j) => (j === i ? { ...l, qty: String(Math.min(had + qty, MAX_QTY)) } : l));
}

/** The form's lines with one quantity retyped. */
export function setLineQty(lines: DraftLine[], sku: string, qty: string): DraftLine[] {
  return lines.map((l) => (l.sku === sku ? { ...l, qty } : l));
}

/** How quantities are read: a new transfer's (1 and up), a shipment against a request
 *  (0 leaves a product out) or a receipt (0: none of it arrived, kept). */
export type QtyMode = 'new' | 'ship' | 'receive';
export type LinesProblem = 'empty' | 'qty' | 'arrived';
export type BuiltLines = { ok: true; lines: TransferLine[] } | { ok: false; problem: LinesProblem; sku?: string };

/** The lines the API takes from SKUs and typed quantities, or what is wrong first. */
export function toLines(entries: { sku: string; qty: string }[], mode: QtyMode): BuiltLines {
  const lines: TransferLine[] = [];
  for (const e of entries) {
    const qty = parseQty(e.qty, mode === 'new' ? 1 : 0);
    if (qty === null) return { ok: false, problem: mode === 'receive' ? 'arrived' : 'qty', sku: e.sku };
    if (qty === 0 && mode === 'ship') continue;
    lines.push({ sku: e.sku, qty });
  }
  return lines.length === 0 ? { ok: false, problem: 'empty' } : { ok: true, lines };
}

/** A ship or receive dialog's quantities to start from: what was requested, or what was shipped. */
export function prefill(t: Transfer, from: 'requested' | 'shipped'): Record<string, string> {
  return Object.fromEntries(t.lines.filter((l) => l[from] > 0).map((l) => [l.sku, String(l[from])]));
}

export interface PreviewLine { sku: string; name: string; shipped: number; arrived: number | null; variance: number | null }
/** What posting a receipt would record: per line what arrived less what was shipped
 *  (negative: short), and the totals short and over. `ok` once every quantity reads. */
export function previewReceipt(t: Transfer, arrived: Record<string, string>): { lines: PreviewLine[]; short: number; over: number; ok: boolean } {
  const lines = t.lines.filter((l) => l.shipped > 0).map((l): PreviewLine => {
    const n = parseQty(arrived[l.sku] ?? '', 0);
    return { sku: l.sku, name: l.name, shipped: l.shipped, arrived: n, variance: n === null ? null : n - l.shipped };
  });
  const short = lines.reduce((a, l) => a + Math.max(0, -(l.variance ?? 0)), 0);
  const over = lines.reduce((a, l) => a + Math.max(0, l.variance ?? 0), 0);
  return { lines, short, over, ok: lines.length > 0 && lines.every((l) => l.arrived !== null) };
}

/** Which transfers a list shows. */
export type Direction = 'all' | 'in' | 'out';

/** The transfers of a direction, still moving (requested, in transit) and done (received,
 *  cancelled), each in the API's order (most recently moved first). */
export function groupTransfers(list: Transfer[], direction: Direction): { open: Transfer[]; done: Transfer[] } {
  const shown = list.filter((x) => direction === 'all' || x.direction === direction);
  const moving = (x: Transfer) => x.state === 'requested' || x.state === 'in_transit';
  return { open: shown.filter(moving), done: shown.filter((x) => !moving(x)) };
}

/** How many transfers each filter shows. */
export function countByDirection(list: Transfer[]): Record<Direction, number> {
  return { all: list.length, in: list.filter((x) => x.direction === 'in').length, out: list.filter((x) => x.direction === 'out').length };
}

export type Action = 'ship' | 'receive' | 'cancel';
/** What this store can do with a transfer: ship a request made of it, receive what is on
 *  its way here, cancel anything not yet shipped. The till service checks it again. */
export function actionsFor(x: Transfer): Action[] {
  if (x.state === 'requested') return x.direction === 'out' ? ['ship', 'cancel'] : ['cancel'];
  if (x.state === 'in_transit' && x.direction === 'in') return ['receive'];
  return [];
}

export type Column = 'requested' | 'shipped' | 'in_transit' | 'received' | 'variance';
/** The quantity columns worth showing for a transfer in its state. */
export function columnsFor(x: Transfer): Column[] {
  const asked = x.lines.some((l) => l.requested > 0);
  const shipped = x.lines.some((l) => l.shipped > 0);
  if (x.state === 'requested') return ['requested'];
  if (x.state === 'in_transit') return [...(asked ? ['requested' as const] : []), 'shipped', 'in_transit'];
  if (x.state === 'received') return [...(asked ? ['requested' as const] : []), 'shipped', 'received', 'variance'];
  return shipped ? ['requested', 'shipped'] : ['requested'];
}

/** Why a store named on a form will not do, if it will not. */
export function storeProblem(store: string, self: string): 'store' | 'sameStore' | null {
  const s = store.trim();
  if (!s || /\s/.test(s)) return 'store';
  return s === self ? 'sameStore' : null;
}

// ---- the tab ----

/** How often the list is read again while the tab is open. */
const REFRESH_MS = 10_000;
const DIRECTIONS = ['all', 'in', 'out'] as const;

export function TransfersTab(p: TabProps) {
  const { t, locale, client, attempt, offsetMin } = p;
  const { data, at, stale, refresh } = usePolled<Transfers>(() => client.transfers(), attempt, REFRESH_MS, [locale]);
  const [direction, setDirection] = useState<Direction>('all');
  const [mode, setMode] = useState<'request' | 'ship'>('request');
  const [acting, setActing] = useState<{ action: Action; transfer: Transfer } | null>(null);

  const time = (ms: number) => storeTime(ms, offsetMin, locale);
  const list = data?.transfers ?? [];
  const counts = countByDirection(list);
  const { open, done } = groupTransfers(list, direction);
  const group = (key: 'open' | 'done', rows: Transfer[]) => rows.length > 0 && (
    <div class="transfers-group" data-group={key}>
      <h2>{t(`office.transfers.${key}` as MessageKey)} <span class="muted">{rows.length}</span></h2>
      <ul class="transfers-items">
        {rows.map((x) => <TransferItem t={t} time={time} transfer={x} onAction={(action) => setActing({ action, transfer: x })} />)}
      </ul>
    </div>
  );
  return (
    <div class="transfers-office" data-testid="transfers-tab">
      <section class="card transfers-lists">
        <div class="office-head">
          <h1>{t('office.transfers.title')}{data ? <span class="muted transfers-self"> · {data.store_id}</span> : null}</h1>
          {data && <span class={stale ? 'print-problem' : 'muted'} data-testid="transfers-updated">{t(stale ? 'office.transfers.stale' : 'office.transfers.updated', { time: time(at) })}</span>}
        </div>
        <nav class="transfers-filter" role="tablist">
          {DIRECTIONS.map((d) => (
            <button class={'btn tab' + (direction === d ? ' active' : '')} role="tab" aria-selected={direction === d} onClick={() => setDirection(d)} data-testid={'transfers-filter-' + d}>
              {t(`office.transfers.filter.${d}` as MessageKey)} <span class="muted">{counts[d]}</span>
            </button>
          ))}
        </nav>
        {data && list.length === 0 && <p class="muted" data-testid="transfers-empty">{t('office.transfers.none')}</p>}
        {data && list.length > 0 && open.length + done.length === 0 && <p class="muted">{t('office.transfers.noneHere')}</p>}
        {group('open', open)}
        {group('done', done)}
      </section>
      <section class="card transfers-form">
        <nav class="promos-mode" role="tablist">
          <button class={'btn tab' + (mode === 'request' ? ' active' : '')} role="tab" aria-selected={mode === 'request'} onClick={() => setMode('request')} data-testid="transfers-mode-request">{t('office.transfers.new.request')}</button>
          <button class={'btn tab' + (mode === 'ship' ? ' active' : '')} role="tab" aria-selected={mode === 'ship'} onClick={() => setMode('ship')} data-testid="transfers-mode-ship">{t('office.transfers.new.ship')}</button>
        </nav>
        <NewTransferForm key={mode} {...p} mode={mode} self={data?.store_id ?? ''} stores={data?.stores ?? []} scanning={!acting} onDone={refresh} />
      </section>
      {acting && <ActionDialog {...p} action={acting.action} transfer={acting.transfer} onClose={() => setActing(null)} onDone={() => (setActing(null), refresh())} />}
    </div>
  );
}

function TransferItem({ t, time, transfer: x, onAction }: { t: T; time: (ms: number) => string; transfer: Transfer; onAction: (a: Action) => void }) {
  const columns = columnsFor(x);
  const actions = actionsFor(x);
  return (
    <li class={'transfer-item ' + x.state} data-testid="transfer" data-id={x.transfer_id} data-state={x.state} data-direction={x.direction}>
      <div class="transfer-head">
        <span class={'transfer-state ' + x.state} data-testid="transfer-state">{x.state_label}</span>
        <strong class="transfer-route">{x.direction === 'in' ? t('office.transfers.from', { store: x.from_store }) : t('office.transfers.to', { store: x.to_store })}</strong>
        <span class={'transfer-dir ' + x.direction}>{t(`office.transfers.filter.${x.direction === 'in' ? 'in' : 'out'}`)}</span>
        <span class="grow" />
        <span class="muted transfer-when">{time(x.updated_ms)} · <span class="sku">{x.transfer_id}</span></span>
      </div>
      {x.cancel_overridden && <p class="transfer-overridden" role="note" data-testid="cancel-overridden">{t('office.transfers.overridden')}</p>}
      <table class="table transfer-lines">
        <thead><tr><th>{t('office.transfers.col.product')}</th>{columns.map((c) => <th class="num">{t(`office.transfers.col.${c}` as MessageKey)}</th>)}</tr></thead>
        <tbody>{x.lines.map((l) => (
          <tr data-testid="transfer-line" data-sku={l.sku}>
            <td>{l.name} <small class="muted sku">{l.sku}</small>{l.unit === 'kg' && <small class="muted"> {t('office.transfers.grams')}</small>}</td>
            {columns.map((c) => c === 'variance'
              ? <td class={'num ' + (l.variance < 0 ? 'bad' : l.variance > 0 ? 'over' : 'good')} data-testid="line-variance">{varianceText(t, l.variance)}</td>
              : <td class={'num' + (c === 'in_transit' && l.in_transit > 0 ? ' transit' : '')} data-col={c}>{l[c]}</td>)}
          </tr>
        ))}</tbody>
      </table>
      <ol class="transfer-history" data-testid="transfer-history">
        {x.history.map((h) => (
          <li data-step={h.step}>
            <span class="muted">{time(h.ts_ms)}</span> <strong>{t(`office.transfers.step.${h.step}` as MessageKey)}</strong>
            <span class="muted"> · {h.store} · {h.by}</span>
            {h.note && <span class="transfer-note" data-testid="step-note"> · “{h.note}”</span>}
          </li>
        ))}
      </ol>
      {actions.length > 0 && (
        <div class="transfer-actions">
          {actions.map((a) => (
            <button class={'btn ' + (a === 'cancel' ? 'danger' : 'primary')} onClick={() => onAction(a)} data-testid={'transfer-' + a}>{t(`office.transfers.${a}` as MessageKey)}</button>
          ))}
        </div>
      )}
    </li>
  );
}

function varianceText(t: T, v: number): string {
  if (v < 0) return t('office.transfers.short', { n: -v });
  if (v > 0) return t('office.transfers.over', { n: v });
  return t('office.transfers.exact');
}

/** Ship, receive or cancel one transfer, in a dialog. */
function ActionDialog(p: TabProps & { action: Action; transfer: Transfer; onClose: () => void; onDone: () => void }) {
  const { t, client, attempt, manager, action, transfer: x } = p;
  const [qty, setQty] = useState<Record<string, string>>(() => (action === 'ship' ? prefill(x, 'requested') : action === 'receive' ? prefill(x, 'shipped') : {}));
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<LinesProblem | null>(null);
  const [sending, setSending] = useState(false);
  const other = x.direction === 'in' ? x.from_store : x.to_store;
  const preview = action === 'receive' ? previewReceipt(x, qty) : null;
  const entries = Object.entries(qty).map(([sku, q]) => ({ sku, qty: q }));
  const submit = async (e: Event) => {
    e.preventDefault();
    if (sending) return;
    const who = { user_id: manager.user_id, pin: manager.pin };
    const text = note.trim() || null;
    let op: () => Promise<Transfer>;
    if (action === 'cancel') {
      op = () => client.cancelTransfer(x.transfer_id, { reason: text, ...who });
    } else {
      const built = toLines(entries, action);
      if (!built.ok) return setProblem(built.problem);
      op = action === 'ship'
        ? () => client.shipTransfer({ transfer_id: x.transfer_id, lines: built.lines, note: text, ...who })
        : () => client.receiveTransfer(x.transfer_id, { lines: built.lines, note: text, ...who });
    }
    setSending(true);
    const done = await attempt(op);
    setSending(false);
    if (!done) return;
    p.notify(t(`office.transfers.${action}Done` as MessageKey, { id: done.transfer_id, store: other }));
    p.onDone();
  };
  const field = (sku: string) => ({
    name: `${action}-qty-${sku}`, inputMode: 'numeric' as const, value: qty[sku] ?? '', autocomplete: 'off',
    onInput: (e: { currentTarget: HTMLInputElement }) => (setQty((old) => ({ ...old, [sku]: e.currentTarget.value })), setProblem(null)),
  });
  return (
    <Dialog onClose={p.onClose}>
      <form class="transfer-dialog" data-testid={'transfer-' + action + '-dialog'} onSubmit={submit}>
        <h2>{t(`office.transfers.${action}Title` as MessageKey, { id: x.transfer_id, store: other })}</h2>
        <p class="muted">{t(`office.transfers.${action}Hint` as MessageKey)}</p>
        {action === 'ship' && (
          <table class="table">
            <thead><tr><th>{t('office.transfers.col.product')}</th><th class="num">{t('office.transfers.col.requested')}</th><th class="num">{t('office.transfers.toShip')}</th></tr></thead>
            <tbody>{x.lines.filter((l) => l.requested > 0).map((l) => (
              <tr><td>{l.name} <small class="muted sku">{l.sku}</small></td><td class="num">{l.requested}</td><td class="num"><input {...field(l.sku)} /></td></tr>
            ))}</tbody>
          </table>
        )}
        {preview && (
          <table class="table">
            <thead><tr><th>{t('office.transfers.col.product')}</th><th class="num">{t('office.transfers.col.shipped')}</th><th class="num">{t('office.transfers.arrived')}</th><th class="num">{t('office.transfers.col.variance')}</th></tr></thead>
            <tbody>{preview.lines.map((l) => (
              <tr><td>{l.name} <small class="muted sku">{l.sku}</small></td><td class="num">{l.shipped}</td><td class="num"><input {...field(l.sku)} /></td>
                <td class={'num ' + (l.variance === null ? '' : l.variance < 0 ? 'bad' : l.variance > 0 ? 'over' : 'good')} data-testid="receive-variance">{l.variance === null ? '—' : varianceText(t, l.variance)}</td></tr>
            ))}</tbody>
          </table>
        )}
        {preview && preview.ok && (
          <p class={preview.short + preview.over === 0 ? 'good-note' : 'transfer-preview-diff'} data-testid="receive-preview">
            {preview.short + preview.over === 0
              ? t('office.transfers.previewExact')
              : t('office.transfers.previewDiff', { diff: [preview.short > 0 ? varianceText(t, -preview.short) : '', preview.over > 0 ? varianceText(t, preview.over) : ''].filter(Boolean).join(p.locale === 'zh-CN' ? '，' : ', ') })}
          </p>
        )}
        <label>{t(action === 'cancel' ? 'office.transfers.reason' : action === 'ship' ? 'office.transfers.waybill' : 'office.transfers.damage')}
          <input name={action === 'cancel' ? 'cancel-reason' : `${action}-note`} value={note} maxLength={200} autocomplete="off" onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        {problem && <p class="field-problem" role="alert" data-testid="transfer-dialog-problem">{t(`office.transfers.bad.${problem}` as MessageKey)}</p>}
        <div class="row">
          <button type="button" class="btn grow" onClick={p.onClose}>{t(action === 'cancel' ? 'office.transfers.keep' : 'common.cancel')}</button>
          <button class={'btn grow ' + (action === 'cancel' ? 'danger' : 'primary')} disabled={sending} data-testid="transfer-confirm">{t(`office.transfers.${action}` as MessageKey)}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** Ask another store for goods, or ship to one with no request. */
function NewTransferForm(p: TabProps & { mode: 'request' | 'ship'; self: string; stores: string[]; scanning: boolean; onDone: () => void }) {
  const { t, locale, client, attempt, manager, mode } = p;
  const [store, setStore] = useState('');
  // The store chosen from the list (the first until another is chosen; '' to type one).
  const [picked, setPicked] = useState<string | null>(null);
  const [lines, setLines] = useState<DraftLine[]>([]);
  const [code, setCode] = useState('');
  const [count, setCount] = useState('');
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<{ key: string; store?: string } | null>(null);
  const [stored, setStored] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const choosing = p.stores.length > 0;
  const pick = picked ?? p.stores[0] ?? '';
  const other = choosing && pick !== '' ? pick : store;
  const changed = () => (setProblem(null), setStored(null));
  // A product typed (SKU or barcode) or scanned anywhere on the tab joins the lines: one
  // more each scan, or the quantity typed beside the code.
  const addProduct = async (text: string, typedQty: number | null) => {
    const typed = text.trim();
    if (!typed) return;
    const entry = await client.catalogEntry(typed).then((e) => ({ product: e.product, grams: null as number | null }), () => null);
    const found = entry ?? (await attempt(() => client.scan(typed)));
    if (!found) return;
    const product = found.product;
    const weighed = product.unit === 'kg';
    const qty = typedQty ?? found.grams ?? (weighed ? null : 1);
    setLines((old) => addLine(old, { sku: product.sku, name: locale === 'zh-CN' ? product.name_zh || product.name : product.name, weighed }, qty));
    setCode('');
    setCount('');
    changed();
  };
  p.scanInto.current = p.scanning ? (scanned) => { addProduct(scanned, null); } : () => {};
  const typedCount = count.trim() ? parseQty(count) : null;
  return (
    <form class="transfers-new" data-testid={'transfer-form-' + mode} onSubmit={async (e) => {
      e.preventDefault();
      if (sending) return;
      const bad = storeProblem(other, p.self);
      if (bad) return setProblem({ key: bad, store: p.self });
      const built = toLines(lines, 'new');
      if (!built.ok) return setProblem({ key: built.problem });
      const who = { user_id: manager.user_id, pin: manager.pin };
      const text = note.trim() || null;
      setSending(true);
      const done = mode === 'request'
        ? await attempt(() => client.requestTransfer({ from_store: other.trim(), lines: built.lines, note: text, ...who }))
        : await attempt(() => client.shipTransfer({ to_store: other.trim(), lines: built.lines, note: text, ...who }));
      setSending(false);
      if (!done) return;
      setLines([]);
      setNote('');
      setStored(t(mode === 'request' ? 'office.transfers.requestedDone' : 'office.transfers.shippedNew', { id: done.transfer_id, store: other.trim() }));
      p.onDone();
    }}>
      <h2>{t(mode === 'request' ? 'office.transfers.requestTitle' : 'office.transfers.shipNewTitle')}</h2>
      {choosing && (
        <label>{t(mode === 'request' ? 'office.transfers.fromStore' : 'office.transfers.toStore')}
          <select name="transfer-store-pick" value={pick} onChange={(e) => (setPicked(e.currentTarget.value), changed())}>
            {p.stores.map((s) => <option value={s}>{s}</option>)}
            <option value="">{t('office.transfers.otherStore')}</option>
          </select>
        </label>
      )}
      {(!choosing || pick === '') && (
        <label>{choosing ? t('office.transfers.storeId') : t(mode === 'request' ? 'office.transfers.fromStore' : 'office.transfers.toStore')}
          <input name="transfer-store" value={store} autocomplete="off" placeholder="BJ002" onInput={(e) => (setStore(e.currentTarget.value.toUpperCase()), changed())} />
        </label>
      )}
      {!choosing && <p class="muted transfers-hint">{t('office.transfers.noStores')}</p>}
      <div class="row">
        <label class="grow">{t('office.transfers.product')}<input name="transfer-code" value={code} autocomplete="off" onInput={(e) => setCode(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); if (typedCount !== null || !count.trim()) addProduct(code, typedCount); } }} /></label>
        <label class="narrow-field">{t('office.transfers.qty')}<input name="transfer-qty" inputMode="numeric" value={count} placeholder="1" autocomplete="off" onInput={(e) => setCount(e.currentTarget.value)} /></label>
        <button type="button" class="btn" disabled={!code.trim() || (count.trim() !== '' && typedCount === null)} onClick={() => addProduct(code, typedCount)} data-testid="transfer-add">{t('office.transfers.add')}</button>
      </div>
      <p class="muted transfers-hint">{t('office.transfers.scanHint')}</p>
      {lines.length === 0
        ? <p class="muted transfers-nolines">{t('office.transfers.noLines')}</p>
        : (
          <table class="table transfers-draft">
            <thead><tr><th>{t('office.transfers.col.product')}</th><th class="num">{t('office.transfers.qty')}</th><th /></tr></thead>
            <tbody>{lines.map((l) => (
              <tr data-testid="draft-line" data-sku={l.sku}>
                <td>{l.name} <small class="muted sku">{l.sku}</small></td>
                <td class="num"><label class="transfers-qty">
                  <input name={`draft-qty-${l.sku}`} inputMode="numeric" value={l.qty} aria-label={t('office.transfers.qty')} autocomplete="off"
                    class={parseQty(l.qty) === null ? 'invalid' : ''} onInput={(e) => (setLines((old) => setLineQty(old, l.sku, e.currentTarget.value)), changed())} />
                  {l.weighed && <span class="muted">{t('office.transfers.grams')}</span>}
                </label></td>
                <td class="num"><button type="button" class="btn" aria-label={t('office.transfers.remove')} onClick={() => (setLines((old) => old.filter((x) => x.sku !== l.sku)), changed())}>✕</button></td>
              </tr>
            ))}</tbody>
          </table>
        )}
      <label>{t(mode === 'request' ? 'office.transfers.note' : 'office.transfers.waybill')}
        <input name="transfer-note" value={note} maxLength={200} autocomplete="off" onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      {problem && <p class="field-problem" role="alert" data-testid="transfer-problem">{t(`office.transfers.bad.${problem.key}` as MessageKey, { store: problem.store ?? '' })}</p>}
      {stored && <p class="good-note" role="status" data-testid="transfer-stored">{stored}</p>}
      <button class="btn primary wide" disabled={sending} data-testid="transfer-submit">{t(mode === 'request' ? 'office.transfers.submitRequest' : 'office.transfers.submitShip')}</button>
    </form>
  );
}
