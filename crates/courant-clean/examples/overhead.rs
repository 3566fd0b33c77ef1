//! What the checker adds to processing an article: decode + extract versus
//! check + repair, on the same pages, single-threaded, input in memory.
//! `cargo run --release -p courant-clean --example overhead -- ../shared/data/extraction/fundus`

use std::io::Read;
use std::time::{Duration, Instant};

fn main() {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/data/extraction/fundus".into()),
    );
    let manifest = std::fs::read_to_string(dir.join("manifest.jsonl")).expect("manifest.jsonl");
    let (lex, missing) = courant_clean::Lexicons::load_system();
    eprintln!("missing word lists: {missing:?}");
    let mut pages = Vec::new();
    for line in manifest.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let path = dir.join(v["html"].as_str().expect("html"));
        let mut gz = flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("page"));
        let mut bytes = Vec::new();
        gz.read_to_end(&mut bytes).expect("gunzip");
        pages.push((bytes, v["url"].as_str().map(str::to_string)));
    }
    let (mut t_extract, mut t_check) = (Duration::ZERO, Duration::ZERO);
    let mut findings = 0;
    for _round in 0..3 {
        for (bytes, url) in &pages {
            let t = Instant::now();
            let text = courant_fetch::decode(bytes, None).text;
            let ex = courant_extract::article(&text, url.as_deref());
            t_extract += t.elapsed();
            let Ok(ex) = ex else { continue };
            let lang = courant_lang::decide(&ex.text, ex.lang.as_deref()).map(|d| d.lang);
            let t = Instant::now();
            let (_, f) = courant_clean::clean(&ex.text, lang.as_deref(), &lex);
            t_check += t.elapsed();
            findings += f.len();
        }
    }
    let n = pages.len() * 3;
    println!(
        "{} pages x3: extract {:.2} ms/page, check+repair {:.2} ms/page, overhead {:.1}%, {} findings",
        pages.len(),
        t_extract.as_secs_f64() * 1000.0 / n as f64,
        t_check.as_secs_f64() * 1000.0 / n as f64,
        100.0 * t_check.as_secs_f64() / t_extract.as_secs_f64(),
        findings / 3
    );
}
