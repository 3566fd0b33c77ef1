//! Precision and recall of `check_translation` per flag on labelled pairs
//! (JSONL: `source_lang`, `source`, `target_lang`, `target`, `flags`).
//!
//! `cargo run --release -p courant-clean --example translation_gate -- FILE...`

use std::collections::BTreeMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (lex, missing) = courant_clean::Lexicons::load_system();
    if !missing.is_empty() {
        eprintln!("word lists missing: {missing:?}");
    }
    // kind -> (true positives, false positives, false negatives)
    let mut by: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    let (mut pairs, mut held_right, mut any) = (0, 0, (0u32, 0u32, 0u32));
    for path in std::env::args().skip(1) {
        for line in std::fs::read_to_string(&path)?
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let v: serde_json::Value = serde_json::from_str(line)?;
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let got: Vec<String> = courant_clean::check_translation(
                &s("source"),
                &s("source_lang"),
                &s("target"),
                &s("target_lang"),
                &lex,
            )
            .iter()
            .map(|f| f.flag.to_string())
            .collect();
            let want: Vec<String> = v["flags"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            pairs += 1;
            let kinds: std::collections::BTreeSet<&String> = got.iter().chain(&want).collect();
            for k in kinds {
                let e = by.entry(k.clone()).or_default();
                match (got.contains(k), want.contains(k)) {
                    (true, true) => e.0 += 1,
                    (true, false) => e.1 += 1,
                    (false, true) => e.2 += 1,
                    _ => {}
                }
            }
            // The decision that matters: held back or published.
            match (!got.is_empty(), !want.is_empty()) {
                (true, true) => any.0 += 1,
                (true, false) => any.1 += 1,
                (false, true) => any.2 += 1,
                (false, false) => {}
            }
            held_right += u32::from(got.is_empty() == want.is_empty());
        }
    }
    let pr = |(tp, fp, fn_): (u32, u32, u32)| {
        let p = if tp + fp == 0 {
            1.0
        } else {
            tp as f64 / (tp + fp) as f64
        };
        let r = if tp + fn_ == 0 {
            1.0
        } else {
            tp as f64 / (tp + fn_) as f64
        };
        format!("precision {p:.2}  recall {r:.2}  (tp {tp}, fp {fp}, fn {fn_})")
    };
    println!("{pairs} pairs");
    for (k, c) in &by {
        println!("  {k:<16} {}", pr(*c));
    }
    println!(
        "  {:<16} {}  ({held_right} of {pairs} decided right)",
        "held back",
        pr(any)
    );
    Ok(())
}
