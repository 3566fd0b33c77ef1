//! MinHash signatures over shingle hashes, indexed by LSH banding so that a
//! lookup touches only articles that share a band, not all of them.

use ahash::AHashMap;

const HASHES: usize = 64;
const BANDS: usize = 16;
const ROWS: usize = HASHES / BANDS;

/// A MinHash signature.
pub type Signature = [u32; HASHES];

const fn mix(mut x: u64) -> u64 {
    // splitmix64 finalizer
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Multipliers (odd) and offsets of the 64 hash functions `(a*x + b) >> 32`
/// (multiply-shift hashing): one multiply per function instead of a full mix.
const COEFFS: ([u64; HASHES], [u64; HASHES]) = {
    let mut a = [0u64; HASHES];
    let mut b = [0u64; HASHES];
    let mut i = 0;
    while i < HASHES {
        a[i] = mix(0x9e37_79b9_7f4a_7c15 ^ (2 * i as u64)) | 1;
        b[i] = mix(0x6a09_e667_f3bc_c909 ^ (2 * i as u64 + 1));
        i += 1;
    }
    (a, b)
};

/// The signature of a set of shingle hashes.
pub fn signature(shingles: &[u64]) -> Signature {
    let (a, b) = &COEFFS;
    let mut sig = [u32::MAX; HASHES];
    for &s in shingles {
        let x = mix(s);
        for i in 0..HASHES {
            let h = (x.wrapping_mul(a[i]).wrapping_add(b[i]) >> 32) as u32;
            sig[i] = sig[i].min(h);
        }
    }
    sig
}

/// Share of equal positions: an estimate of the Jaccard similarity.
pub fn estimate(a: &Signature, b: &Signature) -> f32 {
    if a[0] == u32::MAX || b[0] == u32::MAX {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f32 / HASHES as f32
}

/// Exact Jaccard similarity of two shingle sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f32 {
    use std::collections::HashSet;
    let sa: HashSet<&u64> = a.iter().collect();
    let sb: HashSet<&u64> = b.iter().collect();
    if sa.is_empty() || sb.is_empty() {
        return 0.0;
    }
    sa.intersection(&sb).count() as f32 / sa.union(&sb).count() as f32
}

/// Band buckets: (band, hash of its rows) -> articles.
#[derive(Default)]
pub struct Index {
    buckets: AHashMap<(u8, u64), Vec<u32>>,
}

fn band_key(sig: &Signature, band: usize) -> (u8, u64) {
    let mut h: u64 = band as u64;
    for v in &sig[band * ROWS..(band + 1) * ROWS] {
        h = mix(h ^ u64::from(*v));
    }
    (band as u8, h)
}

impl Index {
    /// Adds an article's signature.
    pub fn insert(&mut self, id: u32, sig: &Signature) {
        if sig[0] == u32::MAX {
            return;
        }
        for band in 0..BANDS {
            let bucket = self.buckets.entry(band_key(sig, band)).or_default();
            // Bounded buckets: boilerplate-like texts must not make lookups linear.
            if bucket.len() < 256 {
                bucket.push(id);
            }
        }
    }

    /// The most similar indexed article sharing a band, with its estimated similarity.
    pub fn best_match<'s>(
        &self,
        sig: &Signature,
        get: impl Fn(u32) -> &'s Signature,
    ) -> Option<(u32, f32)> {
        if sig[0] == u32::MAX {
            return None;
        }
        let mut best: Option<(u32, f32)> = None;
        for band in 0..BANDS {
            if let Some(ids) = self.buckets.get(&band_key(sig, band)) {
                for &id in ids {
                    let s = estimate(sig, get(id));
                    if best.is_none_or(|b| s > b.1 || (s == b.1 && id < b.0)) {
                        best = Some((id, s));
                    }
                }
            }
        }
        best
    }
}
