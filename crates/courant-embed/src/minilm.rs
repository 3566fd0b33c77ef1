//! all-MiniLM-L6-v2 and other BERT-family models on the CPU (candle):
//! mean-pooled, unit length, as sentence-transformers computes them.
//! English only; the evaluation commands take it with `--embed DIR`.
//!
//! A model is a folder in the sentence-transformers layout: `config.json`,
//! `tokenizer.json` and `model.safetensors` (`scripts/fetch-model.sh
//! --minilm` fetches all-MiniLM-L6-v2). Each file read is bounded, and a
//! text is cut at 256 word pieces.
//!
//! Why candle: pure Rust, CPU, loads safetensors and `tokenizer.json` as
//! published; its BERT gives the same vectors as sentence-transformers
//! (checked on the UCI headlines: the same B³ to three places). `ort` was
//! not taken: it downloads ONNX Runtime binaries at build time, which this
//! machine cannot fetch. Cost: about 13 ms per headline on one core.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};

use crate::{read, Error};

/// Largest `config.json` or `tokenizer.json` read.
const MAX_JSON: u64 = 64 * 1024 * 1024;
/// Largest weights file read (all-MiniLM-L6-v2 is 87 MiB).
const MAX_WEIGHTS: u64 = 2 * 1024 * 1024 * 1024;
/// Longest text embedded, in bytes: the model reads at most
/// `max_tokens` word pieces, so the rest would be tokenized for nothing.
const MAX_TEXT: usize = 4096;

/// A loaded model.
pub struct Embedder {
    model: BertModel,
    tokenizer: tokenizers::Tokenizer,
    max_tokens: usize,
    dim: usize,
}

impl Embedder {
    /// Loads the model in `dir`.
    pub fn load(dir: &Path) -> Result<Self, Error> {
        let path = dir.join("config.json");
        let json = read(path.clone(), MAX_JSON)?;
        let config: Config =
            serde_json::from_slice(&json).map_err(|source| Error::Config { path, source })?;
        let dim = config.hidden_size;
        // The most word pieces the model reads; sentence-transformers stops
        // MiniLM at 256.
        let max_tokens = config.max_position_embeddings.clamp(2, 256);
        let mut tokenizer =
            tokenizers::Tokenizer::from_bytes(read(dir.join("tokenizer.json"), MAX_JSON)?)
                .map_err(|e| Error::Tokenizer(e.to_string()))?;
        // The file may pad every text to a fixed length: mean pooling would
        // count the padding, and it costs time.
        tokenizer.with_padding(None);
        let weights = read(dir.join("model.safetensors"), MAX_WEIGHTS)?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)?;
        let model = BertModel::load(vb, &config)?;
        Ok(Embedder {
            model,
            tokenizer,
            max_tokens,
            dim,
        })
    }

    /// Length of the vectors [`Embedder::embed`] returns.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The text's embedding: the mean of its last hidden states over at
    /// most `max_tokens` word pieces, scaled to unit length (all zeros for
    /// a text with nothing to read).
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, Error> {
        let mut end = text.len().min(MAX_TEXT);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let enc = self
            .tokenizer
            .encode(&text[..end], true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let mut ids: Vec<u32> = enc.get_ids().to_vec();
        if ids.len() > self.max_tokens {
            // Keep the closing [SEP] the model was trained with.
            let last = ids[ids.len() - 1];
            ids.truncate(self.max_tokens - 1);
            ids.push(last);
        }
        if ids.is_empty() {
            return Ok(vec![0.0; self.dim]);
        }
        let ids = Tensor::new(ids.as_slice(), &Device::Cpu)?.unsqueeze(0)?;
        let types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &types, None)?;
        let mean: Vec<f32> = hidden.mean(1)?.squeeze(0)?.to_vec1()?;
        let norm = mean.iter().map(|x| x * x).sum::<f32>().sqrt();
        Ok(if norm > 0.0 && norm.is_finite() {
            mean.iter().map(|x| x / norm).collect()
        } else {
            vec![0.0; self.dim]
        })
    }
}
