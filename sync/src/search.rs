//! Search terms for products: English words, Chinese characters, full pinyin and pinyin
//! initials, indexed by SQLite FTS5.
//!
//! Each product gets one line of space-separated tokens. Chinese characters become one
//! token each, so a Chinese query becomes a phrase of adjacent characters, which is a
//! substring match. Pinyin initials (`kkkl` for 可口可乐) and full pinyin (`kekoukele`)
//! are single tokens matched by prefix.

use pinyin::ToPinyin;

fn is_han(ch: char) -> bool {
    matches!(ch as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The FTS5 tokens for a product.
pub fn product_terms(sku: &str, name: &str, name_zh: &str, tags: &[String]) -> String {
    let mut terms: Vec<String> = Vec::new();
    let push_words = |text: &str, terms: &mut Vec<String>| {
        for word in text.split(|c: char| !c.is_alphanumeric() || is_han(c)) {
            if !word.is_empty() {
                terms.push(word.to_lowercase());
            }
        }
    };
    push_words(name, &mut terms);
    push_words(sku, &mut terms);
    for tag in tags {
        push_words(tag, &mut terms);
    }
    push_words(name_zh, &mut terms);
    // Initials of each run of Chinese characters, and of the whole name, so that both
    // `kkkl` and `kkklld` find 可口可乐 零度.
    let mut runs: Vec<String> = Vec::new();
    let mut all_initials = String::new();
    let mut all_pinyin = String::new();
    let mut run = String::new();
    for ch in name_zh.chars().chain(std::iter::once(' ')) {
        if is_han(ch) {
            terms.push(ch.to_string());
            if let Some(p) = ch.to_pinyin() {
                run.push_str(p.first_letter());
                all_initials.push_str(p.first_letter());
                all_pinyin.push_str(p.plain());
            }
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if runs.len() > 1 {
        terms.extend(runs);
    }
    if !all_initials.is_empty() {
        terms.push(all_initials);
        terms.push(all_pinyin);
    }
    terms.join(" ")
}

/// Turns what a user typed into an FTS5 query, or `None` if nothing searchable is left.
/// Every part must match: Chinese runs as phrases, other words as prefixes.
pub fn fts_query(input: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut han_run: Vec<String> = Vec::new();
    let mut word = String::new();
    let flush_word = |word: &mut String, parts: &mut Vec<String>| {
        if !word.is_empty() {
            parts.push(format!("\"{}\"*", word.to_lowercase()));
            word.clear();
        }
    };
    let flush_han = |run: &mut Vec<String>, parts: &mut Vec<String>| {
        if !run.is_empty() {
            parts.push(format!("\"{}\"", run.join(" ")));
            run.clear();
        }
    };
    for ch in input.chars().take(64) {
        if is_han(ch) {
            flush_word(&mut word, &mut parts);
            han_run.push(ch.to_string());
        } else if ch.is_alphanumeric() {
            flush_han(&mut han_run, &mut parts);
            word.push(ch);
        } else {
            flush_word(&mut word, &mut parts);
            flush_han(&mut han_run, &mut parts);
        }
    }
    flush_word(&mut word, &mut parts);
    flush_han(&mut han_run, &mut parts);
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_queries() {
        let terms = product_terms("DRK-0001", "Coca-Cola 330ml", "可口可乐 330ml", &["Coca-Cola".into()]);
        assert_eq!(terms, "coca cola 330ml drk 0001 coca cola 330ml 可 口 可 乐 kkkl kekoukele");
        assert_eq!(fts_query("kkkl").as_deref(), Some("\"kkkl\"*"));
        assert_eq!(fts_query("可乐 330").as_deref(), Some("\"可 乐\" \"330\"*"));
        assert_eq!(fts_query("cola\"OR*").as_deref(), Some("\"cola\"* \"or\"*"));
        assert_eq!(fts_query("  -- "), None);
    }
}
