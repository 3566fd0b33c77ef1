//! `courant cluster` and `courant similarity`: the story library over JSONL,
//! also the evaluation harness of the benchmark.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Article {
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    lang: Option<String>,
    published: Option<serde_json::Value>,
}

/// Publication time as Unix seconds: a number (seconds or milliseconds) or an RFC 3339 string.
fn unix(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => {
            n.as_i64()
                .map(|x| if x > 100_000_000_000 { x / 1000 } else { x })
        }
        serde_json::Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.timestamp()),
        _ => None,
    }
}

fn id_string(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads story model weights from a JSON file (at most 64 KiB).
pub fn load_model(path: &Path) -> anyhow::Result<courant_cluster::Model> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .with_context(|| format!("opening {}", path.display()))?
        .take(64 * 1024)
        .read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not a story model", path.display()))
}

/// Longest JSONL line accepted (one article).
const MAX_LINE: u64 = 8 * 1024 * 1024;

/// Streams the lines of a file or standard input, each bounded in size.
fn for_each_line(
    file: &Path,
    mut f: impl FnMut(usize, &str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use std::io::{BufRead, Read};
    let reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let fh =
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        Box::new(std::io::BufReader::new(fh))
    };
    let mut reader = reader;
    let mut buf = Vec::new();
    for n in 1.. {
        buf.clear();
        let read = (&mut reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut buf)?;
        if read == 0 {
            break;
        }
        anyhow::ensure!(
            buf.len() as u64 <= MAX_LINE,
            "line {n}: longer than {MAX_LINE} bytes"
        );
        let line = std::str::from_utf8(&buf).with_context(|| format!("line {n}: not UTF-8"))?;
        if !line.trim().is_empty() {
            f(n, line)?;
        }
    }
    Ok(())
}

pub fn cluster(file: &Path, cfg: courant_cluster::Config) -> anyhow::Result<()> {
    let mut c = courant_cluster::Clusterer::new(cfg);
    // Lines are written at the end so that articles whose story merged or
    // split later in the stream show under their story now, as on the site.
    let mut placed = Vec::new();
    for_each_line(file, |n, line| {
        let a: Article =
            serde_json::from_str(line).with_context(|| format!("line {n}: not an article"))?;
        let id = id_string(&a.id);
        let asg = c.add(&courant_cluster::Doc {
            id: &id,
            title: &a.title,
            text: &a.text,
            lang: a.lang.as_deref(),
            published: a.published.as_ref().and_then(unix),
        });
        placed.push((a.id, id, asg.story, asg.duplicate_of));
        Ok(())
    })?;
    // The last placements get their second look too.
    c.settle();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (id, key, story, duplicate_of) in placed {
        let story = c.story_of(&key).unwrap_or(story);
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({ "id": id, "story": story, "duplicate_of": duplicate_of }),
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

#[derive(Debug, Deserialize)]
struct Side {
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Pair {
    id: serde_json::Value,
    a: Side,
    b: Side,
}

pub fn similarity(file: &Path, model: courant_cluster::Model) -> anyhow::Result<()> {
    let mut pairs = Vec::new();
    for_each_line(file, |n, line| {
        let p: Pair =
            serde_json::from_str(line).with_context(|| format!("line {n}: not a pair"))?;
        let fa =
            courant_cluster::features(&p.a.title, &p.a.text, p.a.lang.as_deref().unwrap_or("en"));
        let fb =
            courant_cluster::features(&p.b.title, &p.b.text, p.b.lang.as_deref().unwrap_or("en"));
        pairs.push((p.id, fa, fb));
        Ok(())
    })?;
    // Document frequencies over every text in the file.
    let mut df: HashMap<String, u32> = HashMap::new();
    for (_, a, b) in &pairs {
        for f in [a, b] {
            for t in f.terms.keys() {
                *df.entry(t.clone()).or_insert(0) += 1;
            }
        }
    }
    let n = (pairs.len() * 2) as u32;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (id, a, b) in &pairs {
        let score = courant_cluster::similarity(a, b, &df, n, &model);
        serde_json::to_writer(&mut out, &serde_json::json!({ "id": id, "score": score }))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
