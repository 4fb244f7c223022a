//! Tenders: how a sale is paid, and settling a basket total against them.

use serde::{Deserialize, Serialize};

use crate::money::MAX_AMOUNT_MINOR;
use crate::rounding::CashRounding;

/// A means of payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TenderKind {
    /// Notes and coins; may give change and is subject to 抹零.
    Cash,
    /// A bank card on an external terminal; recorded with the terminal's reference.
    Card,
    /// A customer's mobile payment code (WeChat Pay, Alipay, UnionPay QR).
    MobilePay,
    /// A stored-value (prepaid) account.
    StoredValue,
    /// A member's points (积分抵现), one fen a point; the reference is the member id.
    Points,
    /// Paid online before the goods were handed over (an O2O order, 线上支付): the
    /// reference is `CHANNEL:ORDER`.
    Online,
}

impl TenderKind {
    /// `cash`, `card`, `mobile`, `stored`.
    pub fn parse(text: &str) -> Option<TenderKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cash" => Some(TenderKind::Cash),
            "card" => Some(TenderKind::Card),
            "mobile" | "mobilepay" | "qr" => Some(TenderKind::MobilePay),
            "stored" | "storedvalue" | "stored_value" => Some(TenderKind::StoredValue),
            "points" => Some(TenderKind::Points),
            "online" => Some(TenderKind::Online),
            _ => None,
        }
    }

    /// The name [`TenderKind::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            TenderKind::Cash => "cash",
            TenderKind::Card => "card",
            TenderKind::MobilePay => "mobile",
            TenderKind::StoredValue => "stored",
            TenderKind::Points => "points",
            TenderKind::Online => "online",
        }
    }

    /// The receipt label.
    pub fn label(self) -> crate::i18n::Label {
        use crate::i18n::Label;
        match self {
            TenderKind::Cash => Label::Cash,
            TenderKind::Card => Label::Card,
            TenderKind::MobilePay => Label::MobilePay,
            TenderKind::StoredValue => Label::StoredValue,
            TenderKind::Points => Label::Points,
            TenderKind::Online => Label::Online,
        }
    }
}

/// A tender as offered: `amount` is what the customer hands over (cash may exceed what is due).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    /// Means of payment.
    pub kind: TenderKind,
    /// Minor units offered.
    pub amount: i64,
    /// Card terminal reference, payment code, or stored-value account.
    pub reference: Option<String>,
}

/// Why the tenders do not settle the sale. Nothing is recorded when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenderError {
    /// The tenders do not cover what is due.
    #[error("tender short: {due} due, {offered} offered")]
    Short {
        /// What is due (after cash rounding, when cash is offered).
        due: i64,
        /// What was offered.
        offered: i64,
    },
    /// A card, mobile or stored-value tender exceeds what is left to pay; only cash gives change.
    #[error("{kind} tender of {amount} exceeds the {remaining} left to pay; only cash gives change")]
    OverTender {
        /// The tender kind.
        kind: &'static str,
        /// Its amount.
        amount: i64,
        /// What was left.
        remaining: i64,
    },
    /// Cash offered when nothing is left to pay.
    #[error("cash offered but nothing is left to pay")]
    NothingDue,
    /// Zero, negative or absurd amount.
    #[error("tender amount {0} is not valid")]
    BadAmount(i64),
    /// A stored-value tender without an account, or a reference that is malformed.
    #[error("{kind} tender needs a reference: {why}")]
    BadReference {
        /// The tender kind.
        kind: &'static str,
        /// What is wrong.
        why: &'static str,
    },
}

/// A tender as applied to the sale: the part of it that paid for goods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedTender {
    /// Means of payment.
    pub kind: TenderKind,
    /// Minor units applied to the sale (cash: what was kept, change excluded).
    pub amount: i64,
    /// Reference.
    pub reference: Option<String>,
}

/// The outcome of settling a total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// 抹零: the amount forgiven (positive) or added (negative) by cash rounding.
    pub rounding: i64,
    /// What the customer actually pays: total minus rounding.
    pub payable: i64,
    /// Tenders as applied; they add up to `payable`.
    pub tenders: Vec<AppliedTender>,
    /// Cash handed over.
    pub cash_given: i64,
    /// Change handed back.
    pub change: i64,
}

/// Settles `total` against `tenders`. Non-cash tenders are applied first, in order, and
/// may not exceed what is left; cash pays the rest, rounded by `rounding`, and gives change.
pub fn settle(total: i64, tenders: &[Tender], rounding: CashRounding) -> Result<Settlement, TenderError> {
    let mut remaining = total;
    let mut applied = Vec::new();
    let mut cash_given: i64 = 0;
    for tender in tenders {
        if tender.amount <= 0 || tender.amount > MAX_AMOUNT_MINOR {
            return Err(TenderError::BadAmount(tender.amount));
        }
        check_reference(tender)?;
        if tender.kind == TenderKind::Cash {
            cash_given += tender.amount;
            if cash_given > MAX_AMOUNT_MINOR {
                return Err(TenderError::BadAmount(cash_given));
            }
            continue;
        }
        if tender.amount > remaining {
            return Err(TenderError::OverTender { kind: tender.kind.name(), amount: tender.amount, remaining });
        }
        remaining -= tender.amount;
        applied.push(AppliedTender { kind: tender.kind, amount: tender.amount, reference: tender.reference.clone() });
    }
    if cash_given == 0 {
        if remaining > 0 {
            let offered = tenders.iter().map(|t| t.amount).sum();
            return Err(TenderError::Short { due: total, offered });
        }
        return Ok(Settlement { rounding: 0, payable: total, tenders: applied, cash_given: 0, change: 0 });
    }
    if remaining == 0 {
        return Err(TenderError::NothingDue);
    }
    let cash_due = rounding.apply(remaining);
    if cash_given < cash_due {
        let offered = tenders.iter().map(|t| t.amount).sum();
        return Err(TenderError::Short { due: total - remaining + cash_due, offered });
    }
    if cash_due > 0 {
        applied.push(AppliedTender { kind: TenderKind::Cash, amount: cash_due, reference: None });
    }
    let rounding_amount = remaining - cash_due;
    Ok(Settlement { rounding: rounding_amount, payable: total - rounding_amount, tenders: applied, cash_given, change: cash_given - cash_due })
}

fn check_reference(tender: &Tender) -> Result<(), TenderError> {
    let reference = tender.reference.as_deref().unwrap_or("");
    if reference.len() > 64 || reference.chars().any(char::is_control) {
        return Err(TenderError::BadReference { kind: tender.kind.name(), why: "at most 64 printable characters" });
    }
    match tender.kind {
        TenderKind::StoredValue if reference.is_empty() => Err(TenderError::BadReference { kind: "stored", why: "the account to charge" }),
        TenderKind::Points if reference.is_empty() => Err(TenderError::BadReference { kind: "points", why: "the member whose points pay" }),
        TenderKind::Online if reference.is_empty() => Err(TenderError::BadReference { kind: "online", why: "the channel and order, CHANNEL:ORDER" }),
        TenderKind::MobilePay if !reference.is_empty() && !is_payment_code(reference) => {
            Err(TenderError::BadReference { kind: "mobile", why: "a payment code is 16 to 24 digits" })
        }
        _ => Ok(()),
    }
}

/// Whether `code` looks like a customer's mobile payment code: 16 to 24 digits
/// (WeChat Pay codes are 18 digits starting 10 to 15, Alipay 16 to 24 starting 25 to 30).
pub fn is_payment_code(code: &str) -> bool {
    (16..=24).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rounding::RoundingMode;
    use proptest::prelude::*;

    fn t(kind: TenderKind, amount: i64) -> Tender {
        Tender { kind, amount, reference: if kind == TenderKind::StoredValue { Some("M1".into()) } else { None } }
    }

    #[test]
    fn settles_cash_with_change_and_rounding() {
        let s = settle(2387, &[t(TenderKind::Cash, 5000)], CashRounding::None).unwrap();
        assert_eq!((s.payable, s.change, s.rounding), (2387, 2613, 0));
        let s = settle(2387, &[t(TenderKind::Cash, 5000)], CashRounding::ToJiao(RoundingMode::Down)).unwrap();
        assert_eq!((s.payable, s.change, s.rounding), (2380, 2620, 7));
        let s = settle(2387, &[t(TenderKind::Cash, 2300)], CashRounding::ToYuan(RoundingMode::Down)).unwrap();
        assert_eq!((s.payable, s.change, s.rounding), (2300, 0, 87));
        // Rounding never applies to the card part of a split.
        let s = settle(2387, &[t(TenderKind::Card, 1000), t(TenderKind::Cash, 2000)], CashRounding::ToJiao(RoundingMode::Down)).unwrap();
        assert_eq!((s.payable, s.change, s.rounding), (2380, 620, 7));
        assert_eq!(s.tenders.iter().map(|t| t.amount).sum::<i64>(), s.payable);
    }

    #[test]
    fn refuses_bad_tenders() {
        let none = CashRounding::None;
        assert_eq!(settle(1000, &[t(TenderKind::Cash, 999)], none), Err(TenderError::Short { due: 1000, offered: 999 }));
        assert_eq!(settle(1000, &[], none), Err(TenderError::Short { due: 1000, offered: 0 }));
        assert!(matches!(settle(1000, &[t(TenderKind::Card, 1001)], none), Err(TenderError::OverTender { .. })));
        assert_eq!(settle(1000, &[t(TenderKind::Card, 1000), t(TenderKind::Cash, 5)], none), Err(TenderError::NothingDue));
        assert_eq!(settle(1000, &[t(TenderKind::Cash, 0)], none), Err(TenderError::BadAmount(0)));
        assert_eq!(settle(1000, &[t(TenderKind::Cash, -5)], none), Err(TenderError::BadAmount(-5)));
        let no_account = Tender { kind: TenderKind::StoredValue, amount: 1000, reference: None };
        assert!(matches!(settle(1000, &[no_account], none), Err(TenderError::BadReference { .. })));
        let bad_code = Tender { kind: TenderKind::MobilePay, amount: 1000, reference: Some("12ab".into()) };
        assert!(matches!(settle(1000, &[bad_code], none), Err(TenderError::BadReference { .. })));
        assert_eq!(settle(0, &[], none).unwrap().payable, 0);
    }

    proptest! {
        #[test]
        fn tenders_cover_the_total(total in 1i64..1_000_000, card in 0i64..1_000_000, extra in 0i64..100_000, rule in 0usize..5) {
            let rounding = [CashRounding::None, CashRounding::ToJiao(RoundingMode::Down), CashRounding::ToYuan(RoundingMode::Down), CashRounding::ToJiao(RoundingMode::HalfUp), CashRounding::ToYuan(RoundingMode::HalfUp)][rule];
            let card = card % total;
            let mut tenders = vec![];
            if card > 0 { tenders.push(t(TenderKind::Card, card)); }
            let cash = total - card + extra + 100;
            tenders.push(t(TenderKind::Cash, cash));
            let s = settle(total, &tenders, rounding).unwrap();
            prop_assert_eq!(s.tenders.iter().map(|t| t.amount).sum::<i64>(), s.payable);
            prop_assert_eq!(s.payable + s.rounding, total);
            prop_assert_eq!(s.cash_given - s.change + card, s.payable);
            prop_assert!(s.change >= 0);
            prop_assert!(s.rounding.abs() < 100);
        }
    }
}
