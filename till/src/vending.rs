//! Vending and member passes: what the edge agent does with a vending machine's session
//! and result messages, and how a member pass is issued and checked offline.
//!
//! The rule that matters: a customer is charged exactly once, and only for a vend the
//! machine reported `dispensed`. It holds because
//! - a session is answered from the `vends` table, keyed by (machine, session message id):
//!   a repeated session gets the same command back, never a second hold;
//! - the vend is written (held) before its command is published, so a command can never
//!   exist for a vend the agent does not know;
//! - a `dispensed` result records the sale (sale id = vend id) and marks the vend charged
//!   in one transaction, so a repeated or late result finds it charged and charges nothing;
//! - a `failed` result or an expired hold releases the vend; the machine is told the
//!   hold's end (`expires_ts`) and must not dispense after it. A `dispensed` that still
//!   arrives after the release is charged (the product left the machine) and raises a
//!   `late_dispense` alert.

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use opentill_core::i18n::Lang;
use opentill_core::tender::{Tender, TenderKind};
use opentill_hardware::contract::{Credential, CredentialKind, Outcome, is_payment_code};
use opentill_sync::{Alert, ReplicaError, Vend, VendState, settle_vend, take_from_slot};
use tracing::{info, warn};

use crate::{Result, Till, TillError, new_id, validate_id};

/// How long a vend's hold lasts when the machine says nothing (ms).
pub const HOLD_MS: i64 = 60_000;
/// How long after a hold ends the agent waits for a late result before releasing it (ms).
pub const RELEASE_GRACE_MS: i64 = 30_000;

/// Why a vend was refused; the code goes to the machine as `reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The slot is not loaded, or is empty.
    SoldOut,
    /// The slot is not in the machine's inventory.
    UnknownSlot,
    /// The pass did not verify (bad signature or malformed).
    BadPass,
    /// The pass has expired.
    PassExpired,
    /// The pass was revoked.
    PassRevoked,
    /// Stored value (less what other vends hold) does not cover the price.
    InsufficientBalance,
    /// The payment code is not one a wallet issues.
    BadPaymentCode,
}

impl Denial {
    /// The code sent to the machine.
    pub fn code(self) -> &'static str {
        match self {
            Denial::SoldOut => "sold_out",
            Denial::UnknownSlot => "unknown_slot",
            Denial::BadPass => "bad_pass",
            Denial::PassExpired => "pass_expired",
            Denial::PassRevoked => "pass_revoked",
            Denial::InsufficientBalance => "insufficient_balance",
            Denial::BadPaymentCode => "bad_payment_code",
        }
    }

    /// What the machine's screen says.
    pub fn message(self, lang: Lang) -> &'static str {
        match self {
            Denial::SoldOut => lang.pick("该货道已售罄", "This item is sold out"),
            Denial::UnknownSlot => lang.pick("没有这个货道", "There is no such slot"),
            Denial::BadPass => lang.pick("会员码无效", "This member pass is not valid"),
            Denial::PassExpired => lang.pick("会员码已过期，请刷新", "This member pass has expired; refresh it"),
            Denial::PassRevoked => lang.pick("会员码已停用", "This member pass has been revoked"),
            Denial::InsufficientBalance => lang.pick("储值余额不足", "Not enough stored value"),
            Denial::BadPaymentCode => lang.pick("付款码无效", "This payment code is not valid"),
        }
    }

    fn parse(code: &str) -> Option<Denial> {
        [Denial::SoldOut, Denial::UnknownSlot, Denial::BadPass, Denial::PassExpired, Denial::PassRevoked, Denial::InsufficientBalance, Denial::BadPaymentCode].into_iter().find(|d| d.code() == code)
    }
}

/// The answer to a session: the command to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendCommand {
    /// The vend id.
    pub vend: String,
    /// The slot.
    pub slot: String,
    /// The price.
    pub price_minor: i64,
    /// `None` to vend; the reason to deny.
    pub denied: Option<Denial>,
    /// The hold's end (unix ms) when vending.
    pub expires_ms: Option<i64>,
    /// False when this session was answered before (a repeat).
    pub new: bool,
}

/// What a result did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendSettled {
    /// The vend.
    pub vend: String,
    /// Whether the customer is (now or already) charged for it.
    pub charged: bool,
    /// False when this result was settled before (a repeat).
    pub new: bool,
    /// An alert raised by this result, if any.
    pub alert: Option<Alert>,
}

// ---- member passes ----

/// A member pass's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pass {
    /// The member's stored-value account.
    pub account: String,
    /// The pass id (what is revoked).
    pub pass_id: String,
    /// When it stops being valid (unix ms).
    pub expires_ms: i64,
}

const PASS_PREFIX: &str = "OTP1";

fn pass_body(pass: &Pass) -> String {
    format!("{PASS_PREFIX}.{}.{}.{}", pass.account, pass.pass_id, pass.expires_ms)
}

/// Reads and checks a pass token against the issuer's key: `OTP1.account.pass.expires.sig`
/// where `sig` is the hex Ed25519 signature of everything before the last dot.
pub fn verify_pass(token: &str, issuer: &VerifyingKey, now_ms: i64) -> std::result::Result<Pass, Denial> {
    let (body, sig_hex) = token.rsplit_once('.').ok_or(Denial::BadPass)?;
    let mut parts = body.split('.');
    let (Some(PASS_PREFIX), Some(account), Some(pass_id), Some(expires), None) = (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Denial::BadPass);
    };
    let sig: [u8; 64] = hex::decode(sig_hex).ok().and_then(|b| b.try_into().ok()).ok_or(Denial::BadPass)?;
    issuer.verify(body.as_bytes(), &Signature::from_bytes(&sig)).map_err(|_| Denial::BadPass)?;
    let expires_ms: i64 = expires.parse().map_err(|_| Denial::BadPass)?;
    if expires_ms <= now_ms {
        return Err(Denial::PassExpired);
    }
    Ok(Pass { account: account.to_string(), pass_id: pass_id.to_string(), expires_ms })
}

impl Till {
    /// Issues a member pass for a stored-value account, signed with this node's key.
    pub fn issue_pass(&self, account: &str, valid_ms: i64) -> Result<(Pass, String)> {
        validate_id(account, "account")?;
        if !(60_000..=366 * 86_400_000).contains(&valid_ms) {
            return Err(TillError::BadInput("a pass is valid for one minute to one year".into()));
        }
        let pass = Pass { account: account.to_string(), pass_id: new_id(), expires_ms: self.clock.now_ms() + valid_ms };
        let body = pass_body(&pass);
        let sig = self.replica.sign(body.as_bytes());
        Ok((pass, format!("{body}.{}", hex::encode(sig))))
    }

    /// Revokes a pass; revoking it twice is harmless.
    pub fn revoke_pass(&mut self, pass_id: &str) -> Result<()> {
        validate_id(pass_id, "pass id")?;
        let now = self.clock.now_ms();
        self.replica.revoke_pass(pass_id, now)?;
        Ok(())
    }

    /// Checks a pass token offline: signature, expiry, revocation.
    pub fn check_pass(&self, token: &str) -> Result<std::result::Result<Pass, Denial>> {
        let pass = match verify_pass(token, &self.replica.public_key(), self.clock.now_ms()) {
            Ok(pass) => pass,
            Err(denial) => return Ok(Err(denial)),
        };
        if self.replica.is_revoked(&pass.pass_id)? {
            return Ok(Err(Denial::PassRevoked));
        }
        Ok(Ok(pass))
    }

    // ---- vending ----

    /// Answers a machine's `session`: a vend command (held) or a denial. A repeated
    /// session message (same id) gets the first answer back and holds nothing more.
    pub fn vend_session(&mut self, machine: &str, session_id: &str, slot: &str, credential: &Credential) -> Result<VendCommand> {
        if let Some(vend) = self.replica.vend_for_session(machine, session_id)? {
            return Ok(command_of(&vend, false));
        }
        let now = self.clock.now_ms();
        let loaded = self.replica.vend_slot(machine, slot)?;
        let product = match &loaded {
            Some((sku, _)) => Some(self.replica.product_by_sku(sku)?.ok_or_else(|| TillError::UnknownSku(sku.clone()))?),
            None => None,
        };
        let price = product.as_ref().map_or(0, |p| p.price_minor);
        let mut account = None;
        let denial = match (&loaded, &credential.kind) {
            (None, _) => Some(Denial::UnknownSlot),
            (Some((_, count)), _) if *count <= 0 => Some(Denial::SoldOut),
            (_, CredentialKind::MemberQr) => match self.check_pass(&credential.value)? {
                Err(denial) => Some(denial),
                Ok(pass) => {
                    // Over the balance or over the offline allowance: either way the card
                    // cannot pay here now.
                    let refused = match self.check_stored_value(&pass.account, price) {
                        Ok(()) => false,
                        Err(TillError::Replica(ReplicaError::InsufficientBalance { .. } | ReplicaError::OfflineAllowance { .. })) => true,
                        Err(e) => return Err(e),
                    };
                    account = Some(pass.account);
                    refused.then_some(Denial::InsufficientBalance)
                }
            },
            (_, CredentialKind::PaymentCode) => {
                account = Some(credential.value.clone());
                (!is_payment_code(&credential.value)).then_some(Denial::BadPaymentCode)
            }
        };
        let vend = Vend {
            vend_id: new_id(),
            machine: machine.to_string(),
            session_id: session_id.to_string(),
            slot: slot.to_string(),
            sku: loaded.map(|(sku, _)| sku),
            price_minor: price,
            credential_kind: match credential.kind {
                CredentialKind::MemberQr => "member_qr",
                CredentialKind::PaymentCode => "payment_code",
            }
            .to_string(),
            account,
            state: if denial.is_some() { VendState::Denied } else { VendState::Held },
            reason: denial.map(|d| d.code().to_string()),
            created_ms: now,
            expires_ms: now + HOLD_MS,
            settled_ms: denial.map(|_| now),
        };
        self.replica.insert_vend(&vend)?;
        info!(vend = %vend.vend_id, machine, slot, state = vend.state.as_str(), "vend session answered");
        Ok(command_of(&vend, true))
    }

    /// Settles a machine's `result`: charges a dispensed vend (once), releases a failed one.
    pub fn vend_result(&mut self, machine: &str, vend_id: &str, outcome: Outcome, reason: Option<&str>) -> Result<VendSettled> {
        let vend = self.replica.vend(vend_id)?.filter(|v| v.machine == machine).ok_or_else(|| TillError::BadInput(format!("machine {machine} reported vend {vend_id}, which it was never sent")))?;
        let now = self.clock.now_ms();
        let settled = |charged, new, alert| Ok(VendSettled { vend: vend_id.to_string(), charged, new, alert });
        match (vend.state, outcome) {
            (VendState::Charged, _) => settled(true, false, None),
            (VendState::Held, Outcome::Failed) => {
                self.replica.release_vend(vend_id, reason.unwrap_or("failed"), now)?;
                info!(vend = vend_id, "vend failed, hold released");
                settled(false, true, None)
            }
            (VendState::Released | VendState::Denied, Outcome::Failed) => settled(false, false, None),
            (VendState::Held, Outcome::Dispensed) => {
                self.charge_vend(&vend, now)?;
                settled(true, true, None)
            }
            (VendState::Released | VendState::Denied, Outcome::Dispensed) => {
                // The product left the machine after its hold ended (or was never allowed):
                // charge it, since it was dispensed, and tell the back office.
                let outcome = self.charge_vend(&vend, now);
                let (detail, detail_zh) = match &outcome {
                    Ok(()) => (
                        format!("vend {vend_id} on {machine} dispensed after its hold was {}; charged {}", vend.state.as_str(), vend.price_minor),
                        format!("{machine} 的售货 {vend_id} 在预授权已{}后才出货；已扣款 {} 分", vend_state_zh(vend.state.as_str()), vend.price_minor),
                    ),
                    Err(e) => (
                        format!("vend {vend_id} on {machine} dispensed after its hold was {}; NOT charged: {e}", vend.state.as_str()),
                        format!("{machine} 的售货 {vend_id} 在预授权已{}后才出货；未能扣款：{}", vend_state_zh(vend.state.as_str()), e.message(opentill_core::i18n::Lang::Zh)),
                    ),
                };
                warn!(vend = vend_id, %detail, "late dispense");
                let alert = Alert { alert_id: format!("late_dispense:{vend_id}"), ts_ms: now, kind: "late_dispense".into(), device: machine.into(), detail, detail_zh, cleared_ms: None, cleared_by: String::new() };
                self.replica.raise_alert(&alert)?;
                if outcome.is_err() {
                    self.replica.release_vend(vend_id, "dispensed_not_charged", now)?;
                }
                settled(outcome.is_ok(), true, Some(alert))
            }
        }
    }

    fn charge_vend(&mut self, vend: &Vend, now: i64) -> Result<()> {
        let sku = vend.sku.clone().ok_or_else(|| TillError::BadInput(format!("vend {} has no product", vend.vend_id)))?;
        let mut product = self.replica.product_by_sku(&sku)?.ok_or(TillError::UnknownSku(sku))?;
        // Charged at the price the customer was shown, even if the catalog changed since.
        product.price_minor = vend.price_minor;
        let mut basket = self.new_basket();
        basket.add(&product, 1)?;
        let kind = if vend.credential_kind == "member_qr" { TenderKind::StoredValue } else { TenderKind::MobilePay };
        let tender = Tender { kind, amount: vend.price_minor, reference: vend.account.clone() };
        let (vend_id, machine, slot) = (vend.vend_id.clone(), vend.machine.clone(), vend.slot.clone());
        self.checkout_with(&basket, Some(vend.vend_id.clone()), &[tender], None, move |tx| {
            settle_vend(tx, &vend_id, VendState::Charged, None, now)?;
            take_from_slot(tx, &machine, &slot)
        })?;
        info!(vend = %vend.vend_id, price = vend.price_minor, "vend charged");
        Ok(())
    }

    /// Releases holds whose machine stayed silent past the hold's end and a grace period.
    /// Returns the vends released.
    pub fn expire_vends(&mut self) -> Result<Vec<String>> {
        let now = self.clock.now_ms();
        let mut released = Vec::new();
        for vend in self.replica.expired_holds(now - RELEASE_GRACE_MS)? {
            self.replica.release_vend(&vend.vend_id, "expired", now)?;
            info!(vend = %vend.vend_id, "vend hold expired and released");
            released.push(vend.vend_id);
        }
        Ok(released)
    }
}

fn command_of(vend: &Vend, new: bool) -> VendCommand {
    let denied = if vend.state == VendState::Denied { vend.reason.as_deref().and_then(Denial::parse).or(Some(Denial::BadPass)) } else { None };
    VendCommand {
        vend: vend.vend_id.clone(),
        slot: vend.slot.clone(),
        price_minor: vend.price_minor,
        denied,
        expires_ms: denied.is_none().then_some(vend.expires_ms),
        new,
    }
}

/// A vend's state in Chinese, for alert texts.
fn vend_state_zh(state: &str) -> &'static str {
    match state {
        "released" => "释放",
        "charged" => "扣款",
        "denied" => "拒绝",
        _ => "保留",
    }
}
