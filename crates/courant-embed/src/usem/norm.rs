//! SentencePiece's `nmt_nfkc` normalizer: the model's precompiled charsmap
//! (a darts-clone double-array trie over UTF-8 bytes and a table of
//! NUL-terminated replacements), walked as `Normalizer::NormalizePrefix`
//! walks it, then the model's whitespace rules (dummy prefix, runs of
//! spaces squashed, spaces shown as U+2581).

/// The space symbol pieces carry.
pub(crate) const SPACE: &str = "\u{2581}";

pub(crate) struct Normalizer {
    units: Vec<u32>,
    replacements: Vec<u8>,
}

fn offset(unit: u32) -> usize {
    ((unit >> 10) << ((unit & 0x200) >> 6)) as usize
}

/// Length of the UTF-8 character starting `data` (1 for a stray byte).
fn char_len(data: &[u8]) -> usize {
    let first = data[0];
    let len = match first {
        0x00..=0x7f => 1,
        _ if first >> 5 == 0x6 => 2,
        _ if first >> 4 == 0xe => 3,
        _ if first >> 3 == 0x1e => 4,
        _ => 1,
    };
    if len > data.len() || data[1..len].iter().any(|b| b & 0xc0 != 0x80) {
        1
    } else {
        len
    }
}

impl Normalizer {
    /// From the charsmap blob; an empty blob normalizes nothing but spaces.
    pub(crate) fn new(charsmap: &[u8]) -> Self {
        if charsmap.len() < 4 {
            return Normalizer {
                units: Vec::new(),
                replacements: Vec::new(),
            };
        }
        let size =
            u32::from_le_bytes([charsmap[0], charsmap[1], charsmap[2], charsmap[3]]) as usize;
        let end = (4 + size).min(charsmap.len());
        let units = charsmap[4..end]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Normalizer {
            units,
            replacements: charsmap[end..].to_vec(),
        }
    }

    /// The longest charsmap match at the start of `data`: its replacement
    /// and the bytes it consumed; else the first character unchanged.
    fn prefix<'a>(&'a self, data: &'a [u8]) -> (&'a [u8], usize) {
        let (mut best_len, mut best_value) = (0, 0usize);
        if let Some(&root) = self.units.first() {
            let mut node = offset(root);
            for (i, &c) in data.iter().enumerate() {
                node ^= c as usize;
                let Some(&unit) = self.units.get(node) else {
                    break;
                };
                if unit & 0x8000_00ff != u32::from(c) {
                    break;
                }
                node ^= offset(unit);
                if unit & 0x100 != 0 {
                    let Some(&leaf) = self.units.get(node) else {
                        break;
                    };
                    best_len = i + 1;
                    best_value = (leaf & 0x7fff_ffff) as usize;
                }
            }
        }
        if best_len == 0 || best_value >= self.replacements.len() {
            let len = char_len(data);
            return (&data[..len], len);
        }
        let rest = &self.replacements[best_value..];
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        (&rest[..end], best_len)
    }

    /// The text as the model's pieces spell it: `"▁Hello,▁world!"`.
    pub(crate) fn normalize(&self, text: &str) -> String {
        let raw = text.as_bytes();
        let mut pos = 0;
        // Leading whitespace goes.
        while pos < raw.len() {
            let (p, adv) = self.prefix(&raw[pos..]);
            if p != b" " {
                break;
            }
            pos += adv;
        }
        if pos >= raw.len() {
            return String::new();
        }
        let mut out: Vec<u8> = Vec::with_capacity(raw.len() * 2);
        out.extend_from_slice(SPACE.as_bytes());
        let mut prev_space = true;
        while pos < raw.len() {
            let (mut p, adv) = self.prefix(&raw[pos..]);
            pos += adv;
            if prev_space {
                while let [b' ', rest @ ..] = p {
                    p = rest;
                }
            }
            if p.is_empty() {
                continue;
            }
            if p.contains(&b' ') {
                for &b in p {
                    if b == b' ' {
                        out.extend_from_slice(SPACE.as_bytes());
                    } else {
                        out.push(b);
                    }
                }
                prev_space = p.last() == Some(&b' ');
            } else {
                out.extend_from_slice(p);
                prev_space = false;
            }
        }
        while out.ends_with(SPACE.as_bytes()) {
            out.truncate(out.len() - SPACE.len());
        }
        // Stray bytes of broken input may remain; the rest is UTF-8.
        String::from_utf8_lossy(&out).into_owned()
    }
}
