// Reports: what a manager reads about a period of the store's local days: the totals,
// sales by hour and by day, the category and payment mix, the top sellers, the members'
// RFM segments and repeat rate, footfall conversion by hour, each with its CSV, and the
// commission of each staff member who served customers (导购提成). Every number comes from
// `GET /api/reports/analytics` (commissions: `GET /api/reports/commissions`); the screen
// only draws it (shares are computed for display). Next to the commissions, a manager
// edits the commission rules (提成规则); saving them reads the reports again.
import { useEffect, useState } from 'preact/hooks';
import type { Analytics, AnalyticsBy, Category, Commission, ConversionReport } from '../api/client';
import { addDays, BarChart, ColumnChart, type Datum, dayRange, fill, hourLabel, HOURS, quantityText, RankTable, shares, shortDate } from '../charts';
import { categoryName, type MessageKey } from '../i18n';
import { storeDate } from '../storetime';
import { kindKey } from '../widgets';
import type { TabProps } from './index';
import { type RulesForm, rulesForm, rulesFromForm } from './settings';

/** The periods a manager picks from. */
export type PeriodKind = 'today' | 'last7' | 'last30' | 'custom';
export interface Period { kind: PeriodKind; from: string; to: string }

/** The days of a period ending today (inclusive). */
export function periodDates(kind: Exclude<PeriodKind, 'custom'>, today: string): { from: string; to: string } {
  const days = kind === 'today' ? 1 : kind === 'last7' ? 7 : 30;
  return { from: addDays(today, 1 - days), to: today };
}


/** Basis points as a percentage with two decimals (`6667` → `66.67%`), `-` for none. */
export function bpText(bp: number | null | undefined): string {
  if (bp === null || bp === undefined) return '-';
  const sign = bp < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(bp));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}%`;
}

/** The conversion chart's columns: every hour from the first to the last with entries or
 *  sales, valued at the server's rate in basis points (0 where there were no entries). */
export function conversionColumns(conversion: ConversionReport): Datum[] {
  const hours = conversion.hours.map((h) => h.key);
  if (hours.length === 0) return [];
  const shown = HOURS.slice(HOURS.indexOf(hours[0]), HOURS.indexOf(hours[hours.length - 1]) + 1);
  return fill(shown, new Map(conversion.hours.map((h) => [h.key, h.rate_bp ?? 0])), hourLabel);
}

/** The reports on screen, fetched together for one period. */
interface Reports { from: string; to: string; hour: Analytics; day: Analytics; category: Analytics; tender: Analytics; top: Analytics; members: Analytics; conversion: Analytics; commissions: Commission[] }
const TOP = 10;

export function ReportsTab({ t, money, locale, client, attempt, manager, offsetMin }: TabProps) {
  // Today is the store's: the device may keep another zone.
  const today = () => storeDate(Date.now(), offsetMin);
  const [period, setPeriod] = useState<Period>(() => ({ kind: 'today', ...periodDates('today', today()) }));
  const [custom, setCustom] = useState<{ from: string; to: string }>(() => periodDates('last7', today()));
  const [fetched, setFetched] = useState<Reports | null>(null);
  // Bumped when the commission rules change, so the reports are read again.
  const [rulesVersion, setRulesVersion] = useState(0);
  useEffect(() => {
    const { from, to } = period;
    let current = true;
    attempt(async () => {
      const [[hour, day, category, tender, top, members, conversion], commissions] = await Promise.all([
        Promise.all((['hour', 'day', 'category', 'tender', 'top', 'members', 'conversion'] as const).map((by) => client.analytics(by, from, to, by === 'top' ? TOP : undefined))),
        client.commissions(from, to),
      ]);
      return { from, to, hour, day, category, tender, top, members, conversion, commissions };
    }).then((r) => current && r && setFetched(r));
    // An answer for a period no longer picked is dropped.
    return () => { current = false; };
  }, [period.from, period.to, rulesVersion]);

  const choose = (kind: Exclude<PeriodKind, 'custom'>) => setPeriod({ kind, ...periodDates(kind, today()) });
  /** The server's CSV of one report for the period on screen, saved as a file. */
  const exportCsv = async (by: AnalyticsBy, list?: 'members') => {
    const csv = await attempt(() => client.analyticsCsv(by, period.from, period.to, by === 'top' ? TOP : undefined, list));
    if (csv !== undefined) download(`opentill-${list ?? by}-${period.from}-${period.to}.csv`, csv);
  };
  const csvButton = (by: AnalyticsBy, title: string, list?: 'members') => (
    <button type="button" class="btn csv" onClick={() => exportCsv(by, list)} data-testid={`csv-${list ? `${by}-list` : by}`} aria-label={t('reports.csvOf', { report: title })}>{t('reports.csv')}</button>
  );

  // Only the reports of the period picked: never the last period's under the new dates.
  const reports = fetched && fetched.from === period.from && fetched.to === period.to ? fetched : null;
  const total = reports?.hour.total;
  const empty = total !== undefined && total.n_sales === 0 && total.n_refunds === 0;
  const oneDay = period.from === period.to;
  const productName = (r: Analytics['rows'][number]) => (locale === 'zh-CN' ? r.name_zh || r.name : r.name || r.name_zh) || r.key;
  const titles = {
    hour: t('reports.byHour'),
    day: t('reports.byDay'),
    category: t('reports.categoryMix'),
    tender: t('reports.paymentMix'),
    top: t('reports.topSellers', { n: TOP }),
    members: t('reports.members'),
    memberList: t('reports.memberList'),
    conversion: t('reports.conversionByHour'),
  };
  const members = reports?.members.members;
  const conversion = reports?.conversion.conversion;
  const segmentName = (segment: string) => t(`reports.segment.${segment}` as MessageKey);
  const memberShare = members ? shares([members.member.net_minor, members.guest.net_minor]) : [0, 0];

  return (
    <div class="card reports" data-testid="reports" data-from={period.from} data-to={period.to}>
      <div class="reports-head">
        <h1>{t('reports.title')} <span class="muted period-text" data-testid="period-text">{oneDay ? period.from : t('reports.range', { from: period.from, to: period.to })}</span></h1>
        <div class="periods" role="group" aria-label={t('reports.period')}>
          {(['today', 'last7', 'last30', 'custom'] as const).map((kind) => (
            <button type="button" class={'btn tab' + (period.kind === kind ? ' active' : '')} aria-pressed={period.kind === kind} data-testid={`period-${kind}`}
              onClick={() => (kind === 'custom' ? setPeriod({ kind, ...custom }) : choose(kind))}>{t(`reports.${kind}` as MessageKey)}</button>
          ))}
        </div>
      </div>
      {period.kind === 'custom' && (
        <form class="row custom-period" onSubmit={(e) => (e.preventDefault(), setPeriod({ kind: 'custom', ...custom }))}>
          <label>{t('reports.from')}<input type="date" name="from" value={custom.from} max={custom.to} onInput={(e) => setCustom({ ...custom, from: e.currentTarget.value })} /></label>
          <label>{t('reports.to')}<input type="date" name="to" value={custom.to} min={custom.from} onInput={(e) => setCustom({ ...custom, to: e.currentTarget.value })} /></label>
          <button class="btn primary" disabled={!custom.from || !custom.to || custom.from > custom.to}>{t('reports.show')}</button>
        </form>
      )}
      {reports && total && (empty ? (
        <>
          <p class="reports-empty" data-testid="reports-empty">{t('reports.empty')}</p>
          <CommissionRules {...{ t, locale, client, attempt, manager }} onSaved={() => setRulesVersion((v) => v + 1)} />
        </>
      ) : (
        <>
          <div class="tiles report-tiles" data-testid="report-tiles">
            <div class="tile"><small>{t('reports.netSales')}</small><strong data-testid="tile-net">{money(total.net_minor)}</strong></div>
            <div class="tile"><small>{t('reports.tickets')}</small><strong data-testid="tile-tickets">{total.n_sales}</strong></div>
            <div class="tile"><small>{t('reports.basket')}</small><strong data-testid="tile-basket">{money(total.average_basket_minor)}</strong></div>
            <div class="tile"><small>{t('reports.refunds')}</small><strong data-testid="tile-refunds">{money(total.refunds_minor)}</strong><small>{t('reports.nRefunds', { n: total.n_refunds })}</small></div>
            <div class="tile"><small>{t('reports.discount')}</small><strong data-testid="tile-discount">{money(total.discount_minor)}</strong></div>
            <div class="tile-action">{csvButton('basket', t('reports.summary'))}</div>
          </div>
          <div class="charts">
            <ColumnChart title={titles.hour} testid="chart-hour" format={money} actions={csvButton('hour', titles.hour)}
              data={fill(HOURS, new Map(reports.hour.rows.map((r) => [r.key, r.net_minor])), hourLabel)} />
            {!oneDay && (
              <ColumnChart title={titles.day} testid="chart-day" format={money} actions={csvButton('day', titles.day)}
                data={fill(dayRange(period.from, period.to), new Map(reports.day.rows.map((r) => [r.key, r.net_minor])), shortDate)} />
            )}
            <BarChart title={titles.category} testid="chart-category" format={money} actions={csvButton('category', titles.category)}
              data={reports.category.rows.map((r) => ({ key: r.key, label: categoryName(locale, r.key), value: r.net_minor }))} />
            <BarChart title={titles.tender} testid="chart-tender" format={money} actions={csvButton('tender', titles.tender)}
              data={reports.tender.rows.map((r) => ({ key: r.key, label: t(kindKey(r.key)), value: r.net_minor }))} />
            <RankTable title={titles.top} testid="top-sellers" format={money} actions={csvButton('top', titles.top)}
              head={{ rank: t('reports.rank'), name: t('reports.product'), qty: t('reports.qty'), amount: t('reports.amount') }}
              rows={reports.top.rows.map((r) => ({ key: r.key, name: productName(r), qty: r.unit === 'kg' ? t('reports.kg', { qty: quantityText(r.qty, r.unit) }) : quantityText(r.qty, r.unit), value: r.net_minor }))} />
          </div>
          {members && (
            <section class="report-members" data-testid="report-members">
              <h2>{titles.members} {csvButton('members', titles.members)} {csvButton('members', titles.memberList, 'members')}</h2>
              {members.buyers === 0 ? <p class="muted" data-testid="no-members">{t('reports.noMembers')}</p> : (
                <>
                  <div class="tiles report-tiles">
                    <div class="tile"><small>{t('reports.repeatRate')}</small><strong data-testid="tile-repeat">{bpText(members.repeat_rate_bp)}</strong>
                      <small>{t('reports.repeatOf', { repeat: members.repeat_buyers, buyers: members.buyers })}</small></div>
                    <div class="tile"><small>{t('reports.memberShare')}</small><strong data-testid="tile-member-share">{`${memberShare[0]}%`}</strong>
                      <small>{t('reports.memberShareOf', { members: money(members.member.net_minor), guests: money(members.guest.net_minor) })}</small></div>
                    <div class="tile"><small>{t('reports.pointsRedeemed')}</small><strong data-testid="tile-redeemed">{members.redemptions.points}</strong>
                      <small>{t('reports.redemptionsOf', { count: members.redemptions.count, pieces: members.redemptions.pieces })}</small></div>
                  </div>
                  <div class="charts">
                    <table class="table segments" data-testid="segments" aria-label={titles.members}>
                      <thead><tr><th>{t('reports.segment')}</th><th class="num">{t('reports.memberCount')}</th><th class="num">{t('reports.memberSales')}</th><th class="num">{t('reports.memberNet')}</th></tr></thead>
                      <tbody>
                        {members.segments.map((s) => (
                          <tr data-key={s.segment} data-value={s.members}>
                            <td>{segmentName(s.segment)}</td><td class="num">{s.members}</td><td class="num">{s.sales}</td><td class="num">{money(s.net_minor)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                    <BarChart title={t('reports.membersBySegment')} testid="chart-segments" format={(v) => String(v)}
                      data={members.segments.map((s) => ({ key: s.segment, label: segmentName(s.segment), value: s.members }))} />
                  </div>
                  <p class="muted">{t('reports.rfmRule', { date: members.end_day })}</p>
                </>
              )}
            </section>
          )}
          <section class="report-commissions" data-testid="report-commissions">
            <h2>{t('reports.commissions')}</h2>
            {reports.commissions.length === 0 ? <p class="muted" data-testid="no-commissions">{t('reports.noCommissions')}</p> : (
              <table class="table" data-testid="commissions">
                <thead><tr><th>{t('reports.staff')}</th><th class="num">{t('reports.servedSales')}</th><th class="num">{t('reports.servedNet')}</th><th class="num">{t('reports.commission')}</th></tr></thead>
                <tbody>{reports.commissions.map((c) => (
                  <tr data-testid="commission" data-staff={c.staff}><td>{c.staff}</td><td class="num">{c.n_sales}</td><td class="num">{money(c.net_minor)}</td><td class="num"><strong>{money(c.commission_minor)}</strong></td></tr>
                ))}</tbody>
              </table>
            )}
          </section>
          <CommissionRules {...{ t, locale, client, attempt, manager }} onSaved={() => setRulesVersion((v) => v + 1)} />
          {conversion && (
            <section class="report-conversion" data-testid="report-conversion" data-has-entries={conversion.has_entries}>
              {conversion.has_entries ? (
                <ColumnChart title={titles.conversion} testid="chart-conversion" format={bpText} actions={csvButton('conversion', titles.conversion)}
                  data={conversionColumns(conversion)} />
              ) : (
                <>
                  <h2>{titles.conversion}</h2>
                  <p class="muted" data-testid="no-gate">{t('reports.noGate')}</p>
                </>
              )}
              {conversion.has_entries && (
                <p class="muted" data-testid="conversion-total">
                  {`${t('reports.conversion')} ${bpText(conversion.total.rate_bp)} · ${t('reports.conversionOf', { entries: conversion.total.entries, tickets: conversion.total.tickets })}`}
                </p>
              )}
            </section>
          )}
        </>
      ))}
    </div>
  );
}

/** The commission rules: a default rate and a rate per category, in percent. */
function CommissionRules({ t, locale, client, attempt, manager, onSaved }: Pick<TabProps, 't' | 'locale' | 'client' | 'attempt' | 'manager'> & { onSaved: () => void }) {
  const [form, setForm] = useState<RulesForm | null>(null);
  const [categories, setCategories] = useState<Category[]>([]);
  const [problem, setProblem] = useState<number | null>(null);
  const [saved, setSaved] = useState(false);
  const [sending, setSending] = useState(false);
  useEffect(() => {
    attempt(() => Promise.all([client.commissionRules(), client.categories()])).then((r) => {
      if (!r) return;
      setForm(rulesForm(r[0]));
      setCategories(r[1]);
    });
  }, []);
  if (!form) return null;
  const edit = (next: RulesForm) => (setForm(next), setProblem(null), setSaved(false));
  const editRow = (row: number, patch: Partial<RulesForm['rows'][number]>) => edit({ ...form, rows: form.rows.map((r, i) => (i === row ? { ...r, ...patch } : r)) });
  return (
    <form class="commission-rules" data-testid="commission-rules" onSubmit={async (e) => {
      e.preventDefault();
      if (sending) return;
      const built = rulesFromForm(form);
      if ('problem' in built) return setProblem(built.problem);
      setSending(true);
      const rules = await attempt(() => client.setCommissionRules({ rules: built.rules, user_id: manager.user_id, pin: manager.pin }));
      setSending(false);
      if (!rules) return;
      setForm(rulesForm(rules));
      setSaved(true);
      onSaved();
    }}>
      <h2>{t('reports.rules.title')}</h2>
      <p class="muted">{t('reports.rules.hint')}</p>
      <label>{t('reports.rules.default')}
        <input name="rules-default" inputMode="decimal" autocomplete="off" value={form.default_rate} onInput={(e) => edit({ ...form, default_rate: e.currentTarget.value })} />
      </label>
      {form.rows.length > 0 && (
        <table class="table">
          <thead><tr><th>{t('reports.rules.category')}</th><th class="num">{t('reports.rules.rate')}</th><th /></tr></thead>
          <tbody>{form.rows.map((r, row) => (
            <tr data-testid="rule" data-row={row}>
              <td>
                <select name={`rule-category-${row}`} value={r.category} aria-label={t('reports.rules.category')} onChange={(e) => editRow(row, { category: e.currentTarget.value })}>
                  <option value="" />
                  {/* A category the rules name but the catalog no longer has stays choosable. */}
                  {[...new Set([...categories.map((c) => c.category), ...(r.category ? [r.category] : [])])].map((c) => (
                    <option value={c}>{categoryName(locale, c)}</option>
                  ))}
                </select>
              </td>
              <td class="num"><input name={`rule-rate-${row}`} inputMode="decimal" autocomplete="off" value={r.rate} aria-label={t('reports.rules.rate')} onInput={(e) => editRow(row, { rate: e.currentTarget.value })} /></td>
              <td><button type="button" class="btn" onClick={() => edit({ ...form, rows: form.rows.filter((__, i) => i !== row) })}>{t('reports.rules.remove')}</button></td>
            </tr>
          ))}</tbody>
        </table>
      )}
      <button type="button" class="btn" data-testid="rule-add" onClick={() => edit({ ...form, rows: [...form.rows, { category: '', rate: '' }] })}>{t('reports.rules.add')}</button>
      {problem !== null && <p class="field-problem" role="alert">{problem < 0 ? t('reports.rules.bad.default') : t('reports.rules.bad.row', { n: problem + 1 })}</p>}
      {saved && <p class="good-note" role="status" data-testid="rules-saved">{t('reports.rules.saved')}</p>}
      <button class="btn primary wide" disabled={sending} data-testid="rules-save">{t('reports.rules.save')}</button>
    </form>
  );
}

/** Saves `text` as a file the browser downloads. A byte order mark first, so a spreadsheet
 *  opens the Chinese headers as UTF-8. */
function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
