use chrono::{Duration, TimeZone, Utc};
use courant_model::{ArticleStatus, FeedEntry, NewSource, ProcessedArticle};

use super::*;

pub(crate) fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(dir.path().join("sub/courant.db")).unwrap();
    (dir, s)
}

pub(crate) fn source(s: &dyn Store, url: &str) -> courant_model::Source {
    s.add_source(&NewSource {
        feed_url: url.into(),
        name: String::new(),
        lang: Some("en".into()),
        attribution: None,
    })
    .unwrap()
}

pub(crate) fn entries(n: usize) -> Vec<FeedEntry> {
    (0..n)
        .map(|i| FeedEntry {
            guid: format!("g{i}"),
            url: Some(format!("https://ex.org/{i}")),
            title: format!("Title {i}"),
            published: Some(
                Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::hours(i as i64),
            ),
            lang: Some("en".into()),
            ..FeedEntry::default()
        })
        .collect()
}

pub(crate) fn ready(title: &str) -> ArticleOutcome {
    ArticleOutcome::Ready(Box::new(ProcessedArticle {
        title: title.into(),
        text: "Body".into(),
        html: "<p>Body</p>".into(),
        lang: Some("en".into()),
        body_origin: "page".into(),
        ..ProcessedArticle::default()
    }))
}

fn same_feed_twice_stores_each_article_once(s: &dyn Store) {
    let src = source(s, "https://ex.org/feed");
    let now = Utc::now();
    assert_eq!(s.insert_entries(src.id, &entries(5), now).unwrap(), 5);
    assert_eq!(s.insert_entries(src.id, &entries(7), now).unwrap(), 2);
    let q = ArticleQuery {
        include_pending: true,
        limit: 100,
        ..ArticleQuery::default()
    };
    assert_eq!(s.articles(&q).unwrap().len(), 7);
    // The same guid under another source is another article.
    let other = source(s, "https://other.org/feed");
    assert_eq!(s.insert_entries(other.id, &entries(1), now).unwrap(), 1);
    // Adding the same source again updates it in place.
    assert_eq!(source(s, "https://ex.org/feed").id, src.id);
}

#[test]
fn restart_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let id = {
        let s = SqliteStore::open(&path).unwrap();
        let src = source(&s, "https://ex.org/feed");
        s.insert_entries(src.id, &entries(3), Utc::now()).unwrap();
        let a = s.claim_pending(Utc::now(), 60, 1).unwrap().remove(0);
        s.finish_article(a.id, &ready("Kept")).unwrap();
        a.id
    };
    let s = SqliteStore::open(&path).unwrap();
    let a = s.article(id).unwrap().unwrap();
    assert_eq!(a.status, ArticleStatus::Ready);
    assert_eq!(a.title(), "Kept");
    assert_eq!(s.counts().unwrap().pending, 2);
}

fn claims_are_exclusive_and_leases_expire(s: &dyn Store) {
    let src = source(s, "https://ex.org/feed");
    let now = Utc::now();
    s.insert_entries(src.id, &entries(10), now).unwrap();
    let a = s.claim_pending(now, 60, 6).unwrap();
    let b = s.claim_pending(now, 60, 6).unwrap();
    assert_eq!((a.len(), b.len()), (6, 4));
    assert!(a.iter().all(|x| b.iter().all(|y| x.id != y.id)));
    // Newest first.
    assert_eq!(a[0].guid, "g9");
    assert!(s.claim_pending(now, 60, 6).unwrap().is_empty());
    // A worker killed mid-way: its claims come back after the lease.
    let later = now + Duration::seconds(61);
    assert_eq!(s.claim_pending(later, 60, 100).unwrap().len(), 10);
}

/// One source's backlog never holds another's few articles back: claims are
/// shared across sources, whatever their dates. (Before: newest first over
/// all sources, so a backlog of newer items took every claim.)
fn claims_are_fair_across_sources(s: &dyn Store) {
    let now = Utc::now();
    let busy = source(s, "https://busy.org/feed");
    let quiet = source(s, "https://quiet.org/feed");
    let mut backlog = entries(200);
    for e in &mut backlog {
        // Undated and future-dated items, the ones that used to always win.
        e.published = None;
    }
    backlog[0].published = Some(Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap());
    s.insert_entries(busy.id, &backlog, now).unwrap();
    s.insert_entries(quiet.id, &entries(5), now).unwrap();
    let mut quiet_claimed = 0;
    for _ in 0..3 {
        let got = s.claim_pending(now, 60, 4).unwrap();
        assert_eq!(got.len(), 4);
        quiet_claimed += got.iter().filter(|a| a.source_id == quiet.id).count();
    }
    assert_eq!(quiet_claimed, 5);
}

/// With one claim at a time, the sources take turns.
fn claims_take_turns_between_sources(s: &dyn Store) {
    let now = Utc::now();
    let a = source(s, "https://a.org/feed");
    let b = source(s, "https://b.org/feed");
    s.insert_entries(a.id, &entries(50), now).unwrap();
    s.insert_entries(b.id, &entries(50), now).unwrap();
    let turns: Vec<_> = (0..4)
        .map(|_| s.claim_pending(now, 60, 1).unwrap()[0].source_id)
        .collect();
    assert_eq!(turns, vec![a.id, b.id, a.id, b.id]);
}

/// A date after courant first saw the item is clamped to that moment, in the
/// store's order and in what is shown.
fn future_dates_are_clamped_to_first_seen(s: &dyn Store) {
    let now = Utc::now();
    let src = source(s, "https://ex.org/feed");
    let mut e = entries(2);
    e[1].published = Some(Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap());
    s.insert_entries(src.id, &e, now).unwrap();
    let claimed = s.claim_pending(now, 60, 2).unwrap();
    for a in &claimed {
        assert!(
            a.published().unwrap() <= a.discovered_at,
            "{:?}",
            a.published()
        );
    }
    let page_says_2099 = ProcessedArticle {
        title: "T".into(),
        lang: Some("en".into()),
        published: Some(Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap()),
        ..ProcessedArticle::default()
    };
    let id = claimed[0].id;
    s.finish_article(id, &ArticleOutcome::Ready(Box::new(page_says_2099)))
        .unwrap();
    let a = s.article(id).unwrap().unwrap();
    assert!(a.published().unwrap() <= a.discovered_at);
    let latest = s
        .articles(&ArticleQuery {
            limit: 10,
            ..ArticleQuery::default()
        })
        .unwrap();
    assert_eq!(latest[0].id, id);
}

/// A worker that outlived its lease cannot store over the next claim: its
/// result is discarded; a renewed claim is not taken by another worker.
fn late_results_are_fenced_and_claims_renew(s: &dyn Store) {
    let src = source(s, "https://ex.org/feed");
    let now = Utc::now();
    s.insert_entries(src.id, &entries(2), now).unwrap();
    let first = s.claim_pending(now, 60, 1).unwrap().remove(0);
    // The lease runs out; another worker claims the same article.
    let second = s
        .claim_pending(now + Duration::seconds(61), 60, 1)
        .unwrap()
        .remove(0);
    assert_eq!(first.id, second.id);
    assert!(!s
        .renew_claim(first.id, first.attempts, now + Duration::seconds(120))
        .unwrap());
    assert!(!s
        .finish_claimed(first.id, first.attempts, &ready("Late"))
        .unwrap());
    assert!(s
        .finish_claimed(second.id, second.attempts, &ready("Kept"))
        .unwrap());
    assert_eq!(s.article(first.id).unwrap().unwrap().title(), "Kept");
    // Once stored, no claim can store again.
    assert!(!s
        .finish_claimed(second.id, second.attempts, &ready("Again"))
        .unwrap());

    // Renewed in time, a claim survives its first lease.
    let other = s.claim_pending(now, 60, 1).unwrap().remove(0);
    assert_ne!(other.id, first.id);
    assert!(s
        .renew_claim(other.id, other.attempts, now + Duration::seconds(150))
        .unwrap());
    assert!(s
        .claim_pending(now + Duration::seconds(100), 60, 1)
        .unwrap()
        .is_empty());
}

fn outcomes_update_status(s: &dyn Store) {
    let src = source(s, "https://ex.org/feed");
    let now = Utc::now();
    s.insert_entries(src.id, &entries(3), now).unwrap();
    let c = s.claim_pending(now, 60, 3).unwrap();
    s.finish_article(c[0].id, &ready("A")).unwrap();
    s.finish_article(
        c[1].id,
        &ArticleOutcome::Retry {
            error: "HTTP status 503".into(),
            not_before: now + Duration::seconds(300),
        },
    )
    .unwrap();
    s.finish_article(
        c[2].id,
        &ArticleOutcome::Failed {
            error: "HTTP status 404".into(),
        },
    )
    .unwrap();
    let counts = s.counts().unwrap();
    assert_eq!((counts.ready, counts.pending, counts.failed), (1, 1, 1));
    assert_eq!(counts.by_lang, vec![("en".to_string(), 1)]);
    assert!(s
        .claim_pending(now + Duration::seconds(100), 60, 10)
        .unwrap()
        .is_empty());
    assert_eq!(
        s.claim_pending(now + Duration::seconds(301), 60, 10)
            .unwrap()
            .len(),
        1
    );
    let failed = s.article(c[2].id).unwrap().unwrap();
    assert_eq!(failed.error.as_deref(), Some("HTTP status 404"));
    // Only ready articles are listed by default.
    let shown = s
        .articles(&ArticleQuery {
            limit: 10,
            ..ArticleQuery::default()
        })
        .unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].title(), "A");
}

fn polls_and_backoff_state(s: &dyn Store) {
    let src = source(s, "https://ex.org/feed");
    let now = Utc::now();
    assert_eq!(s.due_sources(now, 10).unwrap().len(), 1);
    s.record_poll(
        src.id,
        &PollRecord {
            at: now,
            next_poll_at: now + Duration::seconds(600),
            result: PollResult::Ok {
                title: Some("Example News".into()),
                site_url: Some("https://ex.org/".into()),
                etag: Some("\"e1\"".into()),
                last_modified: None,
                warning: None,
            },
        },
    )
    .unwrap();
    let got = s.source(src.id).unwrap().unwrap();
    assert_eq!(got.name, "Example News");
    assert_eq!(got.health.etag.as_deref(), Some("\"e1\""));
    assert_eq!(got.health.status(), "ok");
    assert!(s.due_sources(now, 10).unwrap().is_empty());
    for _ in 0..2 {
        s.record_poll(
            src.id,
            &PollRecord {
                at: now,
                next_poll_at: now + Duration::seconds(1200),
                result: PollResult::Failed {
                    error: "status: HTTP status 500".into(),
                },
            },
        )
        .unwrap();
    }
    let got = s.source(src.id).unwrap().unwrap();
    assert_eq!(got.health.consecutive_failures, 2);
    assert_eq!(got.health.status(), "failing");
    // A failed poll keeps the validators of the last good one.
    assert_eq!(got.health.etag.as_deref(), Some("\"e1\""));
}

fn removing_a_source_removes_its_articles(s: &dyn Store) {
    let src = source(s, "https://ex.org/feed");
    s.insert_entries(src.id, &entries(3), Utc::now()).unwrap();
    assert!(s.remove_source(src.id).unwrap());
    assert!(!s.remove_source(src.id).unwrap());
    assert_eq!(s.counts().unwrap().pending, 0);
}

fn concurrent_writers_do_not_collide(s: &dyn Store) {
    let src = source(s, "https://ex.org/feed");
    let now = Utc::now();
    s.insert_entries(src.id, &entries(200), now).unwrap();
    let mut all: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let got = s.claim_pending(now, 60, 7).unwrap();
                        if got.is_empty() {
                            break mine;
                        }
                        for a in got {
                            s.finish_article(a.id, &ready("x")).unwrap();
                            mine.push(a.id);
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!((n, all.len()), (200, 200));
}

/// Two sources, `n` articles each, all ready; returns their ids per source.
pub(crate) fn ready_articles(s: &dyn Store, n: usize) -> (Vec<i64>, Vec<i64>) {
    let now = Utc::now();
    let a = source(s, "https://a.org/feed");
    let b = source(s, "https://b.org/feed");
    s.insert_entries(a.id, &entries(n), now).unwrap();
    s.insert_entries(b.id, &entries(n), now).unwrap();
    let claimed = s.claim_pending(now, 60, 100).unwrap();
    for art in &claimed {
        s.finish_article(art.id, &ready(&format!("Story title {}. More.", art.guid)))
            .unwrap();
    }
    let of = |src: i64| {
        let mut v: Vec<i64> = claimed
            .iter()
            .filter(|x| x.source_id == src)
            .map(|x| x.id)
            .collect();
        v.sort();
        v
    };
    (of(a.id), of(b.id))
}

/// Vectors go in with their placements; stories of one event list each
/// other, broadest first, and a story alone lists itself.
fn stories_keep_vectors_and_events(s: &dyn Store) {
    let (a, b) = ready_articles(s, 2);
    let now = Utc::now();
    assert!(s
        .acquire_lease("cluster", "w1", now, now + Duration::seconds(30))
        .unwrap());
    let batch = StoryBatch {
        placements: vec![
            place(a[0], 1, None, 1.0),
            place(b[0], 2, None, 1.0),
            place(b[1], 2, None, 1.0),
            place(a[1], 3, None, 1.0),
        ],
        vectors: vec![
            (a[0], "m".into(), vec![0.5, -1.25, 3.0]),
            (b[0], "m".into(), vec![1.0, 0.0, 0.0]),
        ],
        events: vec![(1, 1), (2, 1)],
        ..StoryBatch::default()
    };
    s.record_stories("cluster", "w1", &batch, now).unwrap();
    let v = s.vectors(&[a[0], b[0], a[1], 999]).unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[&a[0]], vec![0.5, -1.25, 3.0]);
    let ids = |story| -> Vec<i64> {
        s.event_stories(story)
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect()
    };
    assert_eq!(ids(1), vec![2, 1], "broadest first");
    assert_eq!(ids(2), vec![2, 1]);
    assert_eq!(ids(3), vec![3], "alone");
    assert!(ids(42).is_empty());
}

pub(crate) fn place(
    article: i64,
    story: i64,
    duplicate_of: Option<i64>,
    central: f32,
) -> Placement {
    Placement {
        article,
        story,
        duplicate_of,
        central,
    }
}

fn stories_record_members_links_and_merges(s: &dyn Store) {
    let (a, b) = ready_articles(s, 3);
    let now = Utc::now();
    assert_eq!(s.unclustered(100).unwrap().len(), 6);
    assert!(s
        .acquire_lease("cluster", "w1", now, now + Duration::seconds(30))
        .unwrap());
    let batch = StoryBatch {
        placements: vec![
            place(a[0], 1, None, 1.0),
            place(b[0], 1, Some(a[0]), 0.0),
            place(a[1], 2, None, 1.0),
            place(b[1], 2, None, 0.9),
            place(a[2], 3, None, 1.0),
        ],
        links: vec![(2, 1, 0.1), (3, 1, 0.12)],
        merges: vec![],
        moves: vec![],
        ..StoryBatch::default()
    };
    s.record_stories("cluster", "w1", &batch, now).unwrap();
    assert_eq!(s.unclustered(100).unwrap().len(), 1, "b[2] is left");

    let one = s.story(1).unwrap().unwrap();
    assert_eq!((one.articles, one.sources), (2, 2));
    assert_eq!(
        one.lead_article,
        Some(a[0]),
        "the original leads, not the copy"
    );
    assert!(one.title.starts_with("Story title"));
    let members = s.story_articles(1, 100).unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[1].duplicate_of, Some(a[0]));
    // A limit keeps the newest members, still oldest first.
    let newest = s.story_articles(1, 1).unwrap();
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].id, members[1].id);
    let copies: Vec<i64> = s
        .copies_of(a[0], 10)
        .unwrap()
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(
        copies,
        vec![members[0].id, members[1].id],
        "the text and its copy"
    );
    assert_eq!(s.copies_of(a[0], 1).unwrap().len(), 1);
    let related: Vec<i64> = s
        .related_stories(1, 10)
        .unwrap()
        .iter()
        .map(|(x, _)| x.id)
        .collect();
    assert_eq!(
        related,
        vec![3, 2],
        "best link first, both directions stored"
    );

    // Story 3 merges into story 2: its article moves, its id resolves, links follow.
    let merge = StoryBatch {
        placements: vec![place(b[2], 2, None, 0.5)],
        links: vec![],
        merges: vec![(3, 2)],
        moves: vec![],
        ..StoryBatch::default()
    };
    s.record_stories("cluster", "w1", &merge, now).unwrap();
    assert_eq!(s.story(3).unwrap().unwrap().merged_into, Some(2));
    let two = s.story(2).unwrap().unwrap();
    assert_eq!((two.articles, two.sources), (4, 2));
    assert_eq!(s.story_articles(3, 100).unwrap().len(), 0);
    let related: Vec<(i64, f32)> = s
        .related_stories(1, 10)
        .unwrap()
        .iter()
        .map(|(x, sc)| (x.id, *sc))
        .collect();
    assert_eq!(
        related,
        vec![(2, 0.12)],
        "the better score of the two links survives"
    );
    let live: Vec<i64> = s
        .stories(&StoryQuery {
            limit: 10,
            ..StoryQuery::default()
        })
        .unwrap()
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(live.len(), 2);
    assert!(!live.contains(&3));

    // A split moves an article into a new story; both are summed again.
    let split = StoryBatch {
        moves: vec![(a[1], 4)],
        ..StoryBatch::default()
    };
    s.record_stories("cluster", "w1", &split, now).unwrap();
    assert_eq!(s.story(4).unwrap().unwrap().articles, 1);
    assert_eq!(s.story(2).unwrap().unwrap().articles, 3);
    assert_eq!(s.article(a[1]).unwrap().unwrap().story, Some(4));

    // Replay sees every article once, in order; a moved or merged one comes
    // again at the point it moved, with its new story.
    let placed = s.placed_since(0, 100).unwrap();
    assert_eq!(placed.len(), 6);
    assert!(placed.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(placed[5].article.id, a[1], "the move comes last");
    assert_eq!(
        placed[5].article.story,
        Some(4),
        "replay sees the moved story"
    );
    assert_eq!(placed[4].article.story, Some(2), "merged into 2");
    assert!(placed.iter().all(|p| p.article.story != Some(3)));
    assert_eq!(s.placed_since(placed[4].seq, 100).unwrap().len(), 1);

    // Removing a source sums its stories again.
    let src_b = s.article(b[0]).unwrap().unwrap().source_id;
    s.remove_source(src_b).unwrap();
    assert_eq!(s.story(1).unwrap().unwrap().sources, 1);
}

fn only_the_lease_holder_writes_stories(s: &dyn Store) {
    let (a, _) = ready_articles(s, 1);
    let now = Utc::now();
    let later = now + Duration::seconds(30);
    assert_eq!(s.lease_holder("cluster").unwrap(), None);
    assert!(s.acquire_lease("cluster", "w1", now, later).unwrap());
    assert!(!s.acquire_lease("cluster", "w2", now, later).unwrap());
    assert_eq!(s.lease_holder("cluster").unwrap().as_deref(), Some("w1"));
    let batch = StoryBatch {
        placements: vec![place(a[0], 1, None, 1.0)],
        ..StoryBatch::default()
    };
    assert!(matches!(
        s.record_stories("cluster", "w2", &batch, now),
        Err(Error::LeaseLost(_))
    ));
    assert!(s.story(1).unwrap().is_none(), "nothing written");
    // The holder renews; after it expires another worker takes over, and the
    // old holder is fenced off.
    assert!(s.acquire_lease("cluster", "w1", now, later).unwrap());
    let after = later + Duration::seconds(1);
    assert!(s
        .acquire_lease("cluster", "w2", after, after + Duration::seconds(30))
        .unwrap());
    assert!(matches!(
        s.record_stories("cluster", "w1", &batch, after),
        Err(Error::LeaseLost(_))
    ));
    s.record_stories("cluster", "w2", &batch, after).unwrap();
    assert_eq!(s.story(1).unwrap().unwrap().articles, 1);
}

#[test]
fn instance_id_is_stable_per_database_and_differs_between_them() {
    let (dir, s) = store();
    let id = s.instance_id().unwrap();
    assert_eq!(id.len(), 32);
    drop(s);
    let again = SqliteStore::open(dir.path().join("sub/courant.db")).unwrap();
    assert_eq!(again.instance_id().unwrap(), id);
    let (_other_dir, other) = store();
    assert_ne!(other.instance_id().unwrap(), id);
}

fn brief_reads_keep_what_lists_show_and_leave_the_text(s: &dyn Store) {
    let src = source(s, "https://ex.org/brief");
    s.insert_entries(src.id, &entries(2), Utc::now()).unwrap();
    for a in s.claim_pending(Utc::now(), 60, 10).unwrap() {
        let p = ProcessedArticle {
            title: format!("Processed {}", a.guid),
            text: "A long text.".repeat(100),
            html: "<p>A long text.</p>".into(),
            lang: Some("de".into()),
            published: a.entry.published,
            ..ProcessedArticle::default()
        };
        s.finish_article(a.id, &ArticleOutcome::Ready(Box::new(p)))
            .unwrap();
    }
    let q = ArticleQuery {
        limit: 10,
        ..ArticleQuery::default()
    };
    let full = s.articles(&q).unwrap();
    let brief = s.articles(&ArticleQuery { brief: true, ..q }).unwrap();
    assert_eq!(brief.len(), 2);
    for (f, b) in full.iter().zip(&brief) {
        assert_eq!((b.id, b.title(), b.lang()), (f.id, f.title(), f.lang()));
        assert_eq!(b.published(), f.published());
        assert_eq!(b.entry.title, f.entry.title);
        let p = b.processed.as_ref().unwrap();
        assert!(
            p.text.is_empty() && p.html.is_empty(),
            "no text in a brief read"
        );
        assert!(!f.processed.as_ref().unwrap().text.is_empty());
    }
}

/// A database that cannot be opened says which step failed and keeps the
/// error underneath (it was a string before).
#[test]
fn open_errors_keep_their_source() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "not a folder").expect("written");
    let err = SqliteStore::open(file.join("courant.db")).expect_err("a file is no folder");
    assert!(
        matches!(
            err,
            Error::Open {
                step: "create the folder of",
                ..
            }
        ),
        "{err}"
    );
    let source = std::error::Error::source(&err).expect("the io error underneath");
    assert!(
        source.downcast_ref::<std::io::Error>().is_some(),
        "{source}"
    );
}

pub(crate) fn translation(
    article: i64,
    lang: &str,
    status: courant_model::TranslationStatus,
) -> courant_model::Translation {
    courant_model::Translation {
        article,
        source_id: 0,
        published: None,
        lang: lang.into(),
        from: "en".into(),
        provider: "apy".into(),
        label: "Apertium".into(),
        status,
        title: format!("Título {article}"),
        html: "<p>Hola</p>".into(),
        text: "Hola".into(),
        engine_text: "Hola".into(),
        reasons: vec!["number_mismatch: 5".into()],
        findings: Vec::new(),
        error: None,
        attempts: 1,
        next_attempt: None,
        updated_at: Utc::now(),
    }
}

fn translations_sit_beside_their_original_and_never_change_it(s: &dyn Store) {
    use courant_model::TranslationStatus::{Held, Published};
    let (ids, _) = ready_articles(s, 3);
    let before = s.article(ids[0]).expect("read");
    s.put_translation(&translation(ids[0], "es", Published))
        .expect("put");
    s.put_translation(&translation(ids[1], "es", Held))
        .expect("put");
    s.put_translation(&translation(ids[0], "ca", Published))
        .expect("put");
    // Writing again replaces, never duplicates.
    s.put_translation(&translation(ids[0], "es", Published))
        .expect("put");
    assert_eq!(s.article(ids[0]).expect("read"), before);
    let t = s.translation(ids[0], "es").expect("read").expect("there");
    assert_eq!(
        (t.title.as_str(), t.status, t.reasons.len()),
        (format!("Título {}", ids[0]).as_str(), Published, 1)
    );
    assert_eq!(t.source_id, before.as_ref().expect("article").source_id);
    assert_eq!(
        s.translations_of(ids[0])
            .expect("read")
            .iter()
            .map(|t| t.lang.as_str())
            .collect::<Vec<_>>(),
        ["ca", "es"]
    );
    let q = TranslationQuery {
        lang: Some("es".into()),
        status: Some(Published),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.translations(&q).expect("list").len(), 1);
    // A hidden original hides its translations.
    assert!(s.set_hidden(ids[0], true).expect("hide"));
    assert!(s.translations(&q).expect("list").is_empty());
    let counts = s.translation_counts().expect("counts");
    assert!(
        counts.contains(&("es".into(), "held".into(), 1)),
        "{counts:?}"
    );
}

fn the_character_budget_is_one_step_and_never_passed(s: &dyn Store) {
    assert!(s
        .reserve_chars("apy", "2026-12-06", 60, Some(100))
        .expect("reserve"));
    assert!(!s
        .reserve_chars("apy", "2026-12-06", 41, Some(100))
        .expect("reserve"));
    assert!(s
        .reserve_chars("apy", "2026-12-06", 40, Some(100))
        .expect("reserve"));
    assert!(!s
        .reserve_chars("apy", "2026-12-06", 1, Some(100))
        .expect("reserve"));
    // Too much for an empty day is refused too; other days and providers are apart.
    assert!(!s
        .reserve_chars("apy", "2026-12-07", 101, Some(100))
        .expect("reserve"));
    assert!(s
        .reserve_chars("deepl", "2026-12-06", 7, None)
        .expect("reserve"));
    assert_eq!(s.chars_spent("apy", "2026-12-06").expect("spent"), 100);
    assert_eq!(s.chars_spent("apy", "2026-12-07").expect("spent"), 0);
    // Two threads racing for the last characters: one wins.
    let wins: usize = std::thread::scope(|scope| {
        (0..8)
            .map(|_| {
                scope.spawn(move || {
                    s.reserve_chars("lt", "2026-12-06", 30, Some(100))
                        .expect("reserve")
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| usize::from(h.join().expect("thread")))
            .sum()
    });
    assert_eq!(wins, 3);
    assert_eq!(s.chars_spent("lt", "2026-12-06").expect("spent"), 90);
}

fn the_memory_answers_by_provider_pair_and_key(s: &dyn Store) {
    let items = vec![
        ("k1".to_string(), "uno".to_string()),
        ("k2".to_string(), "dos".to_string()),
    ];
    s.remember_segments("apy", "en", "es", &items, Utc::now())
        .expect("remember");
    let got = s
        .recall_segments("apy", "en", "es", &["k1".into(), "k3".into()])
        .expect("recall");
    assert_eq!(got.len(), 1);
    assert_eq!(got["k1"], "uno");
    assert!(s
        .recall_segments("apy", "en", "ca", &["k1".into()])
        .expect("recall")
        .is_empty());
    assert!(s
        .recall_segments("deepl", "en", "es", &["k1".into()])
        .expect("recall")
        .is_empty());
}

/// A corrected item (same id, new title or text) is processed again: its
/// first sight and story stay, it records the revision, it is placed again
/// later in the log (so the index reads the new text) and its story's title
/// follows. The same item unchanged, or only re-dated, changes nothing.
fn corrections_are_processed_again(s: &dyn Store) {
    let src = source(s, "https://ex.org/feed");
    let now = Utc::now();
    let mut e = entries(1);
    s.insert_entries(src.id, &e, now).unwrap();
    let a = s.claim_pending(now, 60, 1).unwrap().remove(0);
    s.finish_claimed(a.id, a.attempts, &ready("Mayor resigns. Council meets."))
        .unwrap();
    assert!(s
        .acquire_lease("cluster", "w1", now, now + Duration::seconds(30))
        .unwrap());
    let batch = StoryBatch {
        placements: vec![place(a.id, 1, None, 1.0)],
        ..StoryBatch::default()
    };
    let first_seq = s.record_stories("cluster", "w1", &batch, now).unwrap();
    assert_eq!(
        s.story(1).unwrap().unwrap().title,
        "Mayor resigns. Council meets."
    );

    // Unchanged, or only a new `updated` date: nothing to do.
    assert_eq!(s.insert_entries(src.id, &e, now).unwrap(), 0);
    e[0].updated = Some(now);
    s.insert_entries(src.id, &e, now).unwrap();
    assert!(s.claim_pending(now, 60, 1).unwrap().is_empty());

    // Corrected: processed again.
    let later = now + Duration::hours(2);
    e[0].title = "Mayor resigns after vote".into();
    assert_eq!(s.insert_entries(src.id, &e, later).unwrap(), 0, "not new");
    let again = s.claim_pending(later, 60, 1).unwrap().remove(0);
    assert_eq!(again.id, a.id);
    assert_eq!((again.revisions, again.attempts), (1, 1));
    assert_eq!(again.discovered_at, a.discovered_at);
    assert!(again.revised_at.unwrap() > a.discovered_at);
    assert!(s
        .finish_claimed(
            again.id,
            again.attempts,
            &ready("Mayor resigns after vote. Council meets.")
        )
        .unwrap());
    let done = s.article(a.id).unwrap().unwrap();
    assert_eq!(done.title(), "Mayor resigns after vote. Council meets.");
    assert_eq!(done.story, Some(1));
    let replay = s.placed_since(first_seq, 10).unwrap();
    assert_eq!(replay.len(), 1);
    assert_eq!(replay[0].article.id, a.id);
    assert_eq!(
        s.story(1).unwrap().unwrap().title,
        "Mayor resigns after vote. Council meets."
    );
    // A hidden article is the operator's: a correction does not bring it back.
    assert!(s.set_hidden(a.id, true).unwrap());
    e[0].title = "Third title".into();
    s.insert_entries(src.id, &e, later).unwrap();
    assert!(s.claim_pending(later, 60, 1).unwrap().is_empty());
}

/// A processed page's state is kept; a due look is claimed once (its next
/// look moves a lease ahead); a page that changed makes the article a
/// revision, processed again; a state with no next look is never due.
fn page_checks_are_claimed_once_and_changes_revise(s: &dyn Store) {
    let src = source(s, "https://ex.org/feed");
    let now = Utc::now();
    s.insert_entries(src.id, &entries(2), now).unwrap();
    let claimed = s.claim_pending(now, 60, 2).unwrap();
    for a in &claimed {
        s.finish_claimed(a.id, a.attempts, &ready("Title")).unwrap();
    }
    let (a, b) = (claimed[0].id, claimed[1].id);
    let state = PageState {
        etag: Some("\"v1\"".into()),
        last_modified: None,
        text_hash: "h1".into(),
        next_check: Some(now + Duration::hours(1)),
    };
    s.record_page(a, &state).unwrap();
    s.record_page(
        b,
        &PageState {
            next_check: None,
            ..state.clone()
        },
    )
    .unwrap();

    assert!(
        s.claim_page_checks(now, 60, 10).unwrap().is_empty(),
        "not due"
    );
    let later = now + Duration::hours(2);
    let due = s.claim_page_checks(later, 60, 10).unwrap();
    assert_eq!(due.len(), 1, "b has no next look");
    assert_eq!((due[0].0.id, &due[0].1.etag), (a, &state.etag));
    assert!(
        s.claim_page_checks(later, 60, 10).unwrap().is_empty(),
        "claimed"
    );

    assert!(s.page_changed(a, later).unwrap());
    let again = s.claim_pending(later, 60, 1).unwrap().remove(0);
    assert_eq!((again.id, again.revisions), (a, 1));
    assert!(!s.page_changed(a, later).unwrap(), "pending already");
    // Not shown: its page is not looked at.
    let much_later = later + Duration::hours(5);
    assert!(s.claim_page_checks(much_later, 60, 10).unwrap().is_empty());
}

fn sources_are_claimed_once_with_their_hosts_turn(s: &dyn Store) {
    let now = Utc::now();
    let a = source(s, "https://one.org/a");
    let b = source(s, "https://One.org:443/b");
    let c = source(s, "https://two.org/feed");
    let mut got: Vec<_> = s
        .claim_due_sources(now, 60, 10.0, 10)
        .unwrap()
        .iter()
        .map(|x| x.id)
        .collect();
    got.sort();
    // One source per host: one.org's second waits for its turn.
    assert_eq!(got, vec![a.id, c.id]);
    assert!(s.claim_due_sources(now, 60, 10.0, 10).unwrap().is_empty());
    let later = now + Duration::seconds(11);
    let got: Vec<_> = s
        .claim_due_sources(later, 60, 10.0, 10)
        .unwrap()
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(got, vec![b.id]);
    // A recorded poll sets the real schedule; an unrecorded claim (a dead
    // worker) returns when its lease ends.
    s.record_poll(
        c.id,
        &PollRecord {
            at: later,
            next_poll_at: now + Duration::hours(1),
            result: PollResult::Ok {
                title: None,
                site_url: None,
                etag: None,
                last_modified: None,
                warning: None,
            },
        },
    )
    .unwrap();
    let after_lease = now + Duration::seconds(75);
    let got: Vec<_> = s
        .claim_due_sources(after_lease, 60, 10.0, 10)
        .unwrap()
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(got, vec![a.id]);
}

fn racing_workers_never_share_a_source(s: &dyn Store) {
    let now = Utc::now();
    for i in 0..40 {
        source(s, &format!("https://host{i}.org/feed"));
    }
    let mut all: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let got = s.claim_due_sources(now, 60, 1.0, 3).unwrap();
                        if got.is_empty() {
                            break mine;
                        }
                        mine.extend(got.iter().map(|x| x.id));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!((n, all.len()), (40, 40));
}

/// A PostgreSQL store in a schema of its own, dropped afterwards. The
/// server is `COURANT_TEST_PG` (default: this machine's, database `test`).
pub(crate) struct PgFresh {
    pub(crate) store: PgStore,
    schema: String,
}

impl PgFresh {
    pub(crate) fn new() -> PgFresh {
        Self::named("")
    }

    /// The same, its connections named `app` on the server (tests that
    /// drop them pick theirs out by name).
    pub(crate) fn named(app: &str) -> PgFresh {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let url = std::env::var("COURANT_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!(
            "courant_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_micros()
        );
        let url = if app.is_empty() {
            url
        } else {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}application_name={app}")
        };
        let store = PgStore::open_in(&url, Some(&schema))
            .unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e:?}"));
        PgFresh { store, schema }
    }
}

impl Drop for PgFresh {
    fn drop(&mut self) {
        let _ = self.store.drop_schema(&self.schema);
    }
}

/// The conformance suite: each test runs on SQLite, and on PostgreSQL in
/// the second pass of `scripts/test.sh` (`--ignored postgres_`), which
/// checks first that the server answers.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_conformance {
            $(
                #[test]
                fn $name() {
                    let (_d, s) = super::store();
                    super::$name(&s);
                }
            )*
        }
        mod postgres_conformance {
            $(
                #[test]
                #[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
                fn $name() {
                    let s = super::PgFresh::new();
                    super::$name(&s.store);
                }
            )*
        }
    };
}

both_backends!(
    sources_are_claimed_once_with_their_hosts_turn,
    racing_workers_never_share_a_source,
    same_feed_twice_stores_each_article_once,
    claims_are_exclusive_and_leases_expire,
    claims_are_fair_across_sources,
    future_dates_are_clamped_to_first_seen,
    late_results_are_fenced_and_claims_renew,
    outcomes_update_status,
    polls_and_backoff_state,
    removing_a_source_removes_its_articles,
    concurrent_writers_do_not_collide,
    stories_keep_vectors_and_events,
    stories_record_members_links_and_merges,
    only_the_lease_holder_writes_stories,
    brief_reads_keep_what_lists_show_and_leave_the_text,
    translations_sit_beside_their_original_and_never_change_it,
    the_character_budget_is_one_step_and_never_passed,
    the_memory_answers_by_provider_pair_and_key,
    corrections_are_processed_again,
    page_checks_are_claimed_once_and_changes_revise,
    claims_take_turns_between_sources,
);
