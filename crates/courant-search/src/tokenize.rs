//! Analyzers: one word splitter for every language (the clusterer's), then
//! lower case, then a Snowball stemmer where tantivy has one for the language,
//! then accents folded.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};
use tantivy::Index;

/// Analyzer names; each has its own title and body fields.
pub(crate) const ANALYZERS: &[&str] = &[
    "plain", "ar", "da", "nl", "en", "fi", "fr", "de", "el", "hu", "it", "no", "pt", "ro", "ru",
    "es", "sv", "ta", "tr",
];

/// The analyzer for a language code: its stemmer's, else the plain one.
pub fn analyzer_for(lang: &str) -> &'static str {
    let base = lang.split(['-', '_']).next().unwrap_or_default();
    let base = match base {
        "nb" | "nn" => "no",
        b => b,
    };
    ANALYZERS
        .iter()
        .copied()
        .find(|a| *a != "plain" && *a == base)
        .unwrap_or("plain")
}

fn stemmer(name: &str) -> Option<Language> {
    Some(match name {
        "ar" => Language::Arabic,
        "da" => Language::Danish,
        "nl" => Language::Dutch,
        "en" => Language::English,
        "fi" => Language::Finnish,
        "fr" => Language::French,
        "de" => Language::German,
        "el" => Language::Greek,
        "hu" => Language::Hungarian,
        "it" => Language::Italian,
        "no" => Language::Norwegian,
        "pt" => Language::Portuguese,
        "ro" => Language::Romanian,
        "ru" => Language::Russian,
        "es" => Language::Spanish,
        "sv" => Language::Swedish,
        "ta" => Language::Tamil,
        "tr" => Language::Turkish,
        _ => return None,
    })
}

/// Registers every analyzer; tantivy keeps them in memory only, so each
/// opening of an index does this.
pub(crate) fn register(index: &Index) {
    for &name in ANALYZERS {
        let base = TextAnalyzer::builder(Words)
            .filter(RemoveLongFilter::limit(64))
            .filter(LowerCaser);
        // Accents are folded after stemming (the stemmers expect them), so
        // "Zurich" finds "Zürich" and "Hauser" finds "Häuser".
        let analyzer = match stemmer(name) {
            Some(lang) => base
                .filter(Stemmer::new(lang))
                .filter(AsciiFoldingFilter)
                .build(),
            None => base.filter(AsciiFoldingFilter).build(),
        };
        index.tokenizers().register(name, analyzer);
    }
}

const SOFT_HYPHEN: &str = "\u{ad}";

/// Splits with [`courant_lang::words`].
#[derive(Clone, Default)]
pub(crate) struct Words;

pub(crate) struct WordStream {
    tokens: Vec<Token>,
    next: usize,
    current: Token,
}

impl Tokenizer for Words {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        let base = text.as_ptr() as usize;
        let mut tokens: Vec<Token> = Vec::new();
        for w in courant_lang::words(text) {
            // Every word is a slice of `text`, so its offset is the pointer difference.
            let from = w.as_ptr() as usize - base;
            let to = from + w.len();
            // Pieces joined by a soft hyphen are one word ("Fuß\u{ad}ball").
            if let Some(last) = tokens.last_mut() {
                if text.get(last.offset_to..from) == Some(SOFT_HYPHEN) {
                    last.offset_to = to;
                    last.text.push_str(w);
                    continue;
                }
            }
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position: tokens.len(),
                text: w.to_string(),
                position_length: 1,
            });
        }
        WordStream {
            tokens,
            next: 0,
            current: Token::default(),
        }
    }
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        match self.tokens.get_mut(self.next) {
            Some(t) => {
                self.current = std::mem::take(t);
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}
