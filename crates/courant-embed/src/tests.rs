//! A tiny BERT with random weights, written by the test itself, stands in
//! for a real model: loading, tokenizing, pooling and truncation are the
//! same code. The real model, when `scripts/fetch-model.sh` has fetched it,
//! is checked on meaning as well.

use std::path::Path;

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::bert::BertProcessing;
use tokenizers::Tokenizer;

use super::*;

const WORDS: &[&str] = &[
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "fed", "official", "says", "weak", "data", "storm", "hits",
    "coast", "the", "a", "##s", "rate",
];

fn tiny_model(dir: &Path, positions: usize) {
    let config = serde_json::json!({
        "vocab_size": WORDS.len(), "hidden_size": 8, "num_hidden_layers": 1,
        "num_attention_heads": 2, "intermediate_size": 16, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "max_position_embeddings": positions,
        "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12,
        "pad_token_id": 0, "model_type": "bert"
    });
    std::fs::write(dir.join("config.json"), config.to_string()).expect("config");
    let cfg: Config = serde_json::from_value(config).expect("config parses");
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    BertModel::load(vb, &cfg).expect("model builds");
    varmap.save(dir.join("model.safetensors")).expect("weights");
    let vocab = dir.join("vocab.txt");
    std::fs::write(&vocab, WORDS.join("\n")).expect("vocab");
    let wp = WordPiece::from_file(vocab.to_str().expect("utf-8 path"))
        .unk_token("[UNK]".into())
        .build()
        .expect("wordpiece");
    let mut tok = Tokenizer::new(wp);
    tok.with_normalizer(Some(BertNormalizer::default()))
        .expect("normalizer");
    tok.with_pre_tokenizer(Some(BertPreTokenizer));
    tok.with_post_processor(Some(BertProcessing::new(
        ("[SEP]".into(), 3),
        ("[CLS]".into(), 2),
    )));
    tok.save(dir.join("tokenizer.json"), false)
        .expect("tokenizer");
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

#[test]
fn a_text_embeds_to_a_unit_vector_and_the_same_text_to_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    tiny_model(dir.path(), 32);
    let e = Embedder::load(dir.path()).expect("loads");
    assert_eq!(e.dim(), 8);
    let a = e.embed("Fed official says weak data").expect("embeds");
    assert_eq!(a.len(), 8);
    assert!((norm(&a) - 1.0).abs() < 1e-4, "unit length: {}", norm(&a));
    assert_eq!(a, e.embed("Fed official says weak data").expect("embeds"));
    let b = e.embed("Storm hits the coast").expect("embeds");
    assert_ne!(a, b);
}

#[test]
fn a_text_longer_than_the_model_reads_is_cut_not_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    tiny_model(dir.path(), 16);
    let e = Embedder::load(dir.path()).expect("loads");
    // 2 MB of text: far more word pieces than 16 positions.
    let long = "storm hits the coast ".repeat(100_000);
    let v = e.embed(&long).expect("embeds");
    assert!((norm(&v) - 1.0).abs() < 1e-4);
    // Unknown script and empty text still give a vector of the model's length.
    assert_eq!(e.embed("").expect("empty").len(), 8);
    assert_eq!(e.embed("ニュース").expect("unknown words").len(), 8);
}

#[test]
fn a_missing_or_broken_model_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Embedder::load(dir.path()).err().expect("no model");
    assert!(err.to_string().contains("config.json"), "{err}");
    tiny_model(dir.path(), 32);
    std::fs::write(dir.path().join("model.safetensors"), b"not weights").expect("write");
    let err = Embedder::load(dir.path()).err().expect("broken weights");
    assert!(matches!(err, Error::Model(_)), "{err}");
}

/// The real model: headlines of one story sit closer than headlines of two.
/// Ignored by default (a run without the model reports it skipped);
/// `scripts/test.sh` runs it when `scripts/fetch-model.sh` fetched the model.
#[test]
#[ignore = "needs models/all-MiniLM-L6-v2 (scripts/fetch-model.sh); scripts/test.sh runs it when present"]
fn real_model_places_one_story_closer_than_two() {
    let dir = std::env::var_os("COURANT_EMBED_MODEL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/all-MiniLM-L6-v2")
        });
    assert!(
        dir.join("model.safetensors").exists(),
        "no model at {} (scripts/fetch-model.sh)",
        dir.display()
    );
    let e = Embedder::load(&dir).expect("loads");
    let v = |t: &str| e.embed(t).expect("embeds");
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let plosser = v("Fed's Charles Plosser sees high bar for change in pace of tapering");
    let taper = v("Fed official says weak data caused by weather, should not slow taper");
    let phone = v("Samsung unveils Galaxy S5 with fingerprint scanner");
    assert_eq!(plosser.len(), 384);
    assert!(dot(&plosser, &taper) > dot(&plosser, &phone) + 0.2);
}
