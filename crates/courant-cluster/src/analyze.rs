//! Text to features: stemmed content words, names, numbers and the lead's
//! words (four groups the story model weighs apart), and shingles for MinHash.

use std::collections::HashMap;

use ahash::{AHashMap, AHashSet};
use std::sync::{Mutex, OnceLock};

use rust_stemmers::{Algorithm, Stemmer};

/// Weighted terms of one document, before IDF.
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// Term -> raw weight (title counts double), each term prefixed with its
    /// language code and, but for words, its group ([`group_of`]).
    pub terms: AHashMap<String, f32>,
    /// Hashes of word 3-shingles, for near-duplicate detection.
    pub shingles: Vec<u64>,
    /// Words in the body (without the title).
    pub body_words: usize,
}

impl Features {
    /// An article without body text (a feed item without its page) is
    /// judged as a headline: no names, no lead, few words.
    pub fn is_headline(&self) -> bool {
        self.body_words == 0
    }
}

/// The feature groups: each has its own vector and its own weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Stemmed content words of title and body.
    Words = 0,
    /// Names: runs of capitalized words inside sentences of the body (in
    /// German runs of two or more, and acronyms).
    Names = 1,
    /// Numbers of two to four digits (years, counts, scores).
    Numbers = 2,
    /// Stemmed content words of the body's first [`LEAD_BYTES`]: what
    /// happened, where news writing puts it.
    Lead = 3,
}

/// Number of groups.
pub const GROUPS: usize = 4;

/// The body's first bytes that make the lead.
pub const LEAD_BYTES: usize = 500;

/// The group of a term made by [`features`].
pub fn group_of(term: &str) -> Group {
    let rest = term.split_once(':').map_or(term, |(_, r)| r);
    if rest.starts_with("N:") {
        Group::Names
    } else if rest.starts_with('#') {
        Group::Numbers
    } else if rest.starts_with("L:") {
        Group::Lead
    } else {
        Group::Words
    }
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
fn stopwords(lang: &str) -> &'static AHashSet<String> {
    static SETS: OnceLock<Mutex<HashMap<String, &'static AHashSet<String>>>> = OnceLock::new();
    static NONE: OnceLock<AHashSet<String>> = OnceLock::new();
    // Only well-formed codes get a set, so arbitrary input cannot grow the cache.
    if lang.is_empty() || lang.len() > 3 || !lang.chars().all(|c| c.is_ascii_lowercase()) {
        return NONE.get_or_init(AHashSet::new);
    }
    let sets = SETS.get_or_init(Mutex::default);
    let mut sets = sets.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(set) = sets.get(lang) {
        return set;
    }
    let mut set: AHashSet<String> = stop_words::lookup(lang)
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
    let set: &'static AHashSet<String> = Box::leak(Box::new(set));
    sets.insert(lang.to_string(), set);
    set
}

/// FNV-1a over the lowercased word, without allocating.
fn hash_lower(w: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut buf = [0u8; 4];
    for c in w.chars().flat_map(char::to_lowercase) {
        for b in c.encode_utf8(&mut buf).bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Order-sensitive hash of three word hashes (a 3-shingle), then mixed.
fn shingle(a: u64, b: u64, c: u64) -> u64 {
    let mut x = a ^ b.rotate_left(21) ^ c.rotate_left(42);
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Texts longer than this are analyzed in their first part only (bounded cost).
pub const MAX_ANALYZED_BYTES: usize = 64 * 1024;

/// The term a surface form stands for, or `None` when it is no term.
fn term_of(w: &str, tag: &str, stem: Option<&Stemmer>, stops: &AHashSet<String>) -> Option<String> {
    if w.bytes().all(|b| b.is_ascii_digit()) {
        // Numbers (years, counts, ages) tell one event from the same kind
        // of event elsewhere or another year.
        return (2..=4).contains(&w.len()).then(|| format!("{tag}:#{w}"));
    }
    let lower = w.to_lowercase();
    if lower.chars().nth(1).is_none()
        || stops.contains(&lower)
        || lower.chars().all(char::is_numeric)
    {
        return None;
    }
    Some(match stem {
        Some(s) => format!("{tag}:{}", s.stem(&lower)),
        None => format!("{tag}:{lower}"),
    })
}

/// Capitals and digits only, before any hyphen: "SPD", "A7", "US-Markt"
/// (not "Österreich-Bezug").
fn is_acronym(w: &str) -> bool {
    let head = w.split('-').next().unwrap_or(w);
    head.chars().nth(1).is_some() && head.chars().all(|c| c.is_uppercase() || c.is_numeric())
}

/// The prefix of a language's terms. Terms are per language: stories and
/// related news stay within one language until cross-lingual features
/// (embeddings) come in as a signal.
fn lang_tag(lang: &str) -> String {
    lang.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect()
}

/// URLs longer than this are not read for a slug.
const MAX_URL_BYTES: usize = 2048;

/// The words of a URL's slug: path segments of three or more words joined
/// by '-', '_' or '+' ("/2014/03/fed-holds-rates-steady.html"). Editors
/// write slugs as keywords, and a feed item without its page has little
/// else. Section names ("/business/"), ids and words under three letters
/// (desk codes such as "la-fi") are left out.
pub fn slug_words(url: &str) -> Vec<String> {
    if url.len() > MAX_URL_BYTES {
        return Vec::new();
    }
    // The path only: no scheme, host, query or fragment.
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let path = path.split_once('/').map_or("", |(_, p)| p);
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut out = Vec::new();
    for segment in path.split('/') {
        // Without its file extension (".html", ".story").
        let segment = match segment.rsplit_once('.') {
            Some((stem, ext))
                if (1..=5).contains(&ext.len())
                    && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                stem
            }
            _ => segment,
        };
        let words: Vec<&str> = segment
            .split(['-', '_', '+', '.', ',', ' '])
            .filter(|w| w.chars().count() >= 3 && w.chars().all(char::is_alphabetic))
            .collect();
        if words.len() >= 3 {
            out.extend(words.into_iter().map(str::to_string));
        }
    }
    out
}

/// An article's features: [`features`] of its title and body, and the
/// words of its URL's slug ([`slug_words`]) as words of weight one. Slug
/// words join no shingle: copies are found by their text.
pub fn article_features(title: &str, text: &str, url: Option<&str>, lang: &str) -> Features {
    let mut f = features(title, text, lang);
    if let Some(url) = url {
        add_url(&mut f, url, lang);
    }
    f
}

fn add_url(f: &mut Features, url: &str, lang: &str) {
    let words = slug_words(url);
    if words.is_empty() {
        return;
    }
    let (stem, stops, tag) = (stemmer(lang), stopwords(lang), lang_tag(lang));
    for w in &words {
        if let Some(term) = term_of(w, &tag, stem.as_ref(), stops) {
            *f.terms.entry(term).or_insert(0.0) += 1.0;
        }
    }
}

/// Extracts features from a title and a body.
pub fn features(title: &str, text: &str, lang: &str) -> Features {
    let text = &text[..text.floor_char_boundary(MAX_ANALYZED_BYTES)];
    let (title, text) = (courant_lang::plain(title), courant_lang::plain(text));
    let (title, text) = (&*title, &*text);
    let stem = stemmer(lang);
    let stops = stopwords(lang);
    let tag = lang_tag(lang);
    let title_words = courant_lang::words(title);
    let text_words = courant_lang::words(text);
    // The lead ends at a space, so that no word is cut in two.
    let lead = match text.get(..text.floor_char_boundary(LEAD_BYTES)) {
        Some(cut) if cut.len() < text.len() => {
            cut.rsplit_once(char::is_whitespace).map_or("", |(l, _)| l)
        }
        _ => text,
    };
    let lead_words = courant_lang::words(lead);
    // Each distinct surface form is lowercased and stemmed once.
    let mut forms: AHashMap<&str, f32> = AHashMap::with_capacity(text_words.len() / 2 + 8);
    for (list, weight) in [(&title_words, 2.0f32), (&text_words, 1.0)] {
        for w in list {
            *forms.entry(w).or_insert(0.0) += weight;
        }
    }
    let mut f = Features {
        body_words: text_words.len(),
        ..Features::default()
    };
    f.terms.reserve(forms.len() + lead_words.len());
    for (w, weight) in forms {
        if let Some(term) = term_of(w, &tag, stem.as_ref(), stops) {
            *f.terms.entry(term).or_insert(0.0) += weight;
        }
    }
    // The lead repeats the words of its start under their own group: a
    // follow-up shares the topic's words, the same event shares the lead's.
    let lead_tag = format!("{tag}:L");
    for w in &lead_words {
        if w.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Some(term) = term_of(w, &lead_tag, stem.as_ref(), stops) {
            *f.terms.entry(term).or_insert(0.0) += 1.0;
        }
    }
    // Names: runs of capitalized words not at a sentence start weigh as their own terms.
    // Headlines are often in Title Case, where capitals say nothing: names come from the body.
    // German capitalizes every noun, so there a lone capitalized word says
    // nothing: names are runs of two or more ("Olaf Scholz", "Deutsche
    // Bank") and acronyms ("SPD", "A7").
    let nouns_capitalized = matches!(lang, "de" | "lb");
    let mut run: Vec<&str> = Vec::new();
    let mut sentence_start = true;
    let flush = |run: &mut Vec<&str>, terms: &mut AHashMap<String, f32>| {
        if nouns_capitalized && run.len() == 1 && !is_acronym(run[0]) {
            run.clear();
        }
        if !run.is_empty() {
            *terms
                .entry(format!("{tag}:N:{}", run.join(" ").to_lowercase()))
                .or_insert(0.0) += 1.0;
            run.clear();
        }
    };
    for tok in text.split_whitespace() {
        let w = tok.trim_matches(|c: char| !c.is_alphanumeric());
        let cap = w.chars().next().is_some_and(char::is_uppercase) && w.chars().nth(1).is_some();
        if tok.starts_with(|c: char| !c.is_alphanumeric()) {
            flush(&mut run, &mut f.terms);
        }
        if cap && !sentence_start && !stops.contains(&w.to_lowercase()) {
            run.push(w);
            // "in Kassel, Olaf Scholz": punctuation ends a name.
            if tok.ends_with(|c: char| !c.is_alphanumeric()) {
                flush(&mut run, &mut f.terms);
            }
        } else {
            flush(&mut run, &mut f.terms);
        }
        sentence_start = tok.ends_with(['.', '!', '?', ':', '"', '»', '“']);
    }
    flush(&mut run, &mut f.terms);
    let hashes: Vec<u64> = title_words
        .iter()
        .chain(&text_words)
        .map(|w| hash_lower(w))
        .collect();
    f.shingles = hashes
        .windows(3)
        .map(|w| shingle(w[0], w[1], w[2]))
        .collect();
    if f.shingles.is_empty() && !hashes.is_empty() {
        f.shingles
            .push(hashes.iter().fold(0, |acc, &h| shingle(acc, h, 0)));
    }
    f
}
