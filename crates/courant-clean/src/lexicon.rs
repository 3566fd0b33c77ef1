//! Word knowledge: which strings are words of a language.
//!
//! Design decision: plain word lists from Debian's packages (`wngerman`,
//! `wamerican`, `wbritish`, `wfrench`: full forms) and hunspell stems, held as `fst` sets
//! (a few MB for 350,000 German forms, microsecond lookups). Lists have gaps,
//! so the detectors act only when *both* halves of a split are known and the
//! whole is not, and weakly where a gap is likely (see `glue`); a word missing
//! from a list can still cause a false flag, which is why most of those are
//! suggestions below the repair threshold.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The words of one language.
#[derive(Debug, Clone)]
pub struct Lexicon {
    lang: String,
    words: fst::Set<Vec<u8>>,
    /// Hunspell stems that are words on their own, with their case (nouns
    /// capitalized in German), when loaded.
    stems: Option<fst::Set<Vec<u8>>>,
    /// Every hunspell stem, including those that only occur with an affix.
    all_stems: Option<fst::Set<Vec<u8>>>,
}

/// Why a word list could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    /// The file could not be read.
    #[error("word list {path}: {source}")]
    Io {
        /// File path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The set could not be built.
    #[error("word list {0}: {1}")]
    Build(String, String),
}

impl Lexicon {
    /// Builds a lexicon from words, one per item (order and duplicates do not matter).
    pub fn from_words<'a>(
        lang: &str,
        words: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, LexiconError> {
        let sorted: BTreeSet<&str> = words
            .into_iter()
            .map(str::trim)
            .filter(|w| !w.is_empty() && !w.contains(char::is_whitespace))
            .collect();
        let words = fst::Set::from_iter(sorted)
            .map_err(|e| LexiconError::Build(lang.to_string(), e.to_string()))?;
        Ok(Lexicon {
            lang: lang.to_string(),
            words,
            stems: None,
            all_stems: None,
        })
    }

    /// Adds hunspell stems from a `.dic` file (a count line, then `stem/FLAGS`).
    /// Stems that the `.aff` beside it marks as needing an affix, only-in-compound
    /// or forbidden are not words on their own and are left out.
    pub fn with_hunspell_stems(mut self, dic: &Path) -> Result<Self, LexiconError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| LexiconError::Io {
                path: p.to_path_buf(),
                source,
            })
        };
        let text = read(dic)?;
        let aff = read(&dic.with_extension("aff")).unwrap_or_default();
        let single_char_flags = !aff.lines().any(|l| l.starts_with("FLAG "));
        let skip: Vec<char> = if single_char_flags {
            aff.lines()
                .filter_map(|l| {
                    let mut parts = l.split_whitespace();
                    match (parts.next(), parts.next()) {
                        (Some("NEEDAFFIX" | "ONLYINCOMPOUND" | "FORBIDDENWORD"), Some(f)) => {
                            f.chars().next()
                        }
                        _ => None,
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let entries: Vec<(&str, &str)> = text
            .lines()
            .skip(1)
            .map(|l| {
                let l = l.split('\t').next().unwrap_or("").trim();
                l.split_once('/').unwrap_or((l, ""))
            })
            .filter(|(stem, _)| !stem.is_empty() && !stem.contains(char::is_whitespace))
            .collect();
        let build = |set: BTreeSet<&str>| {
            fst::Set::from_iter(set)
                .map_err(|e| LexiconError::Build(self.lang.clone(), e.to_string()))
        };
        let free = build(
            entries
                .iter()
                .filter(|(_, f)| !f.contains(skip.as_slice()))
                .map(|(s, _)| *s)
                .collect(),
        )?;
        let all = build(entries.iter().map(|(s, _)| *s).collect())?;
        self.stems = Some(free);
        self.all_stems = Some(all);
        Ok(self)
    }

    /// A capitalized stem as written, even one that only occurs with an affix
    /// ("Morgen" in igerman98); for the first half of a compound.
    pub fn is_capitalized_stem(&self, w: &str) -> bool {
        w.chars().next().is_some_and(char::is_uppercase)
            && (self.words.contains(w)
                || self.all_stems.as_ref().is_some_and(|s| s.contains(w))
                || self.is_noun(w))
    }

    /// A noun (German: a capitalized stem), directly or through a plural or
    /// case ending. Without stems, the capitalized form must be listed.
    pub fn is_noun(&self, w: &str) -> bool {
        let cap = capitalize(&w.to_lowercase());
        if self.words.contains(&cap) {
            return true;
        }
        let Some(stems) = &self.stems else {
            return false;
        };
        if stems.contains(&cap) {
            return true;
        }
        // Umlaut plurals: "Fälle" from "Fall", "Räume" from "Raum".
        let plain: String = cap
            .chars()
            .map(|c| match c {
                'ä' => 'a',
                'ö' => 'o',
                'ü' => 'u',
                c => c,
            })
            .collect();
        if plain != cap
            && ["e", "er", "en"]
                .iter()
                .any(|suf| plain.strip_suffix(suf).is_some_and(|st| stems.contains(st)))
        {
            return true;
        }
        ["en", "n", "e", "es", "s", "er", "ern", "nen", "innen", "in"]
            .iter()
            .any(|suf| {
                cap.strip_suffix(suf)
                    .is_some_and(|stem| stem.chars().count() >= 3 && stems.contains(stem))
            })
    }

    /// Reads a word list file (one word per line, UTF-8; hunspell-style `/FLAGS` are cut off).
    pub fn from_file(lang: &str, path: &Path) -> Result<Self, LexiconError> {
        let text = std::fs::read_to_string(path).map_err(|source| LexiconError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_words(
            lang,
            text.lines().map(|l| l.split('/').next().unwrap_or("")),
        )
    }

    /// Reads several word lists into one lexicon (American and British English, say).
    pub fn from_files(lang: &str, paths: &[PathBuf]) -> Result<Self, LexiconError> {
        let mut all = String::new();
        for path in paths {
            let text = std::fs::read_to_string(path).map_err(|source| LexiconError::Io {
                path: path.clone(),
                source,
            })?;
            all.push_str(&text);
            all.push('\n');
        }
        Self::from_words(lang, all.lines().map(|l| l.split('/').next().unwrap_or("")))
    }

    /// Language code.
    pub fn lang(&self) -> &str {
        &self.lang
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True when the list is empty.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The exact form is listed.
    pub fn has_exact(&self, w: &str) -> bool {
        self.words.contains(w)
    }

    /// Listed as written, in lower case, or with a capital (sentence starts, nouns).
    pub fn knows(&self, w: &str) -> bool {
        if w.is_empty() {
            return false;
        }
        if self.words.contains(w) {
            return true;
        }
        let lower = w.to_lowercase();
        if lower != w && self.words.contains(&lower) {
            return true;
        }
        let cap = capitalize(&lower);
        cap != w && self.words.contains(&cap)
    }

    /// Listed only with a capital: a noun in German, a name elsewhere.
    pub fn is_capitalized_word(&self, w: &str) -> bool {
        let cap = capitalize(&w.to_lowercase());
        self.words.contains(&cap)
    }
}

pub(crate) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The lexicons available to the checker, by language.
#[derive(Debug, Clone, Default)]
pub struct Lexicons {
    by_lang: Vec<Lexicon>,
}

/// Word list files in Debian's packages (under `/usr/share/dict`), per language.
pub const DEBIAN_WORDLISTS: &[(&str, &[&str])] = &[
    ("de", &["ngerman"]),
    ("en", &["american-english", "british-english"]),
    ("fr", &["french"]),
];

/// Hunspell dictionaries in Debian's packages (under `/usr/share/hunspell`), per language.
pub const DEBIAN_HUNSPELL: &[(&str, &str)] =
    &[("de", "de_DE.dic"), ("en", "en_US.dic"), ("fr", "fr.dic")];

impl Lexicons {
    /// No word knowledge: only the detectors that need none run.
    pub fn none() -> Self {
        Lexicons::default()
    }

    /// Adds a lexicon.
    pub fn with(mut self, lex: Lexicon) -> Self {
        self.by_lang.push(lex);
        self
    }

    /// Loads the word lists found in `dict_dir` (usually `/usr/share/dict`) and
    /// the hunspell stems in `hunspell_dir`; returns the languages it could not load.
    pub fn load(dict_dir: &Path, hunspell_dir: &Path) -> (Self, Vec<String>) {
        let mut out = Lexicons::default();
        let mut missing = Vec::new();
        for (lang, files) in DEBIAN_WORDLISTS {
            let paths: Vec<PathBuf> = files
                .iter()
                .map(|f| dict_dir.join(f))
                .filter(|p| p.exists())
                .collect();
            if paths.is_empty() {
                missing.push(format!("{lang}: no word list in {}", dict_dir.display()));
                continue;
            }
            let lex = match Lexicon::from_files(lang, &paths) {
                Ok(l) => l,
                Err(e) => {
                    missing.push(e.to_string());
                    continue;
                }
            };
            let dic = DEBIAN_HUNSPELL
                .iter()
                .find(|(l, _)| l == lang)
                .map(|(_, f)| hunspell_dir.join(f))
                .filter(|p| p.exists());
            let lex = match dic {
                Some(d) => match lex.clone().with_hunspell_stems(&d) {
                    Ok(l) => l,
                    Err(e) => {
                        missing.push(e.to_string());
                        lex
                    }
                },
                None => {
                    missing.push(format!(
                        "{lang}: no hunspell dictionary in {}",
                        hunspell_dir.display()
                    ));
                    lex
                }
            };
            out.by_lang.push(lex);
        }
        (out, missing)
    }

    /// Loads from Debian's standard folders.
    pub fn load_system() -> (Self, Vec<String>) {
        Self::load(
            Path::new("/usr/share/dict"),
            Path::new("/usr/share/hunspell"),
        )
    }

    /// The lexicon of a language.
    pub fn get(&self, lang: &str) -> Option<&Lexicon> {
        self.by_lang.iter().find(|l| l.lang == lang)
    }

    /// All lexicons except the one of `lang`.
    pub fn others<'a>(&'a self, lang: &'a str) -> impl Iterator<Item = &'a Lexicon> + 'a {
        self.by_lang.iter().filter(move |l| l.lang != lang)
    }
}
