//! Text to features: stemmed content words, names, and shingles for MinHash.

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};

/// Weighted terms of one document, before IDF.
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// Term -> raw weight (title counts double, names get their own terms).
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

fn stopword(lang: &str, w: &str) -> bool {
    const EN: &[&str] = &[
        "the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by",
        "from", "as", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had",
        "will", "would", "could", "should", "can", "may", "might", "said", "says", "say", "told",
        "that", "this", "these", "those", "it", "its", "he", "she", "they", "we", "you", "i",
        "his", "her", "their", "our", "my", "not", "no", "also", "after", "before", "over",
        "about", "into", "than", "then", "there", "here", "who", "whom", "which", "what", "when",
        "where", "why", "how", "all", "any", "more", "most", "some", "such", "up", "out", "if",
        "so", "just", "new", "one", "two", "year", "years", "last", "first", "s", "t", "re", "ve",
        "ll", "d", "m", "mr", "mrs", "ms", "per", "via", "amp", "quot",
    ];
    const DE: &[&str] = &[
        "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer",
        "eines", "und", "oder", "aber", "mit", "von", "vom", "zu", "zum", "zur", "im", "am", "an",
        "auf", "aus", "bei", "für", "gegen", "nach", "seit", "über", "unter", "vor", "durch", "um",
        "sich", "sie", "er", "es", "wir", "ihr", "ist", "sind", "war", "waren", "hat", "haben",
        "hatte", "wird", "werden", "wurde", "wurden", "nicht", "auch", "noch", "schon", "dass",
        "wenn", "als", "wie", "sagte", "so", "nur", "mehr", "bis", "ich", "man", "sein", "seine",
        "ihre", "in", "kann", "soll",
    ];
    const FR: &[&str] = &[
        "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "ou", "mais", "à", "au",
        "aux", "en", "dans", "sur", "pour", "par", "avec", "sans", "sous", "a", "ont", "est",
        "sont", "était", "été", "il", "elle", "ils", "elles", "on", "nous", "vous", "qui", "que",
        "qu", "ne", "pas", "plus", "se", "sa", "son", "ses", "leur", "leurs", "y", "ce", "cette",
        "ces", "s", "n", "c", "j",
    ];
    let list = match lang {
        "de" => DE,
        "fr" => FR,
        _ => EN,
    };
    list.contains(&w)
}

/// Words of a text: runs of letters and digits.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
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
    let mut f = Features::default();
    let mut add = |w: &str, weight: f32| {
        let lower = w.to_lowercase();
        if lower.chars().count() < 2
            || stopword(lang, &lower)
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
    // Names: runs of capitalized words not at a sentence start weigh as their own terms.
    // Headlines are often in Title Case, where capitals say nothing: names come from the body.
    for (part, weight) in [(text, 1.0f32)] {
        let mut run: Vec<&str> = Vec::new();
        let mut sentence_start = true;
        for tok in part.split_whitespace() {
            let w = tok.trim_matches(|c: char| !c.is_alphanumeric());
            let cap = w.chars().next().is_some_and(char::is_uppercase) && w.chars().count() >= 2;
            if cap && !sentence_start && !stopword(lang, &w.to_lowercase()) {
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
