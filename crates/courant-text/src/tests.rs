use super::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn entities_decode_as_the_table_says() {
    let table = fixture("entities.tsv");
    let mut rows = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let (input, want) = line.split_once('\t').expect("two columns");
        let want = want.replace("<nbsp>", "\u{a0}");
        assert_eq!(decode_entities(input), want, "{input}");
        rows += 1;
    }
    assert!(rows >= 10, "the table was read");
}

#[test]
fn escaping_round_trips_through_decoding() {
    for s in [
        "a < b & c > d",
        "\"quoted\" and 'single'",
        "plain",
        "&amp; already",
    ] {
        assert_eq!(decode_entities(&escape_html(s)), s);
        assert_eq!(decode_entities(&escape_text(s)), s);
    }
    assert_eq!(escape_text("\"x\" <y>"), "\"x\" &lt;y&gt;");
    assert_eq!(escape_html("\"x\" 'y'"), "&quot;x&quot; &#39;y&#39;");
}

#[test]
fn strip_tags_leaves_plain_squashed_text() {
    let cases = [
        ("<b>Bold</b> &amp; <i>more</i>", "Bold & more"),
        ("  two\n\nlines&nbsp;here ", "two lines here"),
        ("a > b", "a > b"),
        ("<unclosed text", ""),
        ("1 < 2", "1 < 2"),
        (
            "safe<script type=\"x\">go('<b>')</script> text",
            "safe text",
        ),
        ("<STYLE>p { }</STYLE>b<!-- <i>c</i> -->d", "bd"),
        ("<script>never closed", ""),
    ];
    for (html, want) in cases {
        assert_eq!(strip_tags(html), want, "{html}");
    }
}

#[test]
fn sentences_and_paragraphs_carry_offsets() {
    let text = "First one. Second one!\n\n  Third: \"Quoted.\" Fourth?";
    let pars = paragraphs(text);
    assert_eq!(pars.len(), 2);
    let (off, par) = pars[1];
    assert_eq!(&text[off..off + par.len()], par);
    let sents: Vec<&str> = sentences(pars[0].1)
        .into_iter()
        .map(|(s, e)| &pars[0].1[s..e])
        .collect();
    assert_eq!(sents, ["First one.", "Second one!"]);
}

#[test]
fn furniture_is_labels_captions_and_disclaimers_only() {
    let furniture = [
        "Read more",
        "Mehr zum Thema:",
        "Advertisement 2",
        "FILE - A view of the harbour at dawn.",
        "The minister at the summit. (AP Photo/Jane Doe)",
        "This story was generated from a wire agency feed. Only the headline has been changed.",
    ];
    let news = [
        "The minister said the harbour would reopen on Monday.",
        "Read more about the budget in the finance committee's report, published on Tuesday with figures for every region.",
        "Die Regierung will mehr zum Thema Wohnen sagen, hieß es am Dienstag in Berlin.",
    ];
    for p in furniture {
        assert!(is_furniture(p), "furniture: {p}");
    }
    for p in news {
        assert!(!is_furniture(p), "news: {p}");
    }
}

#[test]
fn plausible_years_bound_news_dates() {
    assert!(PLAUSIBLE_YEARS.contains(&2026));
    assert!(!PLAUSIBLE_YEARS.contains(&1970));
    assert!(!PLAUSIBLE_YEARS.contains(&2999));
}

#[test]
fn xml_keeps_only_what_xml_can_hold() {
    let cases = [
        ("plain", "plain"),
        ("tab\tnew\nline\rreturn", "tab\tnew\nline\rreturn"),
        ("bell\u{7}and\u{1}null\u{0}", "bellandnull"),
        ("\u{FFFE}\u{FFFF}ok\u{FFFD}", "ok\u{FFFD}"),
        ("Grüße 東京 \u{1F600}", "Grüße 東京 \u{1F600}"),
        ("\u{85}next line", "\u{85}next line"),
    ];
    for (input, want) in cases {
        assert_eq!(xml_text(input), want, "{input:?}");
    }
    assert_eq!(escape_xml("a\u{1} < b"), "a &lt; b");
}

#[test]
fn clip_bounds_characters_not_bytes() {
    let cases: &[(&str, usize, &str)] = &[
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("eleven char", 10, "eleven ch…"),
        ("two words here", 5, "two…"),
        ("ÄÖÜäöüß日本語", 4, "ÄÖÜ…"),
        ("anything", 0, ""),
        ("", 3, ""),
    ];
    for (text, max, want) in cases {
        let mut s = text.to_string();
        clip(&mut s, *max);
        assert_eq!(s, *want, "{text:?} at {max}");
        assert!(s.chars().count() <= *max);
    }
    let mut huge = "x".repeat(1_000_000);
    clip(&mut huge, MAX_TITLE_CHARS);
    assert_eq!(huge.chars().count(), MAX_TITLE_CHARS);
}
