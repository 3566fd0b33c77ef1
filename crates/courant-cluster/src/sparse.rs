//! Sparse term vectors: sorted `(term id, weight)` pairs, each feature
//! group's part of unit length, and the TF-IDF weight that fills them.

use ahash::AHashMap;

/// Sparse vector sorted by term id; each group's part has unit length.
pub(crate) type Vector = Vec<(u32, f32)>;

/// TF-IDF with sublinear term frequency: `(1 + ln tf) * (ln((n + 1) / (df + 1)) + 1)`
/// for a term seen `tf` times in the article and in `df` of `n` documents.
pub(crate) fn tfidf(tf: f32, df: f64, n: f64) -> f32 {
    let idf = ((n + 1.0) / (df + 1.0)).ln() + 1.0;
    ((1.0 + f64::from(tf).ln()) * idf) as f32
}

/// Two groups of vectors (indices) by 2-means seeded with the least similar
/// pair, and the cosine of the groups' centroids.
pub(crate) fn two_means(vs: &[&Vector]) -> Option<(Vec<usize>, Vec<usize>, f32)> {
    let n = vs.len();
    let mut seed = (0, 1, f32::MAX);
    for i in 0..n {
        for j in i + 1..n {
            let c = cosine(vs[i], vs[j]);
            if c < seed.2 {
                seed = (i, j, c);
            }
        }
    }
    let (mut ca, mut cb) = (vs[seed.0].clone(), vs[seed.1].clone());
    let mut groups = (Vec::new(), Vec::new());
    for _ in 0..4 {
        let (mut ga, mut gb) = (Vec::new(), Vec::new());
        for (i, v) in vs.iter().enumerate() {
            if cosine(v, &ca) >= cosine(v, &cb) {
                ga.push(i);
            } else {
                gb.push(i);
            }
        }
        if ga.is_empty() || gb.is_empty() {
            return None;
        }
        ca = mean(vs, &ga);
        cb = mean(vs, &gb);
        groups = (ga, gb);
    }
    Some((groups.0, groups.1, cosine(&ca, &cb)))
}

/// Unit-length mean of some vectors, sorted by term id.
pub(crate) fn mean(vs: &[&Vector], which: &[usize]) -> Vector {
    let mut sum: AHashMap<u32, f32> = AHashMap::new();
    for &i in which {
        for (t, w) in vs[i] {
            *sum.entry(*t).or_insert(0.0) += w;
        }
    }
    let mut v: Vector = sum.into_iter().collect();
    v.sort_unstable_by_key(|x| x.0);
    unit(&mut v);
    v
}

/// Scales a vector to unit length (an empty one stays empty).
pub(crate) fn unit(v: &mut Vector) {
    let norm = norm(v);
    v.iter_mut().for_each(|(_, w)| *w /= norm);
}

/// Euclidean length of a sparse vector, never below `f32::EPSILON`.
pub(crate) fn norm(v: &[(u32, f32)]) -> f32 {
    length(v.iter().map(|(_, w)| *w))
}

/// Euclidean length of some weights, never below `f32::EPSILON`.
pub(crate) fn length(weights: impl Iterator<Item = f32>) -> f32 {
    weights.map(|w| w * w).sum::<f32>().sqrt().max(f32::EPSILON)
}

/// Cosine of two unit vectors sorted by term id: one merge pass.
pub(crate) fn cosine(a: &Vector, b: &Vector) -> f32 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}
