//! The phrase lists of page furniture, and the tests that use them: labels
//! ("Read more", "Mehr zum Thema"), disclaimers (sentences about how the text
//! was made), caption leads ("FILE -", "Archivbild –") and credits ("(AP
//! Photo/…)", "Foto: …/dpa"). The extractor drops such paragraphs; the text
//! checker reports what is left of them.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::sentences::sentences;

/// Labels that make up a whole paragraph of furniture (lower case, without trailing punctuation).
const LABELS: &[&str] = &[
    "related news",
    "related articles",
    "related stories",
    "related",
    "read more",
    "read also",
    "see also",
    "more on this story",
    "more from",
    "share this article",
    "share this story",
    "share",
    "share on facebook",
    "share on twitter",
    "follow us",
    "subscribe",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "advertisement",
    "sponsored",
    "click here",
    "top stories",
    "trending",
    "comments",
    "leave a comment",
    "story continues below",
    "article continues below",
    "continue reading",
    "recommended videos",
    "recommended",
    "read more about",
    "more stories",
    "most read",
    "lest auch",
    "lesen sie mehr",
    "mehr dazu",
    "weiterlesen",
    "drucken",
    "e-mail",
    "fehler melden",
    "fehler gefunden? jetzt melden",
    "artikel anhören",
    "vorlesen",
    "print",
    "email",
    "lesen sie auch",
    "mehr zum thema",
    "auch interessant",
    "das könnte sie auch interessieren",
    "weitere artikel",
    "artikel teilen",
    "diesen artikel teilen",
    "teilen",
    "anzeige",
    "werbung",
    "newsletter abonnieren",
    "folgen sie uns",
    "kommentare",
    "zum thema",
    "lire aussi",
    "à lire aussi",
    "voir aussi",
    "sur le même sujet",
    "partager",
    "partager cet article",
    "publicité",
    "abonnez-vous",
    "suivez-nous",
    "commentaires",
];

/// Phrases (lower case) that mark a sentence as a note about the text, not news.
pub const DISCLAIMERS: &[&str] = &[
    "wire agency feed",
    "without modifications to the text",
    "auto-generated",
    "automatically generated",
    "automatically translated",
    "machine translated",
    "machine-translated",
    "with inputs from agencies",
    "except for the headline",
    "has not been edited by",
    "nicht redaktionell bearbeitet",
    "automatisch übersetzt",
    "maschinell übersetzt",
    "automatisch aus einer agenturmeldung",
    "automatisch erstellt",
    "alle rechte vorbehalten",
    "all rights reserved",
    "tous droits réservés",
    "traduit automatiquement",
    "généré automatiquement",
    "this article is for informational purposes only",
    "dieser artikel dient nur zur information",
    // Notes about the page, not the news: comment forms, helpfulness
    // widgets, permalinks, affiliate and opinion disclosures.
    "must be logged in to post a comment",
    "comments are closed",
    "was this article helpful",
    "bookmark the permalink",
    "this entry was posted in",
    "receive compensation for some of the links",
    "receive compensation when you click",
    "we may earn a commission",
    "müssen sie eingeloggt sein",
    "müssen sich einloggen",
    "kommentare geschlossen",
    "war der artikel nützlich",
    "war dieser artikel hilfreich",
    "gibt die meinung des autors wieder",
    "halten sie sich an unsere netiquette",
    "vous devez être connecté pour",
    "debes iniciar sesión para",
];

const CAPTION_LEADS: &[&str] = &[
    "file -",
    "file –",
    "file photo",
    "archivbild",
    "archivfoto",
    "archiv -",
    "archiv –",
    "symbolbild",
    "photo d'archive",
];

fn credit_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            // ASCII word boundaries: a Unicode \b would force the slow regex engine.
            r"(?i)(\((ap|afp|reuters|dpa|epa|getty|ap photo|foto|photo|bild|image|credit|crédit)(?-u:\b)[^)]{0,80}\)|(?-u:\b)(foto|fotos|bild|photo|photos|image|images|credit|crédit photo|quelle)\s*:\s*[^.!?]{2,80}|getty images[^.!?]{0,40}|©\s*[^.!?]{2,60}|/(dpa|afp|reuters|ap|epa|picture alliance)(?-u:\b)|[（(][^）)]{1,30}(撮影|提供)[）)]|(사진|写真)\s*[=＝]\s*[^\s.]{1,30})\s*[.)]?\s*$",
        )
        .unwrap_or_else(|e| panic!("credit pattern: {e}"))
    })
}

/// A credit in parentheses inside a longer paragraph ("(Foto: …)"), which
/// goes alone, not with its paragraph.
pub fn inline_credit_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)\s*\((ap photo|foto|photo|bild|image|credit|crédit photo|quelle|source)\s*[:/][^)]{1,80}\)")
            .unwrap_or_else(|e| panic!("inline credit pattern: {e}"))
    })
}

/// A paragraph that is only a label ("Read more", "Advertisement 2");
/// `lower` is `trimmed` in lower case.
pub fn is_label(trimmed: &str, lower: &str) -> bool {
    // Labels are short: most paragraphs end here, before any trimming.
    if trimmed.len() > 4 * 60 || trimmed.chars().count() > 60 {
        return false;
    }
    let label = lower
        .trim_end_matches([':', '.', '!', '›', '»', '>', ' ', '…'])
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ');
    LABELS.contains(&label)
}

/// A caption: short, with a caption lead or ending in a credit. A credit at the end
/// of a longer paragraph is removed alone, not with the paragraph. `lower` is
/// `trimmed` in lower case.
pub fn is_caption(trimmed: &str, lower: &str) -> bool {
    // Over 400 characters is neither a led caption nor a credit line (300).
    let chars = trimmed.chars().count();
    if chars > 400 {
        return false;
    }
    if CAPTION_LEADS.iter().any(|l| lower.starts_with(l)) {
        return true;
    }
    // Every credit form ends in a parenthesis or names a credit word; most
    // paragraphs do neither, and the credit pattern's lazy DFA is costly.
    let parenthesised = trimmed
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .ends_with([')', '）']);
    (parenthesised || matcher(&CREDIT, CREDIT_WORDS).is_match(lower))
        && chars <= 300
        && sentences(trimmed).len() <= 3
        && credit_re().is_match(trimmed)
}

static CREDIT: OnceLock<AhoCorasick> = OnceLock::new();
static DISCLAIMER: OnceLock<AhoCorasick> = OnceLock::new();

/// One automaton for a list of phrases: every paragraph of every page is
/// tested, and a substring search per phrase was most of that cost.
fn matcher(cell: &'static OnceLock<AhoCorasick>, phrases: &[&str]) -> &'static AhoCorasick {
    cell.get_or_init(|| AhoCorasick::new(phrases).unwrap_or_else(|e| panic!("phrase list: {e}")))
}

/// Words at least one of which every match of [`credit_re`] that does not end
/// in a parenthesis contains (lower case).
const CREDIT_WORDS: &[&str] = &[
    "foto",
    "photo",
    "bild",
    "image",
    "credit",
    "crédit",
    "quelle",
    "getty",
    "©",
    "/dpa",
    "/afp",
    "/reuters",
    "/ap",
    "/epa",
    "/picture alliance",
    "사진",
    "写真",
];

/// Whether the whole paragraph is furniture, a caption or credit, or a disclaimer;
/// the extractor drops such paragraphs before the checker sees the text.
pub fn is_furniture(par: &str) -> bool {
    let trimmed = par.trim();
    let lower = trimmed.to_lowercase();
    if is_label(trimmed, &lower) || is_caption(trimmed, &lower) {
        return true;
    }
    // A short note that opens with a disclaimer ("… from a wire agency feed. Only
    // the headline has been changed.") goes as a whole. Sentences are split
    // only when a disclaimer occurs at all: most paragraphs hold none.
    if !matcher(&DISCLAIMER, DISCLAIMERS).is_match(&lower) {
        return false;
    }
    let sents = sentences(trimmed);
    sents.len() <= 3
        && sents.first().is_some_and(|&(s, e)| {
            let sent = trimmed[s..e].to_lowercase();
            DISCLAIMERS.iter().any(|d| sent.contains(d))
        })
}
