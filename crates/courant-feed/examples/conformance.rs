//! Helper for `bench/feed-conformance.sh`: feed-rs alone beside courant.
//!
//! `conformance feedrs FILE...` prints one JSON line per document as plain
//! feed-rs 3 (default builder) reads it, in the shape `courant feed --jsonl`
//! uses, so one mapping scores both. `conformance speed ROUNDS LIST_FILE`
//! prints the parsing throughput of `courant_feed::parse` and of feed-rs
//! alone over the same bytes, in the same run.

use std::time::Instant;

use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((cmd, files)) if cmd == "feedrs" => files.iter().for_each(|f| feedrs(f)),
        Some((cmd, rest)) if cmd == "speed" && !rest.is_empty() => {
            let rounds = rest[0].parse().unwrap_or(3);
            let list = rest.get(1).map(std::fs::read_to_string);
            let files: Vec<String> = match list {
                Some(Ok(l)) => l.lines().map(str::to_string).collect(),
                _ => return eprintln!("speed: cannot read the list of files"),
            };
            speed(rounds, &files);
        }
        _ => eprintln!("usage: conformance feedrs FILE... | conformance speed ROUNDS LIST_FILE"),
    }
}

fn feedrs(file: &str) {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => return println!("{}", json!({ "file": file, "error": e.to_string() })),
    };
    let parsed = std::panic::catch_unwind(|| feed_rs::parser::parse(&bytes[..]));
    let feed = match parsed {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return println!("{}", json!({ "file": file, "error": e.to_string() })),
        Err(_) => return println!("{}", json!({ "file": file, "error": "panic" })),
    };
    let link = |links: &[feed_rs::model::Link]| {
        links
            .iter()
            .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
            .map(|l| l.href.clone())
    };
    let entries: Vec<_> = feed
        .entries
        .iter()
        .map(|e| {
            json!({
                "guid": e.id,
                "url": link(&e.links),
                "title": e.title.as_ref().map(|t| t.content.clone()).unwrap_or_default(),
                "summary": e.summary.as_ref().map(|t| t.content.clone()),
                "content": e.content.as_ref().and_then(|c| c.body.clone()),
                "authors": e.authors.iter().filter_map(|p| p.name.clone()).collect::<Vec<_>>(),
                "published": e.published,
                "updated": e.updated,
                "lang": e.language,
            })
        })
        .collect();
    let out = json!({
        "file": file,
        "title": feed.title.as_ref().map(|t| t.content.clone()),
        "site_url": link(&feed.links),
        "lang": feed.language,
        "warnings": [],
        "entries": entries,
    });
    println!("{out}");
}

fn speed(rounds: usize, files: &[String]) {
    let docs: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
    let bytes: usize = docs.iter().map(Vec::len).sum();
    let once = |f: &dyn Fn(&[u8])| {
        let start = Instant::now();
        docs.iter().for_each(|d| f(d));
        start.elapsed().as_secs_f64()
    };
    // Both sides contain panics the same way, so the panic hook is silenced for both.
    std::panic::set_hook(Box::new(|_| {}));
    let courant_parse = |d: &[u8]| {
        let _ = courant_feed::parse(d, None);
    };
    let feedrs_parse = |d: &[u8]| {
        let _ = std::panic::catch_unwind(|| feed_rs::parser::parse(d));
    };
    // Rounds alternate between the two, so a load that comes and goes on the
    // machine weighs on both alike; the best round of each counts.
    let (mut courant, mut alone) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        courant = courant.min(once(&courant_parse));
        alone = alone.min(once(&feedrs_parse));
    }
    let mb = bytes as f64 / 1e6;
    println!(
        "{}",
        json!({
            "documents": docs.len(),
            "megabytes": mb,
            "courant_mb_per_s": mb / courant,
            "feedrs_mb_per_s": mb / alone,
        })
    );
}
