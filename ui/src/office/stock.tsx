// Stock: what is at or under its reorder level, what to reorder at the recent sales
// velocity, and the stocktake: open one (of the store or a category; of every place
// together, corrected on the floor, or of one place, 库位盘点, counted against what that
// place holds and corrected there), scan what is on the shelves (each scan counts one
// more; a weighed product is entered in kilograms), see the variances, post it. Then
// purchasing (purchasing.tsx): suppliers and purchase orders; a suggestion's Order button
// starts an order with it.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LowStock, Stocktake, Suggestion, Supplier } from '../api/client';
import { categoryName, parseKg } from '../i18n';
import type { TabProps } from './index';
import { PLACES, type Place } from './places';
import { PurchaseOrdersPanel, SuppliersPanel, type OrderPrefill } from './purchasing';

const OPEN_KEY = 'opentill.stocktake';

export function StockTab(p: TabProps) {
  const { t, locale, client, attempt } = p;
  const [low, setLow] = useState<LowStock[] | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[] | null>(null);
  const [suppliers, setSuppliers] = useState<Supplier[] | null>(null);
  const [prefill, setPrefill] = useState<OrderPrefill | null>(null);
  // Scans go to the stocktake while one is open, else to the purchase order form.
  const [counting, setCounting] = useState(false);
  const loadSuppliers = () => attempt(() => client.suppliers()).then((x) => x && setSuppliers(x));
  const loadStock = () => {
    attempt(() => client.lowStock()).then((x) => x && setLow(x));
    attempt(() => client.replenishment()).then((x) => x && setSuggestions(x));
  };
  useEffect(() => {
    loadStock();
    loadSuppliers();
  }, []);
  const name = (x: { name: string; name_zh: string }) => (locale === 'zh-CN' ? x.name_zh || x.name : x.name);
  const qty = (n: number, unit: string) => (unit === 'kg' ? `${(n / 1000).toFixed(3)} kg` : String(n));
  return (
    <div class="stock-office" data-testid="stock-tab">
      <section class="card">
        <h1>{t('office.stock.low')}</h1>
        {low && low.length === 0 && <p class="muted">{t('office.stock.lowNone')}</p>}
        {low && low.length > 0 && (
          <table class="table" data-testid="low-stock">
            <thead><tr><th>{t('office.stock.sku')}</th><th>{t('office.stock.name')}</th><th class="num">{t('office.catalog.onHand')}</th><th class="num">{t('office.stock.level')}</th></tr></thead>
            <tbody>{low.map((r) => <tr><td class="muted sku">{r.sku}</td><td>{name(r)}</td><td class="num bad">{qty(r.on_hand, r.unit)}</td><td class="num">{qty(r.level, r.unit)}</td></tr>)}</tbody>
          </table>
        )}
        <h1>{t('office.stock.reorder')}</h1>
        {suggestions && suggestions.length === 0 && <p class="muted">{t('office.stock.reorderNone')}</p>}
        {suggestions && suggestions.length > 0 && (
          <table class="table" data-testid="replenishment">
            <thead><tr><th>{t('office.stock.sku')}</th><th>{t('office.stock.name')}</th><th class="num">{t('office.stock.daily')}</th><th class="num">{t('office.stock.position')}</th><th class="num">{t('office.stock.cover')}</th><th class="num">{t('office.stock.order')}</th><th /></tr></thead>
            <tbody>{suggestions.map((s) => (
              <tr><td class="muted sku">{s.sku}</td><td>{name(s)}</td><td class="num">{s.unit === 'kg' ? `${(s.daily_milli / 1_000_000).toFixed(2)} kg` : (s.daily_milli / 1000).toFixed(1)}</td>
                <td class="num">{qty(s.position, s.unit)}</td><td class="num">{s.days_of_cover ?? '—'}</td><td class="num"><strong>{qty(s.qty, s.unit)}</strong></td>
                <td class="num"><button class="btn" data-testid="suggestion-order" onClick={() => setPrefill({ sku: s.sku, qty: s.qty, n: (prefill?.n ?? 0) + 1 })}>{t('office.po.orderThis')}</button></td></tr>
            ))}</tbody>
          </table>
        )}
      </section>
      <StocktakePanel {...p} onOpen={setCounting} />
      <PurchaseOrdersPanel {...p} suppliers={suppliers} prefill={prefill} takesScans={!counting} onOrdered={loadStock} />
      <SuppliersPanel {...p} suppliers={suppliers} onChange={loadSuppliers} />
    </div>
  );
}

function StocktakePanel(p: TabProps & { onOpen: (open: boolean) => void }) {
  const { t, money, locale, client, attempt, manager } = p;
  const [take, setTake] = useState<Stocktake | null>(null);
  const [scope, setScope] = useState('');
  const [place, setPlace] = useState('');
  const [categories, setCategories] = useState<string[]>([]);
  const [code, setCode] = useState('');
  const [weight, setWeight] = useState('');
  const keep = (s: Stocktake | null) => {
    if (s && !s.posted) localStorage.setItem(OPEN_KEY, s.stocktake_id);
    else localStorage.removeItem(OPEN_KEY);
    setTake(s);
    p.onOpen(!!s && !s.posted);
  };
  useEffect(() => {
    client.categories().then((c) => setCategories(c.map((x) => x.category)), () => {});
    const open = localStorage.getItem(OPEN_KEY);
    if (open) client.stocktake(open).then(keep, () => localStorage.removeItem(OPEN_KEY));
  }, []);
  // A scan counts one more of what it names; a weighed product's scan fills the code and
  // waits for its weight. Scans are counted one after another, each on the count the one
  // before it left, so a quick run of scans loses none.
  const latest = useRef<Stocktake | null>(null);
  latest.current = take;
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const countOne = (scanned: string) => {
    queue.current = queue.current.then(async () => {
      const current = latest.current;
      if (!current || current.posted) return;
      const product = await attempt(() => client.scan(scanned));
      if (!product) return;
      if (product.product.unit === 'kg' && product.grams == null) {
        setCode(scanned);
        return;
      }
      const line = current.lines.find((l) => l.sku === product.product.sku);
      const counted = (line?.counted ?? 0) + (product.grams ?? 1);
      const next = await attempt(() => client.count(current.stocktake_id, scanned, counted));
      if (next) {
        latest.current = next;
        keep(next);
      }
    });
    return queue.current;
  };
  if (take && !take.posted) p.scanInto.current = (scanned) => countOne(scanned);
  const grams = parseKg(weight);
  const name = (x: { name: string; name_zh: string }) => (locale === 'zh-CN' ? x.name_zh || x.name : x.name);

  if (!take) {
    return (
      <form class="card" data-testid="stocktake-open" onSubmit={async (e) => {
        e.preventDefault();
        const s = await attempt(() => client.openStocktake({ category: scope || null, location: place || null, user_id: manager.user_id, pin: manager.pin }));
        if (s) keep(s);
      }}>
        <h1>{t('office.stock.take')}</h1>
        <p class="muted">{t('office.stock.takeHint')}</p>
        <label>{t('office.stock.scope')}
          <select name="stocktake-scope" value={scope} onChange={(e) => setScope(e.currentTarget.value)}>
            <option value="">{t('office.stock.wholeStore')}</option>
            {categories.map((c) => <option value={c}>{categoryName(locale, c)}</option>)}
          </select>
        </label>
        <label>{t('office.stock.place')}
          <select name="stocktake-place" value={place} onChange={(e) => setPlace(e.currentTarget.value)}>
            <option value="">{t('office.stock.allPlaces')}</option>
            {PLACES.map((x) => <option value={x}>{t(`office.places.${x}`)}</option>)}
          </select>
        </label>
        <button class="btn primary wide" data-testid="stocktake-start">{t('office.stock.start')}</button>
      </form>
    );
  }
  return (
    <section class="card" data-testid="stocktake">
      <h1 data-testid="stocktake-title">{t('office.stock.take')} · {take.category ? categoryName(locale, take.category) : t('office.stock.wholeStore')}
        {take.location ? ` · ${t(`office.places.${take.location as Place}`)}` : ''}{take.posted ? ` · ${t('office.stock.posted')}` : ''}</h1>
      {!take.posted && <p class="muted">{t('office.stock.scanHint')}</p>}
      {!take.posted && (
        <form class="row" onSubmit={async (e) => {
          e.preventDefault();
          if (!code.trim()) return;
          if (weight.trim()) {
            if (grams === null) return;
            const next = await attempt(() => client.count(take.stocktake_id, code.trim(), grams));
            if (next) (keep(next), setCode(''), setWeight(''));
          } else {
            await countOne(code.trim());
            setCode('');
          }
        }}>
          <label class="grow">{t('office.stock.code')}<input name="count-code" value={code} onInput={(e) => setCode(e.currentTarget.value)} /></label>
          <label class="narrow-field">{t('office.stock.weight')}<input name="count-weight" inputMode="decimal" value={weight} onInput={(e) => setWeight(e.currentTarget.value)} placeholder="0.000" /></label>
          <button class="btn" disabled={!code.trim() || (weight.trim() !== '' && grams === null)}>{t('office.stock.count')}</button>
        </form>
      )}
      <table class="table" data-testid="variances">
        <thead><tr><th>{t('office.stock.name')}</th><th class="num">{t('office.stock.expected')}</th><th class="num">{t('office.stock.counted')}</th><th class="num">{t('office.stock.delta')}</th><th class="num">{t('office.stock.value')}</th></tr></thead>
        <tbody>{take.lines.map((l) => (
          <tr data-testid="variance"><td>{name(l)}</td><td class="num">{l.expected}</td><td class="num">{l.counted}</td>
            <td class={'num ' + (l.delta < 0 ? 'bad' : l.delta > 0 ? 'good' : '')}>{l.delta > 0 ? `+${l.delta}` : l.delta}</td><td class="num">{money(l.value_minor)}</td></tr>
        ))}</tbody>
        <tfoot><tr><td colSpan={4}>{t('office.stock.total')}</td><td class="num" data-testid="variance-total"><strong>{money(take.value_minor)}</strong></td></tr></tfoot>
      </table>
      {take.uncounted.length > 0 && <p class="muted" data-testid="uncounted">{t('office.stock.uncounted', { n: take.uncounted.length, skus: take.uncounted.slice(0, 8).join(', ') + (take.uncounted.length > 8 ? '…' : '') })}</p>}
      <div class="row">
        {take.posted
          ? <button class="btn primary grow" onClick={() => keep(null)}>{t('common.ok')}</button>
          : <button class="btn primary grow" disabled={take.lines.length === 0} data-testid="stocktake-post" onClick={async () => {
              const s = await attempt(() => client.postStocktake(take.stocktake_id, manager.user_id, manager.pin));
              if (s) (keep(s), p.notify(t('office.stock.postedDone', { value: money(s.value_minor) })));
            }}>{t('office.stock.post')}</button>}
      </div>
    </section>
  );
}
