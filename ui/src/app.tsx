// The till: every cashier screen. State that must survive a reload (the sale in progress,
// the signed-in cashier, sales waiting for the edge agent, the language) lives in
// localStorage; PINs are kept in memory only.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, type Category, type Client, type Order, type PrinterInfo, type Product, type Sale, type ShiftReport, type Refund, type RefundRequest, type Suspended } from './api/client';
import { addCoupon, addLabel, addProduct, addTender, currentQuote, removeCoupon, setBasketDiscount, setOverride, type Approval, type Line, type Override, itemCount, lineAmount, loadDraft, newDraft, pointsAmount, pointsLeft, POINT_VALUE_MINOR, priceKey, quickCash, saleRequest, saveDraft, setQty, suspendRequest, tenderState, total, withQuote, withShopper, type Draft, type Member } from './basket';
import { categoryName, formatMoney, parseKg, parseMoney, translate, type Locale, type MessageKey } from './i18n';
import { hasCamera } from './camera';
import { CameraDialog } from './camera-dialog';
import { HandoverDialog } from './handover-dialog';
import { BackOffice } from './office';
import { isOrderCode } from './office/orders';
import { listenForScans } from './wedge';
import { Dialog, kindKey, type Attempt, type Money, type T } from './widgets';

type Screen = 'sale' | 'tender' | 'return' | 'close' | 'nosale' | 'office';
interface Session { user_id: string; role: string }
interface Problem { kind: string; message: string }

const store = window.localStorage;
const read = <T,>(key: string, fallback: T): T => {
  try {
    const raw = store.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
};
const write = (key: string, value: unknown) => (value === null ? store.removeItem(key) : store.setItem(key, JSON.stringify(value)));

export function App({ client }: { client: Client }) {
  const [locale, setLocaleState] = useState<Locale>(store.getItem('opentill.locale') === 'en' ? 'en' : 'zh-CN');
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(locale, key, params);
  const money = (minor: number) => formatMoney(minor, locale);
  const setLocale = (l: Locale) => {
    store.setItem('opentill.locale', l);
    document.documentElement.lang = l;
    setLocaleState(l);
  };
  useEffect(() => {
    document.documentElement.lang = locale;
    document.title = t('app.title');
  }, [locale]);

  const [session, setSessionState] = useState<Session | null>(read('opentill.session', null));
  const setSession = (s: Session | null) => (write('opentill.session', s), setSessionState(s));
  const pin = useRef('');
  const [shift, setShift] = useState<ShiftReport | null | undefined>(undefined);
  const [screen, setScreenState] = useState<Screen>(read('opentill.screen', 'sale'));
  const setScreen = (s: Screen) => (write('opentill.screen', s), setScreenState(s));
  const [draft, setDraftState] = useState<Draft>(loadDraft(store) ?? newDraft());
  const currentDraft = useRef(draft);
  const setDraft = (d: Draft) => {
    currentDraft.current = d;
    saveDraft(store, d);
    setDraftState(d);
  };
  // Promotions: the till service prices the lines whenever they (or the member) change;
  // until it answers, or while it is offline, the screen shows the plain sum.
  const key = priceKey(draft);
  useEffect(() => {
    if (!draft.lines.length) return;
    let live = true;
    const req = saleRequest(draft);
    client.price({ items: req.items, member: req.member, coupons: req.coupons ?? [], sale_id: req.sale_id, overrides: req.overrides ?? [], basket_discount: req.basket_discount ?? null, authorized_by: req.authorized_by }).then(
      (q) => live && setDraft(withQuote(currentDraft.current, {
        key, total_minor: q.total_minor, saving_minor: q.promo_saving_minor,
        offers: q.offers.map((o) => ({ text_zh: o.text_zh, text_en: o.text_en, saving_minor: o.saving_minor })),
        refused: q.refused_coupons.map((r) => ({ coupon_id: r.coupon_id, message: r.message })),
      })),
      () => {},
    );
    return () => { live = false; };
  }, [key]);
  const [outbox, setOutboxState] = useState<Draft[]>(read('opentill.outbox', []));
  const setOutbox = (o: Draft[]) => (write('opentill.outbox', o), setOutboxState(o));
  const [online, setOnline] = useState<boolean | null>(null);
  const [printer, setPrinter] = useState<PrinterInfo | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [receipt, setReceipt] = useState<{ sale: Sale; fresh: boolean } | null>(null);
  const [weighing, setWeighing] = useState<{ product: Product; barcode: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const fail = (e: unknown) => {
    if (e instanceof ApiError) {
      if (e.kind === 'offline') setOnline(false);
      setProblem({ kind: e.kind, message: e.kind === 'offline' ? '' : e.message });
    } else {
      setProblem({ kind: 'internal', message: String(e) });
    }
  };
  const attempt = async <T,>(op: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    try {
      return await op();
    } catch (e) {
      fail(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };

  // The status bar's connection light, and sales waiting for the edge agent.
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        await client.health();
        if (stopped) return;
        setOnline(true);
        client.printer().then((p) => !stopped && setPrinter(p), () => {});
        const waiting: Draft[] = read('opentill.outbox', []);
        for (const d of waiting) {
          try {
            await client.sell(saleRequest(d));
            const rest = read<Draft[]>('opentill.outbox', []).filter((x) => x.sale_id !== d.sale_id);
            setOutbox(rest);
            store.setItem('opentill.lastSale', d.sale_id);
          } catch (e) {
            if (e instanceof ApiError && e.kind !== 'offline') {
              // Refused for good (e.g. the shift was closed meanwhile): stop resending it and
              // put it back on screen for the cashier, or, if a sale is on screen, keep it
              // aside (opentill.refused) so nothing is lost.
              setOutbox(read<Draft[]>('opentill.outbox', []).filter((x) => x.sale_id !== d.sale_id));
              const back = e.kind === 'approval_invalid' ? { ...d, approval: null } : d;
              if (currentDraft.current.lines.length === 0) setDraft(back);
              else write('opentill.refused', [...read<Draft[]>('opentill.refused', []), back]);
              setProblem({ kind: e.kind, message: e.message });
            }
            break;
          }
        }
      } catch {
        if (!stopped) setOnline(false);
      }
    };
    poll();
    const timer = setInterval(poll, 4000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  const refreshShift = async () => {
    try {
      setShift(await client.currentShift());
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'no_open_shift') setShift(null);
      else fail(e);
    }
  };
  useEffect(() => {
    if (session) refreshShift();
  }, [session]);

  // Scans anywhere, whatever has focus.
  const onScan = useRef<(code: string) => void>(() => {});
  useEffect(() => listenForScans(window, (code) => onScan.current(code)), []);
  // The camera, where there is one, is one more scanner.
  const [camera, setCamera] = useState<'none' | 'ready' | 'open'>('none');
  useEffect(() => void hasCamera().then((yes) => yes && setCamera('ready')), []);
  // Networked scanners (MQTT, through the edge agent): this till's lane if one is set
  // (localStorage `opentill.scanner`), else every scanner. A message delivered twice is
  // the same scan.
  useEffect(() => {
    const seen: string[] = [];
    return client.onNetworkScan((scan) => {
      if (seen.includes(scan.scanner + '/' + scan.id)) return;
      seen.push(scan.scanner + '/' + scan.id);
      if (seen.length > 100) seen.shift();
      onScan.current(scan.code);
    }, store.getItem('opentill.scanner'));
  }, []);

  const ringUp = async (code: string, known?: Product) => {
    const scanned = known ? { product: known, grams: null, label_price_minor: null } : await attempt(() => client.scan(code));
    if (!scanned) return;
    const { product, grams } = scanned;
    if (grams != null) setDraft(addLabel(currentDraft.current, product, code, grams, scanned.label_price_minor ?? null));
    else if (product.unit === 'kg') setWeighing({ product, barcode: code });
    else setDraft(addProduct(currentDraft.current, product, code, 1));
  };

  const logout = () => {
    pin.current = '';
    setSession(null);
    setShift(undefined);
    setScreen('sale');
  };

  const complete = async () => {
    setBusy(true);
    try {
      const sale = await client.sell(saleRequest(draft));
      store.setItem('opentill.lastSale', sale.sale_id);
      setReceipt({ sale, fresh: true });
      setDraft(newDraft());
      setScreen('sale');
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'offline') {
        setOutbox([...outbox, draft]);
        setDraft(newDraft());
        setScreen('sale');
        setOnline(false);
        setNotice(t('tender.queued'));
      } else {
        // An approval that no longer stands: the changes stay, a supervisor approves again.
        if (e instanceof ApiError && e.kind === 'approval_invalid') setDraft({ ...currentDraft.current, approval: null });
        fail(e);
      }
    } finally {
      setBusy(false);
    }
  };

  const showLastReceipt = async () => {
    const id = store.getItem('opentill.lastSale');
    if (!id) return;
    const sale = await attempt(() => client.sale(id));
    if (sale) setReceipt({ sale, fresh: false });
  };

  const mainRef = useRef<HTMLElement>(null);
  useEffect(() => mainRef.current?.scrollTo(0, 0), [screen, session, shift === null]);
  const tenderScan = useRef<(code: string) => void>(() => {});
  const returnScan = useRef<(code: string) => void>(() => {});
  const saleScan = useRef<(code: string) => void>(() => {});
  const officeScan = useRef<(code: string) => void>(() => {});
  let body: ComponentChildren;
  let scanHandler: (code: string) => void = () => {};
  if (!session) {
    body = <Login t={t} busy={busy} onLogin={async (user, p) => {
      const actor = await attempt(() => client.login(user, p));
      if (actor) {
        pin.current = p;
        setSession({ user_id: actor.user_id, role: actor.role });
      }
    }} />;
  } else if (shift === undefined) {
    body = <div class="center muted">{t('common.busy')}</div>;
  } else if (shift === null) {
    body = <OpenShift t={t} busy={busy} needPin={!pin.current} onOpen={async (float, p) => {
      const ok = await attempt(() => client.openShift(session.user_id, p || pin.current, float));
      if (ok) await refreshShift();
    }} onLogout={logout} />;
  } else if (screen === 'tender') {
    scanHandler = (code) => tenderScan.current(code);
    body = <TenderScreen t={t} money={money} draft={draft} setDraft={setDraft} busy={busy} onBack={() => setScreen('sale')} onComplete={complete} scanInto={tenderScan} />;
  } else if (screen === 'return') {
    scanHandler = (code) => returnScan.current(code);
    body = <ReturnScreen t={t} money={money} locale={locale} client={client} attempt={attempt} scanInto={returnScan} onDone={() => setScreen('sale')} />;
  } else if (screen === 'close') {
    body = <CloseShift t={t} money={money} client={client} attempt={attempt} shift={shift} session={session} onCancel={() => setScreen('sale')} onClosed={() => { setScreen('sale'); logout(); }} />;
  } else if (screen === 'nosale') {
    body = <NoSale t={t} client={client} attempt={attempt} onDone={(done) => { setScreen('sale'); if (done) setNotice(t('nosale.done')); }} />;
  } else if (screen === 'office') {
    scanHandler = (code) => officeScan.current(code);
    body = <BackOffice t={t} money={money} locale={locale} client={client} attempt={attempt} userId={session.user_id} notify={setNotice} scanInto={officeScan} onBack={() => setScreen('sale')} />;
  } else {
    scanHandler = (code) => saleScan.current(code);
    body = <SaleScreen t={t} money={money} locale={locale} client={client} draft={draft} setDraft={setDraft} ringUp={ringUp} fail={fail} scanInto={saleScan} notify={setNotice}
      attempt={attempt} userId={session.user_id} pin={pin.current} onReceipt={(sale) => (store.setItem('opentill.lastSale', sale.sale_id), setReceipt({ sale, fresh: true }))}
      onCamera={camera === 'none' ? undefined : () => setCamera('open')}
      onPay={() => setScreen('tender')} onNav={setScreen} onLastReceipt={showLastReceipt} />;
  }
  onScan.current = (code) => {
    if (weighing) return;
    // The next customer's first scan puts the last receipt away.
    if (receipt) setReceipt(null);
    scanHandler(code);
  };
  return (
    <div class="app">
      <StatusBar t={t} online={online} printer={printer} pending={outbox.length} session={session} shift={shift ?? null} locale={locale}
        onLocale={() => setLocale(locale === 'en' ? 'zh-CN' : 'en')} onLogout={session ? logout : undefined} />
      <main class="main" ref={mainRef}>{body}</main>
      {camera === 'open' && <CameraDialog t={t} onCode={(code) => onScan.current(code)} onClose={() => setCamera('ready')} />}
      {weighing && <WeighDialog t={t} product={weighing.product} locale={locale} onCancel={() => setWeighing(null)} onWeight={(grams) => {
        setDraft(addProduct(currentDraft.current, weighing.product, weighing.barcode, grams));
        setWeighing(null);
      }} />}
      {receipt && <ReceiptDialog t={t} money={money} sale={receipt.sale} fresh={receipt.fresh} onClose={() => setReceipt(null)}
        onPrint={printer?.configured ? () => attempt(() => client.printSale(receipt.sale.sale_id)).then((r) => r && setNotice(r.printed ? t('receipt.printed') : r.message ?? '')) : undefined} />}
      {problem && <ProblemDialog t={t} problem={problem} onClose={() => setProblem(null)} />}
      {notice && <Dialog onClose={() => setNotice(null)}><p class="notice">{notice}</p><button class="btn primary wide" onClick={() => setNotice(null)}>{t('common.ok')}</button></Dialog>}
    </div>
  );
}


function StatusBar(p: { t: T; online: boolean | null; printer: PrinterInfo | null; pending: number; session: Session | null; shift: ShiftReport | null; locale: Locale; onLocale: () => void; onLogout?: () => void }) {
  const { t } = p;
  return (
    <header class="status" data-testid="status">
      <span class="brand">OpenTill</span>
      <span class={'pill ' + (p.online === false ? 'bad' : p.online ? 'good' : '')} data-testid="status-online">
        <span class="dot" />{p.online === false ? t('status.offline') : t('status.online')}
      </span>
      <span class={'pill ' + (p.printer?.configured ? (p.printer.ready ? 'good' : 'bad') : '')} data-testid="status-printer">
        {t('status.printer')}: {p.printer?.configured ? p.printer.message : t('status.printer.none')}
      </span>
      <span class={'pill ' + (p.pending ? 'warn' : '')} data-testid="status-pending">{t('status.pending')}: {p.pending}</span>
      <span class="grow" />
      {p.session && <span class="pill">{t('status.user')}: {p.session.user_id}</span>}
      {p.session && <span class="pill">{p.shift ? `${t('status.shift')} ${p.shift.shift_id.slice(-6)}` : t('status.noShift')}</span>}
      <button class="btn small" onClick={p.onLocale} data-testid="lang">{t('lang.switch')}</button>
      {p.onLogout && <button class="btn small" onClick={p.onLogout}>{t('logout')}</button>}
    </header>
  );
}

function Keypad({ onKey, t, dot = false }: { onKey: (k: string) => void; t: T; dot?: boolean }) {
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', dot ? '.' : 'C', '0', '⌫'];
  return (
    <div class="keypad">
      {keys.map((k) => (
        <button type="button" class="btn key" onClick={() => onKey(k)} aria-label={k === 'C' ? t('keypad.clear') : k}>{k}</button>
      ))}
    </div>
  );
}

const keyInto = (value: string, k: string) => (k === '⌫' ? value.slice(0, -1) : k === 'C' ? '' : value + k);

function Login({ t, busy, onLogin }: { t: T; busy: boolean; onLogin: (user: string, pin: string) => void }) {
  const [user, setUser] = useState('');
  const [pin, setPin] = useState('');
  const submit = (e?: Event) => {
    e?.preventDefault();
    if (user && pin) onLogin(user.trim(), pin);
  };
  return (
    <form class="card narrow" onSubmit={submit} data-testid="login">
      <h1>{t('login.title')}</h1>
      <label>{t('login.user')}<input name="user" value={user} onInput={(e) => setUser(e.currentTarget.value)} autocomplete="off" autofocus /></label>
      <label>{t('login.pin')}<input name="pin" type="password" inputMode="numeric" value={pin} onInput={(e) => setPin(e.currentTarget.value)} /></label>
      <Keypad t={t} onKey={(k) => setPin(keyInto(pin, k))} />
      <button class="btn primary wide" disabled={busy || !user || !pin}>{t('login.submit')}</button>
    </form>
  );
}

function OpenShift({ t, busy, needPin, onOpen, onLogout }: { t: T; busy: boolean; needPin: boolean; onOpen: (float: number, pin: string) => void; onLogout: () => void }) {
  const [float, setFloat] = useState('500');
  const [pin, setPin] = useState('');
  const amount = parseMoney(float);
  return (
    <form class="card narrow" data-testid="open-shift" onSubmit={(e) => { e.preventDefault(); if (amount !== null) onOpen(amount, pin); }}>
      <h1>{t('shift.open.title')}</h1>
      <label>{t('shift.open.float')}<input name="float" inputMode="decimal" value={float} onInput={(e) => setFloat(e.currentTarget.value)} /></label>
      {needPin && <label>{t('login.pin')}<input name="pin" type="password" value={pin} onInput={(e) => setPin(e.currentTarget.value)} /></label>}
      <Keypad t={t} dot onKey={(k) => setFloat(keyInto(float, k))} />
      <div class="row">
        <button type="button" class="btn" onClick={onLogout}>{t('logout')}</button>
        <button class="btn primary grow" disabled={busy || amount === null || (needPin && !pin)}>{t('shift.open.submit')}</button>
      </div>
    </form>
  );
}

function SaleScreen(p: {
  t: T; money: Money; locale: Locale; client: Client; draft: Draft; setDraft: (d: Draft) => void;
  ringUp: (code: string, known?: Product) => void; fail: (e: unknown) => void; scanInto: { current: (code: string) => void }; notify: (text: string) => void;
  /** Online orders handed over here: the signed-in cashier (their PIN, if the till still holds it) and the sale's receipt. */
  attempt: Attempt; userId: string; pin: string; onReceipt: (sale: Sale) => void;
  onPay: () => void; onNav: (s: Screen) => void; onLastReceipt: () => void; onCamera?: () => void;
}) {
  const { t, money, locale, client, draft, setDraft } = p;
  const [categories, setCategories] = useState<Category[]>([]);
  const [category, setCategory] = useState<string | null>(null);
  const [products, setProducts] = useState<Product[]>([]);
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<number | null>(null);
  const [memberOpen, setMemberOpen] = useState(false);
  const [servedOpen, setServedOpen] = useState(false);
  const servedScan = useRef<(code: string) => void>(() => {});
  const [voidOpen, setVoidOpen] = useState(false);
  const [reweigh, setReweigh] = useState(false);
  const [qtyOpen, setQtyOpen] = useState(false);
  const [resumeOpen, setResumeOpen] = useState(false);
  const [overrideOpen, setOverrideOpen] = useState(false);
  const [couponOpen, setCouponOpen] = useState(false);
  const [saleDiscountOpen, setSaleDiscountOpen] = useState(false);
  const couponScan = useRef<(code: string) => void>(() => {});
  const suspend = async () => {
    try {
      await client.suspend(suspendRequest(draft));
      setDraft(newDraft());
      setSelected(null);
      p.notify(t('sale.suspended'));
    } catch (e) {
      p.fail(e);
    }
  };
  const resume = async (id: string) => {
    setResumeOpen(false);
    try {
      const resumed = await client.resume(id);
      let next = newDraft();
      for (const item of resumed.items) {
        const scanned = await client.scan(item.barcode);
        next = addProduct(next, scanned.product, item.barcode, item.grams ?? item.qty ?? 1);
      }
      // The member comes back too: looked up again for their balance and tier. If that
      // fails, the sale still keeps their account, so it is priced for them.
      let member: Member | null = null;
      let lookupFailed: unknown = null;
      if (resumed.member) {
        member = await findMember(client, resumed.member).catch((e) => {
          lookupFailed = e;
          return { account: resumed.member!, balance_minor: 0 };
        });
      }
      setDraft(withShopper(next, member, resumed));
      if (lookupFailed) p.fail(lookupFailed);
    } catch (e) {
      p.fail(e);
    }
  };
  const memberScan = useRef<(code: string) => void>(() => {});
  // An online order's QR code (OTO:…), scanned or typed, opens the order to hand it over.
  const [order, setOrder] = useState<Order | null>(null);
  const openOrder = async (code: string) => {
    const found = await p.attempt(() => client.order(code.trim()));
    if (found) setOrder(found);
  };
  // With the member box open, a scan is the member's card or QR code; with an order open,
  // only another order's code counts.
  p.scanInto.current = (code) => (memberOpen ? memberScan.current(code) : servedOpen ? servedScan.current(code) : couponOpen ? couponScan.current(code)
    : isOrderCode(code) ? void openOrder(code) : order ? undefined : p.ringUp(code));

  useEffect(() => {
    client.categories().then((c) => {
      setCategories(c);
      if (c.length && category === null) setCategory(c[0].category);
    }, p.fail);
  }, []);
  useEffect(() => {
    let live = true;
    const q = query.trim();
    const load = q ? client.search(q, 24) : category ? client.categoryProducts(category, 60) : Promise.resolve([]);
    load.then((r) => live && setProducts(r), (e) => live && p.fail(e));
    return () => { live = false; };
  }, [category, query]);

  const name = (x: { name: string; name_zh: string }) => (locale === 'zh-CN' ? x.name_zh || x.name : x.name);
  const sum = total(draft);
  const quote = currentQuote(draft);
  const line = selected !== null ? draft.lines[selected] : null;

  return (
    <div class="sale" data-testid="sale">
      <section class="basket">
        <ul class="lines" data-testid="lines">
          {draft.lines.length === 0 && <li class="muted empty">{t('sale.empty')}</li>}
          {draft.lines.map((l, i) => (
            <li class={'line' + (i === selected ? ' selected' : '')} onClick={() => setSelected(i === selected ? null : i)} data-testid="line">
              <span class="name">{name(l)}{l.override && <small class="changed" data-testid="line-override"> · {overrideText(t, money, l.override)}</small>}</span>
              <span class="qty">{l.unit === 'kg' ? `${(l.qty / 1000).toFixed(3)} kg` : `× ${l.qty}`}</span>
              <span class="amount">{money(lineAmount(l))}</span>
            </li>
          ))}
        </ul>
        {line && selected !== null && (
          <div class="row line-tools">
            {line.unit === 'each' && <button class="btn" onClick={() => setDraft(setQty(draft, selected, line.qty - 1))}>−</button>}
            {line.unit === 'each' && <button class="btn big" onClick={() => setQtyOpen(true)} data-testid="qty-btn">{line.qty}</button>}
            {line.unit === 'each' && <button class="btn" onClick={() => setDraft(setQty(draft, selected, line.qty + 1))}>+</button>}
            {line.unit === 'kg' && <span class="big">{(line.qty / 1000).toFixed(3)} kg</span>}
            {line.unit === 'kg' && !line.label && <button class="btn" onClick={() => setReweigh(true)}>{t('sale.reweigh')}</button>}
            <button class="btn" onClick={() => setOverrideOpen(true)} data-testid="override-btn">{t('override.button')}</button>
            <button class="btn danger" onClick={() => { setDraft(setQty(draft, selected, 0)); setSelected(null); }}>{t('sale.remove')}</button>
          </div>
        )}
        {draft.member && (
          <div class="member" data-testid="member">
            {t('sale.member')}: {draft.member.account}
            {draft.member.tier_name && <> · <span data-testid="member-tier">{draft.member.tier_name}</span> · {t('sale.member.points', { n: draft.member.points ?? 0 })}</>}
            {' · '}{t('sale.member.balance', { amount: money(draft.member.balance_minor) })}
            <button class="btn small" onClick={() => setDraft({ ...draft, member: null })}>{t('sale.member.remove')}</button>
          </div>
        )}
        {draft.served_by && (
          <div class="member" data-testid="served-by">
            {t('sale.servedBy')}: <strong>{draft.served_by}</strong>
            <button class="btn small" onClick={() => setDraft({ ...draft, served_by: null })}>{t('sale.servedByRemove')}</button>
          </div>
        )}
        {(draft.coupons ?? []).length > 0 && (
          <ul class="coupons" data-testid="coupons">
            {(draft.coupons ?? []).map((c) => {
              const refused = quote?.refused?.find((r) => r.coupon_id === c);
              return (
                <li class={refused ? 'refused' : ''} data-testid="coupon">
                  <span>{t('coupon.label', { id: c })}{refused && <small data-testid="coupon-refused"> · {refused.message}</small>}</span>
                  <button class="btn small" onClick={() => setDraft(removeCoupon(draft, c))} aria-label={t('coupon.remove')}>×</button>
                </li>
              );
            })}
          </ul>
        )}
        {quote && quote.saving_minor > 0 && (
          <ul class="promos" data-testid="promos">
            {quote.offers.map((o) => <li><span>{locale === 'zh-CN' ? o.text_zh : o.text_en}</span><span class="amount">−{money(o.saving_minor)}</span></li>)}
            <li class="saved"><span>{t('sale.saved')}</span><span class="amount" data-testid="saved">{money(quote.saving_minor)}</span></li>
          </ul>
        )}
        {draft.basket_discount && <div class="sale-discount" data-testid="sale-discount">{t('override.saleDiscount')}: {overrideText(t, money, draft.basket_discount)}</div>}
        <div class="total">
          <span>{t('sale.total')} <small>{t('sale.items', { n: itemCount(draft) })}</small>
            <button class="btn small" disabled={!draft.lines.length} onClick={() => setSaleDiscountOpen(true)} data-testid="sale-discount-btn">{t('override.saleButton')}</button></span>
          <strong data-testid="total">{money(sum)}</strong>
        </div>
        <div class="basket-tools">
          <button class="btn" disabled={!draft.lines.length} onClick={suspend} data-testid="suspend">{t('sale.suspend')}</button>
          <button class="btn" disabled={draft.lines.length > 0} onClick={() => setResumeOpen(true)} data-testid="resume">{t('sale.resume')}</button>
          <button class="btn" disabled={!draft.lines.length} onClick={() => setCouponOpen(true)} data-testid="coupon-btn">{t('coupon.button')}</button>
          <button class="btn danger" disabled={!draft.lines.length} onClick={() => setVoidOpen(true)} data-testid="clear">{t('sale.clear')}</button>
        </div>
        <button class="btn primary pay" disabled={!draft.lines.length} onClick={p.onPay} data-testid="pay">{t('sale.pay')}</button>
      </section>
      <section class="catalog">
        <input class="search" type="search" placeholder={t('sale.search')} value={query} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="search"
          onKeyDown={(e) => { if (e.key === 'Enter' && isOrderCode(query)) { e.preventDefault(); openOrder(query); setQuery(''); } }} />
        {!query && (
          <nav class="tabs">
            {categories.map((c) => (
              <button class={'btn tab' + (c.category === category ? ' active' : '')} onClick={() => setCategory(c.category)}>{categoryName(locale, c.category)}</button>
            ))}
          </nav>
        )}
        <div class="grid" data-testid="products">
          {products.map((x) => (
            <button class="btn product" onClick={() => p.ringUp(x.barcodes[0], x)}>
              <span class="pname">{name(x)}</span>
              <span class="price">{money(x.price_minor)}{x.unit === 'kg' ? t('sale.perKg') : ''}</span>
            </button>
          ))}
          {query && products.length === 0 && <div class="muted">{t('sale.search.none')}</div>}
        </div>
        <nav class="actions">
          {p.onCamera && <button class="btn" onClick={p.onCamera} data-testid="camera-btn">{t('camera.button')}</button>}
          <button class="btn" onClick={() => setMemberOpen(true)} data-testid="member-btn">{t('sale.member')}</button>
          <button class="btn" onClick={() => setServedOpen(true)} data-testid="served-by-btn">{t('sale.servedBy')}</button>
          <button class="btn" onClick={p.onLastReceipt} data-testid="last-receipt">{t('sale.lastReceipt')}</button>
          <button class="btn" onClick={() => p.onNav('return')} data-testid="return-btn">{t('sale.return')}</button>
          <button class="btn" onClick={() => p.onNav('nosale')} data-testid="nosale-btn">{t('sale.noSale')}</button>
          <button class="btn" onClick={() => p.onNav('office')} data-testid="office-btn">{t('sale.office')}</button>
          <button class="btn" onClick={() => p.onNav('close')} data-testid="close-btn">{t('sale.closeShift')}</button>
        </nav>
      </section>
      {resumeOpen && <ResumeDialog t={t} money={money} client={client} fail={p.fail} onCancel={() => setResumeOpen(false)} onResume={resume} />}
      {qtyOpen && line && selected !== null && (
        <QtyDialog t={t} name={locale === 'zh-CN' ? line.name_zh || line.name : line.name} qty={line.qty} onCancel={() => setQtyOpen(false)}
          onQty={(n) => { setDraft(setQty(draft, selected, n)); setQtyOpen(false); }} />
      )}
      {reweigh && line && selected !== null && (
        <WeighDialog t={t} product={{ ...line, barcodes: [line.barcode], category: '', tax_rate_bp: 0 }} locale={locale} onCancel={() => setReweigh(false)}
          onWeight={(grams) => { setDraft(setQty(draft, selected, grams)); setReweigh(false); }} />
      )}
      {voidOpen && (
        <VoidDialog t={t} onCancel={() => setVoidOpen(false)} onVoid={async (user_id, pin, reason) => {
          // A sale with lines is voided, not just dropped: the journal keeps what was on it.
          try {
            await client.voidSale({ sale_id: draft.sale_id, items: saleRequest(draft).items, reason, user_id, pin });
            setDraft(newDraft());
            setSelected(null);
            setVoidOpen(false);
          } catch (e) {
            p.fail(e);
          }
        }} />
      )}
      {overrideOpen && line && selected !== null && (
        <OverrideDialog t={t} money={money} client={client} draft={draft} line={line} name={name(line)} fail={p.fail} onCancel={() => setOverrideOpen(false)}
          onDone={(override, approval) => { setDraft(setOverride(draft, selected, override, approval)); setOverrideOpen(false); }} />
      )}
      {saleDiscountOpen && (
        <OverrideDialog t={t} money={money} client={client} draft={draft} line={null} name={t('override.wholeSale', { amount: money(total({ ...draft, basket_discount: null })) })} fail={p.fail} onCancel={() => setSaleDiscountOpen(false)}
          onDone={(discount, approval) => { setDraft(setBasketDiscount(draft, discount, approval)); setSaleDiscountOpen(false); }} />
      )}
      {couponOpen && <CouponDialog t={t} scanInto={couponScan} onCancel={() => setCouponOpen(false)} onCoupon={(id) => { setDraft(addCoupon(draft, id)); setCouponOpen(false); }} />}
      {order && <HandoverDialog t={t} money={money} client={client} attempt={p.attempt} order={order} userId={p.userId} pin={p.pin} onClose={() => setOrder(null)}
        onReceipt={(sale) => { setOrder(null); p.onReceipt(sale); }} />}
      {servedOpen && <ServedByDialog t={t} current={draft.served_by ?? ''} scanInto={servedScan} onCancel={() => setServedOpen(false)}
        onStaff={(id) => { setDraft({ ...draft, served_by: id }); setServedOpen(false); }} />}
      {memberOpen && <MemberDialog t={t} client={client} scanInto={memberScan} onCancel={() => setMemberOpen(false)} onMember={(m) => { setDraft({ ...draft, member: m }); setMemberOpen(false); }} fail={p.fail} />}
    </div>
  );
}

/** Who served the customer (导购): their user id, typed or scanned from their staff card.
 *  The till service checks it when the sale is recorded. */
function ServedByDialog({ t, current, scanInto, onCancel, onStaff }: { t: T; current: string; scanInto: { current: (code: string) => void }; onCancel: () => void; onStaff: (id: string | null) => void }) {
  const [staff, setStaff] = useState(current);
  scanInto.current = (code) => onStaff(code.trim() || null);
  return (
    <Dialog onClose={onCancel}>
      <form onSubmit={(e) => { e.preventDefault(); onStaff(staff.trim() || null); }} data-testid="served-by-dialog">
        <h2>{t('sale.servedByTitle')}</h2>
        <p class="muted">{t('sale.servedByHint')}</p>
        <label>{t('sale.servedBy')}<input name="served-by" value={staff} autocomplete="off" onInput={(e) => setStaff(e.currentTarget.value)} autofocus /></label>
        <div class="row">
          <button type="button" class="btn" onClick={onCancel}>{t('common.cancel')}</button>
          <button type="button" class="btn" onClick={() => onStaff(null)}>{t('sale.servedByClear')}</button>
          <button class="btn primary grow" disabled={!staff.trim()} data-testid="served-by-ok">{t('sale.servedBySet')}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** A member by account, phone or member pass: the stored-value account, and the member
 *  registered under the same number if any (tier and points). */
async function findMember(client: Client, id: string): Promise<Member> {
  // A member pass (the QR code in the member's app) is checked offline and names the account.
  const key = id.trim().startsWith('OTP1.') ? (await client.checkPass(id.trim())).account : id.trim();
  const [b, m] = await Promise.all([client.storedValue(key), client.member(key).catch(() => null)]);
  return { account: b.account, balance_minor: b.balance_minor, tier_name: m?.tier_name ?? null, points: m?.points ?? null, member_id: m?.member_id ?? null };
}

function MemberDialog({ t, client, scanInto, onCancel, onMember, fail }: { t: T; client: Client; scanInto: { current: (code: string) => void }; onCancel: () => void; onMember: (m: Draft['member'] & {}) => void; fail: (e: unknown) => void }) {
  const [account, setAccount] = useState('');
  const lookup = async (id: string) => {
    try {
      // The till service prices the sale for the member found.
      onMember(await findMember(client, id));
    } catch (err) {
      fail(err);
    }
  };
  scanInto.current = (code) => {
    setAccount(code);
    lookup(code);
  };
  const find = (e: Event) => {
    e.preventDefault();
    lookup(account);
  };
  return (
    <Dialog onClose={onCancel}>
      <form onSubmit={find} data-testid="member-dialog">
        <label>{t('sale.member.prompt')}<input name="account" value={account} onInput={(e) => setAccount(e.currentTarget.value)} autofocus /></label>
        <div class="row"><button type="button" class="btn" onClick={onCancel}>{t('common.cancel')}</button><button class="btn primary grow" disabled={!account.trim()}>{t('common.ok')}</button></div>
      </form>
    </Dialog>
  );
}

function ResumeDialog({ t, money, client, fail, onCancel, onResume }: { t: T; money: Money; client: Client; fail: (e: unknown) => void; onCancel: () => void; onResume: (id: string) => void }) {
  const [list, setList] = useState<Suspended[] | null>(null);
  useEffect(() => { client.suspended().then(setList, (e) => { onCancel(); fail(e); }); }, []);
  return (
    <Dialog onClose={onCancel}>
      <div data-testid="resume-dialog">
        <h2>{t('sale.resume')}</h2>
        {list && list.length === 0 && <p class="muted">{t('sale.resume.none')}</p>}
        <div class="resume-list">
          {list?.map((x) => (
            <button class="btn resume-item" onClick={() => onResume(x.basket_id)}>
              <span>{new Date(x.created_ms).toLocaleTimeString()} · {t('sale.items', { n: x.n_lines })}{x.label ? ` · ${x.label}` : ''}</span>
              <strong>{money(x.total_minor)}</strong>
            </button>
          ))}
        </div>
        <button class="btn wide" onClick={onCancel}>{t('common.cancel')}</button>
      </div>
    </Dialog>
  );
}

function QtyDialog({ t, name, qty, onCancel, onQty }: { t: T; name: string; qty: number; onCancel: () => void; onQty: (n: number) => void }) {
  const [text, setText] = useState(String(qty));
  const n = /^\d{1,4}$/.test(text) && Number(text) > 0 ? Number(text) : null;
  return (
    <Dialog onClose={onCancel}>
      <form data-testid="qty" onSubmit={(e) => { e.preventDefault(); if (n) onQty(n); }}>
        <label>{t('sale.qtyOf', { name })}<input name="qty" inputMode="numeric" value={text} onInput={(e) => setText(e.currentTarget.value)} autofocus /></label>
        <Keypad t={t} onKey={(k) => setText(keyInto(text, k))} />
        <div class="row"><button type="button" class="btn" onClick={onCancel}>{t('common.cancel')}</button><button class="btn primary grow" disabled={!n}>{t('common.ok')}</button></div>
      </form>
    </Dialog>
  );
}

function WeighDialog({ t, product, locale, onCancel, onWeight }: { t: T; product: Product; locale: Locale; onCancel: () => void; onWeight: (grams: number) => void }) {
  const [kg, setKg] = useState('');
  const grams = parseKg(kg);
  return (
    <Dialog onClose={onCancel}>
      <form data-testid="weigh" onSubmit={(e) => { e.preventDefault(); if (grams) onWeight(grams); }}>
        <label>{t('sale.weigh', { name: locale === 'zh-CN' ? product.name_zh : product.name })}<input name="kg" inputMode="decimal" value={kg} onInput={(e) => setKg(e.currentTarget.value)} autofocus /></label>
        <Keypad t={t} dot onKey={(k) => setKg(keyInto(kg, k))} />
        <div class="row"><button type="button" class="btn" onClick={onCancel}>{t('common.cancel')}</button><button class="btn primary grow" disabled={!grams}>{t('sale.weigh.ok')}</button></div>
      </form>
    </Dialog>
  );
}

const KINDS = ['cash', 'card', 'mobile', 'stored', 'points'] as const;
type Kind = (typeof KINDS)[number];

function TenderScreen(p: { t: T; money: Money; draft: Draft; setDraft: (d: Draft) => void; busy: boolean; onBack: () => void; onComplete: () => void; scanInto: { current: (code: string) => void } }) {
  const { t, money, draft, setDraft } = p;
  const state = tenderState(draft);
  const initialAmount = (remaining: number) => (remaining ? (remaining / 100).toFixed(2) : '');
  // Points pay only with a registered member on the sale; the tender names the member.
  const points = pointsLeft(draft);
  const kinds = KINDS.filter((k) => k !== 'points' || points !== null);
  const [kind, setKind] = useState<Kind>('cash');
  const [amount, setAmount] = useState(initialAmount(state.remaining));
  const [reference, setReference] = useState('');
  const memberRef = draft.member?.member_id || draft.member?.account || '';
  const choose = (k: Kind, ref?: string) => {
    setKind(k);
    setAmount(initialAmount(k === 'points' ? pointsAmount(draft) : state.remaining));
    setReference(ref ?? (k === 'stored' ? draft.member?.account ?? '' : k === 'points' ? memberRef : ''));
  };
  const update = (next: Draft) => {
    setDraft(next);
    setReference(kind === 'points' ? memberRef : '');
    setAmount(initialAmount(kind === 'points' ? pointsAmount(next) : tenderState(next).remaining));
  };
  // A scan on this screen is the customer's payment code (or a card slip reference).
  p.scanInto.current = (code) => (kind === 'cash' || kind === 'points' ? choose('mobile', code) : setReference(code));
  const add = (minor: number | null, k: Kind = kind) => {
    if (minor === null || minor <= 0) return;
    update(addTender(draft, { kind: k, amount_minor: minor, reference: k === 'cash' ? null : reference.trim() || null }));
  };
  const needsRef = kind !== 'cash' && kind !== 'points';
  return (
    <div class="tender" data-testid="tender">
      <section class="summary">
        <h1>{t('tender.title')}</h1>
        <dl>
          <dt>{t('tender.due')}</dt><dd data-testid="due">{money(state.due)}</dd>
          <dt>{t('tender.paid')}</dt><dd>{money(state.paid)}</dd>
          <dt>{t('tender.remaining')}</dt><dd class="big" data-testid="remaining">{money(state.remaining)}</dd>
          {state.change > 0 && <><dt>{t('tender.change')}</dt><dd class="big good" data-testid="change">{money(state.change)}</dd></>}
        </dl>
        <ul class="tenders" data-testid="tenders">
          {draft.tenders.map((x, i) => (
            <li>
              <span>{t(kindKey(x.kind))}{x.reference ? ` · ${x.reference}` : ''}</span>
              <span>{money(x.amount_minor)}</span>
              <button class="btn small" onClick={() => update({ ...draft, tenders: draft.tenders.filter((_, j) => j !== i) })}>{t('tender.remove')}</button>
            </li>
          ))}
        </ul>
        <div class="row">
          <button class="btn" onClick={p.onBack}>{t('tender.back')}</button>
          <button class="btn primary grow" disabled={p.busy || state.remaining > 0} onClick={p.onComplete} data-testid="complete">{t('tender.complete')}</button>
        </div>
      </section>
      <section class="methods">
        <nav class="tabs">
          {kinds.map((k) => <button class={'btn tab' + (k === kind ? ' active' : '')} onClick={() => choose(k)} data-testid={'kind-' + k}>{t(kindKey(k))}</button>)}
        </nav>
        {kind === 'cash' && (
          <div class="quick" data-testid="quick-cash">
            {quickCash(state.remaining).map((q, i) => (
              <button class="btn big-btn" onClick={() => add(q, 'cash')}>{i === 0 ? `${t('tender.exact')} ${money(q)}` : money(q)}</button>
            ))}
          </div>
        )}
        {kind === 'points' && points !== null && (
          <p class="points-info" data-testid="points-info">{t('tender.points.balance', { n: points, amount: money(points * POINT_VALUE_MINOR) })}</p>
        )}
        <form onSubmit={(e) => { e.preventDefault(); add(parseMoney(amount)); }}>
          <label>{t('tender.amount')}<input name="amount" inputMode="decimal" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} /></label>
          {needsRef && <label>{t(kind === 'card' ? 'tender.reference.card' : kind === 'mobile' ? 'tender.reference.mobile' : 'tender.reference.stored')}
            <input name="reference" value={reference} onInput={(e) => setReference(e.currentTarget.value)} /></label>}
          <Keypad t={t} dot onKey={(k) => setAmount(keyInto(amount, k))} />
          <button class="btn primary wide" disabled={parseMoney(amount) === null || (needsRef && !reference.trim()) || (kind === 'points' && !reference)} data-testid="add-tender">{t('tender.add')}</button>
        </form>
      </section>
    </div>
  );
}

function ReturnScreen(p: { t: T; money: Money; locale: Locale; client: Client; attempt: Attempt; scanInto: { current: (code: string) => void }; onDone: () => void }) {
  const { t, money, client, attempt } = p;
  const [saleId, setSaleId] = useState('');
  const [sale, setSale] = useState<Sale | null>(null);
  const [qty, setQtyState] = useState<Record<number, string>>({});
  const [user, setUser] = useState('');
  const [pin, setPin] = useState('');
  const [restock, setRestock] = useState(true);
  const [done, setDone] = useState<Refund | null>(null);
  const find = async (id: string) => {
    const s = await attempt(() => client.sale(id.trim()));
    if (s) {
      setSale(s);
      setQtyState(Object.fromEntries(s.lines.map((l) => [l.line, l.unit === 'kg' ? (l.qty / 1000).toFixed(3) : String(l.qty)])));
    }
  };
  p.scanInto.current = (code) => {
    setSaleId(code);
    find(code);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!sale) return;
    const lines = sale.lines.flatMap((l): NonNullable<RefundRequest['lines']> => {
      const text = qty[l.line] ?? '';
      if (l.unit === 'kg') {
        const grams = parseKg(text);
        return grams ? [{ line: l.line, grams }] : [];
      }
      const n = Number(text);
      return Number.isInteger(n) && n > 0 ? [{ line: l.line, qty: n }] : [];
    });
    if (!lines.length) return;
    const r = await attempt(() => client.refund({ sale_id: sale.sale_id, lines, user_id: user.trim(), pin, restock }));
    if (r) setDone(r);
  };
  if (done) {
    return (
      <div class="card" data-testid="refund-done">
        <h1>{t('return.done', { amount: money(done.total_minor) })}</h1>
        <ReceiptText text={done.receipt_text} />
        <button class="btn primary wide" onClick={p.onDone}>{t('common.ok')}</button>
      </div>
    );
  }
  return (
    <div class="card" data-testid="return">
      <h1>{t('return.title')}</h1>
      <form class="row" onSubmit={(e) => { e.preventDefault(); find(saleId); }}>
        <label class="grow">{t('return.saleId')}<input name="sale" value={saleId} onInput={(e) => setSaleId(e.currentTarget.value)} /></label>
        <button class="btn primary" disabled={!saleId.trim()}>{t('return.find')}</button>
      </form>
      {sale && (
        <form onSubmit={submit}>
          <table class="table">
            <tbody>
              {sale.lines.map((l) => (
                <tr>
                  <td>{l.line}</td>
                  <td>{p.locale === 'zh-CN' ? l.name_zh || l.name : l.name}</td>
                  <td class="muted">{l.unit === 'kg' ? `${(l.qty / 1000).toFixed(3)} kg` : `× ${l.qty}`}</td>
                  <td class="num">{money(l.amount_minor)}</td>
                  <td><label>{t('return.qty')}<input name={'qty-' + l.line} inputMode="decimal" value={qty[l.line] ?? ''} onInput={(e) => setQtyState({ ...qty, [l.line]: e.currentTarget.value })} /></label></td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="row">
            <label class="grow">{t('return.supervisor')}<input name="supervisor" value={user} onInput={(e) => setUser(e.currentTarget.value)} /></label>
            <label class="grow">{t('return.pin')}<input name="supervisor-pin" type="password" value={pin} onInput={(e) => setPin(e.currentTarget.value)} /></label>
          </div>
          <label class="check"><input type="checkbox" checked={restock} onChange={(e) => setRestock(e.currentTarget.checked)} />{t('return.restock')}</label>
          <div class="row">
            <button type="button" class="btn" onClick={p.onDone}>{t('common.cancel')}</button>
            <button class="btn primary grow" disabled={!user || !pin} data-testid="refund">{t('return.submit', { amount: '' }).trim()}</button>
          </div>
        </form>
      )}
      {!sale && <button class="btn" onClick={p.onDone}>{t('common.back')}</button>}
    </div>
  );
}

function CloseShift(p: { t: T; money: Money; client: Client; attempt: Attempt; shift: ShiftReport; session: Session; onCancel: () => void; onClosed: () => void }) {
  const { t, money, client, attempt } = p;
  const [current, setCurrent] = useState<ShiftReport>(p.shift);
  const [counted, setCounted] = useState('');
  const [pin, setPin] = useState('');
  const [z, setZ] = useState<ShiftReport | null>(null);
  useEffect(() => { client.currentShift().then(setCurrent, () => {}); }, []);
  const amount = parseMoney(counted);
  if (z) {
    return (
      <div class="card" data-testid="z-report">
        <h1>{t('shift.z.title')}</h1>
        <div class="two">
          <div>
            <ShiftFigures t={t} money={money} r={z} />
            <button class="btn primary wide" onClick={p.onClosed}>{t('shift.z.done')}</button>
          </div>
          <ReceiptText text={z.text} tall />
        </div>
      </div>
    );
  }
  return (
    <form class="card" data-testid="close-shift" onSubmit={async (e) => {
      e.preventDefault();
      if (amount === null) return;
      const r = await attempt(() => client.closeShift(p.session.user_id, pin, amount));
      if (r) setZ(r);
    }}>
      <h1>{t('shift.close.title')}</h1>
      <div class="split">
        <ShiftFigures t={t} money={money} r={current} />
        <div>
          <label>{t('shift.close.counted')}<input name="counted" inputMode="decimal" value={counted} onInput={(e) => setCounted(e.currentTarget.value)} /></label>
          <label>{t('login.pin')}<input name="pin" type="password" value={pin} onInput={(e) => setPin(e.currentTarget.value)} /></label>
          <Keypad t={t} dot onKey={(k) => setCounted(keyInto(counted, k))} />
          <div class="row">
            <button type="button" class="btn" onClick={p.onCancel}>{t('common.cancel')}</button>
            <button class="btn primary grow" disabled={amount === null || !pin}>{t('shift.close.submit')}</button>
          </div>
        </div>
      </div>
    </form>
  );
}

function ShiftFigures({ t, money, r }: { t: T; money: Money; r: ShiftReport }) {
  return (
    <dl class="figures" data-testid="shift-figures">
      <dt>{t('reports.sales')}</dt><dd data-testid="z-sales">{r.n_sales} · {money(r.sales_total_minor)}</dd>
      <dt>{t('reports.refunds')}</dt><dd data-testid="z-refunds">{r.n_refunds} · {money(r.refunds_total_minor)}</dd>
      <dt>{t('reports.net')}</dt><dd data-testid="z-net">{money(r.net_sales_minor)}</dd>
      {Object.entries(r.by_tender_minor).map(([k, v]) => <><dt>{t(kindKey(k))}</dt><dd data-testid={'z-' + k}>{money(v)}</dd></>)}
      <dt>{t('shift.close.expected')}</dt><dd data-testid="z-expected">{money(r.expected_cash_minor)}</dd>
      {r.counted_cash_minor != null && <><dt>{t('shift.close.counted')}</dt><dd>{money(r.counted_cash_minor)}</dd></>}
    </dl>
  );
}

function VoidDialog({ t, onCancel, onVoid }: { t: T; onCancel: () => void; onVoid: (user: string, pin: string, reason: string) => void }) {
  const [user, setUser] = useState('');
  const [pin, setPin] = useState('');
  const [reason, setReason] = useState(t('void.reasonDefault'));
  return (
    <Dialog onClose={onCancel}>
      <form data-testid="void" onSubmit={(e) => { e.preventDefault(); onVoid(user.trim(), pin, reason.trim()); }}>
        <h2>{t('void.title')}</h2>
        <p class="muted">{t('void.explain')}</p>
        <label>{t('return.supervisor')}<input name="supervisor" value={user} onInput={(e) => setUser(e.currentTarget.value)} /></label>
        <label>{t('return.pin')}<input name="supervisor-pin" type="password" value={pin} onInput={(e) => setPin(e.currentTarget.value)} /></label>
        <label>{t('nosale.reason')}<input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} /></label>
        <div class="row">
          <button type="button" class="btn" onClick={onCancel}>{t('common.cancel')}</button>
          <button class="btn danger grow" disabled={!user || !pin || !reason.trim()}>{t('void.submit')}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** A coupon the customer presents: its code typed, or scanned from the coupon. */
function CouponDialog({ t, scanInto, onCancel, onCoupon }: { t: T; scanInto: { current: (code: string) => void }; onCancel: () => void; onCoupon: (id: string) => void }) {
  const [code, setCode] = useState('');
  scanInto.current = (scanned) => onCoupon(scanned);
  return (
    <Dialog onClose={onCancel}>
      <form data-testid="coupon-dialog" onSubmit={(e) => { e.preventDefault(); if (code.trim()) onCoupon(code.trim()); }}>
        <h2>{t('coupon.title')}</h2>
        <p class="muted">{t('coupon.hint')}</p>
        <label>{t('coupon.code')}<input name="coupon-code" value={code} onInput={(e) => setCode(e.currentTarget.value)} autocomplete="off" autofocus /></label>
        <div class="row">
          <button type="button" class="btn" onClick={onCancel}>{t('common.cancel')}</button>
          <button class="btn primary grow" disabled={!code.trim()} data-testid="coupon-add">{t('coupon.add')}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** A line's hand-made change in a few words: "¥5.00", "−10 %", "−¥1.00". */
function overrideText(t: T, money: Money, o: Override): string {
  const parts: string[] = [];
  if (o.price_minor != null) parts.push(t('override.priced', { price: money(o.price_minor) }));
  if (o.percent_bp) parts.push(`−${o.percent_bp / 100} %`);
  if (o.amount_minor) parts.push(`−${money(o.amount_minor)}`);
  return parts.join(' ');
}

/**
 * Changes a line's price by hand or takes a discount off it, with a supervisor's approval:
 * their PIN is checked once for this sale (`POST /api/approvals`) and the sale keeps only
 * the approval, so a sale waiting for the till service never holds a PIN.
 */
function OverrideDialog(p: { t: T; money: Money; client: Client; draft: Draft; line: Line | null; name: string; fail: (e: unknown) => void; onCancel: () => void; onDone: (o: Override | null, a: Approval | null) => void }) {
  const { t, money, line } = p;
  // A line: a new price or a discount; the whole sale (`line` null): a discount.
  const current = line ? line.override : p.draft.basket_discount;
  const modes = line ? (['price', 'percent', 'amount'] as const) : (['percent', 'amount'] as const);
  const [mode, setMode] = useState<'price' | 'percent' | 'amount'>(current?.percent_bp ? 'percent' : current?.amount_minor ? 'amount' : modes[0]);
  const [value, setValue] = useState('');
  const [user, setUser] = useState('');
  const [pin, setPin] = useState('');
  const [busy, setBusy] = useState(false);
  const approved = p.draft.approval ?? null;
  const percent = /^\d{1,2}(\.\d{1,2})?$/.test(value.trim()) ? Math.round(Number(value.trim()) * 100) : null;
  const minor = parseMoney(value);
  const override: Override | null = mode === 'price' ? (minor !== null ? { price_minor: minor } : null)
    : mode === 'percent' ? (percent !== null && percent > 0 ? { percent_bp: percent } : null)
    : minor !== null && minor > 0 ? { amount_minor: minor } : null;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!override) return;
    let approval = approved;
    if (!approval) {
      setBusy(true);
      try {
        const a = await p.client.approve(p.draft.sale_id, user.trim(), pin);
        approval = { user_id: a.user_id, token: a.approval };
      } catch (err) {
        p.fail(err);
        return;
      } finally {
        setBusy(false);
      }
    }
    p.onDone(override, approval);
  };
  return (
    <Dialog onClose={p.onCancel}>
      <form onSubmit={submit} data-testid="override">
        <h2>{line ? t('override.title') : t('override.saleTitle')}</h2>
        <p><strong>{p.name}</strong>{line && <> · {money(line.price_minor)}{line.unit === 'kg' ? t('sale.perKg') : ''}</>}</p>
        <nav class="tabs">
          {modes.map((m) => (
            <button type="button" class={'btn tab' + (m === mode ? ' active' : '')} onClick={() => (setMode(m), setValue(''))} data-testid={'override-' + m}>{t(`override.mode.${m}`)}</button>
          ))}
        </nav>
        <label>{t(`override.value.${mode}`)}<input name="override-value" inputMode="decimal" value={value} onInput={(e) => setValue(e.currentTarget.value)} autofocus /></label>
        {value.trim() !== '' && !override && <p class="print-problem">{t(mode === 'percent' ? 'override.badPercent' : 'override.badAmount')}</p>}
        {approved ? <p class="muted" data-testid="override-approved">{t('override.approvedBy', { user: approved.user_id })}</p> : (
          <div class="split">
            <label>{t('return.supervisor')}<input name="override-user" value={user} onInput={(e) => setUser(e.currentTarget.value)} autocomplete="off" /></label>
            <label>{t('return.pin')}<input name="override-pin" type="password" inputMode="numeric" value={pin} onInput={(e) => setPin(e.currentTarget.value)} /></label>
          </div>
        )}
        <div class="row">
          {current && <button type="button" class="btn danger" onClick={() => p.onDone(null, null)} data-testid="override-remove">{t('override.remove')}</button>}
          <button type="button" class="btn" onClick={p.onCancel}>{t('common.cancel')}</button>
          <button class="btn primary grow" disabled={busy || !override || (!approved && (!user.trim() || !pin))} data-testid="override-apply">{t('override.apply')}</button>
        </div>
      </form>
    </Dialog>
  );
}

function NoSale({ t, client, attempt, onDone }: { t: T; client: Client; attempt: Attempt; onDone: (done: boolean) => void }) {
  const [user, setUser] = useState('');
  const [pin, setPin] = useState('');
  const [reason, setReason] = useState(t('nosale.reasonDefault'));
  return (
    <form class="card narrow" onSubmit={async (e) => {
      e.preventDefault();
      const r = await attempt(async () => { await client.noSale(user.trim(), pin, reason); return true; });
      if (r) onDone(true);
    }}>
      <h1>{t('nosale.title')}</h1>
      <label>{t('return.supervisor')}<input name="supervisor" value={user} onInput={(e) => setUser(e.currentTarget.value)} /></label>
      <label>{t('return.pin')}<input name="supervisor-pin" type="password" value={pin} onInput={(e) => setPin(e.currentTarget.value)} /></label>
      <label>{t('nosale.reason')}<input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} /></label>
      <div class="row">
        <button type="button" class="btn" onClick={() => onDone(false)}>{t('common.cancel')}</button>
        <button class="btn primary grow" disabled={!user || !pin || !reason}>{t('nosale.submit')}</button>
      </div>
    </form>
  );
}




function ReceiptDialog({ t, money, sale, fresh, onClose, onPrint }: { t: T; money: Money; sale: Sale; fresh: boolean; onClose: () => void; onPrint?: () => void }) {
  return (
    <Dialog onClose={onClose}>
      <div data-testid="receipt">
        {fresh && sale.change_minor > 0 && <div class="change-due"><small>{t('receipt.change')}</small><strong data-testid="change-due">{money(sale.change_minor)}</strong></div>}
        {sale.printed && !sale.printed.printed && <div class="print-problem" data-testid="print-problem">{t('receipt.notPrinted')}: {sale.printed.message}</div>}
        <ReceiptText text={sale.receipt_text} testid="receipt-text" />
        <div class="row">
          <button class="btn" onClick={onPrint ?? (() => window.print())} data-testid="print">{t('receipt.print')}</button>
          <button class="btn primary grow" onClick={onClose} data-testid="receipt-close">{fresh ? t('receipt.next') : t('receipt.close')}</button>
        </div>
      </div>
    </Dialog>
  );
}

function ProblemDialog({ t, problem, onClose }: { t: T; problem: Problem; onClose: () => void }) {
  const hint = useMemo(() => {
    const key = `hint.${problem.kind}` as MessageKey;
    return translate('en', key) !== key ? t(key) : t('hint.default');
  }, [problem, t]);
  return (
    <Dialog onClose={onClose}>
      <div class="problem" role="alert" data-testid="problem">
        <h2>{t('error.title')}</h2>
        {problem.message && <p class="message">{problem.message}</p>}
        <p class="hint">{hint}</p>
        <button class="btn primary wide" onClick={onClose} autofocus>{t('common.ok')}</button>
      </div>
    </Dialog>
  );
}

// Characters a receipt printer prints two columns wide (as core's unicode-width counts them).
const WIDE = /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/;

/** Receipt text in its printed columns: each wide character takes exactly two. */
function ReceiptText({ text, tall, testid }: { text: string; tall?: boolean; testid?: string }) {
  const parts: ComponentChildren[] = [];
  let run = '';
  for (const ch of text) {
    if (WIDE.test(ch)) {
      if (run) parts.push(run);
      run = '';
      parts.push(<span class="w">{ch}</span>);
    } else run += ch;
  }
  if (run) parts.push(run);
  return <pre class={'receipt' + (tall ? ' tall' : '')} data-testid={testid}>{parts}</pre>;
}
