//! Word boundaries shared by the clusterer and the search index, so a story
//! and a search see the same words.

use unicode_normalization::char::is_combining_mark;

/// Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer,
/// kana and Han. Their runs become character bigrams, the usual stand-in for
/// words where no segmenter is at hand.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF // Han extension A
        | 0x4E00..=0x9FFF // Han
        | 0xF900..=0xFAFF) // Han compatibility
}

/// The text as the word splitter should see it: without soft hyphens, which
/// only mark where a line may break ("Mit\u{ad}tel\u{ad}al\u{ad}ter" would be
/// four words), and composed (NFC), so "München" written as "u" plus a
/// combining diaeresis is one word. Borrowed when there is nothing to do.
pub fn plain(text: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    let composed = matches!(is_nfc_quick(text.chars()), IsNormalized::Yes);
    if composed && !text.contains('\u{ad}') {
        return std::borrow::Cow::Borrowed(text);
    }
    let bare = text.chars().filter(|&c| c != '\u{ad}');
    std::borrow::Cow::Owned(if composed {
        bare.collect()
    } else {
        bare.nfc().collect()
    })
}

/// Words of a text: runs of letters, digits and combining marks (Devanagari
/// vowel signs, Thai tone marks belong to their word); runs in unspaced
/// scripts as overlapping character bigrams.
pub fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for w in text
        .split(|c: char| !(c.is_alphanumeric() || is_combining_mark(c)))
        .filter(|w| !w.is_empty())
    {
        if w.is_ascii() || !w.chars().any(unspaced) {
            out.push(w);
            continue;
        }
        let starts: Vec<usize> = w
            .char_indices()
            .filter(|&(_, c)| !is_combining_mark(c))
            .map(|(i, _)| i)
            .collect();
        if starts.len() <= 2 {
            out.push(w);
            continue;
        }
        for k in 0..starts.len() - 1 {
            out.push(&w[starts[k]..starts.get(k + 2).copied().unwrap_or(w.len())]);
        }
    }
    out
}
