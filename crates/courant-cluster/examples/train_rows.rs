//! Training rows for the story model (used by `bench/train_cluster.py`):
//! places the articles of a JSONL file, in order, each in the story of its
//! gold label, and prints for every candidate story the model judged one
//! line `[doc index, headline (0/1), is gold (0/1), features...]`.
//!
//!   cargo run --release -p courant-cluster --example train_rows -- ARTICLES.jsonl GOLD.jsonl

use std::collections::HashMap;
use std::io::{BufRead, Write};

use courant_cluster::{features, Config, Doc, Trainer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, articles, gold] = &args[..] else {
        return Err("usage: train_rows ARTICLES.jsonl GOLD.jsonl".into());
    };
    let mut labels = HashMap::new();
    for line in std::io::BufReader::new(std::fs::File::open(gold)?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        labels.insert(id(&v["id"]), id(&v["gold"]));
    }
    let mut c = Trainer::new(Config::default());
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    for (n, line) in std::io::BufReader::new(std::fs::File::open(articles)?)
        .lines()
        .enumerate()
    {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let key = id(&v["id"]);
        let text = |k: &str| v[k].as_str().unwrap_or("").to_string();
        let (title, body) = (text("title"), text("text"));
        let lang = v["lang"].as_str().map(str::to_string);
        let published = v["published"]
            .as_i64()
            .map(|x| if x > 100_000_000_000 { x / 1000 } else { x });
        let url = v["url"].as_str().map(str::to_string);
        let vector: Option<Vec<f32>> = v["vector"]
            .as_array()
            .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(0.0) as f32).collect());
        let label = labels.get(&key).ok_or(format!("no gold for {key}"))?;
        let doc = Doc {
            id: &key,
            title: &title,
            text: &body,
            lang: lang.as_deref(),
            published,
            url: url.as_deref(),
            vector: vector.as_deref(),
        };
        let headline = features(&title, &body, lang.as_deref().unwrap_or("en")).is_headline();
        for (x, gold) in c.add_labeled(&doc, label) {
            let xs: Vec<String> = x.iter().map(|f| format!("{f:.5}")).collect();
            writeln!(
                out,
                "[{n},{},{},{}]",
                u8::from(headline),
                u8::from(gold),
                xs.join(",")
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

fn id(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
