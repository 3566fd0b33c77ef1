//! `courant demo`: the bundled corpus served by a loopback origin, ingested
//! through the real pipeline, then shown as a site.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use courant_model::NewSource;
use courant_store::{is_postgres, PgStore, SqliteStore, Store};

/// On PostgreSQL the demo lives in a schema of its own, recreated on every
/// run; other processes join it with
/// `postgres://...?options=-csearch_path%3Dcourant_demo`.
pub const DEMO_SCHEMA: &str = "courant_demo";

/// A fresh store for the demo: the SQLite file (and its WAL) removed, or the
/// demo's PostgreSQL schema dropped, then opened anew.
fn fresh_store(db: &str) -> anyhow::Result<Arc<dyn Store>> {
    if is_postgres(db) {
        let old = PgStore::open_in(db, Some(DEMO_SCHEMA))?;
        old.drop_schema(DEMO_SCHEMA)?;
        drop(old);
        return Ok(Arc::new(PgStore::open_in(db, Some(DEMO_SCHEMA))?));
    }
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{db}{suffix}");
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing old demo database {p}")),
        }
    }
    Ok(Arc::new(SqliteStore::open(db)?))
}

use crate::{config::Config, progress};

/// The demo's publishers (grown when asked), served until stopped; their
/// feeds written to `opml`.
pub async fn origin_only(grow: Option<u32>, opml: &Path) -> anyhow::Result<()> {
    let bound = courant_origin::bind()
        .await
        .context("binding the demo publishers on loopback")?;
    let demo = load(&bound.base(), grow)?;
    let publishers = demo.sources().to_vec();
    let pages = demo.article_count();
    let origin = bound.serve(demo.router());
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\"><head><title>courant demo</title></head><body>\n",
    );
    for s in &publishers {
        out.push_str(&format!(
            "<outline type=\"rss\" text=\"{}\" xmlUrl=\"{}\"{}/>\n",
            courant_text::escape_html(&s.name),
            courant_text::escape_html(&origin.url(&s.feed_path)),
            s.lang
                .as_deref()
                .map(|l| format!(" language=\"{}\"", courant_text::escape_html(l)))
                .unwrap_or_default(),
        ));
    }
    out.push_str("</body></opml>\n");
    std::fs::write(opml, out).with_context(|| format!("writing {}", opml.display()))?;
    println!(
        "demo publishers on {}: {} feeds, {} article pages; feeds in {}",
        origin.base(),
        publishers.len(),
        pages,
        opml.display()
    );
    crate::runtime::shutdown_signal().await;
    Ok(())
}

/// The bundled corpus, grown to about `grow` articles when asked.
fn load(base: &str, grow: Option<u32>) -> anyhow::Result<courant_origin::demo::Demo> {
    Ok(match grow {
        Some(target) => {
            // One copy of the corpus per 3,570 articles, rounded up.
            let once = courant_origin::demo::Demo::load(base)?.article_count();
            let copies = (target as usize).div_ceil(once.max(1));
            courant_origin::demo::Demo::load_grown(base, copies)?
        }
        None => courant_origin::demo::Demo::load(base)?,
    })
}

pub async fn run(
    listen: &str,
    db: &str,
    no_serve: bool,
    grow: Option<u32>,
    translate_bench: bool,
) -> anyhow::Result<()> {
    let no_serve = no_serve || translate_bench;
    // Before the ingest, so /metrics counts its fetches too.
    let metrics = (!no_serve).then(courant_web::install_recorder).flatten();
    // Its search index is a cache of the database, rebuilt from it.
    let index = if is_postgres(db) {
        PathBuf::from("courant-demo.search")
    } else {
        crate::config::SearchSection::default().dir_for(Path::new(db))
    };
    match std::fs::remove_dir_all(&index) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("removing old demo index {}", index.display()))
        }
    }
    let bound = courant_origin::bind()
        .await
        .context("binding the demo publishers on loopback")?;
    let demo = load(&bound.base(), grow)?;
    let publishers = demo.sources().to_vec();
    println!(
        "demo publishers on {}: {} feeds, {} article pages",
        bound.base(),
        publishers.len(),
        demo.article_count()
    );
    let origin = bound.serve(demo.router());

    let mut cfg = Config {
        listen: listen.to_string(),
        ..Config::default()
    };
    cfg.set_store(db);
    cfg.search.dir = Some(index);
    // The demo's publishers live on 127.0.0.1; production configs keep this off.
    cfg.fetch.allow_private = true;
    // Every demo publisher is one loopback host: politeness per host would
    // turn the ingest into a crawl of one site.
    cfg.fetch.per_host = 16;
    cfg.fetch.host_interval_ms = 0;
    cfg.poll.article_concurrency = 16;
    // Translated editions when Apertium is installed; the demo runs without it.
    let apy = crate::apy::Apy::start().await;
    match &apy {
        Ok(a) if !translate_bench => {
            println!(
                "translation: Apertium APy on {} ({})",
                a.url,
                a.pairs.join(", ")
            );
            cfg.translate = a.demo_section(&["es", "ca"]);
            let editions: Vec<String> = cfg
                .translate
                .targets
                .iter()
                .map(|t| format!("/{}/", t.lang))
                .collect();
            println!("translated editions: {}", editions.join(", "));
        }
        Ok(_) => {}
        Err(why) if translate_bench => {
            anyhow::bail!("the translation benchmark needs Apertium: {why}")
        }
        Err(why) => println!("translation: off ({why}); the demo runs untranslated"),
    }
    cfg.validate()?;
    // A fresh database each run: the origin's port, and so every feed URL, changes.
    let store = fresh_store(db)?;
    for s in &publishers {
        store.add_source(&NewSource {
            feed_url: origin.url(&s.feed_path),
            name: s.name.clone(),
            lang: s.lang.clone(),
            attribution: Some(s.attribution.clone()),
        })?;
    }
    let ctx = crate::runtime::context(&cfg, store)?;
    let started = std::time::Instant::now();
    let report = progress::ingest_with_progress(&ctx).await?;
    progress::print_report(&report);
    println!("ingested in {:.1}s", started.elapsed().as_secs_f64());
    if let (true, Ok(a)) = (translate_bench, &apy) {
        let feeds: Vec<String> = publishers
            .iter()
            .filter(|p| p.lang.as_deref() == Some("en"))
            .map(|p| origin.url(&p.feed_path))
            .collect();
        return crate::translate::bench(&ctx, a.bench_section(feeds), a.pid()).await;
    }
    if no_serve {
        return Ok(());
    }
    let addr = cfg.listen_addr()?;
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(%addr, error = %e, "address taken; using a free port");
            tokio::net::TcpListener::bind((addr.ip(), 0)).await?
        }
    };
    let web = courant_web::WebConfig {
        site_title: "courant demo".into(),
        metrics,
        search: ctx.search.clone(),
        api_token: std::env::var("COURANT_API_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
        ..courant_web::WebConfig::default()
    };
    let limits = cfg.server.limits(crate::runtime::descriptors());
    crate::runtime::serve_on(listener, ctx, web, limits, courant_jobs::Duties::ALL).await
}
