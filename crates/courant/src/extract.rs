//! `courant extract`: the pipeline's extractor (`courant_extract::article`)
//! on files, for users of trafilatura or readability and for benchmarks.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Context as _;

/// Gzip bodies are unpacked, bounded like the fetcher's bodies.
fn gunzip(bytes: Vec<u8>) -> anyhow::Result<Vec<u8>> {
    const MAX: u64 = 64 * 1024 * 1024;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .take(MAX + 1)
        .read_to_end(&mut out)
        .context("unpacking gzip")?;
    anyhow::ensure!(out.len() as u64 <= MAX, "unpacked page larger than 64 MiB");
    Ok(out)
}

/// The JSON object printed for one page.
fn record(bytes: &[u8], url: Option<&str>) -> Result<serde_json::Value, courant_extract::Error> {
    let decoded = courant_fetch::decode(bytes, None);
    let a = courant_extract::article(&decoded.text, url)?;
    let lang = courant_lang::decide(&a.text, a.lang.as_deref()).map(|d| d.lang);
    Ok(serde_json::json!({
        "title": a.title,
        "authors": a.authors,
        "published": a.published.map(|d| d.to_rfc3339()),
        "modified": a.modified.map(|d| d.to_rfc3339()),
        "lang": lang,
        "declared_lang": a.lang,
        "url": url,
        "canonical_url": a.canonical_url,
        "site_name": a.site_name,
        "description": a.description,
        "image": a.image,
        "image_caption": a.image_caption,
        "tags": a.tags,
        "text": a.text,
        "html": a.html,
        "encoding": decoded.encoding,
    }))
}

pub fn single(file: &Path, url: Option<&str>) -> anyhow::Result<()> {
    let bytes = gunzip(crate::read_bytes(file)?)?;
    let v = record(&bytes, url).with_context(|| file.display().to_string())?;
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

fn html_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| dir.display().to_string())? {
        let path = entry?.path();
        if path.is_dir() {
            html_files(&path, out)?;
        } else {
            let name = path.to_string_lossy().to_lowercase();
            if [".html", ".htm", ".html.gz", ".htm.gz"]
                .iter()
                .any(|s| name.ends_with(s))
            {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// Every page of `dir` to one JSONL line each, sorted by path. A page that fails
/// gets `{"file", "error"}`; one bad page never stops the batch.
pub fn batch(dir: &Path, out: &Path, threads: Option<usize>) -> anyhow::Result<()> {
    let mut files = Vec::new();
    html_files(dir, &mut files)?;
    files.sort();
    let threads = threads
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .clamp(1, 256);
    let next = AtomicUsize::new(0);
    // Lines are written in file order: each worker parks its result until its turn.
    let results: Mutex<Vec<Option<String>>> = Mutex::new(vec![None; files.len()]);
    let writer = Mutex::new((
        std::io::BufWriter::new(
            std::fs::File::create(out).with_context(|| out.display().to_string())?,
        ),
        0usize,
    ));
    let (mut ok, mut failed) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|s| -> anyhow::Result<()> {
        let mut handles = Vec::new();
        for _ in 0..threads {
            handles.push(s.spawn(|| -> anyhow::Result<()> {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else {
                        return Ok(());
                    };
                    let name = path.strip_prefix(dir).unwrap_or(path).display().to_string();
                    let line = match std::fs::read(path)
                        .map_err(anyhow::Error::from)
                        .and_then(gunzip)
                        .and_then(|b| record(&b, None).map_err(anyhow::Error::from))
                    {
                        Ok(mut v) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            v["file"] = serde_json::Value::String(name);
                            v
                        }
                        Err(e) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            serde_json::json!({ "file": name, "error": format!("{e:#}") })
                        }
                    };
                    let mut results = results.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                    results[i] = Some(line.to_string());
                    let mut w = writer.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                    let (file, written) = &mut *w;
                    while let Some(l) = results.get_mut(*written).and_then(Option::take) {
                        writeln!(file, "{l}")?;
                        *written += 1;
                    }
                }
            }));
        }
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("worker panicked"))??;
        }
        Ok(())
    })?;
    let mut w = writer
        .into_inner()
        .map_err(|_| anyhow::anyhow!("poisoned"))?;
    w.0.flush()?;
    eprintln!(
        "extracted {} of {} pages ({} failed) into {}",
        ok.get_mut(),
        files.len(),
        failed.get_mut(),
        out.display()
    );
    Ok(())
}
