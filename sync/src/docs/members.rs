//! The **members** document: every member's profile (phone, name, birthday, referral
//! code, who referred them, where and when they registered), shared by every node of a
//! tenant's stores, so a member registered at one till is found at the store's other
//! tills and in the tenant's other stores.
//!
//! Each member is an HLC register under their member id in `members`, holding `body`
//! (JSON of [`MemberProfile`]). Members belong to the tenant, so there is no store scope.
//! A registration is also a journal fact (`member_registered`), which is what the points
//! and spend folds count; the document carries only the profile.
//!
//! **Two registrations of one phone.** Nodes that cannot see each other may both register
//! the same mobile number. They are one person, so once both profiles are known the later
//! registration is merged into the earlier ([`survivor`]: the earliest `registered_ms`,
//! then the smaller member id): the phone finds the survivor, and the merged id's points
//! and spend count for them. Every replica picks the same survivor from the same profiles,
//! whatever order they arrived in.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{AutoCommit, ObjId, ReadDoc, ScalarValue, Value};
use opentill_core::member::{check_name, parse_birthday, parse_phone};
use serde::{Deserialize, Serialize};

use super::{DocError, KEY_SEP, changed_registers, commit, put_register, winner};
use crate::hlc::{Hlc, HlcClock};

/// The members document's name.
pub const MEMBERS: &str = "members";

const PROFILES: &str = "members";

/// A member's profile as the document keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberProfile {
    /// Mobile number, 11 digits.
    pub phone: String,
    /// Name.
    pub name: String,
    /// Birthday, `MM-DD`.
    pub birthday: Option<String>,
    /// Their own referral code.
    pub referral_code: String,
    /// The member whose code they registered with.
    pub referred_by: Option<String>,
    /// When they registered (unix ms, the registering node's clock).
    pub registered_ms: i64,
    /// The store they registered in.
    pub store_id: String,
}

/// Of the members registered with one phone, given as (member id, registered ms), the one
/// the others are merged into: the earliest registration, then the smallest id.
pub fn survivor<'a>(candidates: impl IntoIterator<Item = (&'a str, i64)>) -> Option<&'a str> {
    candidates.into_iter().min_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0))).map(|(id, _)| id)
}

/// Every member's profile.
pub struct MembersDoc {
    doc: AutoCommit,
    members: ObjId,
}

super::register_doc!(MembersDoc, MEMBERS, members: PROFILES);

fn read_profile(doc: &AutoCommit, obj: &ObjId) -> Option<MemberProfile> {
    match doc.get(obj, "body").ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(text) => serde_json::from_str(text).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Checks a profile before it is written: what a till checks at registration.
pub fn check(member_id: &str, p: &MemberProfile) -> Result<(), DocError> {
    let bad = |reason: String| Err(DocError::BadEdit { sku: member_id.into(), reason });
    for text in [member_id, p.referral_code.as_str(), p.store_id.as_str()] {
        if text.trim().is_empty() || text.contains(KEY_SEP) || text.chars().any(char::is_control) || text.len() > 64 {
            return bad("a member id, referral code and store must be non-empty printable text of at most 64 bytes".into());
        }
    }
    match parse_phone(&p.phone) {
        Ok(phone) if phone == p.phone => {}
        _ => return bad(format!("{:?} is not a mobile number as a till keeps it (11 digits)", p.phone)),
    }
    if check_name(&p.name).is_err() {
        return bad("a member needs a name of 1 to 40 printable characters".into());
    }
    if let Some(b) = &p.birthday
        && parse_birthday(b).ok().as_ref() != Some(b)
    {
        return bad(format!("{b:?} is not a birthday as MM-DD"));
    }
    if p.referred_by.as_deref() == Some(member_id) {
        return bad("a member cannot refer themselves".into());
    }
    Ok(())
}

impl MembersDoc {
    /// Sets profiles in one change, stamped by `clock` at `wall_ms`; every profile is
    /// checked before anything is written.
    pub fn put(&mut self, profiles: &[(String, MemberProfile)], clock: &mut HlcClock, wall_ms: i64) -> Result<(), DocError> {
        for (member_id, profile) in profiles {
            check(member_id, profile)?;
        }
        let mut last = None;
        for (member_id, profile) in profiles {
            let body = serde_json::to_string(profile).expect("a member profile serialises");
            last = Some(put_register(&mut self.doc, &self.members.clone(), member_id, clock, wall_ms, vec![("body", ScalarValue::Str(body.into()))])?);
        }
        if let Some(hlc) = last {
            commit(&mut self.doc, "put members", &hlc);
        }
        Ok(())
    }

    /// A member's winning profile, with its HLC.
    pub fn get(&self, member_id: &str) -> Option<(MemberProfile, Hlc)> {
        winner(&self.doc, &self.members, member_id, read_profile)
    }

    /// Every member id in the document.
    pub fn ids(&self) -> BTreeSet<String> {
        self.doc.keys(&self.members).collect()
    }

    /// Every member's profile, by id.
    pub fn all(&self) -> BTreeMap<String, MemberProfile> {
        self.doc.keys(&self.members).filter_map(|id| self.get(&id).map(|(p, _)| (id, p))).collect()
    }

    /// The member ids changed between `before` (hex heads) and now.
    pub fn changed_since(&mut self, before: &[String]) -> BTreeSet<String> {
        changed_registers(&mut self.doc, before).into_iter().filter(|(obj, _)| *obj == self.members).map(|(_, key)| key).collect()
    }

    /// The largest HLC in the document (for a node's clock to observe).
    pub fn latest_hlc(&self) -> Option<Hlc> {
        self.doc.keys(&self.members).filter_map(|k| winner(&self.doc, &self.members, &k, read_profile).map(|(_, h)| h)).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::SharedDoc;

    fn profile(phone: &str, name: &str, at: i64) -> MemberProfile {
        MemberProfile { phone: phone.into(), name: name.into(), birthday: Some("03-08".into()), referral_code: format!("R{at}"), referred_by: None, registered_ms: at, store_id: "S1".into() }
    }

    #[test]
    fn profiles_merge_from_two_nodes_and_bad_ones_are_refused() {
        let (mut a, mut b) = (MembersDoc::new(), MembersDoc::new());
        let (mut ca, mut cb) = (HlcClock::new("t1", (0, 0)), HlcClock::new("t2", (0, 0)));
        a.put(&[("MA".into(), profile("13800000001", "王芳", 1_000))], &mut ca, 1_000).unwrap();
        b.put(&[("MB".into(), profile("13800000001", "Wang Fang", 900))], &mut cb, 900).unwrap();
        let (mut sa, mut sb) = (Default::default(), Default::default());
        for _ in 0..4 {
            if let Some(m) = a.generate_sync_message(&mut sa) {
                b.receive_sync_message(&mut sb, &m).unwrap();
            }
            if let Some(m) = b.generate_sync_message(&mut sb) {
                a.receive_sync_message(&mut sa, &m).unwrap();
            }
        }
        assert_eq!(a.heads(), b.heads());
        assert_eq!(a.all(), b.all());
        let phone = a.all();
        assert_eq!(survivor(phone.iter().map(|(id, p)| (id.as_str(), p.registered_ms))), Some("MB"), "the earlier registration keeps the phone");
        assert_eq!(survivor([("MZ", 5), ("MA", 5)]), Some("MA"), "then the smaller id");

        let heads = a.heads();
        for (id, p) in [
            ("MC", profile("1380000", "A", 1)),
            ("MC", profile("13800000002", "", 1)),
            ("MC", MemberProfile { birthday: Some("13-40".into()), ..profile("13800000002", "A", 1) }),
            ("MC", MemberProfile { referred_by: Some("MC".into()), ..profile("13800000002", "A", 1) }),
            ("", profile("13800000002", "A", 1)),
        ] {
            assert!(a.put(&[(id.to_string(), p)], &mut ca, 2_000).is_err());
        }
        assert_eq!(a.heads(), heads, "a refused edit changes nothing");
    }
}
