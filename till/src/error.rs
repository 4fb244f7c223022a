//! The till's errors, each with a stable `kind` for programs and a message in both languages.

use opentill_core::basket::BasketError;
use opentill_core::i18n::Lang;
use opentill_core::refund::RefundError;
use opentill_core::sale::SaleError;
use opentill_core::shift::ShiftError;
use opentill_core::tender::TenderError;
use opentill_sync::ReplicaError;

use crate::import::RowError;

/// Why a till operation failed. When one is returned, nothing was recorded.
#[derive(Debug, thiserror::Error)]
pub enum TillError {
    /// No product has this barcode.
    #[error("unknown barcode {0}")]
    UnknownBarcode(String),
    /// No product has this SKU.
    #[error("unknown SKU {0}")]
    UnknownSku(String),
    /// No sale with this id in this store.
    #[error("no sale {0} in this store")]
    UnknownSale(String),
    /// No suspended basket with this id.
    #[error("no suspended sale {0}")]
    UnknownBasket(String),
    /// Malformed input: the message says which field and why.
    #[error("{0}")]
    BadInput(String),
    /// A device that never announced itself on `dev/{device}/state`.
    #[error("unknown device {0}: it must publish its state first")]
    UnknownDevice(String),
    /// No open alert with this id.
    #[error("no open alert {0}")]
    UnknownAlert(String),
    /// No stored promotion with this id.
    #[error("there is no promotion {0}")]
    UnknownPromotion(String),
    /// No stored coupon with this id.
    #[error("there is no coupon {0}")]
    UnknownCoupon(String),
    /// A promotion, coupon or setting head office set for every store: only head office
    /// changes or removes it (a store may put its own with the same id, which it then runs).
    #[error("{section} {id} is head office's, for every store: only head office removes it (this store may put its own {section} {id}, which it then runs instead)")]
    HeadOfficeOffer {
        /// `promotion`, `coupon` or `setting`.
        section: &'static str,
        /// Its id.
        id: String,
    },
    /// A promotion or coupon the engine refuses, with the reason; nothing was stored.
    #[error(transparent)]
    Offer(#[from] opentill_core::promo::ConfigError),
    /// A transfer step refused, with the reason; nothing was recorded.
    #[error(transparent)]
    Transfer(#[from] opentill_core::transfer::TransferError),
    /// An O2O order step refused, with the reason; nothing was recorded.
    #[error(transparent)]
    O2o(#[from] opentill_core::o2o::O2oError),
    /// A points redemption refused, with the reason; nothing was recorded.
    #[error(transparent)]
    Redeem(#[from] opentill_core::member::RedeemError),
    /// A stock or purchasing rule refused, with the reason; nothing was recorded.
    #[error(transparent)]
    Stock(#[from] opentill_core::stock::StockError),
    /// A basket rule refused.
    #[error(transparent)]
    Basket(#[from] BasketError),
    /// The tenders do not settle the sale.
    #[error(transparent)]
    Tender(#[from] TenderError),
    /// The refund is not possible.
    #[error(transparent)]
    Refund(#[from] RefundError),
    /// A shift report could not be made.
    #[error(transparent)]
    Shift(#[from] ShiftError),
    /// Wrong user or PIN.
    #[error("user or PIN not recognised")]
    AuthFailed,
    /// An approval that is unknown, for another sale, expired, or whose approver left.
    #[error("this approval does not stand for this sale (unknown, for another sale, or expired); ask the supervisor to approve again")]
    ApprovalInvalid,
    /// The user's role does not allow it.
    #[error("{user} ({role}) may not {action}")]
    Forbidden {
        /// User.
        user: String,
        /// Role.
        role: &'static str,
        /// What was attempted.
        action: &'static str,
    },
    /// The operation needs an open shift.
    #[error("no shift is open on this till")]
    NoOpenShift,
    /// The import file as a whole is unusable (not CSV, missing columns): English, Chinese.
    #[error("{0}")]
    BadImportFile(String, String),
    /// A product as entered in the back office breaks a rule of the catalog: English, Chinese.
    #[error("{0}")]
    BadProduct(String, String),
    /// Some rows of an import are bad; nothing was imported.
    #[error("{} bad row(s) in {} rows; nothing imported", errors.len(), rows)]
    Import {
        /// The bad rows.
        errors: Vec<RowError>,
        /// Rows read.
        rows: usize,
    },
    /// The directory holds other files but no store (`demo::open_or_create`).
    #[error("{} is not an OpenTill store (it holds other files but no opentill.db): choose a store's data directory, or a new or empty one for a demo store", .0.display())]
    NotAStore(std::path::PathBuf),
    /// Storage failed or refused.
    #[error(transparent)]
    Replica(#[from] ReplicaError),
}

impl From<SaleError> for TillError {
    fn from(e: SaleError) -> Self {
        match e {
            SaleError::Empty => TillError::BadInput("the sale has no items".into()),
            SaleError::Tender(t) => TillError::Tender(t),
            SaleError::Basket(b) => TillError::Basket(b),
        }
    }
}

impl TillError {
    /// A stable identifier for programs (and the UI) to match on.
    pub fn kind(&self) -> &'static str {
        match self {
            TillError::UnknownBarcode(_) => "unknown_barcode",
            TillError::UnknownSku(_) => "unknown_sku",
            TillError::UnknownSale(_) => "unknown_sale",
            TillError::UnknownBasket(_) => "unknown_basket",
            TillError::BadInput(_) => "bad_input",
            TillError::UnknownDevice(_) => "unknown_device",
            TillError::UnknownAlert(_) => "unknown_alert",
            TillError::UnknownPromotion(_) => "unknown_promotion",
            TillError::UnknownCoupon(_) => "unknown_coupon",
            TillError::HeadOfficeOffer { .. } => "head_office_offer",
            TillError::Offer(_) => "bad_input",
            TillError::Transfer(opentill_core::transfer::TransferError::Unknown(_)) => "unknown_transfer",
            TillError::Transfer(opentill_core::transfer::TransferError::BadState { .. } | opentill_core::transfer::TransferError::Exists(_)) => "transfer_state",
            TillError::Transfer(_) => "bad_input",
            TillError::Stock(_) => "bad_input",
            TillError::Redeem(opentill_core::member::RedeemError::NotEnough { .. }) => "insufficient_points",
            TillError::Redeem(_) => "bad_input",
            TillError::O2o(opentill_core::o2o::O2oError::Unknown(_)) => "unknown_order",
            TillError::O2o(opentill_core::o2o::O2oError::BadState { .. } | opentill_core::o2o::O2oError::Different(_)) => "order_state",
            TillError::O2o(opentill_core::o2o::O2oError::Short { .. }) => "out_of_stock",
            TillError::O2o(_) => "bad_input",
            TillError::Basket(BasketError::BadQuantity { .. }) => "bad_quantity",
            TillError::Basket(BasketError::NotAllowed { .. }) => "forbidden",
            TillError::Basket(_) => "bad_basket",
            TillError::Tender(TenderError::Short { .. }) => "tender_short",
            TillError::Tender(_) => "bad_tender",
            TillError::Refund(RefundError::TooMuch { .. } | RefundError::NothingLeft(_)) => "refund_exceeds_sale",
            TillError::Refund(_) => "bad_refund",
            TillError::Shift(_) => "bad_shift",
            TillError::AuthFailed => "auth_failed",
            TillError::ApprovalInvalid => "approval_invalid",
            TillError::Forbidden { .. } => "forbidden",
            TillError::NoOpenShift => "no_open_shift",
            TillError::NotAStore(_) => "not_a_store",
            TillError::Import { .. } | TillError::BadImportFile(..) => "bad_import",
            TillError::BadProduct(..) => "bad_input",
            TillError::Replica(ReplicaError::DuplicateSale(_) | ReplicaError::DuplicateRefund(_) | ReplicaError::DuplicatePassage(_) | ReplicaError::DuplicateTopUp(_)) => "duplicate",
            TillError::Replica(ReplicaError::InsufficientBalance { .. }) => "insufficient_balance",
            TillError::Replica(ReplicaError::OfflineAllowance { .. } | ReplicaError::PointsOfflineAllowance { .. }) => "offline_allowance",
            TillError::Replica(ReplicaError::InsufficientPoints { .. }) => "insufficient_points",
            TillError::Replica(ReplicaError::DuplicateMember(_)) => "duplicate",
            TillError::Replica(ReplicaError::UnknownMember(_)) => "unknown_member",
            TillError::Replica(ReplicaError::DuplicateOrder(_)) => "duplicate",
            TillError::Replica(ReplicaError::NotOnOrder { .. }) => "bad_input",
            TillError::Replica(ReplicaError::UnknownOrder(_)) => "unknown_order",
            TillError::Replica(ReplicaError::ShiftAlreadyOpen(_)) => "shift_already_open",
            TillError::Replica(ReplicaError::ShiftNotOpen(_)) => "no_open_shift",
            TillError::Replica(ReplicaError::RefundExceedsSale { .. }) => "refund_exceeds_sale",
            TillError::Replica(ReplicaError::BarcodeTaken { .. }) => "barcode_taken",
            TillError::Replica(ReplicaError::NotInitialized(_)) => "not_initialized",
            TillError::Replica(_) => "storage",
        }
    }

    /// The message in a language.
    pub fn message(&self, lang: Lang) -> String {
        let yuan = |m: i64| format!("{}{}.{:02}", if m < 0 { "-" } else { "" }, m.abs() / 100, m.abs() % 100);
        if lang == Lang::En {
            return match self {
                TillError::Import { errors, .. } => {
                    let mut text = self.to_string();
                    for e in errors.iter().take(20) {
                        if e.line > 0 {
                            text.push_str(&format!("\n  line {}: {}", e.line, e.reason));
                        } else {
                            text.push_str(&format!("\n  {}", e.reason));
                        }
                    }
                    if errors.len() > 20 {
                        text.push_str(&format!("\n  ... and {} more", errors.len() - 20));
                    }
                    text
                }
                TillError::Replica(ReplicaError::InsufficientBalance { account, balance, needed }) => {
                    format!("stored-value account {account} has ¥{}, not enough for ¥{}", yuan(*balance), yuan(*needed))
                }
                TillError::Replica(ReplicaError::OfflineAllowance { account, allowance, left, needed }) => format!(
                    "stored-value account {account}: ¥{} is more than the ¥{} left of this till's offline allowance of ¥{}; sync with the cloud, or take another tender",
                    yuan(*needed),
                    yuan(*left),
                    yuan(*allowance)
                ),
                _ => self.to_string(),
            };
        }
        let fen = |m: i64| format!("{}.{:02}", m / 100, (m % 100).abs());
        match self {
            TillError::UnknownBarcode(c) => format!("条码 {c} 不存在"),
            TillError::UnknownSku(s) => format!("商品编码 {s} 不存在"),
            TillError::UnknownSale(s) => format!("本店没有销售单 {s}"),
            TillError::UnknownBasket(s) => format!("没有挂单 {s}"),
            TillError::BadInput(m) => format!("输入有误：{m}"),
            TillError::UnknownDevice(d) => format!("未知设备 {d}：设备须先发布其状态"),
            TillError::UnknownAlert(a) => format!("没有未处理的告警 {a}"),
            TillError::UnknownPromotion(p) => format!("没有促销 {p}"),
            TillError::UnknownCoupon(c) => format!("没有优惠券 {c}"),
            TillError::HeadOfficeOffer { section, id } => {
                let what = match *section {
                    "promotion" => "促销",
                    "coupon" => "优惠券",
                    _ => "设置",
                };
                format!("{what} {id} 由总部为所有门店设定，只能由总部删除（本店可设定同编号的本店{what}，设定后本店以其为准）")
            }
            TillError::Offer(e) => format!("未保存：{}", e.message(lang)),
            TillError::Transfer(e) => e.message(lang),
            TillError::Stock(e) => e.message(lang),
            TillError::Redeem(e) => e.message(lang),
            TillError::O2o(e) => e.message(lang),
            TillError::BadImportFile(_, zh) => zh.clone(),
            TillError::BadProduct(_, zh) => zh.clone(),
            TillError::Basket(BasketError::BadQuantity { qty, max, .. }) => format!("数量 {qty} 无效（应为 1 到 {max}）"),
            TillError::Basket(BasketError::NotAllowed { permission, role }) => format!("{role} 无权执行{permission}，需主管授权"),
            TillError::Basket(BasketError::TooLarge) => "金额过大".into(),
            TillError::Basket(e) => format!("购物篮操作无效：{e}"),
            TillError::Tender(TenderError::Short { due, offered }) => format!("付款不足：应付 {}，实付 {}", fen(*due), fen(*offered)),
            TillError::Tender(TenderError::OverTender { kind, amount, remaining }) => format!("{kind} 支付 {} 超过待付 {}；只有现金可以找零", fen(*amount), fen(*remaining)),
            TillError::Tender(TenderError::NothingDue) => "已付清，无需再收现金".into(),
            TillError::Tender(TenderError::BadAmount(a)) => format!("支付金额 {a} 无效"),
            TillError::Tender(TenderError::BadReference { kind, .. }) => format!("{kind} 支付缺少或有错误的凭证号"),
            TillError::Refund(RefundError::TooMuch { line, asked, left }) => format!("第 {line} 行最多还能退 {left}，不能退 {asked}"),
            TillError::Refund(RefundError::NothingLeft(s)) => format!("销售单 {s} 已全部退货"),
            TillError::Refund(RefundError::NoSuchLine { line, n_lines, .. }) => format!("没有第 {line} 行（共 {n_lines} 行）"),
            TillError::Refund(RefundError::BadQuantity(q)) => format!("退货数量 {q} 无效"),
            TillError::Shift(ShiftError::NotOpened(s)) => format!("班次 {s} 未开班"),
            TillError::Shift(ShiftError::AlreadyClosed(s)) => format!("班次 {s} 已交班"),
            TillError::AuthFailed => "工号或密码错误".into(),
            TillError::ApprovalInvalid => "此授权对本单无效（不存在、属于其他单或已过期），请主管重新授权".into(),
            TillError::Forbidden { user, action, .. } => format!("{user} 无权执行：{action}"),
            TillError::NoOpenShift => "本收银台没有开班".into(),
            TillError::NotAStore(d) => format!("{} 不是 OpenTill 门店数据目录（其中有其他文件，但没有 opentill.db）：请选择门店的数据目录，或用新的空目录建立演示店", d.display()),
            TillError::Import { errors, rows } => {
                let mut text = format!("共 {rows} 行，其中 {} 行有误；未导入任何商品", errors.len());
                for e in errors.iter().take(20) {
                    if e.line > 0 {
                        text.push_str(&format!("\n  第 {} 行：{}", e.line, e.reason_zh));
                    } else {
                        text.push_str(&format!("\n  {}", e.reason_zh));
                    }
                }
                if errors.len() > 20 {
                    text.push_str(&format!("\n  …… 另有 {} 行", errors.len() - 20));
                }
                text
            }
            TillError::Replica(ReplicaError::DuplicateSale(s)) => format!("销售单 {s} 已记录过"),
            TillError::Replica(ReplicaError::InsufficientBalance { account, balance, needed }) => format!("储值账户 {account} 余额 {} 不足 {}", fen(*balance), fen(*needed)),
            TillError::Replica(ReplicaError::OfflineAllowance { account, allowance, left, needed }) => {
                format!("储值账户 {account}：本机离线额度 {} 仅剩 {}，不足 {}；请先与云端同步，或改用其他支付方式", fen(*allowance), fen(*left), fen(*needed))
            }
            TillError::Replica(ReplicaError::PointsOfflineAllowance { member, allowance, left, needed }) => {
                format!("会员 {member}：本机离线积分额度 {allowance} 仅剩 {left}，不足 {needed} 积分；请先与云端同步，或改用其他支付方式")
            }
            TillError::Replica(ReplicaError::InsufficientPoints { member, points, needed }) => format!("会员 {member} 积分 {points}，不足 {needed}"),
            TillError::Replica(ReplicaError::DuplicateMember(m)) => format!("{m} 已注册为会员"),
            TillError::Replica(ReplicaError::UnknownMember(m)) => format!("没有会员 {m}"),
            TillError::Replica(ReplicaError::DuplicateOrder(p)) => format!("采购单 {p} 已存在"),
            TillError::Replica(ReplicaError::NotOnOrder { po_id, what }) => format!("采购单 {po_id} 中没有 {what}"),
            TillError::Replica(ReplicaError::UnknownOrder(p)) => format!("没有采购单 {p}"),
            TillError::Replica(ReplicaError::ShiftAlreadyOpen(s)) => format!("班次 {s} 尚未交班，请先交班"),
            TillError::Replica(ReplicaError::NotInitialized(d)) => format!("{} 中没有门店数据，请先运行 opentill-edge init", d.display()),
            TillError::Replica(ReplicaError::BarcodeTaken { code, sku }) => format!("条码 {code} 已属于商品 {sku}"),
            TillError::Replica(ReplicaError::RefundExceedsSale { line, .. }) => format!("第 {line} 行退货超过原销售"),
            TillError::Replica(e) => format!("存储错误：{e}"),
        }
    }
}
