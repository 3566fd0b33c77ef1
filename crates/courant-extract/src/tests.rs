use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::*;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The strings of an optional list in an expectation file.
fn strings<'a>(exp: &'a serde_json::Value, key: &str) -> impl Iterator<Item = &'a str> {
    exp.get(key)
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .map(|s| s.as_str().unwrap())
}

/// Each `X.html` with an `X.expect.json` beside it: metadata must match, and
/// the text must contain and must not contain the listed snippets.
#[test]
fn fixtures_meet_expectations() {
    let mut checked = 0;
    for entry in std::fs::read_dir(testdata()).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(stem) = name.strip_suffix(".expect.json") else {
            continue;
        };
        let exp: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let html = std::fs::read_to_string(testdata().join(format!("{stem}.html"))).unwrap();
        let got = article(&html, Some("https://gazette.example/news/x")).unwrap();
        assert_eq!(got.title, exp["title"].as_str().unwrap(), "{stem}");
        if let Some(want) = exp.get("authors") {
            let want: Vec<String> = serde_json::from_value(want.clone()).unwrap();
            assert_eq!(got.authors, want, "{stem}: authors");
        }
        if let Some(want) = exp.get("image_caption") {
            assert_eq!(
                got.image_caption.as_deref(),
                want.as_str(),
                "{stem}: caption"
            );
        }
        if let Some(want) = exp.get("tags") {
            let want: Vec<String> = serde_json::from_value(want.clone()).unwrap();
            assert_eq!(got.tags, want, "{stem}: tags");
        }
        for (field, value) in [
            ("published", got.published.map(|d| d.to_rfc3339())),
            ("lang", got.lang.clone()),
            ("canonical_url", got.canonical_url.clone()),
        ] {
            if let Some(want) = exp.get(field) {
                assert_eq!(value.as_deref(), want.as_str(), "{stem}: {field}");
            }
        }
        for s in exp["must_contain"].as_array().unwrap() {
            assert!(
                got.text.contains(s.as_str().unwrap()),
                "{stem}: missing {s}\n{}",
                got.text
            );
        }
        for s in exp["must_not_contain"].as_array().unwrap() {
            let s = s.as_str().unwrap();
            assert!(
                !got.text.contains(s) && !got.html.contains(s),
                "{stem}: kept {s}"
            );
        }
        // Loose text between blocks comes out as a paragraph of its own.
        for s in strings(&exp, "html_contains") {
            assert!(got.html.contains(s), "{stem}: html lacks {s}\n{}", got.html);
        }
        // A line repeated in the page (a widget per section) is kept once.
        for s in strings(&exp, "must_appear_once") {
            assert_eq!(got.text.matches(s).count(), 1, "{stem}: {s}\n{}", got.text);
        }
        // Paragraphs are separated by exactly one blank line.
        assert!(!got.text.contains("\n\n\n"), "{stem}");
        checked += 1;
    }
    assert!(checked >= 2);
}

#[test]
fn sanitizer_removes_active_content() {
    let dirty = r#"<p onclick="x()">Hi<script>alert(1)</script></p><a href="javascript:alert(1)">j</a>
        <img src="x" onerror="alert(1)"><svg><script>alert(2)</script></svg><iframe src="https://evil"></iframe>
        <a href="/rel">rel</a><style>p{}</style><!-- c -->"#;
    let clean = sanitize::html(dirty, Some("https://ex.org/a/"));
    for bad in [
        "script",
        "onclick",
        "onerror",
        "javascript:",
        "<svg",
        "iframe",
        "<style",
        "<!--",
    ] {
        assert!(!clean.contains(bad), "{bad} survived: {clean}");
    }
    assert!(clean.contains(r#"href="https://ex.org/rel""#), "{clean}");
    assert!(clean.contains("noopener"));
    // Without a base, relative URLs cannot be trusted and are dropped.
    assert!(!sanitize::html(r#"<a href="/rel">x</a>"#, None).contains("/rel"));
}

#[test]
fn dates_in_the_wild() {
    for (s, want) in [
        ("2024-03-05T09:30:00+01:00", "2024-03-05T08:30:00+00:00"),
        ("2024-03-05T09:30:00Z", "2024-03-05T09:30:00+00:00"),
        ("Tue, 05 Mar 2024 09:30:00 GMT", "2024-03-05T09:30:00+00:00"),
        (
            "2024-03-05T09:30:00.123+0100",
            "2024-03-05T08:30:00.123+00:00",
        ),
        ("2024-03-05 09:30:00", "2024-03-05T09:30:00+00:00"),
        ("2024-03-05", "2024-03-05T00:00:00+00:00"),
    ] {
        assert_eq!(
            parse_date(s).map(|d| d.to_utc().to_rfc3339()).as_deref(),
            Some(want),
            "{s}"
        );
    }
    assert_eq!(
        date::date_in_url("https://blog.example/2020/01/05/title/").map(|d| d.to_rfc3339()),
        Some("2020-01-05T00:00:00+00:00".into())
    );
    assert_eq!(
        date::date_in_url("https://ex.org/story/3000000218734/a-b"),
        None
    );
    for (text, want) in [
        ("Freitag, 28.04.2023, 19:25 Uhr", Some("2023-04-28")),
        ("Published 2020-01-05 by Robert", Some("2020-01-05")),
        ("31.02.2024 or 01.03.2024", Some("2024-03-01")),
        ("Version 12.34.5678", None),
        ("VON MORITZ GATHMANN am 21. April 2020", Some("2020-04-21")),
        ("Samstag, 5. Oktober 2013", Some("2013-10-05")),
        ("Wednesday, October 16, 2019", Some("2019-10-16")),
        ("8 January 2020, 3:51 pm", Some("2020-01-08")),
        ("Publicado el 3 de mayo de 2022", Some("2022-05-03")),
        ("le 14 février 2021 à 10h", Some("2021-02-14")),
        ("Stand: 05. Februar 2020, 01.03.2021", Some("2020-02-05")),
        ("top 10 may 1st", None),
        ("30 February 2020", None),
        ("call 030 123 456", None),
    ] {
        assert_eq!(
            meta::date_in_text(text).map(|d| d.date_naive().to_string()),
            want.map(String::from),
            "{text}"
        );
    }
    assert_eq!(parse_date("yesterday"), None);
    assert_eq!(parse_date(""), None);
}

/// Hostile pages end in a result or a clear error, quickly.
#[test]
fn bad_input_is_bounded() {
    let para = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.</p>";
    let cases: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("whitespace", " \n\t ".into()),
        ("frames", r#"<html><frameset cols="50%,50%"><frame src="a.html"><frame src="b.html"></frameset></html>"#.into()),
        ("scripts only", format!("<html><head>{}</head><body>{}</body></html>", "<script>var a=1;</script>".repeat(5000), "<script>x()</script>".repeat(5000))),
        ("broken markup", format!("<html><body><div><p>Unclosed <b>bold <i>italic {} <table><tr><td>cell</div></span>", para.repeat(20))),
        ("1.5 MB page", format!("<html><body><article>{}</article></body></html>", para.repeat(1_500_000 / para.len()))),
        ("deep nesting", format!("<html><body>{}text{}</body></html>", "<div>".repeat(20_000), "</div>".repeat(20_000))),
        ("unknown charset", courant_fetch::decode(format!("<meta charset=\"x-klingon-9\"><body>{}\u{e9}\u{ff}</body>", para.repeat(5)).as_bytes(), None).text),
        ("binary junk", String::from_utf8_lossy(&(0..200_000u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<_>>()).into_owned()),
    ];
    for (name, html) in cases {
        let start = Instant::now();
        let res = article(&html, Some("https://ex.org/"));
        let took = start.elapsed();
        eprintln!("{name}: {took:?}");
        assert!(took < Duration::from_secs(20), "{name} took {took:?}");
        match name {
            "empty" | "whitespace" => assert!(matches!(res, Err(Error::Empty)), "{name}: {res:?}"),
            "scripts only" | "frames" | "deep nesting" => assert!(res.is_err(), "{name}: {res:?}"),
            "1.5 MB page" | "broken markup" | "unknown charset" => {
                let a = res.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(a.text.contains("Lorem ipsum"), "{name}");
            }
            _ => {}
        }
    }
}

/// A URL that is not http(s) is ignored instead of failing the page, and a
/// standfirst above the content container leads the body.
#[test]
fn odd_url_and_standfirst() {
    let lead = "The council has approved a plan to rebuild the old harbour wall after years of delay and rising costs.";
    let body = "<p>Work will start in spring and take two years, the council said on Tuesday after a long debate in the chamber.</p>".repeat(6);
    let html = format!(
        r#"<html><head><meta name="description" content="{lead}"></head><body>
        <header><h1>Harbour wall</h1><p class="lead">{lead}</p></header>
        <div class="content">{body}</div></body></html>"#
    );
    for url in [Some("hard::page.html"), Some("file:///tmp/x.html"), None] {
        let a = article(&html, url).unwrap_or_else(|e| panic!("{url:?}: {e}"));
        assert!(a.text.starts_with(lead), "{url:?}: {}", a.text);
        assert_eq!(a.text.matches(lead).count(), 1);
        assert!(a.text.contains("Work will start in spring"));
    }
}

#[test]
fn byline_labels_leave_names() {
    for (byline, want) in [
        ("By Jane Doe and John Roe", vec!["Jane Doe", "John Roe"]),
        ("Author Daniel Lemire", vec!["Daniel Lemire"]),
        ("AuthorAndreas Kalt", vec!["Andreas Kalt"]),
        ("Veröffentlicht vonChris Jung", vec!["Chris Jung"]),
        ("Vom Support Team", vec!["Support Team"]),
        ("~ Cem Basman", vec!["Cem Basman"]),
        ("Robert -", vec!["Robert"]),
        (
            "Autor: Eva Schmidt | Redaktion",
            vec!["Eva Schmidt", "Redaktion"],
        ),
        ("Byron Katie", vec!["Byron Katie"]),
        ("Vonnegut", vec!["Vonnegut"]),
        ("Por María López", vec!["María López"]),
    ] {
        assert_eq!(meta::split_names(byline), want, "{byline}");
    }
}

/// A feed summary's text keeps what sits beside its blocks: bare text after a
/// paragraph, lines broken by `<br>`, and no line breaks from the markup.
#[test]
fn summary_text_keeps_loose_text() {
    for (html, want) in [
        ("<p>One</p>Two<br>Three", "One\n\nTwo\nThree"),
        (
            "Lead line,\nwrapped<p>Body</p>",
            "Lead line, wrapped\n\nBody",
        ),
        (
            "<div><b>Label:</b></div> value <div>Next</div>",
            "Label:\n\nvalue\n\nNext",
        ),
        ("<pre>a\n  b</pre>", "a\nb"),
    ] {
        assert_eq!(sanitize::text(html), want, "{html:?}");
    }
}

/// An article cut into parts (ads and sign-up boxes between them): when the
/// pick holds one part, the others join it in page order, and same-class
/// teaser cards (a linked headline and one summary) do not.
#[test]
fn a_pick_of_one_part_gets_the_other_parts() {
    let html = std::fs::read_to_string(testdata().join("en-split-article.html")).unwrap();
    let doc = dom_query::Document::from(html.as_str());
    prune::furniture(&doc);
    let groups = prune::parts(&doc);
    let middle = [
        "Shopkeepers on Quay Street said the move would cost them the passengers who walk past their windows twice a day. The bakery at the corner said a third of its morning trade comes off the first ferry.",
        "The board's chair said the engineers had given no choice. A pier that might fail under a full gangway could not stay open, she said, whatever it cost the street.",
        "A shuttle bus will run between the north berth and the bus station every fifteen minutes while the ferries run, paid for by the board for the first year.",
    ];
    let pick_html: String = middle.iter().map(|p| format!("<p>{p}</p>")).collect();
    let whole =
        mend::rejoin_parts(&groups, &middle.join("\n\n"), &pick_html).expect("the other parts");
    let at = |s: &str| whole.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("two of its timber piles") < at("Shopkeepers on Quay Street"));
    assert!(at("Shopkeepers on Quay Street") < at("a covered waiting room"));
    assert!(!whole.contains("Swing bridge"), "a teaser joined");
    assert!(!whole.contains("Saturday market"), "a teaser joined");
    // A pick that holds every part is left alone.
    let all = article(&html, None).unwrap();
    assert!(mend::rejoin_parts(&groups, &all.text, &all.html).is_none());
}
