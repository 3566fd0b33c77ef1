use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::*;

#[derive(Deserialize)]
struct CorpusDoc {
    id: i64,
    source: i64,
    lang: String,
    published: DateTime<Utc>,
    original: i64,
    title: String,
    text: String,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    q: String,
    lang: Option<String>,
    source: Option<i64>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    #[serde(default)]
    sort: Sort,
    /// Hits in this order.
    expect: Option<Vec<i64>>,
    /// Hits in any order.
    expect_set: Option<Vec<i64>>,
    /// At least one hit.
    expect_some: Option<bool>,
    /// Copies folded into a hit.
    copies: Option<HashMap<String, Vec<i64>>>,
}

fn corpus() -> Vec<Doc> {
    include_str!("../testdata/corpus.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let d: CorpusDoc = serde_json::from_str(l).expect("corpus line");
            Doc {
                id: d.id,
                source: d.source,
                lang: d.lang,
                published: d.published,
                original: d.original,
                title: d.title,
                text: d.text,
            }
        })
        .collect()
}

fn state(seq: i64) -> IndexState {
    IndexState {
        version: SCHEMA_VERSION,
        store: "test".into(),
        seq,
    }
}

fn loaded() -> SearchIndex {
    let index = SearchIndex::in_memory().expect("index");
    index.add(&corpus()).expect("add");
    index.commit(&state(9)).expect("commit");
    index
}

#[test]
fn cases() {
    let index = loaded();
    let mut failures = Vec::new();
    let cases: Vec<Case> = include_str!("../testdata/cases.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("case line"))
        .collect();
    assert!(cases.len() >= 20);
    for c in &cases {
        let found = index
            .search(&SearchQuery {
                text: c.q.clone(),
                lang: c.lang.clone(),
                source: c.source,
                from: c.from,
                to: c.to,
                sort: c.sort,
                limit: 20,
                offset: 0,
            })
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let ids: Vec<i64> = found.hits.iter().map(|h| h.id).collect();
        if let Some(want) = &c.expect {
            if &ids != want {
                failures.push(format!("{}: got {ids:?}, want {want:?}", c.name));
            }
        }
        if let Some(want) = &c.expect_set {
            let got: BTreeSet<i64> = ids.iter().copied().collect();
            let want: BTreeSet<i64> = want.iter().copied().collect();
            if got != want {
                failures.push(format!("{}: got {got:?}, want {want:?}", c.name));
            }
        }
        if c.expect_some == Some(true) && ids.is_empty() {
            failures.push(format!("{}: no hits", c.name));
        }
        for (id, want) in c.copies.iter().flatten() {
            let hit = found.hits.iter().find(|h| h.id.to_string() == *id);
            if hit.map(|h| &h.copies) != Some(want) {
                failures.push(format!("{}: copies of {id}: {:?}", c.name, hit));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn highlights_are_escaped_and_marked() {
    let index = loaded();
    let mut found = index
        .search(&SearchQuery {
            text: "Zurich floods".into(),
            limit: 10,
            ..SearchQuery::default()
        })
        .expect("search");
    assert_eq!(found.hits.len(), 1);
    let doc = corpus().into_iter().find(|d| d.id == 7).expect("doc 7");
    let title = found.highlighter.title(&doc.lang, &doc.title);
    assert!(title.contains("&lt;script&gt;"), "{title}");
    assert!(!title.contains("<script"), "{title}");
    assert_eq!(
        title,
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Floods</mark> in <mark>Zurich</mark>"
    );
    let snippet = found.highlighter.snippet(&doc.lang, &doc.text);
    assert!(snippet.contains("<mark>Zürich</mark>"), "{snippet}");
    assert!(snippet.contains("&lt;b&gt;"), "{snippet}");
    assert!(!snippet.contains("<b>"), "{snippet}");
    // No match in the body: the opening of the text, escaped.
    let plain = found.highlighter.snippet("en", "<i>nothing</i> here");
    assert_eq!(plain, "&lt;i&gt;nothing&lt;/i&gt; here");
}

#[test]
fn stemmed_highlight_marks_the_inflected_form() {
    let index = loaded();
    let mut found = index
        .search(&SearchQuery {
            text: "Regierung".into(),
            lang: Some("de".into()),
            limit: 10,
            ..SearchQuery::default()
        })
        .expect("search");
    let doc = corpus().into_iter().find(|d| d.id == 1).expect("doc 1");
    let snippet = found.highlighter.snippet(&doc.lang, &doc.text);
    assert!(snippet.contains("<mark>Regierungen</mark>"), "{snippet}");
}

#[test]
fn paging_and_totals() {
    let index = SearchIndex::in_memory().expect("index");
    let docs: Vec<Doc> = (1..=25)
        .map(|i| Doc {
            id: i,
            source: 1,
            lang: "en".into(),
            published: DateTime::from_timestamp(1_700_000_000 + i * 60, 0).expect("time"),
            original: i,
            title: format!("Storm report number {i}"),
            text: "The storm moved east.".into(),
        })
        .collect();
    index.add(&docs).expect("add");
    index.commit(&state(25)).expect("commit");
    let page = |offset| {
        index
            .search(&SearchQuery {
                text: "storm".into(),
                sort: Sort::Newest,
                limit: 10,
                offset,
                ..SearchQuery::default()
            })
            .expect("search")
    };
    let (p1, p3) = (page(0), page(20));
    assert_eq!(p1.total, 25);
    assert_eq!(p1.hits.first().map(|h| h.id), Some(25));
    assert!(p1.more);
    assert_eq!(p3.hits.len(), 5);
    assert!(!p3.more);
}

#[test]
fn re_adding_replaces_instead_of_duplicating() {
    let index = loaded();
    index.add(&corpus()).expect("add again");
    index.commit(&state(8)).expect("commit");
    assert_eq!(index.len(), corpus().len() as u64);
}

#[test]
fn state_survives_reopening_and_clear_empties() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let index = SearchIndex::open(dir.path()).expect("open");
        assert_eq!(index.state(), None);
        index.add(&corpus()).expect("add");
        index.commit(&state(8)).expect("commit");
    }
    let index = SearchIndex::open(dir.path()).expect("reopen");
    assert_eq!(index.state(), Some(state(8)));
    assert_eq!(index.len(), corpus().len() as u64);
    index.clear().expect("clear");
    index.commit(&state(0)).expect("commit");
    assert!(index.is_empty());
}

#[test]
fn an_index_of_another_version_is_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let index = SearchIndex::open(dir.path()).expect("open");
        index.add(&corpus()).expect("add");
        let mut old = state(8);
        old.version = SCHEMA_VERSION + 1;
        index.commit(&old).expect("commit");
    }
    let index = SearchIndex::open(dir.path()).expect("reopen");
    assert_eq!(index.state(), None);
    assert!(index.is_empty());
}

#[test]
fn huge_text_and_query_are_bounded() {
    let index = SearchIndex::in_memory().expect("index");
    let text = "word ".repeat(1_000_000) + "needle";
    index
        .add(&[Doc {
            id: 1,
            source: 1,
            lang: "en".into(),
            published: Utc::now(),
            original: 1,
            title: "t".repeat(10_000),
            text,
        }])
        .expect("add");
    index.commit(&state(1)).expect("commit");
    // The needle sits past the indexed bound.
    let q = |text: String| {
        index
            .search(&SearchQuery {
                text,
                limit: 10,
                ..SearchQuery::default()
            })
            .expect("search")
    };
    assert!(q("needle".into()).hits.is_empty());
    assert_eq!(q("word".into()).hits.len(), 1);
    // A 1 MB query is cut, not refused.
    assert_eq!(q("word ".repeat(200_000)).hits.len(), 1);
}

#[test]
fn analyzers_by_language_code() {
    assert_eq!(analyzer_for("de"), "de");
    assert_eq!(analyzer_for("de-AT"), "de");
    assert_eq!(analyzer_for("nb"), "no");
    assert_eq!(analyzer_for("zh"), "plain");
    assert_eq!(analyzer_for("und"), "plain");
    assert_eq!(analyzer_for(""), "plain");
    assert_eq!(analyzer_for("plain"), "plain");
}

#[test]
fn a_second_writer_on_one_folder_is_refused_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _first = SearchIndex::open(dir.path()).expect("open");
    let second = SearchIndex::open(dir.path());
    assert!(second.is_err(), "two writers on one index");
}
