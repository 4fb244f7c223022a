// Devices and alerts: the store's devices as the edge agent last heard from them, the
// alerts they raised (cleared here once someone saw to them), recent vends and, when the
// store has an entry gate, today's footfall by hour. Read again every few seconds while
// the tab is open.
import { useEffect, useState } from 'preact/hooks';
import type { components } from '../api/schema';
import { translate, type Locale, type MessageKey } from '../i18n';
import { storeDate, storeTime } from '../storetime';
import { type T, usePolled } from '../widgets';
import type { TabProps } from './index';

type S = components['schemas'];
type Device = S['DeviceDto'];
type Alert = S['AlertDto'];
type Vend = S['VendDto'];
type FootfallHour = S['FootfallHourDto'];

/** What the tab shows, read together. */
interface Snapshot { devices: Device[]; alerts: Alert[]; vends: Vend[]; footfall: FootfallHour[] | null; at: number }

/** How often the tab reads again while open. */
const REFRESH_MS = 4000;
/** Vends shown, newest first. */
const N_VENDS = 8;

/** A message for a code the server sends (`office.devices.kind.gate`), or the code itself when there is none. */
function named(t: T, prefix: string, code: string): string {
  const key = `${prefix}.${code}` as MessageKey;
  return translate('en', key) !== key ? t(key) : code;
}

export function DevicesTab({ t, money, locale, client, attempt, offsetMin, manager }: TabProps) {
  const localTime = (ms: number, locale: Locale) => storeTime(ms, offsetMin, locale);
  const [store, setStore] = useState('');
  const [cleared, setCleared] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);

  const read = async (): Promise<Snapshot> => {
    const [devices, alerts, vends] = await Promise.all([client.devices(), client.alerts(true), client.vends()]);
    const footfall = devices.some((d) => d.kind === 'gate') ? await client.footfall(storeDate(Date.now(), offsetMin)) : null;
    return { devices, alerts, vends, footfall, at: Date.now() };
  };

  useEffect(() => {
    attempt(() => client.health()).then((h) => h && setStore(h.store_id));
  }, []);

  // The first read reports a failure; the ones after it only say the figures are old.
  const { data: snap, stale, refresh } = usePolled(read, attempt, REFRESH_MS);

  const clear = async (a: Alert) => {
    const ok = await attempt(() => client.clearAlert(a.alert_id, manager.user_id, manager.pin));
    if (ok === undefined) return;
    setCleared(t('office.devices.cleared', { kind: named(t, 'office.devices.alert', a.kind), device: a.device }));
    refresh();
  };

  const save = async (d: Device, entry: DeviceEntry) => {
    const ok = await attempt(() => client.putDevice(d.device, { kind: d.kind, ...entry, user_id: manager.user_id, pin: manager.pin }));
    if (ok === undefined) return;
    setEditing(null);
    refresh();
  };

  if (!snap) return <div class="card" data-testid="devices"><h1>{t('office.devices.title')}</h1><p class="muted">{t('common.busy')}</p></div>;
  const open = snap.alerts.filter((a) => a.cleared_ms == null).sort((a, b) => b.ts_ms - a.ts_ms);
  // Retired devices last; offline ones first among the rest, so a fault shows at the top.
  const devices = [...snap.devices].sort((a, b) => Number(a.retired) - Number(b.retired) || Number(a.online) - Number(b.online) || a.device.localeCompare(b.device));
  const vends = [...snap.vends].sort((a, b) => b.created_ms - a.created_ms).slice(0, N_VENDS);
  return (
    <div class="card" data-testid="devices">
      <div class="office-head">
        <h1>{t('office.devices.title')}</h1>
        <span class={stale ? 'print-problem' : 'muted'} data-testid="devices-updated">
          {stale ? t('office.devices.stale', { time: localTime(snap.at, locale) }) : t('office.devices.updated', { time: localTime(snap.at, locale) })}
        </span>
      </div>
      {devices.length === 0 ? (
        <div class="devices-empty" data-testid="devices-empty">
          <h2>{t('office.devices.empty')}</h2>
          <p>{t('office.devices.emptyHow', { topic: `opentill/v1/${store || '{store}'}/dev/{device}/state` })}</p>
        </div>
      ) : (
        <div class="devices-split">
          <section>
            <h2>{t('office.devices.devices')} <span class="muted">({devices.length})</span></h2>
            <ul class="device-list">
              {devices.map((d) => (
                <li class={'device ' + (d.retired ? 'retired' : d.online ? 'up' : 'down')} data-testid="device" data-device={d.device}>
                  <span class="dot" aria-hidden="true" />
                  <div class="grow">
                    <strong data-testid="device-name">{shownName(d, locale) || d.device}</strong>
                    {shownName(d, locale) && <span class="muted"> {d.device}</span>}
                    {' '}<span class="muted">{named(t, 'office.devices.kind', d.kind)}{d.location && ` · ${d.location}`}</span>
                    <div class="device-when">
                      <span data-testid="device-state">{deviceState(t, d, (ms) => localTime(ms, locale))}</span>
                      {d.last_seen_ms != null && !d.retired && <span class="muted"> · {t('office.devices.lastSeen', { time: localTime(d.last_seen_ms, locale) })}</span>}
                    </div>
                    {editing === d.device && <DeviceForm t={t} device={d} onSave={(entry) => save(d, entry)} onCancel={() => setEditing(null)} />}
                  </div>
                  {editing !== d.device && <button class="btn" onClick={() => setEditing(d.device)} data-testid="device-edit">{t('office.devices.edit')}</button>}
                </li>
              ))}
            </ul>
          </section>
          <section>
            <h2>{t('office.devices.alerts')} <span class="muted">({open.length})</span></h2>
            {cleared && <p class="good-note" role="status" data-testid="alert-cleared">{cleared}</p>}
            {open.length === 0 ? (
              <p class="muted" data-testid="no-alerts">{t('office.devices.noAlerts')}</p>
            ) : (
              <ul class="alert-list">
                {open.map((a) => (
                  <li class="alert-item" data-testid="alert" data-alert={a.alert_id}>
                    <div class="grow">
                      <strong>{named(t, 'office.devices.alert', a.kind)}</strong> <span class="muted">· {a.device} · {localTime(a.ts_ms, locale)}</span>
                      <div class="alert-detail">{a.detail}</div>
                    </div>
                    <button class="btn" onClick={() => clear(a)} data-testid="alert-clear">{t('office.devices.clear')}</button>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
      {snap.footfall && <Footfall t={t} hours={snap.footfall} />}
      {devices.some((d) => d.kind === 'vending') || vends.length > 0 ? (
        <section data-testid="vends">
          <h2>{t('office.devices.vends')}</h2>
          {vends.length === 0 ? <p class="muted">{t('office.devices.noVends')}</p> : (
            <table class="table">
              <tbody>
                {vends.map((v) => (
                  <tr>
                    <td>{localTime(v.created_ms, locale)}</td>
                    <td>{t('office.devices.vendSlot', { machine: v.machine, slot: v.slot })}</td>
                    <td>{v.sku ?? ''}</td>
                    <td class="num">{money(v.price_minor)}</td>
                    <td>{named(t, 'office.devices.vend', v.state)}{v.reason ? <span class="muted"> · {v.reason}</span> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ) : null}
    </div>
  );
}

function Footfall({ t, hours }: { t: T; hours: FootfallHour[] }) {
  const hh = (h: number) => String(h).padStart(2, '0') + ':00';
  return (
    <section data-testid="footfall">
      <h2>{t('office.devices.footfall')}</h2>
      {hours.length === 0 ? <p class="muted">{t('office.devices.noFootfall')}</p> : (
        <table class="table footfall">
          <thead><tr><th>{t('office.devices.hour')}</th><th class="num">{t('office.devices.entries')}</th><th class="num">{t('office.devices.exits')}</th><th class="num">{t('office.devices.refused')}</th></tr></thead>
          <tbody>
            {[...hours].sort((a, b) => a.hour - b.hour).map((h) => (
              <tr><td>{hh(h.hour)}–{hh((h.hour + 1) % 24)}</td><td class="num">{h.entries}</td><td class="num">{h.exits}</td><td class="num">{h.refused}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** What a manager sets of a device in the store's registry. */
interface DeviceEntry { name: string; name_zh: string; location: string; retired: boolean }

/** The device's name in the screen's language, else in the other one. */
function shownName(d: Device, locale: Locale): string {
  return locale === 'zh-CN' ? d.name_zh || d.name : d.name || d.name_zh;
}

/** Online or offline since when, retired, or never heard from. */
function deviceState(t: T, d: Device, time: (ms: number) => string): string {
  if (d.retired) return t('office.devices.retired');
  if (d.since_ms == null) return t('office.devices.neverSeen');
  return t(d.online ? 'office.devices.onlineSince' : 'office.devices.offlineSince', { time: time(d.since_ms) });
}

/** Names a device, says where it stands, or retires it; every node of the store gets it. */
function DeviceForm({ t, device, onSave, onCancel }: { t: T; device: Device; onSave: (e: DeviceEntry) => void; onCancel: () => void }) {
  const [entry, setEntry] = useState<DeviceEntry>({ name: device.name, name_zh: device.name_zh, location: device.location, retired: device.retired });
  const set = (field: keyof DeviceEntry, value: string | boolean) => setEntry({ ...entry, [field]: value });
  return (
    <form class="entry-form" data-testid="device-form" onSubmit={(e) => { e.preventDefault(); onSave(entry); }}>
      <div class="row">
        <label class="grow">{t('office.devices.name')}<input name="device-name" value={entry.name} maxLength={40} onInput={(e) => set('name', e.currentTarget.value)} /></label>
        <label class="grow">{t('office.devices.nameZh')}<input name="device-name-zh" value={entry.name_zh} maxLength={40} onInput={(e) => set('name_zh', e.currentTarget.value)} /></label>
        <label class="grow">{t('office.devices.location')}<input name="device-location" value={entry.location} maxLength={60} onInput={(e) => set('location', e.currentTarget.value)} /></label>
      </div>
      <div class="row">
        <label class="check"><input type="checkbox" name="device-retired" checked={entry.retired} onChange={(e) => set('retired', e.currentTarget.checked)} />{t('office.devices.retire')}</label>
        <span class="grow" />
        <button type="button" class="btn" onClick={onCancel}>{t('common.cancel')}</button>
        <button class="btn primary" data-testid="device-save">{t('office.devices.save')}</button>
      </div>
      <p class="muted">{t('office.devices.shared')}</p>
    </form>
  );
}
