//! Prints every finding on a JSONL corpus, for reading false positives by eye:
//! `cargo run --release -p courant-clean --example scan -- FILE.jsonl TEXT_FIELD LANG [LIMIT]`

use std::io::BufRead;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (file, field, lang) = (&args[1], &args[2], args[3].as_str());
    let limit: usize = args
        .get(4)
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    let (lex, missing) = courant_clean::Lexicons::load_system();
    eprintln!("missing word lists: {missing:?}");
    let f = std::fs::File::open(file).expect("open");
    let mut counts = std::collections::BTreeMap::new();
    let (mut docs, mut bytes) = (0, 0);
    let start = std::time::Instant::now();
    for line in std::io::BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .take(limit)
    {
        let v: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(_) => continue,
        };
        let Some(text) = v[field.as_str()].as_str() else {
            continue;
        };
        let l = v["lang"].as_str().unwrap_or(lang);
        if l != lang {
            continue;
        }
        docs += 1;
        bytes += text.len();
        for f in courant_clean::check(text, Some(l), &lex) {
            *counts.entry(f.kind.as_str()).or_insert(0) += 1;
            println!(
                "{:<18} {:.2} {:?} -> {:?}",
                f.kind.as_str(),
                f.confidence,
                f.span,
                f.repair
            );
        }
    }
    eprintln!(
        "{docs} docs, {bytes} bytes, {:?}; findings: {counts:?}",
        start.elapsed()
    );
}
