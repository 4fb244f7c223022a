//! Members on this node (migration 25): the members document (see
//! [`crate::docs::members`]), its projection, and the store-wide fold of spend and points.
//!
//! - **Profiles** (`members`): written from this node's `member_registered` facts, in the
//!   append's transaction (checked: one phone, one member), and from the document, in the
//!   transaction that saves it. A registration made here is put into the document right
//!   after it is journaled; one a crash kept out (`in_doc = 0`) is put in when the replica
//!   next opens.
//! - **Phones registered twice** by nodes that could not see each other are one person:
//!   the later registration is merged into the earlier ([`survivor`]), in the same
//!   transaction as the profile that revealed it. Looking a member up by phone, id or
//!   referral code finds the survivor, with the merged ids' spend and points added.
//! - **Spend and points** (`member_sums`) fold every journal of the store held here, this
//!   node's and its peers', per member id. The fold is a sum per id with no dependence on
//!   whether the profile arrived yet, so the result does not depend on the order in which
//!   the journals and the document reach a node. This node's own spending is checked
//!   (points never below zero); a peer's fact happened and is folded as it is.
//!
//! - **Other stores** (`member_others`, migration 26): their spend and points per member
//!   id as of the last balance snapshot (see `balances`), added to this store's. This
//!   node's own points spending is kept by seq (`points_debits`) and bounded by the
//!   store's offline allowance, counted in points, as stored value is.
//!
//! **Architecture Invariant:** a member's spend and points are the sum of `member_sums`
//! and `member_others` over the survivor and every id merged into it; nothing else holds
//! them.

use std::collections::BTreeSet;

use opentill_core::fold::{points_delta, spend_delta};
use opentill_core::journal::Fact;
use rusqlite::{Connection, OptionalExtension, params};
use tracing::{info, warn};

use super::docs::{DocUpdate, save_clock, save_doc};
use super::{Replica, ReplicaError, Result, write};
use crate::docs::members::{MemberProfile, MembersDoc, survivor};
use crate::hlc::HlcClock;

/// The member a key (id, phone or referral code) names, resolved to the survivor: an
/// unmerged member first, then the earliest registration.
pub(crate) const RESOLVE: &str = "SELECT coalesce(merged_into, member_id) FROM members WHERE member_id = ?1 OR phone = ?1 OR referral_code = ?1
     ORDER BY merged_into IS NOT NULL, registered_ms, member_id LIMIT 1";

/// The ids of the person member `?1` is: their survivor and every id merged into it
/// (found through the primary key and `members_by_survivor`, never a scan).
pub(crate) const GROUP_IDS: &str = "SELECT g.member_id FROM members g, (SELECT coalesce(merged_into, member_id) AS s FROM members WHERE member_id = ?1) k
     WHERE g.member_id = k.s OR g.merged_into = k.s";

/// A member's row with spend and points summed over the survivor `m` and the ids merged
/// into it, this store's (`member_sums`) and the other stores' as of the last balance
/// snapshot (`member_others`); `FROM members m` and a `WHERE` follow.
pub(crate) const MEMBER_SELECT: &str = "SELECT m.member_id, m.phone, m.name, m.birthday, m.referral_code, m.referred_by, m.registered_ms,
     coalesce((SELECT sum(s.spend) FROM member_sums s WHERE s.member_id = m.member_id OR s.member_id IN (SELECT g.member_id FROM members g WHERE g.merged_into = m.member_id)), 0)
       + coalesce((SELECT sum(o.spend) FROM member_others o WHERE o.member_id = m.member_id OR o.member_id IN (SELECT g.member_id FROM members g WHERE g.merged_into = m.member_id)), 0),
     coalesce((SELECT sum(s.points) FROM member_sums s WHERE s.member_id = m.member_id OR s.member_id IN (SELECT g.member_id FROM members g WHERE g.merged_into = m.member_id)), 0)
       + coalesce((SELECT sum(o.points) FROM member_others o WHERE o.member_id = m.member_id OR o.member_id IN (SELECT g.member_id FROM members g WHERE g.merged_into = m.member_id)), 0)";

/// Upserts a profile and marks it as being in the document (or not).
fn upsert_profile(conn: &Connection, member_id: &str, p: &MemberProfile, in_doc: bool) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO members (member_id, phone, name, birthday, referral_code, referred_by, registered_ms, store_id, in_doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (member_id) DO UPDATE SET phone = excluded.phone, name = excluded.name, birthday = excluded.birthday, referral_code = excluded.referral_code,
           referred_by = excluded.referred_by, registered_ms = excluded.registered_ms, store_id = excluded.store_id, in_doc = max(members.in_doc, excluded.in_doc)",
    )?
    .execute(params![member_id, p.phone, p.name, p.birthday, p.referral_code, p.referred_by, p.registered_ms, p.store_id, in_doc])?;
    Ok(())
}

/// Re-decides who keeps each of `phones`: the survivor's `merged_into` is cleared, the
/// others' point at it. Returns how many members are merged into another now.
pub(crate) fn resolve_phones(conn: &Connection, phones: &BTreeSet<String>) -> Result<usize> {
    let mut merged = 0;
    for phone in phones {
        let holders: Vec<(String, i64)> = conn.prepare_cached("SELECT member_id, registered_ms FROM members WHERE phone = ?1")?.query_map([phone], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let Some(keeper) = survivor(holders.iter().map(|(id, ms)| (id.as_str(), *ms))).map(str::to_string) else { continue };
        if holders.len() > 1 {
            warn!(phone = %phone, keeper = %keeper, registrations = holders.len(), "one phone was registered by several nodes: merged into the earliest");
        }
        conn.prepare_cached("UPDATE members SET merged_into = CASE WHEN member_id = ?2 THEN NULL ELSE ?2 END WHERE phone = ?1")?.execute(params![phone, keeper])?;
        merged += holders.len() - 1;
    }
    Ok(merged)
}

/// Rewrites the profiles of `ids` from the document and re-decides their phones.
pub(crate) fn project(conn: &Connection, doc: &MembersDoc, ids: &BTreeSet<String>) -> Result<usize> {
    let mut phones = BTreeSet::new();
    let mut n = 0;
    for id in ids {
        let Some((profile, _)) = doc.get(id) else { continue };
        // A phone the member no longer has is re-decided too.
        if let Some(old) = conn.prepare_cached("SELECT phone FROM members WHERE member_id = ?1")?.query_row([id], |r| r.get::<_, String>(0)).optional()? {
            phones.insert(old);
        }
        upsert_profile(conn, id, &profile, true)?;
        phones.insert(profile.phone.clone());
        n += 1;
    }
    resolve_phones(conn, &phones)?;
    Ok(n)
}

/// Folds one fact's spend and points into `member_sums`. `own`: this node's fact at
/// `seq`, whose member must be known here, whose points may not go below zero (the other
/// stores' included), and whose points spending is kept by seq (`points_debits`).
pub(crate) fn fold(tx: &Connection, seq: u64, fact: &Fact, own: bool) -> Result<()> {
    for (member, delta) in points_delta(fact) {
        if own && tx.prepare_cached("SELECT 1 FROM members WHERE member_id = ?1")?.query_row([member], |_| Ok(())).optional()?.is_none() {
            return Err(ReplicaError::UnknownMember(member.to_string()));
        }
        tx.prepare_cached("INSERT INTO member_sums (member_id, spend, points) VALUES (?1, 0, ?2) ON CONFLICT (member_id) DO UPDATE SET points = points + excluded.points")?
            .execute(params![member, delta])?;
        // Paying with points or taking rewards never overdraws; taking back a refunded sale's points may.
        if own && delta < 0 && matches!(fact, Fact::Sale(_) | Fact::PointsRedeemed { .. }) {
            let points = group_points(tx, member)?;
            if points < 0 {
                return Err(ReplicaError::InsufficientPoints { member: member.to_string(), points: points - delta, needed: -delta });
            }
            debit(tx, member, seq, -delta)?;
        }
    }
    if let Some((member, delta)) = spend_delta(fact) {
        tx.prepare_cached("INSERT INTO member_sums (member_id, spend, points) VALUES (?1, ?2, 0) ON CONFLICT (member_id) DO UPDATE SET spend = spend + excluded.spend")?
            .execute(params![member, delta])?;
    }
    Ok(())
}

fn debit(tx: &Connection, member: &str, seq: u64, points: i64) -> Result<()> {
    tx.prepare_cached("INSERT INTO points_debits (member_id, seq, points) VALUES (?1, ?2, ?3) ON CONFLICT (member_id, seq) DO UPDATE SET points = points + excluded.points")?
        .execute(params![member, seq as i64, points])?;
    Ok(())
}

/// The points of the person `member_id` is (their survivor and every id merged into it),
/// this store's and the other stores' as of the last snapshot.
fn group_points(conn: &Connection, member_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT coalesce((SELECT sum(points) FROM member_sums WHERE member_id IN ({GROUP_IDS})), 0) + coalesce((SELECT sum(points) FROM member_others WHERE member_id IN ({GROUP_IDS})), 0)"
        ))?
        .query_row([member_id], |r| r.get(0))?)
}

/// Records this node's points spending from its journal (when a replica migrates to
/// points across stores).
pub(crate) fn backfill_debits(tx: &Connection) -> Result<()> {
    let mut stmt = tx.prepare("SELECT seq, body FROM journal WHERE kind IN ('sale', 'points_redeemed')")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    for (seq, body) in rows {
        if let Ok(fact) = serde_json::from_slice::<Fact>(&body) {
            for (member, delta) in points_delta(&fact).into_iter().filter(|(_, d)| *d < 0) {
                debit(tx, member, seq as u64, -delta)?;
            }
        }
    }
    Ok(())
}

/// Projects this node's `member_registered` fact: refused if the phone, the id or the
/// referral code is already registered here or the referrer is unknown.
pub(crate) fn register(tx: &Connection, ts_ms: i64, fact: &Fact) -> Result<()> {
    let Fact::MemberRegistered { member_id, phone, name, birthday, referral_code, referred_by, .. } = fact else { return Ok(()) };
    let taken: Option<String> = tx
        .prepare_cached("SELECT phone FROM members WHERE member_id = ?1 OR phone = ?2 OR referral_code = ?3")?
        .query_row(params![member_id, phone, referral_code], |r| r.get(0))
        .optional()?;
    if let Some(taken) = taken {
        return Err(ReplicaError::DuplicateMember(if &taken == phone { taken } else { format!("id {member_id} or referral code {referral_code}") }));
    }
    if let Some(referrer) = referred_by
        && tx.prepare_cached("SELECT 1 FROM members WHERE member_id = ?1")?.query_row([referrer], |_| Ok(())).optional()?.is_none()
    {
        return Err(ReplicaError::UnknownMember(referrer.clone()));
    }
    let store_id: String = tx.prepare_cached("SELECT value FROM meta WHERE key = 'store_id'")?.query_row([], |r| r.get(0))?;
    let profile = MemberProfile {
        phone: phone.clone(),
        name: name.clone(),
        birthday: birthday.clone(),
        referral_code: referral_code.clone(),
        referred_by: referred_by.clone(),
        registered_ms: ts_ms,
        store_id,
    };
    upsert_profile(tx, member_id, &profile, false)
}

/// Folds the spend and points of every peer fact held (when a replica migrates to shared
/// members: before, peers' member facts were held but not folded).
pub(crate) fn backfill_peers(tx: &Connection) -> Result<()> {
    let mut stmt = tx.prepare("SELECT body FROM peer_journal WHERE kind IN ('sale', 'refund', 'member_registered', 'points_redeemed')")?;
    let bodies = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    for body in &bodies {
        if let Ok(fact) = serde_json::from_slice::<Fact>(body) {
            fold(tx, 0, &fact, false)?;
        }
    }
    if !bodies.is_empty() {
        info!(facts = bodies.len(), "folded the peers' member facts into the store-wide points and spend");
    }
    Ok(())
}

impl Replica {
    /// The members document, loaded (or reused if nobody wrote it since).
    pub fn members_doc(&mut self) -> Result<&mut MembersDoc> {
        self.loaded()
    }

    /// Runs `edit` on the members document with this node's clock, then saves the
    /// changes, projects the profiles it touched and saves the clock, in one transaction.
    pub fn edit_members<T>(&mut self, now_ms: i64, edit: impl FnOnce(&mut MembersDoc, &mut HlcClock) -> std::result::Result<T, crate::docs::DocError>) -> Result<(T, DocUpdate)> {
        self.edit_local(now_ms, edit)
    }

    /// Puts every registration made here that is not yet in the members document into it
    /// (right after a registration, and when the replica opens after a crash in between).
    /// Returns how many.
    pub fn share_members(&mut self, now_ms: i64) -> Result<usize> {
        let mut stmt = self.conn.prepare_cached("SELECT member_id, phone, name, birthday, referral_code, referred_by, registered_ms, store_id FROM members WHERE in_doc = 0 ORDER BY registered_ms, member_id")?;
        let profiles = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    MemberProfile { phone: r.get(1)?, name: r.get(2)?, birthday: r.get(3)?, referral_code: r.get(4)?, referred_by: r.get(5)?, registered_ms: r.get(6)?, store_id: r.get(7)? },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(stmt);
        if profiles.is_empty() {
            return Ok(0);
        }
        let own_store = self.settings.store_id.clone();
        let profiles: Vec<(String, MemberProfile)> =
            profiles.into_iter().map(|(id, p)| if p.store_id.is_empty() { (id, MemberProfile { store_id: own_store.clone(), ..p }) } else { (id, p) }).collect();
        // Those the document already holds as they are (a replica migrating from before
        // shared members, whose registrations synced another way) are only marked.
        let doc = self.members_doc()?;
        let (held, profiles): (Vec<_>, Vec<_>) = profiles.into_iter().partition(|(id, p)| doc.get(id).is_some_and(|(d, _)| d == *p));
        for (id, _) in &held {
            self.conn.prepare_cached("UPDATE members SET in_doc = 1 WHERE member_id = ?1")?.execute([id])?;
        }
        let n = profiles.len();
        if n == 0 {
            return Ok(0);
        }
        self.edit_members(now_ms, |doc, clock| doc.put(&profiles, clock, now_ms))?;
        info!(members = n, "put this node's registrations into the members document");
        Ok(n)
    }

    pub(crate) fn commit_members(&mut self, version: i64, mut doc: MembersDoc, before: &[String], clock: &mut HlcClock, now_ms: i64) -> Result<DocUpdate> {
        let changed = doc.changed_since(before);
        if let Some(hlc) = doc.latest_hlc() {
            clock.observe(&hlc);
        }
        let tx = write(&mut self.conn)?;
        let version = save_doc(&tx, &mut doc, version, now_ms)?;
        let projected = project(&tx, &doc, &changed)?;
        save_clock(&tx, clock)?;
        tx.commit()?;
        self.docs.members = Some((version, doc));
        Ok(DocUpdate { changed, projected })
    }

    /// A points redemption recorded here by id: when, and the fact.
    pub fn redemption(&self, redemption_id: &str) -> Result<Option<(i64, Fact)>> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT ts_ms, body FROM journal WHERE kind = 'points_redeemed' AND json_extract(CAST(body AS TEXT), '$.redemption_id') = ?1")?
            .query_row([redemption_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(ts, body)| serde_json::from_slice(&body).map(|f| (ts, f)).map_err(|e| ReplicaError::Corrupt(format!("redemption {redemption_id}: {e}")))).transpose()
    }

    /// The ids merged into member `member_id` (registrations of their phone made where
    /// the first could not be seen), oldest first.
    pub fn merged_members(&self, member_id: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT member_id FROM members WHERE merged_into = ?1 ORDER BY registered_ms, member_id")?;
        Ok(stmt.query_map([member_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use opentill_core::basket::Basket;
    use opentill_core::catalog::{Product, Unit};
    use opentill_core::money::Currency;
    use opentill_core::rounding::CashRounding;
    use opentill_core::sale::{SaleContext, complete_sale};
    use opentill_core::tax::{TaxMode, TaxRate};
    use opentill_core::tender::{Tender, TenderKind};

    use automerge::sync::State;

    use super::*;
    use crate::StoreSettings;
    use crate::docs::members::MEMBERS;
    use crate::MemberRow;

    const PHONE: &str = "13800138000";

    fn node(dir: &Path, id: &str, key: u8) -> Replica {
        Replica::create(&dir.join(id), StoreSettings::new("S1", id), [key; 32]).unwrap()
    }

    fn register(replica: &mut Replica, member_id: &str, phone: &str, at: i64) {
        let fact = Fact::MemberRegistered {
            member_id: member_id.into(),
            phone: phone.into(),
            name: "王芳".into(),
            birthday: None,
            referral_code: format!("R{member_id}"),
            referred_by: None,
            referral_points: 0,
            by: "c01".into(),
        };
        replica.append(at, &fact).unwrap();
        replica.share_members(at).unwrap();
    }

    /// A sale of `pieces` colas (¥3 each) to `member`, earning `points`.
    fn sell(replica: &mut Replica, sale_id: &str, member: &str, pieces: i64, points: i64, at: i64) {
        let cola = Product {
            sku: "COLA".into(),
            barcodes: vec![],
            name: "Cola".into(),
            name_zh: "可乐".into(),
            category: "drinks".into(),
            tags: vec![],
            unit: Unit::Each,
            price_minor: 300,
            tax_rate: TaxRate(1300),
            parent_sku: None,
            specs: vec![],
        };
        let mut basket = Basket::new(Currency::CNY, TaxMode::Inclusive);
        basket.add(&cola, pieces).unwrap();
        let ctx = SaleContext { sale_id: sale_id.into(), shift_id: None, cashier: Some("c01".into()) };
        let mut sale = complete_sale(&basket, &[Tender { kind: TenderKind::MobilePay, amount: 300 * pieces, reference: None }], CashRounding::None, ctx).unwrap();
        sale.member = Some(member.into());
        sale.points_earned = points;
        replica.append(at, &Fact::Sale(sale)).unwrap();
    }

    /// Syncs the members document from `from` to `to` until neither has more to say.
    fn sync_doc(from: &mut Replica, to: &mut Replica) {
        let (mut sf, mut st) = (State::new(), State::new());
        for _ in 0..8 {
            let mut quiet = true;
            if let Some(m) = from.doc_sync_message(MEMBERS, &mut sf).unwrap() {
                to.receive_doc_sync(MEMBERS, &mut st, &m, 10_000).unwrap();
                quiet = false;
            }
            if let Some(m) = to.doc_sync_message(MEMBERS, &mut st).unwrap() {
                from.receive_doc_sync(MEMBERS, &mut sf, &m, 10_000).unwrap();
                quiet = false;
            }
            if quiet {
                return;
            }
        }
    }

    fn ship_journal(from: &Replica, to: &mut Replica) {
        let (seq, hash) = from.head().unwrap();
        let entries = from.entries(1..=seq).unwrap();
        assert!(to.store_peer_entries(&from.settings().node_id, 0, &entries, (seq, hash)).unwrap());
    }

    /// Two tills register one phone apart (till 1 first) and each sells to its own
    /// registration; a third node gets both journals and both documents in every one of
    /// the 24 orders, and always ends with the same person: till 1's id, both sales'
    /// spend and points.
    #[test]
    fn the_same_members_whatever_order_journals_and_documents_arrive_in() {
        let dir = tempfile::tempdir().unwrap();
        let mut t1 = node(dir.path(), "t1", 1);
        let mut t2 = node(dir.path(), "t2", 2);
        register(&mut t1, "MA", PHONE, 1_000);
        register(&mut t2, "MB", PHONE, 1_500);
        register(&mut t2, "MC", "13900139000", 1_600);
        sell(&mut t1, "S-1", "MA", 2, 6, 2_000);
        sell(&mut t2, "S-2", "MB", 3, 9, 2_500);
        sell(&mut t2, "S-3", "MC", 1, 3, 2_600);
        let (k1, k2) = (t1.public_key().to_bytes(), t2.public_key().to_bytes());

        let mut seen: Option<(Option<MemberRow>, Option<MemberRow>, Vec<MemberRow>, Vec<String>)> = None;
        for (n, order) in permutations(4).into_iter().enumerate() {
            let mut observer = node(dir.path(), &format!("o{n}"), 3);
            observer.add_peer("t1", &k1, 0).unwrap();
            observer.add_peer("t2", &k2, 0).unwrap();
            for step in order {
                match step {
                    0 => ship_journal(&t1, &mut observer),
                    1 => ship_journal(&t2, &mut observer),
                    2 => sync_doc(&mut t1, &mut observer),
                    _ => sync_doc(&mut t2, &mut observer),
                }
            }
            let got = (observer.member(PHONE).unwrap(), observer.member("MB").unwrap(), observer.members(10).unwrap(), observer.merged_members("MA").unwrap());
            let report = observer.verify(|_| {}).unwrap();
            assert!(report.is_ok(), "{:?}", report.projection_problems);
            match &seen {
                None => seen = Some(got),
                Some(first) => assert_eq!(&got, first, "order {n}"),
            }
        }
        let (by_phone, by_merged_id, listed, merged) = seen.unwrap();
        let person = by_phone.unwrap();
        assert_eq!((person.member_id.as_str(), person.spend, person.points), ("MA", 1_500, 15), "till 1's id, both sales");
        assert_eq!(by_merged_id.unwrap(), person, "the merged id finds the same person");
        assert_eq!(listed.iter().map(|m| (m.member_id.as_str(), m.points)).collect::<Vec<_>>(), [("MC", 3), ("MA", 15)]);
        assert_eq!(merged, ["MB"]);
        // The tills themselves converge on the same once they hold each other's.
        t1.add_peer("t2", &k2, 0).unwrap();
        ship_journal(&t2, &mut t1);
        sync_doc(&mut t2, &mut t1);
        assert_eq!(t1.member(PHONE).unwrap(), Some(person));
    }

    /// A till from before shared members (schema 24: spend and points in `members`, from
    /// its own journal only) that holds another till's sales to its member: migrating
    /// folds the peer's sales in, finds its own points spending, and the replica verifies.
    #[test]
    fn a_replica_from_before_shared_members_folds_its_peers_sales_when_it_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let mut t1 = node(dir.path(), "t1", 1);
        let mut t2 = node(dir.path(), "t2", 2);
        register(&mut t1, "MA", PHONE, 1_000);
        sync_doc(&mut t1, &mut t2);
        sell(&mut t1, "S-1", "MA", 2, 6, 2_000);
        sell(&mut t2, "S-2", "MA", 3, 9, 2_500);
        let redeemed = vec![opentill_core::member::RedeemedLine { sku: "COLA".into(), qty: 1, points: 4 }];
        t1.append(2_700, &Fact::PointsRedeemed { redemption_id: "PR-1".into(), member: "MA".into(), lines: redeemed, by: "c01".into() }).unwrap();
        t1.add_peer("t2", &t2.public_key().to_bytes(), 0).unwrap();
        ship_journal(&t2, &mut t1);
        assert_eq!(t1.unconfirmed_points("MA").unwrap(), 4);
        drop(t1);
        let db = dir.path().join("t1").join(crate::DB_FILE);
        let conn = Connection::open(&db).unwrap();
        assert_eq!(conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).unwrap() as usize, crate::schema::MIGRATIONS.len());
        conn.execute_batch(&format!("{} PRAGMA user_version = 24;", crate::schema::UNDO_AFTER_24)).unwrap();
        // What schema 24 held: till 1's own sale and redemption only.
        conn.execute("UPDATE members SET spend = 600, points = 2 WHERE member_id = 'MA'", []).unwrap();
        drop(conn);
        let t1 = Replica::open(&dir.path().join("t1")).unwrap();
        let ma = t1.member(PHONE).unwrap().unwrap();
        assert_eq!((ma.spend, ma.points), (1_500, 11));
        assert_eq!(t1.unconfirmed_points("MA").unwrap(), 4, "its points spending is found in its journal");
        assert!(t1.verify(|_| {}).unwrap().is_ok());
    }

    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for rest in permutations(n - 1) {
            for at in 0..=rest.len() {
                let mut p = rest.clone();
                p.insert(at, n - 1);
                out.push(p);
            }
        }
        out
    }
}
