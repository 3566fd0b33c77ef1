//! Terminal output: progress bars for long jobs and the sources table.

use std::fmt::Write as _;

use courant_jobs::{Event, IngestReport};
use courant_model::Source;
use indicatif::{ProgressBar, ProgressStyle};

/// Runs [`courant_jobs::ingest_all`] with a progress bar on stderr (hidden when not a terminal).
pub async fn ingest_with_progress(ctx: &courant_jobs::Context) -> anyhow::Result<IngestReport> {
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template("{prefix:>10} [{bar:40}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    let b = bar.clone();
    let report = courant_jobs::ingest_all(ctx, move |ev| match ev {
        Event::PollStart(n) => {
            b.set_prefix("feeds");
            b.set_length(n as u64);
            b.set_position(0);
        }
        Event::Polled { source, report } => {
            b.inc(1);
            b.set_message(match report.error {
                Some(e) => format!("{source}: {e}"),
                None => format!("{source}: {} new", report.new),
            });
        }
        Event::ProcessStart(n) => {
            b.set_prefix("articles");
            b.set_length(n as u64);
            b.set_position(0);
            b.set_message("");
        }
        Event::Processed { .. } => b.inc(1),
    })
    .await?;
    bar.finish_and_clear();
    Ok(report)
}

/// Prints what an ingest did.
pub fn print_report(r: &IngestReport) {
    println!(
        "{} sources polled, {} new articles: {} ready, {} failed, {} to retry; {} placed into stories, {} indexed for search",
        r.sources, r.new_articles, r.ready, r.failed, r.retrying, r.clustered, r.indexed
    );
    for (name, err) in &r.failed_sources {
        println!("  source failed: {name}: {err}");
    }
    let t = &r.translation;
    if t.published + t.held + t.failed > 0 {
        println!(
            "translations: {} published, {} held back by the gate, {} engine failures (retried later); {} characters sent, {} of {} segments from the translation memory, {:.1}s waiting for the engine",
            t.published, t.held, t.failed, t.chars_sent, t.memory_hits, t.segments, t.engine_time.as_secs_f64()
        );
    }
}

/// The table `courant sources list` prints.
pub fn sources_table(list: &[Source]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>4}  {:<8} {:>8}  {:<20} {:<40} ERROR",
        "ID", "STATUS", "ARTICLES", "LAST FETCH", "NAME"
    );
    for s in list {
        let name = if s.name.is_empty() {
            s.feed_url.as_str()
        } else {
            s.name.as_str()
        };
        let last = s
            .health
            .last_fetch_at
            .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "never".into());
        let _ = writeln!(
            out,
            "{:>4}  {:<8} {:>8}  {:<20} {:<40} {}",
            s.id,
            s.health.status(),
            s.article_count,
            last,
            truncate(name, 40),
            s.health.last_error.as_deref().unwrap_or("")
        );
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
