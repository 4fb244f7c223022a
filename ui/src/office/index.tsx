// The back office: what a store manager does at the desktop: the catalog and its prices,
// stock, transfers between stores, online orders, members, devices and alerts, reports. A
// manager signs in on entry (their PIN is kept in memory only, for the requests that need
// it) and leaves with Back.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Client } from '../api/client';
import type { Locale, MessageKey } from '../i18n';
import type { Attempt, Money, T } from '../widgets';
import { CatalogTab } from './catalog';
import { DevicesTab } from './devices';
import { MembersTab } from './members';
import { OrdersTab } from './orders';
import { PromotionsTab } from './promotions';
import { ReportsTab } from './reports';
import { StockTab } from './stock';
import { TransfersTab } from './transfers';

/** The manager the back office acts as. */
export interface Manager { user_id: string; pin: string }

/** What every tab gets. */
export interface TabProps { t: T; money: Money; locale: Locale; client: Client; attempt: Attempt; manager: Manager; notify: (text: string) => void;
  /** Where a scan goes while the tab is open: a tab that takes scans sets it as it renders. */
  scanInto: { current: (code: string) => void };
  /** The store's offset from UTC in minutes: dates and times on screen are the store's. */
  offsetMin: number }

const TABS = ['catalog', 'stock', 'transfers', 'orders', 'promotions', 'members', 'devices', 'reports'] as const;
type Tab = (typeof TABS)[number];

export function BackOffice(p: { t: T; money: Money; locale: Locale; client: Client; attempt: Attempt; userId: string; notify: (text: string) => void; scanInto: { current: (code: string) => void }; onBack: () => void }) {
  const { t } = p;
  const [manager, setManager] = useState<Manager | null>(null);
  const [offsetMin, setOffsetMin] = useState(0);
  const [tab, setTab] = useState<Tab>(TABS.find((x) => x === sessionStorage.getItem('opentill.office.tab')) ?? TABS[0]);
  const choose = (x: Tab) => (sessionStorage.setItem('opentill.office.tab', x), setTab(x));
  if (!manager) {
    p.scanInto.current = () => {};
    return <ManagerGate t={t} attempt={p.attempt} client={p.client} userId={p.userId} onManager={(m, offset) => (setOffsetMin(offset), setManager(m))} onBack={p.onBack} />;
  }
  p.scanInto.current = () => {};
  const props: TabProps = { t, money: p.money, locale: p.locale, client: p.client, attempt: p.attempt, manager, notify: p.notify, scanInto: p.scanInto, offsetMin };
  let body: ComponentChildren;
  if (tab === 'catalog') body = <CatalogTab {...props} />;
  else if (tab === 'stock') body = <StockTab {...props} />;
  else if (tab === 'transfers') body = <TransfersTab {...props} />;
  else if (tab === 'orders') body = <OrdersTab {...props} />;
  else if (tab === 'promotions') body = <PromotionsTab {...props} />;
  else if (tab === 'devices') body = <DevicesTab {...props} />;
  else if (tab === 'members') body = <MembersTab {...props} />;
  else body = <ReportsTab {...props} />;
  return (
    <div class="office" data-testid="office">
      <nav class="office-tabs">
        {TABS.map((x) => <button class={'btn tab' + (x === tab ? ' active' : '')} onClick={() => choose(x)} data-testid={'office-' + x}>{t(`office.tab.${x}` as MessageKey)}</button>)}
        <span class="grow" />
        <span class="muted">{t('office.as', { user: manager.user_id })}</span>
        <button class="btn" onClick={p.onBack} data-testid="office-back">{t('office.back')}</button>
      </nav>
      <section class="office-body">{body}</section>
    </div>
  );
}

/** A manager's id and PIN, checked by the till service before any screen opens; the
 *  store's UTC offset comes with it. */
function ManagerGate(p: { t: T; attempt: Attempt; client: Client; userId: string; onManager: (m: Manager, offsetMin: number) => void; onBack: () => void }) {
  const { t } = p;
  const [user, setUser] = useState(p.userId);
  const [pin, setPin] = useState('');
  const [refused, setRefused] = useState(false);
  return (
    <form class="card narrow" data-testid="manager-gate" onSubmit={async (e) => {
      e.preventDefault();
      const actor = await p.attempt(() => p.client.login(user.trim(), pin));
      if (!actor) return;
      if (actor.role !== 'manager') return setRefused(true);
      const health = await p.attempt(() => p.client.health());
      if (health) p.onManager({ user_id: actor.user_id, pin }, health.utc_offset_min);
    }}>
      <h1>{t('office.title')}</h1>
      <p class="muted">{t('office.gate')}</p>
      <label>{t('login.user')}<input name="manager" value={user} onInput={(e) => (setUser(e.currentTarget.value), setRefused(false))} autocomplete="off" /></label>
      <label>{t('login.pin')}<input name="manager-pin" type="password" inputMode="numeric" value={pin} onInput={(e) => (setPin(e.currentTarget.value), setRefused(false))} autofocus /></label>
      {refused && <p class="print-problem" role="alert" data-testid="gate-refused">{t('office.notManager')}</p>}
      <div class="row">
        <button type="button" class="btn" onClick={p.onBack}>{t('common.back')}</button>
        <button class="btn primary grow" disabled={!user || !pin}>{t('office.enter')}</button>
      </div>
    </form>
  );
}
