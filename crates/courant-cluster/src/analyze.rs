//! Text to features: stemmed content words, names, and shingles for MinHash.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::char::is_combining_mark;

/// Weighted terms of one document, before IDF.
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// Term -> raw weight (title counts double, names get their own terms),
    /// each term prefixed with its language code.
    pub terms: HashMap<String, f32>,
    /// Hashes of word 3-shingles, for near-duplicate detection.
    pub shingles: Vec<u64>,
}

fn stemmer(lang: &str) -> Option<Stemmer> {
    let alg = match lang {
        "en" => Algorithm::English,
        "de" => Algorithm::German,
        "fr" => Algorithm::French,
        "es" => Algorithm::Spanish,
        "it" => Algorithm::Italian,
        "pt" => Algorithm::Portuguese,
        "nl" => Algorithm::Dutch,
        "sv" => Algorithm::Swedish,
        "no" | "nb" => Algorithm::Norwegian,
        "da" => Algorithm::Danish,
        "fi" => Algorithm::Finnish,
        "ru" => Algorithm::Russian,
        "ro" => Algorithm::Romanian,
        "hu" => Algorithm::Hungarian,
        "tr" => Algorithm::Turkish,
        "ar" => Algorithm::Arabic,
        "el" => Algorithm::Greek,
        _ => return None,
    };
    Some(Stemmer::create(alg))
}

/// News words that say nothing about the event, on top of the language's list.
const NEWS_EN: &[&str] = &[
    "said", "says", "say", "told", "year", "years", "new", "mr", "mrs", "ms", "per", "via", "amp",
    "quot", "s", "t", "re", "ve", "ll", "d", "m",
];
const NEWS_DE: &[&str] = &[
    "sagte", "sagt", "teilte", "mit", "jahr", "jahren", "neue", "neuen",
];

/// Stopwords of a language: the stopwords-iso list (through the `stop-words`
/// crate) plus a few news words; built once per language.
fn stopwords(lang: &str) -> &'static HashSet<String> {
    static SETS: OnceLock<Mutex<HashMap<String, &'static HashSet<String>>>> = OnceLock::new();
    static NONE: OnceLock<HashSet<String>> = OnceLock::new();
    // Only well-formed codes get a set, so arbitrary input cannot grow the cache.
    if lang.is_empty() || lang.len() > 3 || !lang.chars().all(|c| c.is_ascii_lowercase()) {
        return NONE.get_or_init(HashSet::new);
    }
    let sets = SETS.get_or_init(Mutex::default);
    let mut sets = sets.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(set) = sets.get(lang) {
        return set;
    }
    let mut set: HashSet<String> = stop_words::lookup(lang)
        .unwrap_or(&[])
        .iter()
        .map(|w| w.to_lowercase())
        .collect();
    let extra = match lang {
        "en" => NEWS_EN,
        "de" => NEWS_DE,
        _ => &[],
    };
    set.extend(extra.iter().map(|w| w.to_string()));
    // Leaked once per code (at most 26^3 of them): the sets live as long as the process.
    let set: &'static HashSet<String> = Box::leak(Box::new(set));
    sets.insert(lang.to_string(), set);
    set
}

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

/// Words of a text: runs of letters, digits and combining marks (Devanagari
/// vowel signs, Thai tone marks belong to their word); runs in unspaced
/// scripts as overlapping character bigrams.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || is_combining_mark(c)))
        .filter(|w| !w.is_empty())
        .flat_map(|w| {
            let bigrams = w.chars().any(unspaced);
            let starts: Vec<usize> = if bigrams {
                w.char_indices()
                    .filter(|&(_, c)| !is_combining_mark(c))
                    .map(|(i, _)| i)
                    .collect()
            } else {
                Vec::new()
            };
            let pieces: Vec<&str> = if starts.len() > 2 {
                (0..starts.len() - 1)
                    .map(|k| &w[starts[k]..starts.get(k + 2).copied().unwrap_or(w.len())])
                    .collect()
            } else {
                vec![w]
            };
            pieces
        })
}

fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Texts longer than this are analyzed in their first part only (bounded cost).
pub const MAX_ANALYZED_BYTES: usize = 64 * 1024;

/// Extracts features from a title and a body.
pub fn features(title: &str, text: &str, lang: &str) -> Features {
    let text = &text[..text.floor_char_boundary(MAX_ANALYZED_BYTES)];
    let stem = stemmer(lang);
    let stops = stopwords(lang);
    let mut f = Features::default();
    let mut add = |w: &str, weight: f32| {
        let lower = w.to_lowercase();
        if lower.chars().count() < 2
            || stops.contains(&lower)
            || lower.chars().all(|c| c.is_numeric())
        {
            return;
        }
        let term = match &stem {
            Some(s) => s.stem(&lower).into_owned(),
            None => lower,
        };
        *f.terms.entry(term).or_insert(0.0) += weight;
    };
    for w in words(title) {
        add(w, 2.0);
    }
    for w in words(text) {
        add(w, 1.0);
    }
    // Numbers (years, counts, ages) tell one event from the same kind of
    // event elsewhere or another year.
    for w in words(title).chain(words(text)) {
        if (2..=4).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_digit()) {
            *f.terms.entry(format!("#{w}")).or_insert(0.0) += 1.0;
        }
    }
    // Names: runs of capitalized words not at a sentence start weigh as their own terms.
    // Headlines are often in Title Case, where capitals say nothing: names come from the body.
    for (part, weight) in [(text, 1.0f32)] {
        let mut run: Vec<&str> = Vec::new();
        let mut sentence_start = true;
        for tok in part.split_whitespace() {
            let w = tok.trim_matches(|c: char| !c.is_alphanumeric());
            let cap = w.chars().next().is_some_and(char::is_uppercase) && w.chars().count() >= 2;
            if cap && !sentence_start && !stops.contains(&w.to_lowercase()) {
                run.push(w);
            } else if !run.is_empty() {
                *f.terms
                    .entry(format!("N:{}", run.join(" ").to_lowercase()))
                    .or_insert(0.0) += weight;
                run.clear();
            }
            sentence_start = tok.ends_with(['.', '!', '?', ':', '"', '»', '“']);
        }
        if !run.is_empty() {
            *f.terms
                .entry(format!("N:{}", run.join(" ").to_lowercase()))
                .or_insert(0.0) += weight;
        }
    }
    // Terms are per language: stories and related news stay within one
    // language until cross-lingual features (embeddings) come in as a signal.
    let tag: String = lang
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    f.terms = f
        .terms
        .into_iter()
        .map(|(t, w)| (format!("{tag}:{t}"), w))
        .collect();
    let lowered: Vec<String> = words(title)
        .chain(words(text))
        .map(str::to_lowercase)
        .collect();
    f.shingles = lowered.windows(3).map(|w| hash(&w.join(" "))).collect();
    if f.shingles.is_empty() && !lowered.is_empty() {
        f.shingles.push(hash(&lowered.join(" ")));
    }
    f
}
