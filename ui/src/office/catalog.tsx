// Catalog: find a product (search by name, pinyin or barcode, a category, or scan it),
// see its prices, stock and price history, change its price for this store or centrally,
// receive or correct its stock, and set its reorder level.
import { useEffect, useState } from 'preact/hooks';
import type { CatalogEntry, Category, Job, Product, StockLevel } from '../api/client';
import { categoryName, parseKg, parseMoney } from '../i18n';
import { storeDate, storeTime } from '../storetime';
import { Dialog } from '../widgets';
import { moveProblem, perPlace, type Place, PLACES } from './places';
import type { TabProps } from './index';

/** The largest file the till service takes (`MAX_CSV_BYTES`). */
const MAX_IMPORT_BYTES = 64 << 20;

export function CatalogTab(p: TabProps) {
  const { t, money, locale, client, attempt } = p;
  const [categories, setCategories] = useState<Category[]>([]);
  const [category, setCategory] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [products, setProducts] = useState<Product[]>([]);
  const [entry, setEntry] = useState<CatalogEntry | null>(null);
  const [importing, setImporting] = useState(false);
  const [creating, setCreating] = useState(false);
  const [imported, setImported] = useState(0);
  const open = async (sku: string) => {
    const e = await attempt(() => client.catalogEntry(sku));
    if (e) setEntry(e);
  };
  // A scan anywhere in the tab opens the product it belongs to.
  p.scanInto.current = async (code) => {
    const found = await attempt(() => client.scan(code));
    if (found) open(found.product.sku);
  };
  useEffect(() => {
    client.categories().then((c) => {
      setCategories(c);
      if (c.length && category === null) setCategory(c[0].category);
    }, () => {});
  }, []);
  useEffect(() => {
    let live = true;
    const q = query.trim();
    const load = q ? client.search(q, 50) : category ? client.categoryProducts(category, 200) : Promise.resolve([]);
    load.then((r) => live && setProducts(r), () => {});
    return () => { live = false; };
  }, [category, query, entry, imported]);
  const name = (x: { name: string; name_zh: string }) => (locale === 'zh-CN' ? x.name_zh || x.name : x.name);
  return (
    <div class="catalog-office" data-testid="catalog-tab">
      <section class="card list-pane">
        <div class="row list-tools">
          <button class="btn" onClick={() => setCreating(true)} data-testid="new-product-btn">{t('office.product.new')}</button>
          <button class="btn" onClick={() => setImporting(true)} data-testid="import-btn">{t('office.import.button')}</button>
        </div>
        <input class="search" type="search" placeholder={t('office.catalog.search')} value={query} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="catalog-search" />
        {!query && (
          <nav class="tabs">
            {categories.map((c) => <button class={'btn tab small' + (c.category === category ? ' active' : '')} onClick={() => setCategory(c.category)}>{categoryName(locale, c.category)}</button>)}
          </nav>
        )}
        <table class="table rows">
          <tbody>
            {products.map((x) => (
              <tr class={entry?.product.sku === x.sku ? 'selected' : ''} onClick={() => open(x.sku)} data-testid="catalog-row">
                <td class="muted sku">{x.sku}</td>
                <td>{name(x)}</td>
                <td class="num">{money(x.price_minor)}{x.unit === 'kg' ? t('sale.perKg') : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {query && products.length === 0 && <p class="muted">{t('sale.search.none')}</p>}
      </section>
      <section class="card entry-pane">
        {entry ? <Entry {...p} entry={entry} onEntry={setEntry} /> : <p class="muted center">{t('office.catalog.pick')}</p>}
      </section>
      {creating && <ProductForm {...p} categories={categories.map((c) => c.category)} onCancel={() => setCreating(false)} onSaved={(e) => { setCreating(false); setEntry(e); setImported(imported + 1); }} />}
      {importing && <ImportDialog {...p} onClose={(done) => { setImporting(false); if (done) setImported(imported + 1); }} />}
    </div>
  );
}

function Entry(p: TabProps & { entry: CatalogEntry; onEntry: (e: CatalogEntry) => void }) {
  const { t, money, locale, client, attempt, manager, entry } = p;
  const x = entry.product;
  const kg = x.unit === 'kg';
  const perUnit = kg ? t('sale.perKg') : '';
  const [price, setPrice] = useState('');
  const [central, setCentral] = useState(false);
  const [delta, setDelta] = useState('');
  const [reason, setReason] = useState('receive');
  const [adjustPlace, setAdjustPlace] = useState<Place>('floor');
  const [stock, setStock] = useState<StockLevel | null>(null);
  const [moveFrom, setMoveFrom] = useState<Place>('backroom');
  const [moveTo, setMoveTo] = useState<Place>('floor');
  const [moveQty, setMoveQty] = useState('');
  const [level, setLevel] = useState('');
  const [editing, setEditing] = useState(false);
  const [categories, setCategories] = useState<string[]>([]);
  useEffect(() => { client.categories().then((c) => setCategories(c.map((x) => x.category)), () => {}); }, []);
  useEffect(() => {
    setPrice('');
    setDelta('');
    setMoveQty('');
    let live = true;
    client.stock(x.sku).then((s) => live && setStock(s), () => live && setStock(null));
    setLevel(entry.reorder_level == null ? '' : kg ? (entry.reorder_level / 1000).toFixed(3) : String(entry.reorder_level));
    return () => { live = false; };
  }, [entry]);
  const reload = async () => {
    const e = await attempt(() => client.catalogEntry(x.sku));
    if (e) p.onEntry(e);
  };
  const newPrice = parseMoney(price);
  // Stock moves in pieces, or in grams entered as kilograms for weighed products.
  const qty = (text: string) => {
    const negative = text.trim().startsWith('-');
    const body = text.trim().replace(/^[-+]/, '');
    const n = kg ? parseKg(body) : /^\d{1,6}$/.test(body) ? Number(body) : null;
    return n === null ? null : negative ? -n : n;
  };
  const stockDelta = qty(delta);
  const moved = moveQty.trim().startsWith('-') ? null : qty(moveQty);
  const cannotMove = moveProblem(moveFrom, moveTo, moved);
  const placeName = (place: Place) => t(`office.places.${place}`);
  const levelQty = level.trim() === '' ? null : qty(level);
  const amount = (n: number) => (kg ? `${(n / 1000).toFixed(3)} kg` : String(n));
  // In the store's zone, like every date of the back office.
  const when = (ms: number) => `${storeDate(ms, p.offsetMin)} ${storeTime(ms, p.offsetMin, locale, ms).slice(0, 5)}`;
  const changePrice = async (minor: number | null, isCentral: boolean) => {
    const done = await attempt(() => client.setPrice({ sku: x.sku, price_minor: minor, central: isCentral, user_id: manager.user_id, pin: manager.pin }));
    if (done) {
      p.notify(t('office.catalog.priceDone', { name: locale === 'zh-CN' ? done.name_zh || done.name : done.name, price: money(done.price_minor) + perUnit }));
      await reload();
    }
  };
  return (
    <div data-testid="catalog-entry">
      <h1>{locale === 'zh-CN' ? x.name_zh || x.name : x.name}</h1>
      <p class="muted">{x.sku} · {x.barcodes.join(', ')} · {categoryName(locale, x.category)} <button class="btn small" onClick={() => setEditing(true)} data-testid="edit-product">{t('office.product.edit')}</button></p>
      {editing && <ProductForm {...p} product={x} categories={categories} onCancel={() => setEditing(false)} onSaved={(e) => { setEditing(false); p.onEntry(e); }} />}
      <div class="tiles three">
        <div class="tile"><small>{t('office.catalog.price')}</small><strong data-testid="entry-price">{money(x.price_minor)}{perUnit}</strong>
          <small>{entry.store_minor != null ? t('office.catalog.ownPrice') : t('office.catalog.followsCentral')}</small></div>
        <div class="tile"><small>{t('office.catalog.central')}</small><strong>{entry.central_minor != null ? money(entry.central_minor) + perUnit : '—'}</strong></div>
        <div class="tile"><small>{t('office.catalog.onHand')}</small><strong data-testid="entry-stock">{amount(entry.stock)}</strong>
          <small>{entry.reorder_level != null ? t('office.catalog.levelIs', { level: amount(entry.reorder_level) }) : t('office.catalog.noLevel')}</small></div>
      </div>
      <div class="places" data-testid="stock-places">
        <small class="muted">{t('office.places.title')}</small>
        {perPlace(stock).map((r) => (
          <span class={'place' + (r.qty !== null && r.qty < 0 ? ' negative' : '')}>{placeName(r.place)}
            <strong data-testid={`place-${r.place}`}>{r.qty === null ? '—' : amount(r.qty)}</strong></span>
        ))}
        {stock && stock.reserved !== 0 && <span class="place reserved">{t('office.places.reserved')}<strong data-testid="stock-reserved">{amount(stock.reserved)}</strong></span>}
      </div>

      <form class="entry-form" onSubmit={(e) => { e.preventDefault(); if (newPrice !== null) changePrice(newPrice, central); }}>
        <h2>{t('office.catalog.changePrice')}</h2>
        <div class="row">
          <label class="grow">{t('office.catalog.newPrice')}{perUnit && ` (${perUnit})`}<input name="new-price" inputMode="decimal" value={price} onInput={(e) => setPrice(e.currentTarget.value)} placeholder={(x.price_minor / 100).toFixed(2)} /></label>
          <button class="btn primary" disabled={newPrice === null} data-testid="save-price">{t('office.catalog.savePrice')}</button>
        </div>
        {price.trim() !== '' && newPrice === null && <p class="print-problem">{t('office.catalog.badPrice')}</p>}
        <div class="choice">
          <label class="check"><input type="radio" name="scope" checked={!central} onChange={() => setCentral(false)} />{t('office.catalog.scopeStore')}</label>
          <label class="check"><input type="radio" name="scope" checked={central} onChange={() => setCentral(true)} data-testid="scope-central" />{t('office.catalog.scopeCentral')}</label>
        </div>
        {entry.store_minor != null && <button type="button" class="btn" onClick={() => changePrice(null, false)} data-testid="drop-own">{t('office.catalog.dropOwn', { price: entry.central_minor != null ? money(entry.central_minor) + perUnit : '—' })}</button>}
      </form>

      <form class="entry-form" onSubmit={async (e) => {
        e.preventDefault();
        if (stockDelta === null || stockDelta === 0) return;
        const done = await attempt(() => client.adjustStock({ sku: x.sku, delta: stockDelta, reason, location: adjustPlace, user_id: manager.user_id, pin: manager.pin }));
        if (done) await reload();
      }}>
        <h2>{t('office.catalog.adjust')}</h2>
        <div class="row">
          <label class="grow">{kg ? t('office.catalog.deltaKg') : t('office.catalog.delta')}<input name="stock-delta" inputMode="decimal" value={delta} onInput={(e) => setDelta(e.currentTarget.value)} placeholder={kg ? '+1.500' : '+12'} /></label>
          <label>{t('office.catalog.reason')}
            <select name="stock-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
              {['receive', 'count', 'damage', 'expired', 'theft'].map((r) => <option value={r}>{t(`office.reason.${r}` as 'office.reason.receive')}</option>)}
            </select>
          </label>
          <label>{t('office.places.where')}
            <select name="stock-place" value={adjustPlace} onChange={(e) => setAdjustPlace(e.currentTarget.value as Place)}>
              {PLACES.map((place) => <option value={place}>{placeName(place)}</option>)}
            </select>
          </label>
          <button class="btn primary" disabled={stockDelta === null || stockDelta === 0} data-testid="save-stock">{t('office.catalog.saveStock')}</button>
        </div>
        {delta.trim() !== '' && stockDelta === null && <p class="print-problem">{kg ? t('office.catalog.badKg') : t('office.catalog.badQty')}</p>}
      </form>

      <form class="entry-form" data-testid="move-stock" onSubmit={async (e) => {
        e.preventDefault();
        if (cannotMove || moved === null) return;
        const done = await attempt(() => client.moveStock({ sku: x.sku, from: moveFrom, to: moveTo, qty: moved, user_id: manager.user_id, pin: manager.pin }));
        if (done) await reload();
      }}>
        <h2>{t('office.places.move')}</h2>
        <div class="row">
          <label>{t('office.places.from')}
            <select name="move-from" value={moveFrom} onChange={(e) => setMoveFrom(e.currentTarget.value as Place)}>
              {PLACES.map((place) => <option value={place}>{placeName(place)}</option>)}
            </select>
          </label>
          <label>{t('office.places.to')}
            <select name="move-to" value={moveTo} onChange={(e) => setMoveTo(e.currentTarget.value as Place)}>
              {PLACES.map((place) => <option value={place}>{placeName(place)}</option>)}
            </select>
          </label>
          <label class="grow">{kg ? t('office.places.qtyKg') : t('office.places.qty')}<input name="move-qty" inputMode="decimal" value={moveQty} onInput={(e) => setMoveQty(e.currentTarget.value)} placeholder={kg ? '1.500' : '6'} /></label>
          <button class="btn primary" disabled={cannotMove !== null} data-testid="save-move">{t('office.places.save')}</button>
        </div>
        {moveFrom === 'backroom' && moveTo === 'floor' && <p class="muted">{t('office.places.restock')}</p>}
        {cannotMove === 'samePlace' && <p class="print-problem">{t('office.places.samePlace')}</p>}
        {cannotMove === 'badQty' && moveQty.trim() !== '' && <p class="print-problem">{kg ? t('office.catalog.badKg') : t('office.catalog.badQty')}</p>}
      </form>

      <form class="entry-form" onSubmit={async (e) => {
        e.preventDefault();
        if (level.trim() !== '' && levelQty === null) return;
        const done = await attempt(() => client.setReorderLevel({ sku: x.sku, level: levelQty !== null && levelQty < 0 ? null : levelQty, user_id: manager.user_id, pin: manager.pin }));
        if (done) p.onEntry(done);
      }}>
        <h2>{t('office.catalog.level')}</h2>
        <div class="row">
          <label class="grow">{t('office.catalog.levelHint')}<input name="reorder-level" inputMode="decimal" value={level} onInput={(e) => setLevel(e.currentTarget.value)} /></label>
          <button class="btn" disabled={level.trim() !== '' && (levelQty === null || levelQty < 0)} data-testid="save-level">{t('office.catalog.saveLevel')}</button>
        </div>
      </form>

      <h2>{t('office.catalog.history')}</h2>
      {entry.history.length === 0 ? <p class="muted">{t('office.catalog.noHistory')}</p> : (
        <table class="table" data-testid="price-history">
          <tbody>
            {entry.history.map((c) => (
              <tr><td>{when(c.ts_ms)}</td><td class="num">{money(c.old_minor)}</td><td>→</td><td class="num"><strong>{money(c.new_minor)}</strong></td>
                <td class={c.new_minor > c.old_minor ? 'up' : 'down'}>{c.new_minor > c.old_minor ? '▲' : '▼'}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * A catalog CSV imported from the back office: the file is read in the browser, sent
 * whole, and imported as a job whose progress is shown until it is done. A file with bad
 * rows is refused with every bad line (nothing is written), or imported without them.
 */
function ImportDialog(p: TabProps & { onClose: (imported: boolean) => void }) {
  const { t, client, attempt, manager } = p;
  const [file, setFile] = useState<File | null>(null);
  const [skipBad, setSkipBad] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const running = job?.state === 'running';
  useEffect(() => {
    if (!job || job.state !== 'running') return;
    const timer = setTimeout(async () => {
      try {
        setJob(await client.job(job.job_id));
      } catch (e) {
        setFailure(e instanceof Error ? e.message : String(e));
        setJob(null);
      }
    }, 250);
    return () => clearTimeout(timer);
  }, [job]);
  const start = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setFailure(null);
    if (file.size > MAX_IMPORT_BYTES) return setFailure(t('office.import.tooBig'));
    const csv = await file.text();
    const started = await attempt(() => client.importCatalog({ csv, skip_bad: skipBad, user_id: manager.user_id, pin: manager.pin }));
    if (started) setJob(started);
  };
  const percent = job && job.total > 0 ? Math.floor((job.done * 100) / job.total) : 0;
  return (
    <Dialog onClose={() => !running && p.onClose(job?.state === 'done')}>
      <form onSubmit={start} data-testid="import">
        <h2>{t('office.import.title')}</h2>
        <p class="muted">{t('office.import.hint')}</p>
        <label>{t('office.import.file')}<input type="file" name="import-file" accept=".csv,text/csv" disabled={running} onChange={(e) => (setFile(e.currentTarget.files?.[0] ?? null), setJob(null), setFailure(null))} /></label>
        <label class="check"><input type="checkbox" name="import-skip" checked={skipBad} disabled={running} onChange={(e) => setSkipBad(e.currentTarget.checked)} />{t('office.import.skipBad')}</label>
        {job && (
          <div class="progress" data-testid="import-progress">
            <div class="progress-bar"><span style={{ width: `${job.state === 'done' ? 100 : percent}%` }} /></div>
            <p>{job.state === 'running'
              ? (job.phase === 'reading' ? t('office.import.reading') : t('office.import.writing', { done: job.done.toLocaleString(), total: job.total.toLocaleString() }))
              : job.state === 'done' && job.result ? t('office.import.done', { imported: job.result.imported, rows: job.result.rows }) : ''}</p>
          </div>
        )}
        {job?.state === 'done' && job.result && job.result.skipped.length > 0 && (
          <div data-testid="import-skipped"><p class="print-problem">{t('office.import.skipped', { n: job.result.skipped.length })}</p>
            <ul class="import-errors">{job.result.skipped.slice(0, 50).map((r) => <li>{r.line > 0 ? t('office.import.line', { line: r.line }) : ''}{r.reason}</li>)}</ul></div>
        )}
        {job?.state === 'failed' && job.error && <pre class="import-failed" role="alert" data-testid="import-failed">{job.error.message}</pre>}
        {failure && <p class="print-problem" role="alert">{failure}</p>}
        <div class="row">
          <button type="button" class="btn" disabled={running} onClick={() => p.onClose(job?.state === 'done')}>{job?.state === 'done' ? t('common.ok') : t('common.cancel')}</button>
          {job?.state !== 'done' && <button class="btn primary grow" disabled={!file || running} data-testid="import-start">{t('office.import.start')}</button>}
        </div>
      </form>
    </Dialog>
  );
}

/**
 * A product's details, new or changed: the same rules as a row of an imported file, so the
 * till service's answer names what is wrong. A scan while it is open adds the barcode.
 */
function ProductForm(p: TabProps & { product?: Product; categories: string[]; onCancel: () => void; onSaved: (e: CatalogEntry) => void }) {
  const { t, locale, client, attempt, manager } = p;
  const x = p.product;
  const [sku, setSku] = useState(x?.sku ?? '');
  const [barcodes, setBarcodes] = useState(x?.barcodes.join(' ') ?? '');
  const [name, setName] = useState(x?.name ?? '');
  const [nameZh, setNameZh] = useState(x?.name_zh ?? '');
  const [category, setCategory] = useState(x?.category ?? p.categories[0] ?? '');
  const [unit, setUnit] = useState(x?.unit ?? 'each');
  const [price, setPrice] = useState('');
  const [tax, setTax] = useState(x ? String(x.tax_rate_bp / 100) : '13');
  p.scanInto.current = (code) => setBarcodes((b) => (b.split(/\s+/).includes(code) ? b : (b.trim() + ' ' + code).trim()));
  const priceMinor = parseMoney(price);
  const taxBp = /^\d{1,3}(\.\d{1,2})?$/.test(tax.trim()) ? Math.round(Number(tax.trim()) * 100) : null;
  const ready = sku.trim() && name.trim() && category.trim() && (x || priceMinor !== null) && taxBp !== null && taxBp <= 10000;
  return (
    <Dialog onClose={p.onCancel}>
      <form data-testid="product-form" onSubmit={async (e) => {
        e.preventDefault();
        if (!ready || taxBp === null) return;
        const saved = await attempt(() => client.putProduct({ sku: sku.trim(), barcodes: barcodes.split(/[\s,]+/).filter(Boolean), name, name_zh: nameZh, category, unit, price_minor: x ? null : priceMinor, tax_rate_bp: taxBp, user_id: manager.user_id, pin: manager.pin }));
        if (saved) p.onSaved(saved);
      }}>
        <h2>{x ? t('office.product.editTitle') : t('office.product.newTitle')}</h2>
        <div class="split">
          <label>{t('office.stock.sku')}<input name="product-sku" value={sku} disabled={!!x} onInput={(e) => setSku(e.currentTarget.value)} autocomplete="off" /></label>
          <label>{t('office.product.barcodes')}<input name="product-barcodes" value={barcodes} onInput={(e) => setBarcodes(e.currentTarget.value)} autocomplete="off" /></label>
          <label>{t('office.product.name')}<input name="product-name" value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
          <label>{t('office.product.nameZh')}<input name="product-name-zh" value={nameZh} onInput={(e) => setNameZh(e.currentTarget.value)} /></label>
          <label>{t('office.product.category')}
            <select name="product-category" value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
              {(p.categories.includes(category) || !category ? p.categories : [category, ...p.categories]).map((c) => <option value={c}>{categoryName(locale, c)}</option>)}
            </select>
          </label>
          <label>{t('office.product.unit')}
            <select name="product-unit" value={unit} onChange={(e) => setUnit(e.currentTarget.value)}>
              <option value="each">{t('office.product.each')}</option>
              <option value="kg">{t('office.product.kg')}</option>
            </select>
          </label>
          {!x && <label>{unit === 'kg' ? t('office.product.priceKg') : t('office.product.price')}<input name="product-price" inputMode="decimal" value={price} onInput={(e) => setPrice(e.currentTarget.value)} /></label>}
          <label>{t('office.product.tax')}<input name="product-tax" inputMode="decimal" value={tax} onInput={(e) => setTax(e.currentTarget.value)} /></label>
        </div>
        <p class="muted">{t('office.product.scanHint')}</p>
        <div class="row">
          <button type="button" class="btn" onClick={p.onCancel}>{t('common.cancel')}</button>
          <button class="btn primary grow" disabled={!ready} data-testid="product-save">{t('office.product.save')}</button>
        </div>
      </form>
    </Dialog>
  );
}
