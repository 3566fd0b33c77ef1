//! `courant translate`: one text or HTML fragment through a provider and the
//! gate, as the pipeline does it, printed as JSON.

use std::sync::Arc;

use anyhow::Context as _;
use courant_jobs::translate::gate;
use courant_translate::{document, Kind, MemoryLedger, ProviderConfig};

use crate::config::Config;
use crate::runtime::lexicons;

/// What the command line asked for.
pub(crate) struct Args {
    pub to: String,
    pub from: Option<String>,
    pub provider: Option<String>,
    pub url: Option<String>,
}

/// The provider: one named in the config, or one of a kind at a URL.
fn provider(cfg: &Config, a: &Args) -> anyhow::Result<ProviderConfig> {
    let named = cfg
        .translate
        .providers
        .iter()
        .find(|p| a.provider.as_deref().is_none_or(|n| n == p.name));
    if let Some(p) = named.filter(|_| a.url.is_none() || a.provider.is_some()) {
        let mut p = p.clone();
        if let Some(u) = &a.url {
            p.url = u.clone();
        }
        return Ok(p);
    }
    let kind = match a.provider.as_deref().unwrap_or("apertium") {
        "apertium" => Kind::Apertium,
        "libretranslate" => Kind::Libretranslate,
        "deepl" => Kind::Deepl,
        "openai" => Kind::Openai,
        other => anyhow::bail!("no provider {other:?} in the config, and it is not a kind (apertium, libretranslate, deepl, openai)"),
    };
    let url = match (&a.url, kind) {
        (Some(u), _) => u.clone(),
        (None, Kind::Apertium) => "http://127.0.0.1:2737".into(),
        (None, _) => anyhow::bail!("give --url for a {kind:?} provider"),
    };
    let mut p = ProviderConfig::new(a.provider.as_deref().unwrap_or("apertium"), kind, &url);
    p.api_key = std::env::var("COURANT_TRANSLATE_KEY").ok();
    Ok(p)
}

fn looks_like_html(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    [
        "<p",
        "<div",
        "<h1",
        "<h2",
        "<h3",
        "<ul",
        "<ol",
        "<li",
        "<a ",
        "<em",
        "<strong",
        "<br",
        "<span",
        "<table",
        "<blockquote",
    ]
    .iter()
    .any(|t| lower.contains(t))
}

pub(crate) async fn run(cfg: &Config, a: Args, input: &str) -> anyhow::Result<serde_json::Value> {
    let p = provider(cfg, &a)?;
    let html_input = looks_like_html(input);
    let html = if html_input {
        courant_extract::sanitize::html(input, None)
    } else {
        courant_text::paragraphs(input)
            .into_iter()
            .map(|(_, par)| format!("<p>{}</p>", courant_text::escape_text(par.trim())))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let source_text = courant_extract::sanitize::text(&html);
    let from = match a.from {
        Some(f) => f,
        None => courant_lang::detect(&source_text)
            .map(|d| d.lang)
            .context("cannot tell the language of the input: give --from")?,
    };
    let lex = lexicons(cfg);
    let engine = p.engine(Arc::new(MemoryLedger::default()))?;
    let glossary: std::collections::BTreeMap<String, String> = cfg
        .translate
        .targets
        .iter()
        .filter(|t| t.lang == a.to)
        .flat_map(|t| t.glossary.clone())
        .collect();
    let terms = gate::terms(&source_text, &from, &cfg.translate.keep, &glossary, &lex);
    let doc = document::translate(&engine, &from, &a.to, "", &html, &terms)
        .await
        .with_context(|| format!("translating with {} ({})", p.name, p.url))?;
    let f = gate::finish(&doc, "", &source_text, &from, &a.to, None, &lex);
    let mut out = serde_json::json!({
        "from": from,
        "to": a.to,
        "provider": p.name,
        "text": f.text,
        "findings": {"reasons": f.verdict.reasons, "text": f.verdict.findings},
        "held_back": !f.verdict.reasons.is_empty(),
        "chars_sent": doc.cost.chars_sent,
    });
    if html_input {
        out["html"] = f.html.into();
    }
    Ok(out)
}

/// `courant demo --translate-bench`: one pass over every English original,
/// timed, with what courant spent beside the engine and what the memory and
/// the story knowledge saved.
#[cfg(feature = "lab")]
pub(crate) async fn bench(
    ctx: &courant_jobs::Context,
    section: crate::config::TranslateSection,
    engine_pid: u32,
) -> anyhow::Result<()> {
    use courant_jobs::translate::{pass, Translate};
    let mut tr = Translate::new(
        &section.providers,
        section.targets,
        section.keep,
        ctx.store.clone(),
    )?;
    if let Some(n) = std::env::var("CONCURRENCY")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
    {
        tr.concurrency = n.max(1);
    }
    let tr = Arc::new(tr);
    let cpu_before = (
        cpu_ticks(&[std::process::id()]),
        cpu_ticks(&tree(engine_pid)),
    );
    let started = std::time::Instant::now();
    let r = pass(ctx, &tr, chrono::Utc::now()).await?;
    let wall = started.elapsed().as_secs_f64();
    let (own, engine_cpu) = (
        cpu_ticks(&[std::process::id()]).saturating_sub(cpu_before.0),
        cpu_ticks(&tree(engine_pid)).saturating_sub(cpu_before.1),
    );
    let n = r.published + r.held + r.failed;
    // What a system that translates every copy, without a memory, would send.
    let (mut every_copy, mut copies, mut offset) = (0u64, 0usize, 0usize);
    loop {
        let q = courant_store::ArticleQuery {
            lang: Some("en".into()),
            limit: 500,
            offset,
            ..Default::default()
        };
        let page = ctx.store.articles(&q)?;
        if page.is_empty() {
            break;
        }
        offset += page.len();
        for a in &page {
            let html = a.processed.as_ref().map(|p| p.html.as_str()).unwrap_or("");
            let doc = courant_translate::segment::Segmented::new(html);
            every_copy += doc
                .segments
                .iter()
                .chain(std::iter::once(&a.title().to_string()))
                .map(|s| s.chars().count() as u64)
                .sum::<u64>();
            copies += usize::from(a.duplicate_of.is_some());
        }
    }
    let held = ctx.store.translations(&courant_store::TranslationQuery {
        lang: Some("es".into()),
        status: Some(courant_model::TranslationStatus::Held),
        limit: 500,
        ..Default::default()
    })?;
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for t in &held {
        for k in t.reasons.iter().filter_map(|r| r.split(':').next()) {
            *reasons.entry(k.to_string()).or_default() += 1;
        }
    }
    let engine = r.engine_time.as_secs_f64();
    let total = r.article_time.as_secs_f64();
    println!(
        "translation benchmark: English → Spanish, Apertium APy, {} at once",
        tr.concurrency
    );
    println!("  articles: {n} translated ({} published, {} held back, {} failed) in {wall:.1}s: {:.0} articles/min", r.published, r.held, r.failed, n as f64 / wall * 60.0);
    let gate = r.gate_time.as_secs_f64();
    println!("  time per article, summed: {total:.2}s, of which engine {engine:.2}s; courant's own share {:.1}%", 100.0 * (total - engine).max(0.0) / total.max(1e-9));
    println!("  of courant's own time: the gate (sanitizing, checks) {gate:.2}s, the rest (segments, memory, budget, HTTP, store) {:.2}s: {:.1}% of the article time", (total - engine - gate).max(0.0), 100.0 * (total - engine - gate).max(0.0) / total.max(1e-9));
    println!("  CPU: courant {:.2}s, the engine (APy and its pipelines) {:.2}s; courant's own share {:.1}%", own as f64 / TICKS, engine_cpu as f64 / TICKS, 100.0 * own as f64 / (own + engine_cpu).max(1) as f64);
    println!(
        "  segments: {}, {} from the translation memory (hit rate {:.1}%)",
        r.segments,
        r.memory_hits,
        100.0 * r.memory_hits as f64 / (r.segments.max(1)) as f64
    );
    println!("  characters sent: {} (originals, with the memory); {} without the memory; {} for every English article with its {} copies, without the memory", r.chars_sent, r.segment_chars, every_copy, copies);
    println!("  held back by: {reasons:?}");
    Ok(())
}

/// Clock ticks per second of `/proc/*/stat` (USER_HZ, 100 on Linux).
#[cfg(feature = "lab")]
const TICKS: f64 = 100.0;

/// User and system CPU ticks of these processes, from `/proc` (0 elsewhere).
#[cfg(feature = "lab")]
fn cpu_ticks(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|p| stat(*p))
        .map(|f| {
            f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
                + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
        })
        .sum()
}

/// The fields of `/proc/PID/stat` after the command name.
#[cfg(feature = "lab")]
fn stat(pid: u32) -> Option<Vec<String>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// A process and all its descendants.
#[cfg(feature = "lab")]
fn tree(root: u32) -> Vec<u32> {
    let mut parent = std::collections::HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            if let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) {
                if let Some(pp) =
                    stat(pid).and_then(|f| f.get(1).and_then(|x| x.parse::<u32>().ok()))
                {
                    parent.insert(pid, pp);
                }
            }
        }
    }
    parent
        .keys()
        .copied()
        .filter(|&p| {
            let mut cur = p;
            for _ in 0..64 {
                if cur == root {
                    return true;
                }
                match parent.get(&cur) {
                    Some(&pp) if pp != 0 => cur = pp,
                    _ => return false,
                }
            }
            false
        })
        .collect()
}
