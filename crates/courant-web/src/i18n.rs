//! The site's own words in the reader's language.
//!
//! Catalogs are flat JSON objects of `key: text`; English is complete and
//! every other catalog falls back to it key by key, so a partial catalog
//! still renders. An operator adds or corrects a language with
//! `i18n/<code>.json` in the templates folder, merged over the built-in one.

use std::collections::HashMap;
use std::path::Path;

use minijinja::value::Kwargs;
use minijinja::Value;
use serde_json::Map;

const BUILTIN: &[(&str, &str)] = &[
    ("en", include_str!("../templates/i18n/en.json")),
    ("de", include_str!("../templates/i18n/de.json")),
    ("fr", include_str!("../templates/i18n/fr.json")),
    ("es", include_str!("../templates/i18n/es.json")),
];

/// Bound on an operator's catalog file.
const MAX_CATALOG: u64 = 1024 * 1024;

type Catalog = Map<String, serde_json::Value>;

/// Every catalog, each already merged over English.
pub(crate) struct Catalogs {
    by_lang: HashMap<String, Value>,
    english: Value,
}

fn parse(code: &str, text: &str) -> Option<Catalog> {
    match serde_json::from_str::<Catalog>(text) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(lang = code, error = %e, "ignoring a catalog that is not a JSON object");
            None
        }
    }
}

/// A language code that may name a file: letters, digits and '-'.
fn code_ok(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 12
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl Catalogs {
    /// The built-in catalogs, with the operator's from `dir/i18n/` merged over them.
    pub(crate) fn load(dir: Option<&Path>) -> Catalogs {
        let mut raw: HashMap<String, Catalog> = BUILTIN
            .iter()
            .filter_map(|(code, text)| Some((code.to_string(), parse(code, text)?)))
            .collect();
        if let Some(dir) = dir {
            if let Ok(entries) = std::fs::read_dir(dir.join("i18n")) {
                for e in entries.flatten() {
                    let path = e.path();
                    let Some(code) = path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_suffix(".json"))
                        .filter(|c| code_ok(c))
                        .map(str::to_string)
                    else {
                        continue;
                    };
                    if e.metadata().map_or(true, |m| m.len() > MAX_CATALOG) {
                        tracing::warn!(file = %path.display(), "catalog too large; ignored");
                        continue;
                    }
                    let Ok(text) = std::fs::read_to_string(&path) else {
                        continue;
                    };
                    if let Some(over) = parse(&code, &text) {
                        raw.entry(code).or_default().extend(over);
                    }
                }
            }
        }
        let english = raw.get("en").cloned().unwrap_or_default();
        let mut by_lang = HashMap::new();
        for (code, cat) in raw {
            let mut merged = english.clone();
            merged.extend(cat);
            by_lang.insert(code, Value::from_serialize(&merged));
        }
        Catalogs {
            english: by_lang.get("en").cloned().unwrap_or_default(),
            by_lang,
        }
    }

    /// Whether `lang` (or its base language, `de` for `de-AT`) has a catalog.
    pub(crate) fn has(&self, lang: &str) -> bool {
        self.by_lang.contains_key(base(lang))
    }

    /// The words for `lang`, English where it has none.
    pub(crate) fn get(&self, lang: &str) -> Value {
        self.by_lang
            .get(base(lang))
            .cloned()
            .unwrap_or_else(|| self.english.clone())
    }
}

fn base(lang: &str) -> &str {
    lang.split('-').next().unwrap_or(lang)
}

/// `{{ t.results|fill(n=12) }}`: puts values into a catalog text's `{name}` slots.
pub(crate) fn fill(text: String, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let mut out = text;
    for key in kwargs.args() {
        let v: Value = kwargs.get(key)?;
        out = out.replace(&format!("{{{key}}}"), &v.to_string());
    }
    Ok(out)
}
