//! A provider as the operator configures it (`[[translate.providers]]`).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::backend::{apertium::Apertium, deepl::DeepL, libre::Libre, openai::OpenAi};
use crate::{Engine, Error, Ledger, Settings, Translator};

/// The kinds of backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Apertium APy.
    Apertium,
    /// LibreTranslate.
    Libretranslate,
    /// DeepL API v2.
    Deepl,
    /// OpenAI-compatible chat completions.
    Openai,
}

/// One configured provider.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Name used in budgets, the memory, labels and metrics.
    pub name: String,
    /// Backend kind.
    pub kind: Kind,
    /// Base URL of the service.
    pub url: String,
    /// API key, where the service wants one.
    #[serde(default)]
    pub api_key: Option<String>,
    /// Model name (OpenAI-compatible only).
    #[serde(default)]
    pub model: Option<String>,
    /// Characters a day, at most.
    #[serde(default)]
    pub daily_chars: Option<u64>,
    /// Seconds to wait for one answer.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Requests per second, at most.
    #[serde(default = "default_rps")]
    pub requests_per_second: f64,
    /// Retries of a request that may pass (timeouts, 429, 5xx).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Language pairs offered (`"en-es"`); empty: whatever the engine accepts.
    #[serde(default)]
    pub pairs: Vec<String>,
    /// The label readers see: "machine-translated from English by ...".
    #[serde(default)]
    pub label: Option<String>,
}

fn default_timeout() -> u64 {
    60
}
fn default_rps() -> f64 {
    5.0
}
fn default_retries() -> u32 {
    3
}

impl ProviderConfig {
    /// A provider of this kind at this URL, with the defaults.
    pub fn new(name: &str, kind: Kind, url: &str) -> ProviderConfig {
        ProviderConfig {
            name: name.into(),
            kind,
            url: url.into(),
            api_key: None,
            model: None,
            daily_chars: None,
            timeout_secs: default_timeout(),
            requests_per_second: default_rps(),
            retries: default_retries(),
            pairs: Vec::new(),
            label: None,
        }
    }

    /// Whether it offers `from` → `to`.
    pub fn offers(&self, from: &str, to: &str) -> bool {
        self.pairs.is_empty() || self.pairs.iter().any(|p| p == &format!("{from}-{to}"))
    }

    /// The name readers see.
    pub fn label(&self) -> String {
        self.label.clone().unwrap_or_else(|| match self.kind {
            Kind::Apertium => "Apertium".into(),
            Kind::Libretranslate => "LibreTranslate".into(),
            Kind::Deepl => "DeepL".into(),
            Kind::Openai => self.model.clone().unwrap_or_else(|| self.name.clone()),
        })
    }

    /// The backend and the shared layer around it.
    pub fn engine(&self, ledger: Arc<dyn Ledger>) -> Result<Engine, Error> {
        let backend: Box<dyn Translator> = match self.kind {
            Kind::Apertium => Box::new(Apertium {
                url: self.url.clone(),
            }),
            Kind::Libretranslate => Box::new(Libre {
                url: self.url.clone(),
                api_key: self.api_key.clone(),
            }),
            Kind::Deepl => Box::new(DeepL {
                url: self.url.clone(),
                api_key: self.api_key.clone().unwrap_or_default(),
            }),
            Kind::Openai => Box::new(OpenAi {
                url: self.url.clone(),
                api_key: self.api_key.clone(),
                model: self.model.clone().unwrap_or_else(|| "default".into()),
            }),
        };
        let settings = Settings {
            timeout: Duration::from_secs(self.timeout_secs.max(1)),
            requests_per_second: self.requests_per_second,
            retries: self.retries,
            daily_chars: self.daily_chars,
            ..Settings::default()
        };
        Engine::new(self.name.clone(), backend, settings, ledger)
    }
}
