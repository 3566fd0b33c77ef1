//! The engine layer's memory: characters sent per provider per day (the
//! budget) and translated segments (the translation memory). The store
//! implements it for the pipeline; [`MemoryLedger`] keeps it in memory for
//! one command and for tests.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::NaiveDate;

/// A ledger failure, with its cause.
pub type LedgerError = Box<dyn std::error::Error + Send + Sync>;

/// Budget and translation memory. Calls are blocking; the engine runs them
/// off the async threads.
pub trait Ledger: Send + Sync {
    /// Adds `chars` to what `provider` was sent on `day`, unless that would
    /// pass `limit`: then nothing is added and the answer is false. Check and
    /// addition are one step, so concurrent workers never pass the limit together.
    fn reserve(
        &self,
        provider: &str,
        day: NaiveDate,
        chars: u64,
        limit: Option<u64>,
    ) -> Result<bool, LedgerError>;
    /// Characters sent to `provider` on `day`.
    fn spent(&self, provider: &str, day: NaiveDate) -> Result<u64, LedgerError>;
    /// Remembered translations of the segments with these keys.
    fn recall(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        keys: &[String],
    ) -> Result<HashMap<String, String>, LedgerError>;
    /// Remembers translated segments by key.
    fn remember(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        items: &[(String, String)],
    ) -> Result<(), LedgerError>;
}

/// A ledger in memory.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    spent: Mutex<HashMap<(String, NaiveDate), u64>>,
    memory: Mutex<HashMap<(String, String, String, String), String>>,
}

fn poisoned<T>(_: T) -> LedgerError {
    "ledger lock poisoned".into()
}

impl Ledger for MemoryLedger {
    fn reserve(
        &self,
        provider: &str,
        day: NaiveDate,
        chars: u64,
        limit: Option<u64>,
    ) -> Result<bool, LedgerError> {
        let mut spent = self.spent.lock().map_err(poisoned)?;
        let used = spent.entry((provider.to_string(), day)).or_default();
        if limit.is_some_and(|l| *used + chars > l) {
            return Ok(false);
        }
        *used += chars;
        Ok(true)
    }

    fn spent(&self, provider: &str, day: NaiveDate) -> Result<u64, LedgerError> {
        let spent = self.spent.lock().map_err(poisoned)?;
        Ok(spent
            .get(&(provider.to_string(), day))
            .copied()
            .unwrap_or(0))
    }

    fn recall(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        keys: &[String],
    ) -> Result<HashMap<String, String>, LedgerError> {
        let memory = self.memory.lock().map_err(poisoned)?;
        Ok(keys
            .iter()
            .filter_map(|k| {
                let id = (provider.into(), from.into(), to.into(), k.clone());
                memory.get(&id).map(|t| (k.clone(), t.clone()))
            })
            .collect())
    }

    fn remember(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        items: &[(String, String)],
    ) -> Result<(), LedgerError> {
        let mut memory = self.memory.lock().map_err(poisoned)?;
        for (k, t) in items {
            memory.insert(
                (provider.into(), from.into(), to.into(), k.clone()),
                t.clone(),
            );
        }
        Ok(())
    }
}
