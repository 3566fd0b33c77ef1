//! Extraction benchmark harness: runs `courant_extract::article` over the
//! fundus and trafilatura-eval pages, writes one JSON line per page for
//! `bench/score_extraction.py`, and times the extraction loop on one thread
//! with every page already in memory (decode + extract, as trafilatura is
//! timed from bytes).
//!
//! `bench <fundus-dir> <trafilatura-eval-dir> <out-dir> [--memory N]`
//! With `--memory N` it also extracts N pages in a loop over the corpus and
//! prints resident memory every N/10 pages.
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

struct Page {
    key: String,
    url: String,
    bytes: Vec<u8>,
}

fn read_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).with_context(|| path.display().to_string())?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn fundus(dir: &Path) -> Result<Vec<Page>> {
    let manifest = std::fs::read_to_string(dir.join("manifest.jsonl"))?;
    let mut pages = Vec::new();
    for line in manifest.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let html = v["html"].as_str().context("html")?;
        pages.push(Page {
            key: html.to_string(),
            url: v["url"].as_str().unwrap_or_default().to_string(),
            bytes: read_gz(&dir.join(html))?,
        });
    }
    Ok(pages)
}

fn trafeval(dir: &Path) -> Result<Vec<Page>> {
    let tests = dir.join("tests");
    let data: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(tests.join("evaldata.json"))?)?;
    let mut urls: Vec<&String> = data.keys().collect();
    urls.sort();
    let mut pages = Vec::new();
    for url in urls {
        let file = data[url]["file"].as_str().context("file")?;
        let path = ["cache", "eval"]
            .iter()
            .map(|d| tests.join(d).join(format!("{file}.gz")))
            .find(|p| p.is_file())
            .with_context(|| format!("{file} not found"))?;
        pages.push(Page {
            key: url.clone(),
            url: url.clone(),
            bytes: read_gz(&path)?,
        });
    }
    Ok(pages)
}

fn extract(p: &Page) -> Result<courant_extract::Extracted, courant_extract::Error> {
    let decoded = courant_fetch::decode(&p.bytes, None);
    courant_extract::article(&decoded.text, Some(&p.url))
}

fn run(name: &str, pages: &[Page], out: &Path) -> Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(
        out.join(format!("courant-{name}.jsonl")),
    )?);
    for p in pages {
        let line = match extract(p) {
            Ok(e) => serde_json::json!({"key": p.key, "title": e.title, "authors": e.authors,
                "published": e.published.map(|d| d.to_rfc3339()), "text": e.text}),
            Err(err) => serde_json::json!({"key": p.key, "error": err.to_string()}),
        };
        writeln!(w, "{line}")?;
    }
    w.flush()?;
    // Best of three timed passes; the first pass above warmed caches.
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        for p in pages {
            std::hint::black_box(extract(p).ok());
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{{\"tool\":\"courant\",\"set\":\"{name}\",\"pages\":{},\"seconds\":{best:.3},\"pages_per_s\":{:.1}}}",
        pages.len(),
        pages.len() as f64 / best
    );
    Ok(())
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(
        args.len() >= 3,
        "usage: bench FUNDUS TRAFEVAL OUT [--memory N]"
    );
    let out = PathBuf::from(&args[2]);
    std::fs::create_dir_all(&out)?;
    let f = fundus(Path::new(&args[0]))?;
    let t = trafeval(Path::new(&args[1]))?;
    run("fundus", &f, &out)?;
    run("trafeval", &t, &out)?;
    if let Some(n) = args
        .iter()
        .position(|a| a == "--memory")
        .and_then(|i| args.get(i + 1))
    {
        let n: usize = n.parse()?;
        let all: Vec<&Page> = f.iter().chain(t.iter()).collect();
        let start = rss_kib();
        let mut samples = Vec::new();
        for i in 0..n {
            std::hint::black_box(extract(all[i % all.len()]).ok());
            if (i + 1) % (n / 10).max(1) == 0 {
                samples.push(rss_kib());
            }
        }
        println!("{{\"tool\":\"courant\",\"memory_pages\":{n},\"rss_kib_before\":{start},\"rss_kib_samples\":{samples:?}}}");
    }
    Ok(())
}
