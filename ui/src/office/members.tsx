// Members: find a member (mobile number, member id, referral code, or their member QR
// code scanned or typed), see their tier, points, lifetime spend and stored-value
// balance, top up that balance, and register new members; edit the member program (tiers,
// points per yuan, birthday and referral rewards, products to take for points) and redeem
// a member's points for those products (积分兑换). The manager who signed in to the back
// office authorises the top-ups, registrations, redemptions and program changes.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { components } from '../api/schema';
import { parseMoney } from '../i18n';
import { kindKey } from '../widgets';
import type { TabProps } from './index';
import { type ProgramForm, type ProgramProblem, affordable, programForm, programFromForm, redeemLines } from './settings';

type S = components['schemas'];
type Member = S['MemberDto'];
type Reward = S['RewardDto'];

/** Ways a stored-value top-up may be paid (the API refuses stored value and points). */
const TOP_UP_TENDERS = ['cash', 'card', 'mobile'] as const;

/** A mainland mobile number as the till service accepts it (`core::member::parse_phone`), or null. */
export function mobileNumber(text: string): string | null {
  const digits = text.replace(/[ -]/g, '').replace(/^(\+86|0086)/, '');
  return /^1\d{10}$/.test(digits) ? digits : null;
}

/** A birthday written `MM-DD` (or `M-D`), as the till service stores it, or null. */
export function birthday(text: string): string | null {
  const m = text.trim().match(/^(\d{1,2})-(\d{1,2})$/);
  if (!m) return null;
  const [month, day] = [Number(m[1]), Number(m[2])];
  const days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12 || day < 1 || day > days[month - 1]) return null;
  return `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function MembersTab({ t, money, client, attempt, manager, scanInto, locale }: TabProps) {
  const [key, setKey] = useState('');
  const [keyProblem, setKeyProblem] = useState(false);
  const [member, setMember] = useState<Member | null>(null);
  const [balance, setBalance] = useState<number | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [rewards, setRewards] = useState<Reward[]>([]);
  const [names, setNames] = useState<Record<string, string>>({});
  // Where a scan goes: a reward's SKU field of the program form while one has focus, else
  // the member lookup.
  const rewardScan = useRef<((code: string) => void) | null>(null);
  const loadRewards = async (list: Reward[]) => {
    setRewards(list);
    const entries = await Promise.all(list.map(async (r) => [r.sku, await client.catalogEntry(r.sku).then((c) => (locale === 'zh-CN' && c.product.name_zh ? c.product.name_zh : c.product.name), () => r.sku)] as const));
    setNames(Object.fromEntries(entries));
  };
  useEffect(() => {
    client.memberProgram().then((p) => loadRewards(p.rewards ?? []), () => {});
  }, [locale]);

  const show = async (m: Member) => {
    setMember(m);
    setBalance(null);
    const b = await attempt(() => client.storedValue(m.phone));
    if (b) setBalance(b.balance_minor);
  };
  const find = async (text: string) => {
    const k = text.trim();
    setDone(null);
    // Whoever was shown goes first, so a failed lookup never leaves another member's
    // balance on screen to top up.
    setMember(null);
    if (!k) return setKeyProblem(true);
    setKeyProblem(false);
    // A member pass (the QR code in the member's app) is checked offline and names the account.
    const found = await attempt(async () => client.member(k.startsWith('OTP1.') ? (await client.checkPass(k)).account : k));
    if (found) await show(found);
  };

  // A member's QR code (or card) scanned while this tab is open looks them up.
  scanInto.current = (code) => {
    if (rewardScan.current) return rewardScan.current(code);
    setKey(code);
    find(code);
  };

  return (
    <div class="card" data-testid="members">
      <h1>{t('office.members.title')}</h1>
      <div class="members-split">
        <section>
          <form onSubmit={(e) => (e.preventDefault(), find(key))} data-testid="member-find">
            <label for="member-key">{t('office.members.key')}</label>
            <div class="find-row">
              <input id="member-key" name="member-key" value={key} onInput={(e) => (setKey(e.currentTarget.value), setKeyProblem(false))} autocomplete="off" />
              <button class="btn primary">{t('office.members.lookup')}</button>
            </div>
            {keyProblem && <p class="field-problem" role="alert">{t('office.members.keyEmpty')}</p>}
          </form>
          {done && <p class="good-note" role="status" data-testid="member-done">{done}</p>}
          {member ? (
            <>
              <MemberCard t={t} money={money} member={member} balance={balance} />
              <TopUp key={member.member_id} {...{ t, money, client, attempt, manager }} member={member} onBalance={(b, amount) => {
                setBalance(b);
                setDone(t('office.members.toppedUp', { amount: money(amount), balance: money(b) }));
              }} />
              <Redeem key={'redeem-' + member.member_id} {...{ t, client, attempt, manager, rewards, names }} member={member} onRedeemed={(points, left) => {
                setMember({ ...member, points: left });
                setDone(t('office.redeem.done', { points, left }));
              }} />
            </>
          ) : (
            <p class="muted">{t('office.members.none')}</p>
          )}
        </section>
        <Register {...{ t, client, attempt, manager }} onMember={(m) => {
          setKey(m.phone);
          setDone(t('office.members.registered', { name: m.name, id: m.member_id }));
          show(m);
        }} />
      </div>
      <Program {...{ t, client, attempt, manager, rewardScan }} onSaved={(p) => loadRewards(p.rewards ?? [])} />
    </div>
  );
}

function MemberCard({ t, money, member: m, balance }: Pick<TabProps, 't' | 'money'> & { member: Member; balance: number | null }) {
  return (
    <div class="member-card" data-testid="member-card">
      <div class="member-head">
        <h2 data-testid="member-name">{m.name} <span class="tier">{m.tier_name}</span></h2>
        <div class="member-balance"><small>{t('office.members.balance')}</small><strong data-testid="member-balance">{balance === null ? '…' : money(balance)}</strong></div>
      </div>
      <dl>
        <dt>{t('office.members.phone')}</dt><dd data-testid="member-phone">{m.phone}</dd>
        <dt>{t('office.members.points')}</dt><dd data-testid="member-points">{m.points}</dd>
        <dt>{t('office.members.id')}</dt><dd data-testid="member-id">{m.member_id}</dd>
        <dt>{t('office.members.spend')}</dt><dd data-testid="member-spend">{money(m.spend_minor)}</dd>
        <dt>{t('office.members.referral')}</dt><dd data-testid="member-referral">{m.referral_code}</dd>
        {m.merged.length > 0 && <><dt>{t('office.members.merged')}</dt><dd data-testid="member-merged">{m.merged.join(', ')}</dd></>}
      </dl>
    </div>
  );
}

function TopUp({ t, money, client, attempt, manager, member, onBalance }: Pick<TabProps, 't' | 'money' | 'client' | 'attempt' | 'manager'> & { member: Member; onBalance: (balance: number, amount: number) => void }) {
  const [amount, setAmount] = useState('');
  const [tender, setTender] = useState<string | null>(null);
  const [problem, setProblem] = useState<'amount' | 'tender' | null>(null);
  const [sending, setSending] = useState(false);
  // One key per top-up: pressed again after an answer that never came (the same amount and
  // tender), it is recorded once. A new amount or tender, or a top-up done, takes a new key.
  const key = useRef('');
  const keyFor = `${member.phone}/${amount}/${tender}`;
  const keyed = useRef('');
  if (keyed.current !== keyFor) {
    keyed.current = keyFor;
    key.current = crypto.randomUUID();
  }
  const minor = parseMoney(amount);
  return (
    <form class="top-up" data-testid="top-up" onSubmit={async (e) => {
      e.preventDefault();
      if (sending) return;
      if (minor === null || minor <= 0) return setProblem('amount');
      if (!tender) return setProblem('tender');
      setSending(true);
      const b = await attempt(() => client.topUp({ account: member.phone, amount_minor: minor, tender, user_id: manager.user_id, pin: manager.pin, topup_id: key.current }));
      setSending(false);
      if (!b) return;
      setAmount('');
      setTender(null);
      keyed.current = '';
      onBalance(b.balance_minor, minor);
    }}>
      <h2>{t('office.members.topUp')}</h2>
      <div class="top-up-row">
        <label>{t('office.members.amount')}
          <input name="top-up-amount" inputMode="decimal" value={amount} onInput={(e) => (setAmount(e.currentTarget.value), setProblem(null))} autocomplete="off" />
        </label>
        <div class="choice" role="group" aria-labelledby="top-up-tender">
          <span id="top-up-tender" class="choice-label">{t('office.members.tender')}</span>
          {TOP_UP_TENDERS.map((k) => (
            <button type="button" class={'btn tab' + (tender === k ? ' active' : '')} aria-pressed={tender === k} onClick={() => (setTender(k), setProblem(null))} data-testid={'top-up-' + k}>{t(kindKey(k))}</button>
          ))}
        </div>
      </div>
      {problem === 'amount' && <p class="field-problem" role="alert">{t('office.members.badAmount')}</p>}
      {problem === 'tender' && <p class="field-problem" role="alert">{t('office.members.noTender')}</p>}
      <button class="btn primary wide" disabled={sending} data-testid="top-up-submit">
        {minor !== null && minor > 0 ? t('office.members.topUpAmount', { amount: money(minor) }) : t('office.members.topUpSubmit')}
      </button>
    </form>
  );
}

/** Points redeemed for rewards (积分兑换): the program's rewards the member can afford,
 *  pieces of each, the points it takes; the till service checks and records it. */
function Redeem({ t, client, attempt, manager, member, rewards, names, onRedeemed }: Pick<TabProps, 't' | 'client' | 'attempt' | 'manager'> & { member: Member; rewards: Reward[]; names: Record<string, string>; onRedeemed: (points: number, left: number) => void }) {
  const [qty, setQty] = useState<Record<string, string>>({});
  const [open, setOpen] = useState(false);
  const [sending, setSending] = useState(false);
  const can = affordable(rewards, member.points);
  const picked = redeemLines(rewards, qty);
  // One key per redemption: pressed again after an answer that never came (the same
  // lines), it is recorded once. Other lines, or a redemption done, take a new key.
  const key = useRef('');
  const keyFor = `${member.member_id}/${JSON.stringify(picked?.lines ?? null)}`;
  const keyed = useRef('');
  if (keyed.current !== keyFor) {
    keyed.current = keyFor;
    key.current = 'PR-' + crypto.randomUUID();
  }
  const over = picked !== null && picked.points > member.points;
  if (!open) {
    return (
      <div class="redeem" data-testid="redeem">
        <button type="button" class="btn wide" disabled={can.length === 0} onClick={() => setOpen(true)} data-testid="redeem-open">{t('office.redeem.open')}</button>
        {can.length === 0 && <p class="muted" data-testid="redeem-none">{rewards.length === 0 ? t('office.redeem.noRewards') : t('office.redeem.cannotAfford', { n: member.points })}</p>}
      </div>
    );
  }
  return (
    <form class="redeem" data-testid="redeem" onSubmit={async (e) => {
      e.preventDefault();
      if (sending || !picked || picked.lines.length === 0) return;
      setSending(true);
      const r = await attempt(() => client.redeemPoints(member.member_id, { lines: picked.lines, user_id: manager.user_id, pin: manager.pin, redemption_id: key.current }));
      setSending(false);
      if (!r) return;
      keyed.current = '';
      setQty({});
      setOpen(false);
      onRedeemed(r.points_used, r.points_left);
    }}>
      <h2>{t('office.redeem.title')}</h2>
      <p class="muted">{t('office.redeem.hint', { n: member.points })}</p>
      <table class="table rewards" data-testid="redeem-rewards">
        <thead><tr><th>{t('office.redeem.product')}</th><th class="num">{t('office.redeem.points')}</th><th class="num">{t('office.redeem.qty')}</th></tr></thead>
        <tbody>{can.map((r) => (
          <tr data-testid="redeem-reward" data-sku={r.sku}>
            <td>{names[r.sku] ?? r.sku} <small class="muted">{r.sku}</small></td>
            <td class="num">{r.points}</td>
            <td class="num"><input name={'redeem-qty-' + r.sku} inputMode="numeric" value={qty[r.sku] ?? ''} placeholder="0" autocomplete="off" aria-label={t('office.redeem.qtyOf', { name: names[r.sku] ?? r.sku, most: r.most })}
              onInput={(e) => setQty({ ...qty, [r.sku]: e.currentTarget.value })} /></td>
          </tr>
        ))}</tbody>
      </table>
      {picked === null && <p class="field-problem" role="alert">{t('office.redeem.badQty')}</p>}
      {over && <p class="field-problem" role="alert">{t('office.redeem.over', { need: picked!.points, n: member.points })}</p>}
      <div class="row">
        <button type="button" class="btn" onClick={() => (setOpen(false), setQty({}))}>{t('common.cancel')}</button>
        <button class="btn primary grow" disabled={sending || !picked || picked.lines.length === 0} data-testid="redeem-submit">
          {picked && picked.points > 0 ? t('office.redeem.submitPoints', { points: picked.points }) : t('office.redeem.submit')}
        </button>
      </div>
    </form>
  );
}

function Register({ t, client, attempt, manager, onMember }: Pick<TabProps, 't' | 'client' | 'attempt' | 'manager'> & { onMember: (m: Member) => void }) {
  const empty = { phone: '', name: '', birthday: '', referral: '' };
  const [f, setF] = useState(empty);
  const [problem, setProblem] = useState<'phone' | 'name' | 'birthday' | null>(null);
  const [sending, setSending] = useState(false);
  const field = (k: keyof typeof empty) => ({ name: 'register-' + k, value: f[k], autocomplete: 'off', onInput: (e: { currentTarget: HTMLInputElement }) => (setF({ ...f, [k]: e.currentTarget.value }), setProblem(null)) });
  return (
    <form class="register" data-testid="register" onSubmit={async (e) => {
      e.preventDefault();
      if (sending) return;
      const phone = mobileNumber(f.phone);
      if (!phone) return setProblem('phone');
      const name = f.name.trim();
      if (!name || [...name].length > 40) return setProblem('name');
      const bday = f.birthday.trim() ? birthday(f.birthday) : null;
      if (f.birthday.trim() && !bday) return setProblem('birthday');
      setSending(true);
      const m = await attempt(() => client.registerMember({ phone, name, birthday: bday, referral_code: f.referral.trim() || null, user_id: manager.user_id, pin: manager.pin }));
      setSending(false);
      if (!m) return;
      setF(empty);
      onMember(m);
    }}>
      <h2>{t('office.members.register')}</h2>
      <label>{t('office.members.phone')}<input {...field('phone')} type="tel" inputMode="tel" /></label>
      {problem === 'phone' && <p class="field-problem" role="alert">{t('office.members.badPhone')}</p>}
      <label>{t('office.members.name')}<input {...field('name')} /></label>
      {problem === 'name' && <p class="field-problem" role="alert">{t('office.members.badName')}</p>}
      <label>{t('office.members.birthday')}<input {...field('birthday')} inputMode="numeric" placeholder="03-08" /></label>
      {problem === 'birthday' && <p class="field-problem" role="alert">{t('office.members.badBirthday')}</p>}
      <label>{t('office.members.referredBy')}<input {...field('referral')} /></label>
      <button class="btn primary wide" disabled={sending} data-testid="register-submit">{t('office.members.registerSubmit')}</button>
    </form>
  );
}

/** The member program, edited as a table of tiers plus the three rewards. Saved whole;
 *  the till service refuses a program it cannot use and says why. */
function Program({ t, client, attempt, manager, rewardScan, onSaved }: Pick<TabProps, 't' | 'client' | 'attempt' | 'manager'> & { rewardScan: { current: ((code: string) => void) | null }; onSaved: (p: S['MemberProgramDto']) => void }) {
  const [form, setForm] = useState<ProgramForm | null>(null);
  const [problem, setProblem] = useState<ProgramProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const [sending, setSending] = useState(false);
  useEffect(() => {
    attempt(() => client.memberProgram()).then((p) => p && setForm(programForm(p)));
  }, []);
  if (!form) return null;
  const edit = (next: ProgramForm) => (setForm(next), setProblem(null), setSaved(false));
  const tierField = (row: number, k: keyof ProgramForm['tiers'][number], extra: Record<string, string> = {}) => ({
    name: `tier-${k}-${row}`, value: form.tiers[row][k], autocomplete: 'off', ...extra,
    onInput: (e: { currentTarget: HTMLInputElement }) => edit({ ...form, tiers: form.tiers.map((tier, i) => (i === row ? { ...tier, [k]: e.currentTarget.value } : tier)) }),
  });
  const field = (k: 'points_per_yuan' | 'birthday' | 'referral_points') => ({
    name: 'program-' + k, value: form[k], autocomplete: 'off', inputMode: (k === 'birthday' ? 'decimal' : 'numeric') as 'decimal' | 'numeric',
    onInput: (e: { currentTarget: HTMLInputElement }) => edit({ ...form, [k]: e.currentTarget.value }),
  });
  return (
    <form class="member-program" data-testid="member-program" onSubmit={async (e) => {
      e.preventDefault();
      if (sending) return;
      const built = programFromForm(form);
      if ('problem' in built) return setProblem(built.problem);
      setSending(true);
      const p = await attempt(() => client.setMemberProgram({ program: built.program, user_id: manager.user_id, pin: manager.pin }));
      setSending(false);
      if (!p) return;
      setForm(programForm(p));
      setSaved(true);
      onSaved(p);
    }}>
      <h2>{t('office.program.title')}</h2>
      <p class="muted">{t('office.program.hint')}</p>
      <table class="table tiers" data-testid="tiers">
        <thead><tr>
          <th>{t('office.program.tierId')}</th><th>{t('office.program.nameZh')}</th><th>{t('office.program.nameEn')}</th>
          <th class="num">{t('office.program.spend')}</th><th class="num">{t('office.program.times')}</th><th />
        </tr></thead>
        <tbody>{form.tiers.map((_, row) => (
          <tr data-testid="tier" data-row={row}>
            <td><input {...tierField(row, 'id')} aria-label={t('office.program.tierId')} /></td>
            <td><input {...tierField(row, 'name_zh')} aria-label={t('office.program.nameZh')} /></td>
            <td><input {...tierField(row, 'name_en')} aria-label={t('office.program.nameEn')} /></td>
            <td class="num"><input {...tierField(row, 'spend', { inputMode: 'decimal' })} aria-label={t('office.program.spend')} /></td>
            <td class="num"><span class="times">×<input {...tierField(row, 'times', { inputMode: 'decimal' })} aria-label={t('office.program.times')} /></span></td>
            <td><button type="button" class="btn" aria-label={t('office.program.removeTier', { n: row + 1 })} data-testid="tier-remove"
              onClick={() => edit({ ...form, tiers: form.tiers.filter((__, i) => i !== row) })}>{t('office.program.remove')}</button></td>
          </tr>
        ))}</tbody>
      </table>
      <button type="button" class="btn" data-testid="tier-add" onClick={() => edit({ ...form, tiers: [...form.tiers, { id: '', name_zh: '', name_en: '', spend: '', times: '1' }] })}>{t('office.program.addTier')}</button>
      <div class="program-rewards">
        <label>{t('office.program.pointsPerYuan')}<input {...field('points_per_yuan')} /></label>
        <label>{t('office.program.birthday')}<span class="times">×<input {...field('birthday')} /></span></label>
        <label>{t('office.program.referral')}<input {...field('referral_points')} /></label>
      </div>
      <h3>{t('office.program.rewards')}</h3>
      <p class="muted">{t('office.program.rewardsHint')}</p>
      {form.rewards.length > 0 && (
        <table class="table rewards" data-testid="rewards">
          <thead><tr><th>{t('office.program.rewardSku')}</th><th class="num">{t('office.program.rewardPoints')}</th><th /></tr></thead>
          <tbody>{form.rewards.map((r, row) => {
            const set = (k: 'sku' | 'points', v: string) => edit({ ...form, rewards: form.rewards.map((x, i) => (i === row ? { ...x, [k]: v } : x)) });
            return (
              <tr data-testid="reward" data-row={row}>
                <td><input name={`reward-sku-${row}`} value={r.sku} autocomplete="off" aria-label={t('office.program.rewardSku')}
                  onInput={(e) => set('sku', e.currentTarget.value)}
                  // A barcode scanned while this field has focus becomes the product's SKU.
                  onFocus={() => (rewardScan.current = async (code) => { const found = await attempt(() => client.scan(code)); if (found) set('sku', found.product.sku); })}
                  onBlur={() => setTimeout(() => (rewardScan.current = null), 300)} /></td>
                <td class="num"><input name={`reward-points-${row}`} value={r.points} inputMode="numeric" autocomplete="off" aria-label={t('office.program.rewardPoints')} onInput={(e) => set('points', e.currentTarget.value)} /></td>
                <td><button type="button" class="btn" aria-label={t('office.program.removeReward', { n: row + 1 })} data-testid="reward-remove"
                  onClick={() => edit({ ...form, rewards: form.rewards.filter((__, i) => i !== row) })}>{t('office.program.remove')}</button></td>
              </tr>
            );
          })}</tbody>
        </table>
      )}
      <button type="button" class="btn" data-testid="reward-add" onClick={() => edit({ ...form, rewards: [...form.rewards, { sku: '', points: '' }] })}>{t('office.program.addReward')}</button>
      {problem && <p class="field-problem" role="alert">{t(`office.program.bad.${problem.field}`, { n: (problem.row ?? 0) + 1 })}</p>}
      {saved && <p class="good-note" role="status" data-testid="program-saved">{t('office.program.saved')}</p>}
      <button class="btn primary wide" disabled={sending} data-testid="program-save">{t('office.program.save')}</button>
    </form>
  );
}
