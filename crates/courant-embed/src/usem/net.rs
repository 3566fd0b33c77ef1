//! The network of USE multilingual v3 as the wheel's numpy backend runs
//! it: a piece embedding (a dequantized 8-bit table), three residual CNN
//! branches over 2-, 3- and 5-grams, layer norm, a sum over tokens scaled
//! by 1/sqrt(length), a small feed-forward head and tanh, scaled to unit
//! length. Sentences of a batch are laid end to end and each n-gram window
//! stops at its sentence's edge, so a batch gives the vectors one-by-one
//! calls would.

use std::path::Path;

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

use super::npy;
use super::Error;

pub(crate) const DIM: usize = 512;
const CNN: usize = 256;
const CHUNKS: usize = 17;
/// (n-gram order, tokens of left context) of the three branches.
const ORDERS: [(usize, usize); 3] = [(2, 0), (3, 1), (5, 2)];
const FEATS: usize = DIM + ORDERS.len() * CNN;

/// A dense layer's weights, row-major `rows x cols`.
struct Mat {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

pub(crate) struct Net {
    /// Quantized piece embeddings, one 512-byte row per piece id.
    table: Vec<u8>,
    scale: Vec<f32>,
    lo: Vec<f32>,
    proj: Mat,
    proj_b: Vec<f32>,
    proj_g: Vec<f32>,
    proj_beta: Vec<f32>,
    w1: Vec<Mat>,
    b1: Vec<Vec<f32>>,
    w2: Vec<Mat>,
    b2: Vec<Vec<f32>>,
    ln_g: Vec<f32>,
    ln_b: Vec<f32>,
    cnn: Mat,
    cnn_b: Vec<f32>,
    d0: Mat,
    d1: Mat,
    p1: Mat,
    d2: Mat,
    p3: Mat,
    d3: Mat,
    eps: f32,
}

fn mat(dir: &Path, name: &str, rows: usize, cols: usize) -> Result<Mat, Error> {
    let a = npy::read(dir, name)?;
    if a.shape != [rows, cols] {
        return Err(Error::Weights(format!(
            "{name}.npy: shape {:?}, expected [{rows}, {cols}]",
            a.shape
        )));
    }
    Ok(Mat {
        rows,
        cols,
        data: a.data,
    })
}

fn vector(dir: &Path, name: &str, len: usize) -> Result<Vec<f32>, Error> {
    let a = npy::read(dir, name)?;
    if a.data.len() != len {
        return Err(Error::Weights(format!(
            "{name}.npy: {} values, expected {len}",
            a.data.len()
        )));
    }
    Ok(a.data)
}

/// Columns of several matrices with the same rows, side by side.
fn side_by_side(parts: &[Mat]) -> Mat {
    let rows = parts[0].rows;
    let cols: usize = parts.iter().map(|m| m.cols).sum();
    let mut data = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        for m in parts {
            data.extend_from_slice(&m.data[r * m.cols..(r + 1) * m.cols]);
        }
    }
    Mat { rows, cols, data }
}

/// `out = a @ m` for `a` with `m.rows` columns, row-major (ndarray's
/// kernels: matrixmultiply, with AVX and FMA where the CPU has them).
fn matmul(a: &[f32], m: &Mat, out: &mut [f32]) {
    let n = a.len() / m.rows;
    if n == 0 {
        return;
    }
    let shaped = (
        ArrayView2::from_shape((n, m.rows), a),
        ArrayView2::from_shape((m.rows, m.cols), &m.data),
        ArrayViewMut2::from_shape((n, m.cols), out),
    );
    if let (Ok(a), Ok(w), Ok(mut out)) = shaped {
        general_mat_mul(1.0, &a, &w, 0.0, &mut out);
    }
}

fn add_rows(x: &mut [f32], b: &[f32]) {
    for row in x.chunks_exact_mut(b.len()) {
        row.iter_mut().zip(b).for_each(|(v, b)| *v += b);
    }
}

fn relu(x: &mut [f32]) {
    x.iter_mut().for_each(|v| *v = v.max(0.0));
}

fn layer_norm(x: &mut [f32], g: &[f32], b: &[f32], eps: f32) {
    let n = g.len() as f32;
    for row in x.chunks_exact_mut(g.len()) {
        let mean = row.iter().sum::<f32>() / n;
        row.iter_mut().for_each(|v| *v -= mean);
        let var = row.iter().map(|v| v * v).sum::<f32>() / n;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(g).zip(b) {
            *v = *v * inv * g + b;
        }
    }
}

impl Net {
    pub(crate) fn load(dir: &Path, vocab: usize) -> Result<Self, Error> {
        let mut chunks = Vec::with_capacity(CHUNKS);
        for c in 0..CHUNKS {
            let (shape, data) = npy::read_u8(dir, &format!("q{}", c + 1))?;
            if shape.len() != 2 || shape[1] != DIM {
                return Err(Error::Weights(format!("q{}.npy: shape {shape:?}", c + 1)));
            }
            chunks.push((shape[0], data));
        }
        let rows: usize = chunks.iter().map(|(r, _)| r).sum();
        if rows < vocab {
            return Err(Error::Weights(format!(
                "{rows} embedding rows for {vocab} pieces"
            )));
        }
        // Piece id t is row t / 17 of chunk t % 17.
        let mut table = vec![0u8; rows * DIM];
        for (c, (n, data)) in chunks.iter().enumerate() {
            for r in 0..*n {
                let id = r * CHUNKS + c;
                if id < rows {
                    table[id * DIM..(id + 1) * DIM].copy_from_slice(&data[r * DIM..(r + 1) * DIM]);
                }
            }
        }
        let orders = ["2", "3", "5"];
        let proj = side_by_side(
            &orders
                .iter()
                .map(|o| mat(dir, &format!("proj{o}"), DIM, CNN))
                .collect::<Result<Vec<_>, _>>()?,
        );
        let cat = |prefix: &str| -> Result<Vec<f32>, Error> {
            let mut v = Vec::new();
            for o in orders {
                v.extend(vector(dir, &format!("{prefix}{o}"), CNN)?);
            }
            Ok(v)
        };
        let mut w1 = Vec::new();
        let mut b1 = Vec::new();
        let mut w2 = Vec::new();
        let mut b2 = Vec::new();
        for (o, (n, _)) in orders.iter().zip(ORDERS) {
            w1.push(mat(dir, &format!("w1_{o}"), n * CNN, CNN)?);
            b1.push(vector(dir, &format!("b1_{o}"), CNN)?);
            w2.push(mat(dir, &format!("w2_{o}"), n * CNN, CNN)?);
            b2.push(vector(dir, &format!("b2_{o}"), CNN)?);
        }
        let eps = npy::read(dir, "eps")?
            .data
            .first()
            .copied()
            .ok_or_else(|| Error::Weights("eps.npy: empty".into()))?;
        Ok(Net {
            table,
            scale: vector(dir, "scale", CHUNKS)?,
            lo: vector(dir, "lo", CHUNKS)?,
            proj,
            proj_b: cat("proj_b")?,
            proj_g: cat("ln_g")?,
            proj_beta: cat("ln_b")?,
            w1,
            b1,
            w2,
            b2,
            ln_g: vector(dir, "ln_g", FEATS)?,
            ln_b: vector(dir, "ln_b", FEATS)?,
            cnn: mat(dir, "cnn_W", FEATS, DIM)?,
            cnn_b: vector(dir, "cnn_b", DIM)?,
            d0: mat(dir, "d0", DIM, 320)?,
            d1: mat(dir, "d1", 320, 320)?,
            p1: mat(dir, "p1", DIM, 320)?,
            d2: mat(dir, "d2", 320, DIM)?,
            p3: mat(dir, "p3", 320, DIM)?,
            d3: mat(dir, "d3", DIM, DIM)?,
            eps,
        })
    }

    /// Unit vectors of sentences given as piece ids (each non-empty), laid
    /// end to end into `out` (`DIM` values each).
    pub(crate) fn forward(&self, sentences: &[&[u32]], out: &mut [f32]) {
        let lens: Vec<usize> = sentences.iter().map(|s| s.len()).collect();
        let n: usize = lens.iter().sum();
        // Each token's sentence span, for the n-gram windows.
        let mut span = Vec::with_capacity(n);
        let mut start = 0;
        for &len in &lens {
            span.extend(std::iter::repeat_n((start, start + len), len));
            start += len;
        }
        let rows = self.table.len() / DIM;
        let mut feats = vec![0f32; n * FEATS];
        let mut emb = vec![0f32; n * DIM];
        for (t, &id) in sentences.iter().flat_map(|s| s.iter()).enumerate() {
            let id = (id as usize).min(rows - 1);
            let (scale, lo) = (self.scale[id % CHUNKS], self.lo[id % CHUNKS]);
            let row = &self.table[id * DIM..(id + 1) * DIM];
            for (e, &q) in emb[t * DIM..(t + 1) * DIM].iter_mut().zip(row) {
                *e = f32::from(q) * scale + lo;
            }
            feats[t * FEATS..t * FEATS + DIM].copy_from_slice(&emb[t * DIM..(t + 1) * DIM]);
        }
        let wide = 3 * CNN;
        let mut x = vec![0f32; n * wide];
        matmul(&emb, &self.proj, &mut x);
        add_rows(&mut x, &self.proj_b);
        layer_norm(&mut x, &self.proj_g, &self.proj_beta, self.eps);

        let mut cur = vec![0f32; n * CNN];
        let mut h = vec![0f32; n * CNN];
        let mut c2 = vec![0f32; n * CNN];
        for (i, &(order, left)) in ORDERS.iter().enumerate() {
            for t in 0..n {
                cur[t * CNN..(t + 1) * CNN]
                    .copy_from_slice(&x[t * wide + i * CNN..t * wide + (i + 1) * CNN]);
            }
            let windows = |src: &[f32]| -> Vec<f32> {
                let mut g = vec![0f32; n * order * CNN];
                for (t, &(lo, hi)) in span.iter().enumerate() {
                    for k in 0..order {
                        let Some(pos) = (t + k).checked_sub(left) else {
                            continue;
                        };
                        if pos >= lo && pos < hi {
                            let at = (t * order + k) * CNN;
                            g[at..at + CNN].copy_from_slice(&src[pos * CNN..(pos + 1) * CNN]);
                        }
                    }
                }
                g
            };
            matmul(&windows(&cur), &self.w1[i], &mut h);
            add_rows(&mut h, &self.b1[i]);
            relu(&mut h);
            h.iter_mut().zip(&cur).for_each(|(h, c)| *h += c);
            matmul(&windows(&h), &self.w2[i], &mut c2);
            add_rows(&mut c2, &self.b2[i]);
            relu(&mut c2);
            c2.iter_mut().zip(&h).for_each(|(c, h)| *c += h);
            let off = DIM + i * CNN;
            for t in 0..n {
                feats[t * FEATS + off..t * FEATS + off + CNN]
                    .copy_from_slice(&c2[t * CNN..(t + 1) * CNN]);
            }
        }
        layer_norm(&mut feats, &self.ln_g, &self.ln_b, self.eps);

        // The token sum commutes with the linear projection, so sum first.
        let s = sentences.len();
        let mut sums = vec![0f32; s * FEATS];
        let mut t = 0;
        for (j, &len) in lens.iter().enumerate() {
            let sum = &mut sums[j * FEATS..(j + 1) * FEATS];
            for row in feats[t * FEATS..(t + len) * FEATS].chunks_exact(FEATS) {
                sum.iter_mut().zip(row).for_each(|(s, v)| *s += v);
            }
            t += len;
        }
        let mut mean = vec![0f32; s * DIM];
        matmul(&sums, &self.cnn, &mut mean);
        for (j, &len) in lens.iter().enumerate() {
            let l = len as f32;
            let inv = 1.0 / l.sqrt();
            for (m, b) in mean[j * DIM..(j + 1) * DIM].iter_mut().zip(&self.cnn_b) {
                *m = (*m + l * b) * inv;
            }
        }
        let mut y0 = vec![0f32; s * 320];
        matmul(&mean, &self.d0, &mut y0);
        relu(&mut y0);
        let mut y1 = vec![0f32; s * 320];
        matmul(&mean, &self.p1, &mut y1);
        let mut tmp = vec![0f32; s * 320];
        matmul(&y0, &self.d1, &mut tmp);
        y1.iter_mut().zip(&tmp).for_each(|(a, b)| *a += b);
        relu(&mut y1);
        let mut y2 = vec![0f32; s * DIM];
        matmul(&y1, &self.d2, &mut y2);
        relu(&mut y2);
        matmul(&y1, &self.p3, out);
        let mut tmp = vec![0f32; s * DIM];
        matmul(&y2, &self.d3, &mut tmp);
        out.iter_mut()
            .zip(&tmp)
            .for_each(|(a, b)| *a = (*a + b).tanh());
        for z in out.chunks_exact_mut(DIM) {
            let norm = z.iter().map(|v| v * v).sum::<f32>().max(self.eps).sqrt();
            z.iter_mut().for_each(|v| *v /= norm);
        }
    }
}
