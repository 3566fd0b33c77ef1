//! The model's SentencePiece unigram tokenizer: `sp.model` read with a
//! minimal protobuf reader, the normalizer, then the Viterbi segmentation
//! sentencepiece computes (same pieces, same tie-breaking). The C++
//! library would need a C++ toolchain and its build; the model needs only
//! these three steps.

use std::collections::HashMap;

use super::norm::Normalizer;
use super::Error;

/// Piece ids the model reserves.
pub(crate) const UNK: u32 = 0;
pub(crate) const BOS: u32 = 1;
pub(crate) const EOS: u32 = 2;

/// Piece types that never match text (sentencepiece's UNKNOWN, CONTROL).
const TYPE_UNKNOWN: u64 = 2;
const TYPE_CONTROL: u64 = 3;

/// A node of the piece trie: which piece ends here, if any.
const NO_PIECE: u32 = u32::MAX;

pub(crate) struct Tokenizer {
    scores: Vec<f32>,
    /// (node, next char) -> node; node 0 is the root.
    edges: HashMap<(u32, char), u32>,
    /// The piece each node spells, or `NO_PIECE`.
    piece_at: Vec<u32>,
    unk_score: f64,
    normalizer: Normalizer,
}

/// One protobuf field: number and value.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed32([u8; 4]),
    Fixed64,
}

fn varint(data: &[u8], pos: &mut usize) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *data.get(*pos)?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

/// The fields of one protobuf message, in order.
fn fields(data: &[u8]) -> Result<Vec<(u64, Value<'_>)>, Error> {
    let bad = || Error::Weights("sp.model: not a SentencePiece model".into());
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let tag = varint(data, &mut pos).ok_or_else(bad)?;
        let value = match tag & 7 {
            0 => Value::Varint(varint(data, &mut pos).ok_or_else(bad)?),
            1 => {
                pos += 8;
                Value::Fixed64
            }
            2 => {
                let len = varint(data, &mut pos).ok_or_else(bad)? as usize;
                let bytes = data.get(pos..pos.checked_add(len).ok_or_else(bad)?);
                pos += len;
                Value::Bytes(bytes.ok_or_else(bad)?)
            }
            5 => {
                let b = data.get(pos..pos + 4).ok_or_else(bad)?;
                pos += 4;
                Value::Fixed32([b[0], b[1], b[2], b[3]])
            }
            _ => return Err(bad()),
        };
        out.push((tag >> 3, value));
    }
    if pos > data.len() {
        return Err(bad());
    }
    Ok(out)
}

impl Tokenizer {
    /// From the bytes of `sp.model`.
    pub(crate) fn new(model: &[u8]) -> Result<Self, Error> {
        let mut scores = Vec::new();
        let mut edges = HashMap::new();
        let mut piece_at = vec![NO_PIECE];
        let mut charsmap: &[u8] = &[];
        for (field, value) in fields(model)? {
            match (field, value) {
                (1, Value::Bytes(msg)) => {
                    let (mut piece, mut score, mut kind) = ("", 0.0f32, 1u64);
                    for (f, v) in fields(msg)? {
                        match (f, v) {
                            (1, Value::Bytes(b)) => {
                                piece = std::str::from_utf8(b).map_err(|_| {
                                    Error::Weights("sp.model: a piece is not UTF-8".into())
                                })?;
                            }
                            (2, Value::Fixed32(b)) => score = f32::from_le_bytes(b),
                            (3, Value::Varint(k)) => kind = k,
                            _ => {}
                        }
                    }
                    let id = scores.len() as u32;
                    scores.push(score);
                    if kind == TYPE_UNKNOWN || kind == TYPE_CONTROL || piece.is_empty() {
                        continue;
                    }
                    let mut node = 0u32;
                    for c in piece.chars() {
                        let next = piece_at.len() as u32;
                        node = *edges.entry((node, c)).or_insert_with(|| {
                            piece_at.push(NO_PIECE);
                            next
                        });
                    }
                    piece_at[node as usize] = id;
                }
                (3, Value::Bytes(spec)) => {
                    for (f, v) in fields(spec)? {
                        if let (2, Value::Bytes(b)) = (f, v) {
                            charsmap = b;
                        }
                    }
                }
                _ => {}
            }
        }
        if scores.len() <= EOS as usize {
            return Err(Error::Weights("sp.model: no pieces".into()));
        }
        let min = scores.iter().copied().fold(f32::INFINITY, f32::min);
        Ok(Tokenizer {
            scores,
            edges,
            piece_at,
            unk_score: f64::from(min) - 10.0,
            normalizer: Normalizer::new(charsmap),
        })
    }

    /// Number of pieces.
    pub(crate) fn vocab(&self) -> usize {
        self.scores.len()
    }

    /// The text's piece ids between `<s>` and `</s>`.
    pub(crate) fn encode(&self, text: &str) -> Vec<u32> {
        let normalized = self.normalizer.normalize(text);
        let mut ids = vec![BOS];
        if normalized.is_empty() {
            ids.push(UNK);
        } else {
            ids.extend(self.viterbi(&normalized));
        }
        ids.push(EOS);
        ids
    }

    /// Best segmentation: for each end position, the best-scoring piece
    /// ending there (the earliest start wins ties, as in sentencepiece); a
    /// character no piece starts with is one unknown piece.
    fn viterbi(&self, text: &str) -> Vec<u32> {
        let chars: Vec<char> = text.chars().collect();
        let n = chars.len();
        let mut best = vec![f64::NEG_INFINITY; n + 1];
        best[0] = 0.0;
        let mut start_of = vec![0usize; n + 1];
        let mut piece_of = vec![UNK; n + 1];
        for i in 0..n {
            let base = best[i];
            let mut node = 0u32;
            let mut single = false;
            for (j, &c) in chars.iter().enumerate().skip(i) {
                let Some(&next) = self.edges.get(&(node, c)) else {
                    break;
                };
                node = next;
                let id = self.piece_at[node as usize];
                if id == NO_PIECE {
                    continue;
                }
                let score = base + f64::from(self.scores[id as usize]);
                if score > best[j + 1] {
                    best[j + 1] = score;
                    start_of[j + 1] = i;
                    piece_of[j + 1] = id;
                }
                single |= j == i;
            }
            if !single {
                let score = base + self.unk_score;
                if score > best[i + 1] {
                    best[i + 1] = score;
                    start_of[i + 1] = i;
                    piece_of[i + 1] = UNK;
                }
            }
        }
        let mut ids = Vec::new();
        let mut p = n;
        while p > 0 {
            ids.push(piece_of[p]);
            p = start_of[p];
        }
        ids.reverse();
        ids
    }
}
