//! Catalog import from CSV.
//!
//! Columns (header row required, order free, extra columns ignored):
//! `sku,barcode,name,name_zh,price,category,unit,tax_rate`. `barcode` may hold several
//! codes separated by `|`; `price` is in yuan as on a shelf (`12.50`); `unit` is `each`
//! or `kg` (price per kg); `tax_rate` is a percentage. Optional columns: `tags`
//! (`|`-separated), `parent_sku` and `specs` (`size=500ml|colour=red`) for variants.

use std::collections::HashMap;
use std::io::Read;

use opentill_core::catalog::{Product, Unit};
use opentill_core::money::{Currency, MAX_AMOUNT_MINOR, MoneyError, parse_minor};
use opentill_core::tax::TaxRate;
use opentill_hardware::barcode::{GtinError, check_gtin};

/// A rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file, 1-based, counting the header as line 1.
    pub line: u64,
    /// Why, in English.
    pub reason: String,
    /// Why, in Chinese.
    pub reason_zh: String,
}

impl RowError {
    /// The reason in a language.
    pub fn reason(&self, lang: opentill_core::i18n::Lang) -> &str {
        lang.pick(&self.reason_zh, &self.reason)
    }
}

/// A problem with a row, in both languages.
type Problem = (String, String);

fn money_zh(e: &MoneyError) -> String {
    match e {
        MoneyError::NotANumber(t) => format!("`{t}` 不是金额（应为数字，可带小数点，如 12.50）"),
        MoneyError::TooManyDecimals { text, exponent } => format!("`{text}` 小数位超过 {exponent} 位"),
        MoneyError::TooLarge(t) => format!("`{t}` 过大"),
        MoneyError::Negative(t) => format!("`{t}` 为负数"),
        MoneyError::BadCurrency(t) => format!("`{t}` 不是币种代码"),
    }
}

fn gtin_zh(e: &GtinError) -> String {
    match e {
        GtinError::NotDigits => "条码只能包含数字".into(),
        GtinError::BadLength(n) => format!("{n} 位：商品条码应为 8、12、13 或 14 位"),
        GtinError::CheckDigit { expected, found } => format!("校验位是 {found}，应为 {expected}"),
    }
}

/// Required columns.
pub const REQUIRED: [&str; 8] = ["sku", "barcode", "name", "name_zh", "price", "category", "unit", "tax_rate"];

/// Longest text field accepted.
const MAX_FIELD: usize = 200;

/// Good products, bad rows and the number of rows read.
pub type Parsed = (Vec<Product>, Vec<RowError>, usize);

/// Parses a catalog CSV (see the module docs). A whole-file problem is returned in
/// English and Chinese.
pub fn parse_catalog(input: impl Read, currency: Currency) -> Result<Parsed, Problem> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).trim(csv::Trim::All).from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| {
            let (en, zh) = describe_csv_error(&e);
            (format!("cannot read the header row: {en}"), format!("无法读取表头：{zh}"))
        })?
        .clone();
    let mut columns: HashMap<String, usize> = HashMap::new();
    for (idx, name) in headers.iter().enumerate() {
        columns.entry(name.trim().trim_start_matches('\u{feff}').to_ascii_lowercase()).or_insert(idx);
    }
    let missing: Vec<&str> = REQUIRED.iter().copied().filter(|c| !columns.contains_key(*c)).collect();
    if !missing.is_empty() {
        return Err((format!("the header row lacks column(s): {} (need {})", missing.join(", "), REQUIRED.join(",")), format!("表头缺少列：{}（需要 {}）", missing.join(", "), REQUIRED.join(","))));
    }
    let mut products = Vec::new();
    let mut errors = Vec::new();
    let mut seen_sku: HashMap<String, u64> = HashMap::new();
    let mut seen_code: HashMap<String, u64> = HashMap::new();
    let mut rows = 0usize;
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line() + 1;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                rows += 1;
                let line = e.position().map_or(line, |p| p.line());
                let (reason, reason_zh) = describe_csv_error(&e);
                errors.push(RowError { line, reason, reason_zh });
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        rows += 1;
        match parse_row(&record, &columns, currency) {
            Ok(product) => {
                if let Some(first) = seen_sku.insert(product.sku.clone(), line) {
                    errors.push(RowError { line, reason: format!("SKU {} already appears on line {first}", product.sku), reason_zh: format!("商品编码 {} 与第 {first} 行重复", product.sku) });
                    continue;
                }
                if let Some((code, first)) = product.barcodes.iter().find_map(|c| seen_code.get(c).map(|l| (c.clone(), *l))) {
                    errors.push(RowError { line, reason: format!("barcode {code} already appears on line {first}"), reason_zh: format!("条码 {code} 与第 {first} 行重复") });
                    continue;
                }
                for code in &product.barcodes {
                    seen_code.insert(code.clone(), line);
                }
                products.push(product);
            }
            Err((reason, reason_zh)) => errors.push(RowError { line, reason, reason_zh }),
        }
    }
    Ok((products, errors, rows))
}

fn describe_csv_error(e: &csv::Error) -> Problem {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => ("not valid UTF-8 text (save the file as UTF-8)".into(), "不是 UTF-8 文本（请将文件另存为 UTF-8）".into()),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => (format!("{len} fields where the header has {expected_len}"), format!("有 {len} 列，表头有 {expected_len} 列")),
        _ => (e.to_string(), format!("CSV 格式错误：{e}")),
    }
}

fn text_field(value: &str, name: &str, required: bool) -> Result<String, Problem> {
    if required && value.is_empty() {
        return Err((format!("{name} is empty"), format!("{name} 为空")));
    }
    if value.chars().count() > MAX_FIELD {
        return Err((format!("{name} is longer than {MAX_FIELD} characters"), format!("{name} 超过 {MAX_FIELD} 个字符")));
    }
    if value.chars().any(char::is_control) {
        return Err((format!("{name} contains control characters"), format!("{name} 含有控制字符")));
    }
    Ok(value.to_string())
}

/// A product from the fields of one catalog row (`sku`, `barcode` with `|` between codes,
/// `name`, `name_zh`, `price`, `category`, `unit`, `tax_rate`), checked by the same rules
/// as a row of an imported file: (English, Chinese) when it breaks one.
pub fn product_from_fields(fields: &[(&str, &str)], currency: Currency) -> Result<Product, Problem> {
    let columns: HashMap<String, usize> = fields.iter().enumerate().map(|(i, (name, _))| (name.to_string(), i)).collect();
    let record = csv::StringRecord::from(fields.iter().map(|(_, value)| value.trim()).collect::<Vec<_>>());
    parse_row(&record, &columns, currency)
}

fn parse_row(record: &csv::StringRecord, columns: &HashMap<String, usize>, currency: Currency) -> Result<Product, Problem> {
    let field = |name: &str| columns.get(name).and_then(|&i| record.get(i)).unwrap_or("");
    let sku = text_field(field("sku"), "sku", true)?;
    if sku.len() > 64 || sku.contains(char::is_whitespace) {
        return Err((format!("sku `{sku}` must be at most 64 characters without spaces"), format!("商品编码 `{sku}` 应不超过 64 个字符且不含空格")));
    }
    let mut barcodes = Vec::new();
    for code in field("barcode").split('|').map(str::trim).filter(|c| !c.is_empty()) {
        check_gtin(code).map_err(|e| (format!("barcode `{code}`: {e}"), format!("条码 `{code}`：{}", gtin_zh(&e))))?;
        if !barcodes.contains(&code.to_string()) {
            barcodes.push(code.to_string());
        }
    }
    let name = text_field(field("name"), "name", true)?;
    let name_zh = text_field(field("name_zh"), "name_zh", false)?;
    let price_text = field("price");
    let price_minor = parse_minor(price_text, currency).map_err(|e| (format!("price: {e}"), format!("价格：{}", money_zh(&e))))?;
    if price_minor > MAX_AMOUNT_MINOR / 1000 {
        return Err((format!("price `{price_text}` is too large"), format!("价格 `{price_text}` 过大")));
    }
    let category = text_field(field("category"), "category", true)?;
    let unit_text = field("unit");
    let unit = Unit::parse(unit_text).ok_or_else(|| (format!("unit `{unit_text}` must be `each` or `kg`"), format!("单位 `{unit_text}` 应为 each（件）或 kg（千克）")))?;
    let tax_text = field("tax_rate");
    let tax_rate = TaxRate::parse_percent(tax_text).ok_or_else(|| (format!("tax_rate `{tax_text}` must be a percentage from 0 to 100"), format!("税率 `{tax_text}` 应为 0 到 100 的百分数")))?;
    let tags = text_field(field("tags"), "tags", false)?.split('|').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
    let parent_sku = Some(text_field(field("parent_sku"), "parent_sku", false)?).filter(|s| !s.is_empty());
    let mut specs = Vec::new();
    for spec in field("specs").split('|').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = spec.split_once('=').ok_or_else(|| (format!("spec `{spec}` must look like name=value"), format!("规格 `{spec}` 应写成 名称=值")))?;
        specs.push((text_field(k.trim(), "spec name", true)?, text_field(v.trim(), "spec value", true)?));
    }
    Ok(Product { sku, barcodes, name, name_zh, category, tags, unit, price_minor, tax_rate, parent_sku, specs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(csv: &[u8]) -> String {
        match parse_catalog(csv, Currency::CNY) {
            Err((e, _)) => format!("file: {e}"),
            Ok((products, errors, rows)) => {
                let mut out = format!("rows {rows}, ok {}", products.len());
                for p in products {
                    out.push_str(&format!("\n{} {:?} {} {} {:?}", p.sku, p.barcodes, p.price_minor, p.tax_rate.0, p.unit));
                }
                for e in errors {
                    out.push_str(&format!("\nline {}: {}", e.line, e.reason));
                }
                out
            }
        }
    }

    #[test]
    fn good_and_bad_rows() {
        let csv = "sku,barcode,name,name_zh,price,category,unit,tax_rate,extra\n\
            A1,6901234567892,Cola,可乐,3.50,drinks,each,13,x\n\
            A2,4006381333931|96385074,Pen,笔,12,stationery,each,13%,\n\
            \n\
            B1,,Banana,香蕉,6.98,produce,kg,9,\n\
            BAD1,6901234567893,X,,1,c,each,13,\n\
            BAD2,036000291452,X,,12.345,c,each,13,\n\
            BAD3,036000291452,X,,-1,c,each,13,\n\
            BAD4,036000291452,X,,abc,c,box,13,\n\
            BAD5,036000291452,X,,1,c,each,150,\n\
            A1,036000291452,Dup,,1,c,each,13,\n\
            C1,6901234567892,Dup code,,1,c,each,13,\n\
            BAD6,036000291452,,,1,c,each,13,\n\
            BAD7,036000291452,X,,99999999999999999,c,each,13,\n\
            short,row\n";
        expect_test::expect![[r#"
            rows 13, ok 3
            A1 ["6901234567892"] 350 1300 Each
            A2 ["4006381333931", "96385074"] 1200 1300 Each
            B1 [] 698 900 Kg
            line 6: barcode `6901234567893`: check digit is 3, should be 2
            line 7: price: `12.345` has more than 2 decimal places
            line 8: price: `-1` is negative
            line 9: price: `abc` is not an amount (expected digits with an optional decimal point, like 12.50)
            line 10: tax_rate `150` must be a percentage from 0 to 100
            line 11: SKU A1 already appears on line 2
            line 12: barcode 6901234567892 already appears on line 2
            line 13: name is empty
            line 14: price: `99999999999999999` is too large
            line 15: 2 fields where the header has 9"#]]
        .assert_eq(&check(csv.as_bytes()));
    }

    #[test]
    fn whole_file_errors() {
        assert_eq!(check(b"sku,name\nA,B\n"), "file: the header row lacks column(s): barcode, name_zh, price, category, unit, tax_rate (need sku,barcode,name,name_zh,price,category,unit,tax_rate)");
        assert_eq!(check(b""), "file: the header row lacks column(s): sku, barcode, name, name_zh, price, category, unit, tax_rate (need sku,barcode,name,name_zh,price,category,unit,tax_rate)");
        let mut bad_utf8 = b"sku,barcode,name,name_zh,price,category,unit,tax_rate\nA1,,Cola,".to_vec();
        bad_utf8.extend_from_slice(&[0xff, 0xfe]);
        bad_utf8.extend_from_slice(b",3.50,drinks,each,13\n");
        assert_eq!(check(&bad_utf8), "rows 1, ok 0\nline 2: not valid UTF-8 text (save the file as UTF-8)");
    }
}
