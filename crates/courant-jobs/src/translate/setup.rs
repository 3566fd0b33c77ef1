//! What the translation job is given: editions, providers with their
//! engines, and the store as the engines' ledger.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use courant_store::Store;
use courant_translate::{Engine, Ledger, ProviderConfig};
use serde::Deserialize;

/// One edition to translate into (`[[translate.targets]]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Target language (ISO 639-1).
    pub lang: String,
    /// Languages to translate from; empty: any the provider offers.
    #[serde(default)]
    pub from: Vec<String>,
    /// How many of the top stories to carry into the edition.
    #[serde(default = "default_top")]
    pub top_stories: usize,
    /// Feed URLs (or names) of sources whose every article is translated.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Provider to use; the first that offers the pair when absent.
    #[serde(default)]
    pub provider: Option<String>,
    /// Terms and their rendering in this language ("White House" = "Casa Blanca").
    #[serde(default)]
    pub glossary: BTreeMap<String, String>,
}

fn default_top() -> usize {
    20
}

/// A configured provider with its engine.
#[derive(Debug)]
pub struct Provider {
    /// As configured.
    pub config: ProviderConfig,
    /// The backend behind the shared layer.
    pub engine: Engine,
}

/// Everything the translation job needs.
#[derive(Debug)]
pub struct Translate {
    /// Providers, in order of preference.
    pub providers: Vec<Provider>,
    /// Editions to fill.
    pub targets: Vec<Target>,
    /// Names never translated, besides the ones found in each text.
    pub keep: Vec<String>,
    /// Articles translated at once.
    pub concurrency: usize,
}

impl Translate {
    /// Engines for the providers, with the store as their ledger.
    pub fn new(
        providers: &[ProviderConfig],
        targets: Vec<Target>,
        keep: Vec<String>,
        store: Arc<dyn Store>,
    ) -> Result<Translate, courant_translate::Error> {
        let ledger: Arc<dyn Ledger> = Arc::new(StoreLedger(store));
        let providers = providers
            .iter()
            .map(|c| {
                Ok(Provider {
                    config: c.clone(),
                    engine: c.engine(ledger.clone())?,
                })
            })
            .collect::<Result<_, courant_translate::Error>>()?;
        Ok(Translate {
            providers,
            targets,
            keep,
            concurrency: 2,
        })
    }
}

/// The store as the engines' ledger (budget and memory).
pub struct StoreLedger(pub Arc<dyn Store>);

impl Ledger for StoreLedger {
    fn reserve(
        &self,
        provider: &str,
        day: chrono::NaiveDate,
        chars: u64,
        limit: Option<u64>,
    ) -> Result<bool, courant_translate::ledger::LedgerError> {
        Ok(self
            .0
            .reserve_chars(provider, &day.to_string(), chars, limit)?)
    }

    fn spent(
        &self,
        provider: &str,
        day: chrono::NaiveDate,
    ) -> Result<u64, courant_translate::ledger::LedgerError> {
        Ok(self.0.chars_spent(provider, &day.to_string())?)
    }

    fn recall(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, String>, courant_translate::ledger::LedgerError>
    {
        Ok(self.0.recall_segments(provider, from, to, keys)?)
    }

    fn remember(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        items: &[(String, String)],
    ) -> Result<(), courant_translate::ledger::LedgerError> {
        Ok(self
            .0
            .remember_segments(provider, from, to, items, Utc::now())?)
    }
}
