//! Members at the till: registration by phone, lookup by id, phone or referral code, the
//! member program's rules, and the tier and points a sale uses (`opentill_core::member`).
//!
//! A registration is a journal fact (`member_registered`) and a profile in the members
//! document, which every node of the tenant syncs; spend and points are folded from the
//! sales, refunds, referrals and redemptions of every journal of the store into the
//! replica's `member_sums` in the transaction that records each fact (see
//! `opentill_sync::replica::members`).

use opentill_core::journal::Fact;
use opentill_core::member::{MemberProgram, RedeemedLine, TierRule, check_name, is_birthday, parse_birthday, parse_phone, plan_redemption};
use opentill_core::sale::SaleRecord;
use opentill_core::tender::TenderKind;
use opentill_core::time::LocalTime;
use opentill_sync::{MemberRow, ReplicaError};
use tracing::info;

use crate::{Result, Till, TillError, new_id};

/// A member, with the tier their spend reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// What the replica holds.
    pub row: MemberRow,
    /// Their tier.
    pub tier: TierRule,
    /// The registrations of their phone made where this one could not be seen, merged
    /// into it (their spend and points are in `row`).
    pub merged: Vec<String>,
}

/// A redemption as recorded (积分兑换): what the member took and their points after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    /// Its id.
    pub redemption_id: String,
    /// When, unix milliseconds.
    pub ts_ms: i64,
    /// The member, after the points were taken.
    pub member: MemberView,
    /// What they took, with the points each line took.
    pub lines: Vec<RedeemedLine>,
}

impl Redemption {
    /// Points it took.
    pub fn points(&self) -> i64 {
        self.lines.iter().map(|l| l.points).sum()
    }
}

/// Letters for referral codes: no 0/O, 1/I/L.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn random_code(len: usize) -> String {
    // The UUIDv7's last 16 hex digits are random.
    let id = new_id();
    let random = u64::from_str_radix(&id[16..], 16).unwrap_or(0);
    (0..len).map(|i| CODE_ALPHABET[((random >> (i * 5)) % CODE_ALPHABET.len() as u64) as usize] as char).collect()
}

impl Till {
    /// The member program: the one set with [`Till::set_member_program`], else the default
    /// (普通 / 银卡 from ¥2,000 / 金卡 from ¥10,000; 1 point a yuan ×1, ×1.2, ×1.5; double on
    /// birthdays; 100 points for a referral).
    pub fn member_program(&self) -> Result<MemberProgram> {
        match self.replica.member_program()? {
            Some(body) => serde_json::from_str(&body).map_err(|e| TillError::Replica(ReplicaError::Corrupt(format!("member program: {e}")))),
            None => Ok(MemberProgram::default()),
        }
    }

    /// Sets the member program from JSON, after checking it.
    pub fn set_member_program(&mut self, json_text: &str) -> Result<MemberProgram> {
        let program: MemberProgram = serde_json::from_str(json_text).map_err(|e| TillError::BadInput(format!("member program: {e}")))?;
        program.check().map_err(|e| TillError::BadInput(e.to_string()))?;
        // A reward is a product this store sells.
        for reward in &program.rewards {
            if self.replica.product_by_sku(&reward.sku)?.is_none() {
                return Err(TillError::UnknownSku(reward.sku.clone()));
            }
        }
        let body = serde_json::to_string(&program).map_err(|e| TillError::BadInput(e.to_string()))?;
        let now = self.clock.now_ms();
        self.replica.set_member_program(&body, now)?;
        Ok(program)
    }

    /// Registers a member by mobile number; `referral` is another member's referral code,
    /// who earns the program's referral points. Refused if the phone is registered.
    pub fn register_member(&mut self, phone: &str, name: &str, birthday: Option<&str>, referral: Option<&str>, by: &str) -> Result<MemberView> {
        let bad = |e: opentill_core::member::MemberError| TillError::BadInput(e.to_string());
        let phone = parse_phone(phone).map_err(bad)?;
        let name = check_name(name).map_err(bad)?;
        let birthday = birthday.map(parse_birthday).transpose().map_err(bad)?;
        if self.replica.member(&phone)?.is_some() {
            return Err(ReplicaError::DuplicateMember(phone).into());
        }
        let referred_by = match referral.map(str::trim).filter(|r| !r.is_empty()) {
            Some(code) => {
                let code = code.to_ascii_uppercase();
                let referrer = self.replica.member(&code)?.filter(|m| m.referral_code == code).ok_or_else(|| TillError::BadInput(format!("no member has the referral code {code}")))?;
                Some(referrer.member_id)
            }
            None => None,
        };
        let program = self.member_program()?;
        let member_id = format!("M{}", random_code(9));
        let fact = Fact::MemberRegistered {
            member_id: member_id.clone(),
            phone,
            name,
            birthday,
            referral_code: random_code(6),
            referral_points: if referred_by.is_some() { program.referral_points } else { 0 },
            referred_by,
            by: by.to_string(),
        };
        let now = self.clock.now_ms();
        self.replica.append(now, &fact)?;
        info!(member = member_id, "member registered");
        // The profile reaches the tenant's other nodes through the members document; if
        // this fails the registration stands and is shared when the replica next opens.
        if let Err(e) = self.replica.share_members(now) {
            tracing::warn!(member = member_id, error = %e, "member registered but not yet put into the members document");
        }
        self.member(&member_id)
    }

    /// A member takes rewards for points (积分兑换): `lines` are (SKU, pieces) of the
    /// program's rewards. Checked against the program and the member's points (never below
    /// zero), then journaled as one `points_redeemed` fact, which takes the points and the
    /// goods from the floor. `by` is the staff member handing them over.
    ///
    /// `redemption_id` is the caller's idempotency key: a redemption sent again with it
    /// (its answer was lost) is recorded once and answers what was recorded.
    pub fn redeem_points(&mut self, member_key: &str, lines: &[(String, i64)], by: &str, redemption_id: Option<&str>) -> Result<Redemption> {
        if let Some(id) = redemption_id {
            if id.trim().is_empty() || id.len() > 64 || id.chars().any(char::is_control) {
                return Err(TillError::BadInput(format!("a redemption id is 1 to 64 printable characters, not {id:?}")));
            }
            if let Some((ts_ms, Fact::PointsRedeemed { member, lines, .. })) = self.replica.redemption(id)? {
                info!(redemption = id, "redemption sent again: answered as recorded");
                return Ok(Redemption { redemption_id: id.to_string(), ts_ms, member: self.member(&member)?, lines });
            }
        }
        let member = self.member(member_key)?;
        let program = self.member_program()?;
        let lines = plan_redemption(&program, &member.row.member_id, member.row.points, lines)?;
        self.check_points(&member, lines.iter().map(|l| l.points).sum())?;
        for line in &lines {
            if self.replica.product_by_sku(&line.sku)?.is_none() {
                return Err(TillError::UnknownSku(line.sku.clone()));
            }
        }
        let redemption_id = redemption_id.map_or_else(|| format!("PR-{}", new_id()), str::to_string);
        let ts_ms = self.clock.now_ms();
        let fact = Fact::PointsRedeemed { redemption_id: redemption_id.clone(), member: member.row.member_id.clone(), lines: lines.clone(), by: by.to_string() };
        self.replica.append(ts_ms, &fact)?;
        info!(redemption = redemption_id, member = member.row.member_id, "points redeemed");
        Ok(Redemption { redemption_id, ts_ms, member: self.member(&member.row.member_id)?, lines })
    }

    /// A redemption's slip (积分兑换单) as text, with the products' names.
    pub fn redemption_receipt(&self, redemption: &Redemption, lang: opentill_core::i18n::Lang) -> Result<String> {
        let products = redemption.lines.iter().map(|l| self.replica.product_by_sku(&l.sku)).collect::<std::result::Result<Vec<_>, _>>()?;
        let items: Vec<opentill_core::receipt::RedeemedItem> = redemption
            .lines
            .iter()
            .zip(&products)
            .map(|(l, p)| opentill_core::receipt::RedeemedItem { name: p.as_ref().map_or(l.sku.as_str(), |p| p.name.as_str()), name_zh: p.as_ref().map_or("", |p| p.name_zh.as_str()), qty: l.qty, points: l.points })
            .collect();
        Ok(opentill_core::receipt::redemption_receipt(&redemption.redemption_id, &redemption.member.row.member_id, &items, redemption.member.row.points, redemption.ts_ms, &self.store_header(), self.layout(lang)))
    }

    /// A member by id, mobile number or referral code.
    pub fn member(&self, key: &str) -> Result<MemberView> {
        let key = key.trim();
        let found = match parse_phone(key) {
            Ok(phone) => self.replica.member(&phone)?,
            Err(_) => self.replica.member(key)?.or(self.replica.member(&key.to_ascii_uppercase())?),
        };
        let row = found.ok_or_else(|| ReplicaError::UnknownMember(key.to_string()))?;
        let tier = self.member_program()?.tier_for(row.spend).clone();
        let merged = self.replica.merged_members(&row.member_id)?;
        Ok(MemberView { row, tier, merged })
    }

    /// The newest members, at most `limit`.
    pub fn members(&self, limit: usize) -> Result<Vec<MemberView>> {
        let program = self.member_program()?;
        self.replica
            .members(limit)?
            .into_iter()
            .map(|row| Ok(MemberView { tier: program.tier_for(row.spend).clone(), merged: self.replica.merged_members(&row.member_id)?, row }))
            .collect()
    }

    /// A registered member for `key`, or `None` when nobody is registered under it (a
    /// stored-value account that is not a member, say).
    pub(crate) fn find_member(&self, key: &str) -> Result<Option<MemberView>> {
        match self.member(key) {
            Ok(m) => Ok(Some(m)),
            Err(TillError::Replica(ReplicaError::UnknownMember(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `points` of `member`'s may be spent now: the points this till can see (its
    /// store's and, as of the last snapshot, the other stores'), and the store's offline
    /// allowance counted in points (`opentill_core::allowance`).
    fn check_points(&self, member: &MemberView, points: i64) -> Result<()> {
        let view = self.replica.points_view(&member.row.member_id, member.row.points)?;
        match opentill_core::allowance::check_spend(view, points) {
            Ok(()) => Ok(()),
            Err(opentill_core::allowance::SpendRefusal::Insufficient { .. }) => {
                Err(ReplicaError::InsufficientPoints { member: member.row.member_id.clone(), points: member.row.points, needed: points }.into())
            }
            Err(opentill_core::allowance::SpendRefusal::OverAllowance { allowance, left }) => {
                Err(ReplicaError::PointsOfflineAllowance { member: member.row.member_id.clone(), allowance, left, needed: points }.into())
            }
        }
    }

    /// Points the sale earns its member: on what was paid with money, at the tier of their
    /// spend before it, doubled on their birthday. Also checks a points tender against the
    /// balance, so the cashier gets a clear error before anything is written.
    pub(crate) fn award_points(&self, sale: &mut SaleRecord) -> Result<()> {
        for tender in sale.tenders.iter_mut().filter(|t| t.kind == TenderKind::Points) {
            let key = tender.reference.clone().unwrap_or_default();
            let member = self.find_member(&key)?.ok_or(ReplicaError::UnknownMember(key))?;
            self.check_points(&member, tender.amount)?;
            // The journal names members by id, whichever way the cashier gave them.
            tender.reference = Some(member.row.member_id);
        }
        let Some(key) = sale.member.clone() else { return Ok(()) };
        let Some(member) = self.find_member(&key)? else { return Ok(()) };
        sale.member = Some(member.row.member_id.clone());
        let program = self.member_program()?;
        let paid = sale.total - sale.tenders.iter().filter(|t| t.kind == TenderKind::Points).map(|t| t.amount).sum::<i64>();
        let today = LocalTime::from_unix_ms(self.clock.now_ms(), self.replica.settings().utc_offset_min).date();
        let birthday = member.row.birthday.as_deref().is_some_and(|b| is_birthday(b, &today));
        sale.points_earned = program.points_for(paid, member.row.spend, birthday);
        Ok(())
    }
}
