//! Text to language, as ISO 639-1 codes (639-3 where no two-letter code exists).
//!
//! Design decision: `whatlang` (trigrams plus script detection, 69 languages,
//! no model files, microseconds per article) rather than `lingua` (more
//! accurate on short text but tens of MB of models and slow builds). Short
//! texts are where detectors fail, so a declared language (feed, `<html
//! lang>`) wins unless the detector is confident and the text is long enough.
//!
//! # What it gives
//!
//! `decide(text, declared) -> Detection` over `whatlang`; `words(text)`, the
//! one word splitter of the clusterer and the search index (letters, digits and
//! combining marks; unspaced scripts as character bigrams); `plain(text)` drops
//! soft hyphens and composes (NFC) the text the clusterer splits (the search
//! tokenizer joins soft-hyphen pieces itself, to keep its offsets into the
//! stored text). The extractor keeps the page's text as written: soft hyphens
//! still hint line breaks on the site.
//!
//! # Measured
//!
//! `cargo test -p courant-lang itn -- --nocapture` scores it on the bundled
//! ITN blurbs in languages it knows (one sentence each, the hard case), without
//! hints (figure in BENCHMARKS.md). A declared language wins on short text
//! (<200 chars), when the detector is unsure, and between languages trigram
//! detectors confuse (ms/id, ru/uk/be/bg, no/da/sv ...).
#![warn(missing_docs)]

#[cfg(test)]
mod tests;
mod words;

pub use words::{plain, words};

/// Below this many characters the detector is not trusted over a declared language.
pub const MIN_CONFIDENT_CHARS: usize = 200;

/// A language decision and how it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// ISO 639-1 code, or 639-3 where none exists.
    pub lang: String,
    /// 0..1; 1.0 for a declared language that was kept.
    pub confidence: f64,
    /// "detected", "declared" or "declared+detected" (both agree).
    pub method: &'static str,
}

/// Detects the language of `text` without a hint.
pub fn detect(text: &str) -> Option<Detection> {
    // The detector's time grows with input; the first few KB decide anyway.
    let sample = &text[..text.floor_char_boundary(4096)];
    let info = whatlang::detect(sample)?;
    Some(Detection {
        lang: to_iso639_1(info.lang().code()).to_string(),
        confidence: info.confidence(),
        method: "detected",
    })
}

/// Decides the language of `text`, given what the feed or page declared.
pub fn decide(text: &str, declared: Option<&str>) -> Option<Detection> {
    let declared = declared
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty());
    let detected = detect(text);
    match (declared, detected) {
        (None, d) => d,
        (Some(decl), None) => Some(Detection {
            lang: decl,
            confidence: 1.0,
            method: "declared",
        }),
        (Some(decl), Some(det)) => {
            if det.lang == decl {
                Some(Detection {
                    lang: decl,
                    confidence: 1.0,
                    method: "declared+detected",
                })
            } else if det.confidence >= 0.9
                && text.chars().count() >= MIN_CONFIDENT_CHARS
                && !confusable(&decl, &det.lang)
            {
                // Feeds often declare their site's main language for every item.
                Some(det)
            } else {
                Some(Detection {
                    lang: decl,
                    confidence: 1.0,
                    method: "declared",
                })
            }
        }
    }
}

/// Languages so close in writing that trigram detectors swap them; between
/// these, a declaration is more trustworthy than the detector.
const CONFUSABLE: &[&[&str]] = &[
    &["ms", "id", "min"],
    &["ru", "uk", "be", "bg", "mk", "sr", "kk", "ky"],
    &["no", "nb", "nn", "da", "sv"],
    &["hr", "sr", "bs", "sl", "sh"],
    &["cs", "sk"],
    &["es", "gl", "ca", "pt", "ast"],
    &["hi", "mr", "ne", "bh"],
    &["fa", "ur", "ar", "ckb", "azb", "mzn", "pnb"],
    &["zh", "ja", "wuu", "yue"],
    &["af", "nl"],
];

fn confusable(a: &str, b: &str) -> bool {
    CONFUSABLE.iter().any(|g| g.contains(&a) && g.contains(&b))
}

/// Maps whatlang's ISO 639-3 codes to 639-1 where one exists.
pub fn to_iso639_1(code3: &str) -> &str {
    match code3 {
        "epo" => "eo",
        "eng" => "en",
        "rus" => "ru",
        "cmn" => "zh",
        "spa" => "es",
        "por" => "pt",
        "ita" => "it",
        "ben" => "bn",
        "fra" => "fr",
        "deu" => "de",
        "ukr" => "uk",
        "kat" => "ka",
        "ara" => "ar",
        "hin" => "hi",
        "jpn" => "ja",
        "heb" => "he",
        "yid" => "yi",
        "pol" => "pl",
        "amh" => "am",
        "jav" => "jv",
        "kor" => "ko",
        "nob" => "no",
        "dan" => "da",
        "swe" => "sv",
        "fin" => "fi",
        "tur" => "tr",
        "nld" => "nl",
        "hun" => "hu",
        "ces" => "cs",
        "ell" => "el",
        "bul" => "bg",
        "bel" => "be",
        "mar" => "mr",
        "kan" => "kn",
        "ron" => "ro",
        "slv" => "sl",
        "hrv" => "hr",
        "srp" => "sr",
        "mkd" => "mk",
        "lit" => "lt",
        "lav" => "lv",
        "est" => "et",
        "tam" => "ta",
        "vie" => "vi",
        "urd" => "ur",
        "tha" => "th",
        "guj" => "gu",
        "uzb" => "uz",
        "pan" => "pa",
        "aze" => "az",
        "ind" => "id",
        "tel" => "te",
        "pes" => "fa",
        "mal" => "ml",
        "ori" => "or",
        "mya" => "my",
        "nep" => "ne",
        "sin" => "si",
        "khm" => "km",
        "tuk" => "tk",
        "aka" => "ak",
        "zul" => "zu",
        "sna" => "sn",
        "afr" => "af",
        "lat" => "la",
        "slk" => "sk",
        "cat" => "ca",
        "tgl" => "tl",
        "hye" => "hy",
        "cym" => "cy",
        other => other,
    }
}
