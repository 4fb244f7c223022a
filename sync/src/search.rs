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
    // Pinyin of every suffix of the name's Chinese characters, full and as initials, so
    // that a prefix query finds a word anywhere in the name: `kkkl` and `kl` find
    // 可口可乐, `niunai` and `nn` find 伊利纯牛奶.
    let syllables: Vec<(&str, &str)> = name_zh
        .chars()
        .filter(|c| is_han(*c))
        .map(|c| {
            terms.push(c.to_string());
            c.to_pinyin().map_or(("", ""), |p| (p.first_letter(), p.plain()))
        })
        .filter(|(initial, _)| !initial.is_empty())
        .collect();
    for start in 0..syllables.len() {
        terms.push(syllables[start..].iter().map(|(i, _)| *i).collect());
    }
    for start in 0..syllables.len().min(8) {
        terms.push(syllables[start..].iter().map(|(_, p)| *p).collect());
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
        assert_eq!(terms, "coca cola 330ml drk 0001 coca cola 330ml 可 口 可 乐 kkkl kkl kl l kekoukele koukele kele le");
        assert_eq!(fts_query("kkkl").as_deref(), Some("\"kkkl\"*"));
        assert_eq!(fts_query("可乐 330").as_deref(), Some("\"可 乐\" \"330\"*"));
        assert_eq!(fts_query("cola\"OR*").as_deref(), Some("\"cola\"* \"or\"*"));
        assert_eq!(fts_query("  -- "), None);
    }
}
