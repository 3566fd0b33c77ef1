//! The caller's embeddings: scaled to unit length, summed per story, and
//! compared by cosine. Embeddings of another length than the story's are
//! left out rather than compared.

/// An embedding of unit length, if the caller gave one.
pub(crate) type Emb = Option<Box<[f32]>>;

/// The caller's embedding scaled to unit length; none if empty or zero.
pub(crate) fn unit_emb(v: Option<&[f32]>) -> Emb {
    let v = v?;
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    (n > 1e-6 && n.is_finite()).then(|| v.iter().map(|x| x / n).collect())
}

/// Adds `sign` times an embedding to a story's sum (started on first use);
/// one of another length is left out.
pub(crate) fn emb_add(sum: &mut Vec<f32>, e: Option<&[f32]>, sign: f32) {
    let Some(e) = e else { return };
    if sum.is_empty() {
        sum.resize(e.len(), 0.0);
    }
    if sum.len() == e.len() {
        sum.iter_mut().zip(e).for_each(|(s, x)| *s += sign * x);
    }
}

/// Dot product; 0 for embeddings of different lengths.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Cosine of a unit embedding to a story's sum, less `without` (the
/// article itself, on a second look).
pub(crate) fn emb_cosine(e: &[f32], sum: &[f32], without: Option<&[f32]>) -> f32 {
    if sum.len() != e.len() {
        return 0.0;
    }
    let (mut d, mut n2) = (0.0f32, 0.0f32);
    for (i, (x, s)) in e.iter().zip(sum).enumerate() {
        let s = s - without.map_or(0.0, |w| w[i]);
        d += x * s;
        n2 += s * s;
    }
    let n = n2.sqrt();
    if n > 1e-6 {
        d / n
    } else {
        0.0
    }
}
