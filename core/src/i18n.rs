//! The two languages OpenTill speaks and the fixed texts of the core (receipt labels).

use serde::{Deserialize, Serialize};

/// A user-facing language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    /// Simplified Chinese (zh-CN).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Parses `zh`, `zh-CN`, `zh_CN.UTF-8`, `en`, `en-US`, ...
    pub fn parse(text: &str) -> Option<Lang> {
        let lower = text.trim().to_ascii_lowercase();
        if lower.starts_with("zh") {
            Some(Lang::Zh)
        } else if lower.starts_with("en") || lower == "c" || lower == "posix" {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// Picks the text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// A fixed text printed on receipts and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Label {
    Sale,
    Refund,
    Receipt,
    Cashier,
    Shift,
    Subtotal,
    Discount,
    Rounding,
    Total,
    Tax,
    Change,
    Cash,
    Card,
    MobilePay,
    StoredValue,
    Online,
    Items,
    Thanks,
    Reference,
    PriceOverride,
    Voided,
    RefundOf,
    Promotions,
    Coupon,
    SpecialPrice,
    MemberPrice,
    Bundle,
    FlashSale,
    Free,
    YouSaved,
    Member,
    Points,
    PointsEarned,
}

impl Label {
    /// The text in a language.
    pub fn text(self, lang: Lang) -> &'static str {
        use Label::*;
        let (zh, en) = match self {
            Sale => ("销售", "Sale"),
            Refund => ("退货", "Refund"),
            Receipt => ("小票", "Receipt"),
            Cashier => ("收银员", "Cashier"),
            Shift => ("班次", "Shift"),
            Subtotal => ("小计", "Subtotal"),
            Discount => ("优惠", "Discount"),
            Rounding => ("抹零", "Rounding"),
            Total => ("合计", "Total"),
            Tax => ("含税", "Tax"),
            Change => ("找零", "Change"),
            Cash => ("现金", "Cash"),
            Card => ("银行卡", "Card"),
            MobilePay => ("扫码支付", "Mobile pay"),
            StoredValue => ("储值卡", "Stored value"),
            Online => ("线上支付", "Paid online"),
            Items => ("件数", "Items"),
            Thanks => ("谢谢惠顾，欢迎再次光临", "Thank you, please come again"),
            Reference => ("凭证", "Ref"),
            PriceOverride => ("改价", "Price override"),
            Voided => ("已作废", "Voided"),
            RefundOf => ("原单", "Original sale"),
            Promotions => ("促销优惠", "Promotions"),
            Coupon => ("优惠券", "Coupon"),
            SpecialPrice => ("特价", "Special price"),
            MemberPrice => ("会员价", "Member price"),
            Bundle => ("组合价", "Bundle"),
            FlashSale => ("限时抢购", "Flash sale"),
            Free => ("免单", "free"),
            YouSaved => ("共节省", "You saved"),
            Member => ("会员", "Member"),
            Points => ("积分抵现", "Points"),
            PointsEarned => ("本单积分", "Points earned"),
        };
        lang.pick(zh, en)
    }
}
