// The one typed client of the till API. Types come from the OpenAPI document
// (schema.ts, generated); how a request travels is a Transport: HTTP to an edge agent
// (HttpTransport), or Tauri IPC to the router inside the till's window (TauriTransport):
// same paths, same JSON.
import type { components } from './schema';

type S = components['schemas'];
export type Product = S['ProductDto'];
export type Category = S['CategoryDto'];
export type Scan = S['ScanDto'];
export type Suspended = S['SuspendedDto'];
export type Resumed = S['ResumedDto'];
export type SuspendRequest = S['SuspendRequest'];
export type Sale = S['SaleDto'];
export type SaleRequest = S['SaleRequest'];
export type Tender = S['TenderDto'];
export type Refund = S['RefundDto'];
export type RefundRequest = S['RefundRequest'];
export type Actor = S['ActorDto'];
export type ShiftReport = S['ShiftReportDto'];
export type Health = S['HealthDto'];
export type Balance = S['BalanceDto'];
export type Quote = S['QuoteDto'];
export type MemberInfo = S['MemberDto'];
export type NetworkScan = S['NetworkScan'];
export type PrinterInfo = S['PrinterDto'];
export type PrintOutcome = S['PrintDto'];
export type PriceRequest = S['PriceRequest'];
export type CatalogEntry = S['CatalogEntryDto'];
export type Job = S['JobDto'];
export type LowStock = S['LowStockDto'];
export type StockLevel = S['StockDto'];
export type Suggestion = S['SuggestionDto'];
export type Stocktake = S['StocktakeDto'];
export type Transfers = S['TransfersDto'];
export type Transfer = S['TransferDto'];
export type Order = S['OrderDto'];
export type OrderLine = S['OrderLineDto'];
export type Handover = S['HandoverDto'];
export type Supplier = S['SupplierDto'];
export type PurchaseOrder = S['PurchaseOrderDto'];
export type Commission = S['CommissionDto'];
export type MemberProgram = S['MemberProgramDto'];
export type Tier = S['TierDto'];
export type CommissionRules = S['CommissionRulesDto'];

export interface TransportRequest {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: unknown;
  lang: string;
}

export interface TransportResponse {
  status: number;
  body: unknown;
}

/** Moves one request to the till service and back. Throws only when it cannot reach it. */
export interface Transport {
  send(req: TransportRequest): Promise<TransportResponse>;
  /** Listens to a stream of server-sent events; returns what stops listening. Optional:
   *  a transport without it gets no pushed events. */
  listen?(path: string, onData: (data: string) => void): () => void;
}

/** fetch() to an edge agent (the page's own origin by default). */
export class HttpTransport implements Transport {
  constructor(private base = '', private timeoutMs = 15000) {}

  async send(req: TransportRequest): Promise<TransportResponse> {
    const headers: Record<string, string> = { 'accept-language': req.lang };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + req.path, {
      method: req.method,
      headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { kind: 'bad_response', message: text.slice(0, 200) };
    }
    // A text answer (a CSV report) is the string itself, as IPC brings it.
    if (res.ok && text && /^text\//.test(res.headers.get('content-type') ?? '')) body = text;
    return { status: res.status, body };
  }

  listen(path: string, onData: (data: string) => void): () => void {
    if (typeof EventSource === 'undefined') return () => {};
    // EventSource reconnects by itself after the edge agent restarts.
    const source = new EventSource(this.base + path);
    source.onmessage = (e) => onData(e.data);
    return () => source.close();
  }
}

/** What the Tauri window puts on `window.__TAURI__` (`withGlobalTauri`): the part used here. */
export interface TauriGlobal {
  core: { invoke<T>(command: string, args?: Record<string, unknown>): Promise<T> };
}

/** The Tauri window's global, when the page runs inside it. */
export function tauriGlobal(w: unknown = typeof window === 'undefined' ? undefined : window): TauriGlobal | undefined {
  const t = (w as { __TAURI__?: TauriGlobal } | undefined)?.__TAURI__;
  return t && typeof t.core?.invoke === 'function' ? t : undefined;
}

/**
 * IPC to the till service inside the Tauri window (`opentill-till`): its one command,
 * `api`, runs the request through the same router an edge agent serves, in-process. No
 * `listen`: event streams do not travel over IPC, and the status bar polls anyway.
 */
export class TauriTransport implements Transport {
  constructor(private tauri: TauriGlobal) {}

  async send(req: TransportRequest): Promise<TransportResponse> {
    let reply: TransportResponse;
    try {
      reply = await this.tauri.core.invoke<TransportResponse>('api', { method: req.method, path: req.path, body: req.body ?? null, lang: req.lang });
    } catch (e) {
      // The command refused the request itself ({kind, message}, e.g. a path outside
      // /api/): an answer, not an unreachable till. Anything else means IPC failed.
      const err = e as { kind?: unknown; message?: unknown } | null;
      if (err && typeof err === 'object' && typeof err.kind === 'string') {
        return { status: 400, body: { kind: err.kind, message: typeof err.message === 'string' ? err.message : '' } };
      }
      throw e;
    }
    return { status: reply.status, body: reply.body ?? null };
  }
}

/** IPC inside the Tauri window, else HTTP to the page's own origin. */
export function defaultTransport(w: unknown = typeof window === 'undefined' ? undefined : window): Transport {
  const tauri = tauriGlobal(w);
  return tauri ? new TauriTransport(tauri) : new HttpTransport();
}

/** A refused or failed call. `kind` is the API's stable kind, or `offline`. */
export class ApiError extends Error {
  constructor(public kind: string, message: string, public status: number) {
    super(message);
  }
}

export class Client {
  constructor(private transport: Transport, public lang: () => string) {}

  private async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    let res: TransportResponse;
    try {
      res = await this.transport.send({ method, path, body, lang: this.lang() });
    } catch (e) {
      throw new ApiError('offline', String(e), 0);
    }
    if (res.status >= 200 && res.status < 300) return res.body as T;
    const err = (res.body ?? {}) as { kind?: string; message?: string };
    throw new ApiError(err.kind ?? 'http_' + res.status, err.message ?? '', res.status);
  }

  health() { return this.call<Health>('GET', '/api/health'); }
  printer() { return this.call<PrinterInfo>('GET', '/api/printer'); }
  voidSale(req: S['VoidRequest']) { return this.call<null>('POST', '/api/sales/void', req); }
  printSale(id: string) { return this.call<PrintOutcome>('POST', `/api/sales/${encodeURIComponent(id)}/print`, {}); }
  /** Codes read by networked scanners (all, or one lane's), as they are read. */
  onNetworkScan(onScan: (scan: NetworkScan) => void, scanner?: string | null): () => void {
    if (!this.transport.listen) return () => {};
    const path = '/api/scans/events' + (scanner ? `?scanner=${encodeURIComponent(scanner)}` : '');
    return this.transport.listen(path, (data) => {
      try {
        onScan(JSON.parse(data) as NetworkScan);
      } catch {
        // Not a scan: ignored.
      }
    });
  }
  login(user_id: string, pin: string) { return this.call<Actor>('POST', '/api/login', { user_id, pin }); }
  categories() { return this.call<Category[]>('GET', '/api/categories'); }
  categoryProducts(category: string, limit = 60) {
    return this.call<Product[]>('GET', `/api/categories/${encodeURIComponent(category)}/products?limit=${limit}`);
  }
  search(q: string, limit = 20) { return this.call<Product[]>('GET', `/api/products?q=${encodeURIComponent(q)}&limit=${limit}`); }
  scan(code: string) { return this.call<Scan>('GET', `/api/scan/${encodeURIComponent(code)}`); }
  byBarcode(code: string) { return this.call<Product>('GET', `/api/products/barcode/${encodeURIComponent(code)}`); }
  approve(sale_id: string, user_id: string, pin: string) { return this.call<S['ApprovalDto']>('POST', '/api/approvals', { sale_id, user_id, pin }); }
  catalogEntry(sku: string) { return this.call<CatalogEntry>('GET', `/api/catalog/${encodeURIComponent(sku)}`); }
  putProduct(req: S['ProductRequest']) { return this.call<CatalogEntry>('POST', '/api/catalog/products', req); }
  /** Starts importing a catalog CSV; follow it with `job`. */
  importCatalog(req: S['ImportRequest']) { return this.call<Job>('POST', '/api/catalog/import', req); }
  job(id: string) { return this.call<Job>('GET', `/api/jobs/${encodeURIComponent(id)}`); }
  setPrice(req: S['PriceChangeRequest']) { return this.call<Product>('POST', '/api/catalog/prices', req); }
  setReorderLevel(req: S['ReorderLevelRequest']) { return this.call<CatalogEntry>('POST', '/api/reorder-levels', req); }
  adjustStock(req: S['StockAdjustRequest']) { return this.call<S['StockDto']>('POST', '/api/stock/adjust', req); }
  /** A SKU's stock: the store's total, per place (floor, backroom, warehouse), and what online orders hold back. */
  stock(sku: string) { return this.call<StockLevel>('GET', `/api/stock/${encodeURIComponent(sku)}`); }
  /** Moves stock between two places in the store (any staff member's PIN); refused when the place holds less. */
  moveStock(req: S['StockMoveRequest']) { return this.call<StockLevel>('POST', '/api/stock/move', req); }
  lowStock() { return this.call<LowStock[]>('GET', '/api/low-stock'); }
  replenishment() { return this.call<Suggestion[]>('GET', '/api/replenishment'); }
  /** Every stored promotion: running or why not, its window, what it is in the client's language. */
  promotions() { return this.call<S['PromotionDto'][]>('GET', '/api/promotions'); }
  /** Stores a promotion (the JSON of docs/promotions.md) with a manager's PIN; the till service checks it. */
  putPromotion(promotion: Record<string, unknown>, user_id: string, pin: string) { return this.call<S['PromotionDto']>('POST', '/api/promotions', { promotion, user_id, pin }); }
  /** Removes a promotion; answers with those left. */
  removePromotion(id: string, user_id: string, pin: string) { return this.call<S['PromotionDto'][]>('POST', `/api/promotions/${encodeURIComponent(id)}/remove`, { user_id, pin }); }
  /** Every stored coupon with its uses so far and its limit. */
  coupons() { return this.call<S['CouponDto'][]>('GET', '/api/coupons'); }
  putCoupon(coupon: Record<string, unknown>, user_id: string, pin: string) { return this.call<S['CouponDto']>('POST', '/api/coupons', { coupon, user_id, pin }); }
  removeCoupon(id: string, user_id: string, pin: string) { return this.call<S['CouponDto'][]>('POST', `/api/coupons/${encodeURIComponent(id)}/remove`, { user_id, pin }); }
  /** Offers the store has but does not run (clashes once edits made apart merged), and why. */
  offersSetAside() { return this.call<S['SetAsideDto'][]>('GET', '/api/offers/set-aside'); }
  suppliers() { return this.call<Supplier[]>('GET', '/api/suppliers'); }
  /** Adds a supplier, or replaces the one with its id; a manager's PIN. */
  putSupplier(req: S['SupplierRequest']) { return this.call<Supplier>('POST', '/api/suppliers', req); }
  /** Every purchase order with its lines' ordered, received and outstanding quantities. */
  purchaseOrders() { return this.call<PurchaseOrder[]>('GET', '/api/purchase-orders'); }
  /** Places a purchase order; an unknown SKU or supplier is refused with the reason. */
  placeOrder(req: S['OrderRequest']) { return this.call<PurchaseOrder>('POST', '/api/purchase-orders', req); }
  /** Goods received against an order: part of it, the rest, or more than ordered. */
  receiveOrder(id: string, req: S['ReceiveRequest']) { return this.call<PurchaseOrder>('POST', `/api/purchase-orders/${encodeURIComponent(id)}/receive`, req); }
  amendOrder(id: string, req: S['AmendOrderRequest']) { return this.call<PurchaseOrder>('POST', `/api/purchase-orders/${encodeURIComponent(id)}/amend`, req); }
  cancelOrder(id: string, req: S['CancelOrderRequest']) { return this.call<PurchaseOrder>('POST', `/api/purchase-orders/${encodeURIComponent(id)}/cancel`, req); }
  openStocktake(req: S['StocktakeRequest']) { return this.call<Stocktake>('POST', '/api/stocktakes', req); }
  stocktake(id: string) { return this.call<Stocktake>('GET', `/api/stocktakes/${encodeURIComponent(id)}`); }
  count(id: string, code: string, counted: number) { return this.call<Stocktake>('POST', `/api/stocktakes/${encodeURIComponent(id)}/counts`, { code, counted }); }
  postStocktake(id: string, user_id: string, pin: string) { return this.call<Stocktake>('POST', `/api/stocktakes/${encodeURIComponent(id)}/post`, { user_id, pin }); }
  /** Transfers to and from this store (most recently moved first) and the other stores the cloud named. */
  transfers() { return this.call<Transfers>('GET', '/api/transfers'); }
  transfer(id: string) { return this.call<Transfer>('GET', `/api/transfers/${encodeURIComponent(id)}`); }
  /** This store asks another for goods, with a manager's PIN. */
  requestTransfer(req: S['TransferRequestDto']) { return this.call<Transfer>('POST', '/api/transfers', req); }
  /** Ships against a request (`transfer_id`; no lines ships what was asked) or to `to_store` with no request. */
  shipTransfer(req: S['ShipRequest']) { return this.call<Transfer>('POST', '/api/transfers/ship', req); }
  /** Takes in a transfer in transit to this store; no lines means everything arrived as shipped. */
  receiveTransfer(id: string, req: S['TransferReceiveRequest']) { return this.call<Transfer>('POST', `/api/transfers/${encodeURIComponent(id)}/receive`, req); }
  /** Calls off a transfer that has not shipped. */
  cancelTransfer(id: string, req: S['TransferCancelRequest']) { return this.call<Transfer>('POST', `/api/transfers/${encodeURIComponent(id)}/cancel`, req); }
  /** Online orders for this store (newest first), each with its pick list and what may be done next. */
  orders() { return this.call<Order[]>('GET', '/api/o2o/orders'); }
  /** One online order; `id` may be the text of its QR code (`OTO:…`). */
  order(id: string) { return this.call<Order>('GET', `/api/o2o/orders/${encodeURIComponent(id)}`); }
  /** Accept (a manager; reserves stock, prices it), reject, pick, mark ready or cancel an order. */
  orderStep(id: string, req: S['OrderStepRequest']) { return this.call<Order>('POST', `/api/o2o/orders/${encodeURIComponent(id)}/step`, req); }
  /** Hands a ready order over (or dispatches a delivery): records its sale, paid online
   *  when no tenders are given; sent again, it answers the same sale (`new: false`). */
  handOver(id: string, req: S['HandoverRequest']) { return this.call<Handover>('POST', `/api/o2o/orders/${encodeURIComponent(id)}/handover`, req); }
  sell(req: SaleRequest) { return this.call<Sale>('POST', '/api/sales', req); }
  price(req: PriceRequest) { return this.call<Quote>('POST', '/api/basket/price', req); }
  suspend(req: SuspendRequest) { return this.call<Suspended>('POST', '/api/suspended', req); }
  suspended() { return this.call<Suspended[]>('GET', '/api/suspended'); }
  resume(id: string) { return this.call<Resumed>('POST', `/api/suspended/${encodeURIComponent(id)}/resume`, {}); }
  sale(id: string) { return this.call<Sale>('GET', `/api/sales/${encodeURIComponent(id)}`); }
  refund(req: RefundRequest) { return this.call<Refund>('POST', '/api/refunds', req); }
  openShift(user_id: string, pin: string, float_minor: number) {
    return this.call<S['ShiftDto']>('POST', '/api/shifts/open', { user_id, pin, float_minor });
  }
  currentShift() { return this.call<ShiftReport>('GET', '/api/shifts/current'); }
  closeShift(user_id: string, pin: string, counted_minor: number) {
    return this.call<ShiftReport>('POST', '/api/shifts/close', { user_id, pin, counted_minor });
  }
  noSale(user_id: string, pin: string, reason: string) { return this.call<null>('POST', '/api/no-sale', { user_id, pin, reason }); }
  checkPass(token: string) { return this.call<S['PassDto']>('POST', '/api/passes/check', { token }); }
  member(key: string) { return this.call<MemberInfo>('GET', `/api/members/${encodeURIComponent(key)}`); }
  storedValue(account: string) { return this.call<Balance>('GET', `/api/stored-value/${encodeURIComponent(account)}`); }
  /** Every device the store's edge agent has heard from. */
  devices() { return this.call<S['DeviceDto'][]>('GET', '/api/devices'); }
  putDevice(device: string, body: S['DeviceRequest']) { return this.call<S['DeviceDto']>('PUT', `/api/devices/${encodeURIComponent(device)}`, body); }
  /** The latest alerts, newest first, cleared ones included (`cleared_ms`); with `open`,
   *  every open alert however old. Details in the client's language. */
  alerts(open = false) { return this.call<S['AlertDto'][]>('GET', open ? '/api/alerts?open=true' : '/api/alerts'); }
  /** Clears an alert; who cleared it is recorded. */
  clearAlert(alert_id: string, user_id: string, pin: string) { return this.call<boolean>('POST', `/api/alerts/${encodeURIComponent(alert_id)}/clear`, { user_id, pin }); }
  /** Every vend, oldest first. */
  vends() { return this.call<S['VendDto'][]>('GET', '/api/vends'); }
  /** Gate entries, exits and refusals per local hour of a day (`YYYY-MM-DD`). */
  footfall(date: string) { return this.call<S['FootfallHourDto'][]>('GET', `/api/footfall?date=${encodeURIComponent(date)}`); }
  /** A member takes rewards for points (a staff member's PIN); refused beyond their points, with the reason. */
  redeemPoints(key: string, req: S['RedeemRequest']) { return this.call<S['RedemptionDto']>('POST', `/api/members/${encodeURIComponent(key)}/redeem`, req); }
  registerMember(req: S['RegisterMemberRequest']) { return this.call<MemberInfo>('POST', '/api/members', req); }
  topUp(req: S['TopUpRequest']) { return this.call<Balance>('POST', '/api/stored-value/top-up', req); }
  /** Commission per staff member (导购) over the store's local days `from..=to`. */
  commissions(from: string, to: string) { return this.call<Commission[]>('GET', `/api/reports/commissions?${new URLSearchParams({ from, to })}`); }
  /** The member program: tiers, points per yuan, birthday and referral rewards. */
  memberProgram() { return this.call<MemberProgram>('GET', '/api/member-program'); }
  /** Replaces the member program (a manager); a program the till refuses comes back with the reason. */
  setMemberProgram(req: S['MemberProgramRequest']) { return this.call<MemberProgram>('PUT', '/api/member-program', req); }
  /** The commission rules in force: a default rate and one per category, basis points. */
  commissionRules() { return this.call<CommissionRules>('GET', '/api/commission-rules'); }
  /** Replaces the commission rules (a manager). */
  setCommissionRules(req: S['CommissionRulesRequest']) { return this.call<CommissionRules>('PUT', '/api/commission-rules', req); }
  /** An analytics report over the store's local days `from..=to` (`YYYY-MM-DD`). */
  analytics(by: AnalyticsBy, from: string, to: string, limit?: number) { return this.call<Analytics>('GET', analyticsPath(by, from, to, limit)); }
  /** The same report as the server's CSV (RFC 4180, headers in the client's language). Over
   *  HTTP and over IPC alike the body of a text/csv answer arrives as a string. With
   *  `list: 'members'` (members report only) every member who bought instead of the segments. */
  async analyticsCsv(by: AnalyticsBy, from: string, to: string, limit?: number, list?: 'members'): Promise<string> {
    const body = await this.call<unknown>('GET', analyticsPath(by, from, to, limit) + '&format=csv' + (list ? `&list=${list}` : ''));
    if (typeof body !== 'string') throw new ApiError('bad_response', 'the report did not come back as CSV', 200);
    return body;
  }
}

export type Analytics = S['AnalyticsDto'];
export type AnalyticsRow = S['AnalyticsRowDto'];
/** What an analytics report groups by. */
export type AnalyticsBy = 'hour' | 'day' | 'week' | 'category' | 'cashier' | 'tender' | 'top' | 'slow' | 'basket' | 'members' | 'conversion';
export type MembersReport = S['MembersDto'];
export type ConversionReport = S['ConversionDto'];

function analyticsPath(by: AnalyticsBy, from: string, to: string, limit?: number): string {
  const q = new URLSearchParams({ by, from, to });
  if (limit !== undefined) q.set('limit', String(limit));
  return `/api/reports/analytics?${q}`;
}
