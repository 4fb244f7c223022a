//! Products as the till sees them.

use serde::{Deserialize, Serialize};

use crate::tax::TaxRate;

/// How a product is counted and priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    /// Sold by the piece; quantities are counts and the price is per piece.
    Each,
    /// Sold by weight; quantities are grams and the price is per kilogram.
    Kg,
}

impl Unit {
    /// `each` or `kg`, as in the catalog CSV.
    pub fn parse(text: &str) -> Option<Unit> {
        match text.trim().to_ascii_lowercase().as_str() {
            "each" | "ea" | "pc" | "pcs" => Some(Unit::Each),
            "kg" => Some(Unit::Kg),
            _ => None,
        }
    }

    /// The name [`Unit::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Each => "each",
            Unit::Kg => "kg",
        }
    }
}

/// A product: one sellable SKU. A variant (a size or colour of a style) names its
/// parent SKU and the specs that set it apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Stock keeping unit, unique in the store.
    pub sku: String,
    /// Barcodes that ring this product up; the first one is printed on labels.
    pub barcodes: Vec<String>,
    /// English name.
    pub name: String,
    /// Chinese name; may be empty.
    pub name_zh: String,
    /// Category code or name.
    pub category: String,
    /// Free tags (brand, "organic", ...).
    pub tags: Vec<String>,
    /// Each or by weight.
    pub unit: Unit,
    /// Price per piece or per kilogram, in minor units.
    pub price_minor: i64,
    /// Tax rate.
    pub tax_rate: TaxRate,
    /// The style this product is a variant of.
    pub parent_sku: Option<String>,
    /// Specs that identify the variant, e.g. `("size", "500ml")`.
    pub specs: Vec<(String, String)>,
}

impl Product {
    /// The name to show for a language: Chinese when asked for and present, else English.
    pub fn display_name(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::Zh if !self.name_zh.is_empty() => &self.name_zh,
            _ => &self.name,
        }
    }
}
