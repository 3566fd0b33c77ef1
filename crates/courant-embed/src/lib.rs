//! Sentence embeddings on the CPU, as one more signal for stories
//! (`courant_cluster::Doc::vector`) and for similarity across languages.
//!
//! - [`Usem`]: Universal Sentence Encoder multilingual v3, pure Rust, the
//!   pipeline's default when `models/usem3` is present (16 languages, one
//!   space: a headline and its translation land close together).
//! - `Embedder` (feature `minilm`, built by the `lab` binary): English
//!   BERT-family models through candle, for the evaluation commands.
//!
//! Nothing here is needed to run courant: without a model, stories are
//! built from words alone. No GPU is used.
#![warn(missing_docs)]

use std::io::Read;
use std::path::PathBuf;

#[cfg(feature = "minilm")]
mod minilm;
mod usem;

#[cfg(feature = "minilm")]
pub use minilm::Embedder;
pub use usem::Usem;

/// Why a model did not load or a text did not embed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A model file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A model file is larger than courant reads.
    #[error("{path}: larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// A weights or tokenizer file is not what the model needs.
    #[error("model files: {0}")]
    Weights(String),
    /// `config.json` is not a BERT configuration.
    #[cfg(feature = "minilm")]
    #[error("{path}: not a BERT configuration: {source}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: serde_json::Error,
    },
    /// The tokenizer failed to load or to encode.
    #[cfg(feature = "minilm")]
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The weights do not fit the configuration, or inference failed.
    #[cfg(feature = "minilm")]
    #[error("model: {0}")]
    Model(#[from] candle_core::Error),
}

/// Cosine of two vectors (0 when either is zero or they differ in length).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na > 0.0 && nb > 0.0 {
        dot / (na * nb)
    } else {
        0.0
    }
}

/// A file's bytes, refused past `limit`.
fn read(path: PathBuf, limit: u64) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    let mut buf = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(Error::TooLarge { path, limit });
    }
    Ok(buf)
}

#[cfg(all(test, feature = "minilm"))]
mod tests;
