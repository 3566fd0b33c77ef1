//! What only the PostgreSQL backend does: copying an installation in,
//! and living through dropped connections and a server out of reach.

use chrono::{Duration, Utc};
use courant_model::TranslationStatus;

use crate::tests::{entries, place, ready_articles, source, store, translation, PgFresh};
use crate::{ArticleQuery, Store, StoryBatch, StoryQuery};

fn everything(s: &dyn Store) -> (Vec<String>, Vec<String>) {
    let q = ArticleQuery {
        include_pending: true,
        limit: 500,
        ..ArticleQuery::default()
    };
    let mut articles: Vec<String> = Vec::new();
    for offset in (0..2_000).step_by(500) {
        let page = s
            .articles(&ArticleQuery {
                offset,
                ..q.clone()
            })
            .unwrap();
        articles.extend(page.iter().map(|a| format!("{a:?}")));
    }
    let stories = s
        .stories(&StoryQuery {
            limit: 500,
            ..StoryQuery::default()
        })
        .unwrap()
        .iter()
        .map(|x| format!("{x:?} {:?}", s.related_stories(x.id, 10).unwrap()))
        .collect();
    (articles, stories)
}

#[test]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
fn postgres_migrate_copies_everything_once_and_resumes() {
    let (_d, lite) = store();
    let (a, b) = ready_articles(&lite, 20);
    // More than a batch of pending articles, so a copy can stop halfway.
    let big = source(&lite, "https://big.org/feed");
    lite.insert_entries(big.id, &entries(1_200), Utc::now())
        .unwrap();
    let now = Utc::now();
    assert!(lite
        .acquire_lease("cluster", "w", now, now + Duration::seconds(30))
        .unwrap());
    let batch = StoryBatch {
        placements: vec![
            place(a[0], 1, None, 0.9),
            place(b[0], 1, Some(a[0]), 0.5),
            place(a[1], 2, None, 1.0),
        ],
        links: vec![(1, 2, 0.4)],
        vectors: vec![(a[0], "m".into(), vec![0.25, -1.0])],
        ..StoryBatch::default()
    };
    lite.record_stories("cluster", "w", &batch, now).unwrap();
    lite.put_translation(&translation(a[0], "es", TranslationStatus::Published))
        .unwrap();
    lite.reserve_chars("apy", "2026-12-07", 42, None).unwrap();

    let pg = PgFresh::new();
    // Interrupted after the first batch of articles.
    let cut = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::copy_sqlite_to_pg(&lite, &pg.store, |table, _| {
            assert_ne!(table, "articles", "interrupted");
        })
    }));
    assert!(cut.is_err());
    let first = crate::copy_sqlite_to_pg(&lite, &pg.store, |_, _| {}).unwrap();
    assert!(first.complete(), "{first:?}");
    let again = crate::copy_sqlite_to_pg(&lite, &pg.store, |_, _| {}).unwrap();
    assert!(again.complete());
    for t in &again.tables {
        assert_eq!(t.inserted, 0, "{t:?}");
        assert_eq!(t.source_rows, t.target_rows, "{t:?}");
    }
    assert_eq!(everything(&lite), everything(&pg.store));
    assert_eq!(lite.counts().unwrap(), pg.store.counts().unwrap());
    assert_eq!(pg.store.vectors(&[a[0]]).unwrap()[&a[0]], vec![0.25, -1.0]);
    assert_eq!(pg.store.chars_spent("apy", "2026-12-07").unwrap(), 42);
    assert_eq!(
        pg.store.translations_of(a[0]).unwrap(),
        lite.translations_of(a[0]).unwrap()
    );
    // New rows continue after the copied ids.
    let fresh = source(&pg.store, "https://new.org/feed");
    assert!(fresh.id > big.id);
}

#[test]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
fn postgres_dropped_connections_come_back() {
    let app = format!("courant_drop_{}", std::process::id());
    let pg = PgFresh::named(&app);
    let s = &pg.store;
    source(s, "https://ex.org/feed");
    // Every connection of this store killed, as by an operator or a failover.
    let killer = PgFresh::new();
    let killed: i64 = killer
        .store
        .with(|c| {
            Ok(c.query_one(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                &[&app],
            )?
            .get(0))
        })
        .unwrap();
    assert!(killed >= 1);
    let mut errors = 0;
    let mut back = false;
    for _ in 0..10 {
        match s.sources() {
            Ok(list) => {
                assert_eq!(list.len(), 1);
                back = true;
                break;
            }
            Err(e) => {
                assert!(e.is_unavailable(), "{e:?}");
                errors += 1;
            }
        }
    }
    assert!(back, "reconnected");
    assert!(errors <= 8);
}

#[test]
fn an_unreachable_server_is_unavailable_at_once() {
    let started = std::time::Instant::now();
    let err = crate::PgStore::open("postgres://postgres@127.0.0.1:1/test?connect_timeout=2")
        .expect_err("nothing listens on port 1");
    assert!(err.is_unavailable(), "{err:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let err = crate::PgStore::open("mysql://x").expect_err("not PostgreSQL");
    assert!(!err.is_unavailable());
    assert!(format!("{err}").contains("read the URL"), "{err}");
}
