use super::*;

#[test]
fn declared_language_wins_on_short_text() {
    let d = decide("Berlin", Some("de")).unwrap();
    assert_eq!((d.lang.as_str(), d.method), ("de", "declared"));
}

#[test]
fn confident_long_text_overrides_a_wrong_declaration() {
    let text = "Die Bundesregierung hat am Dienstag in Berlin beschlossen, die Förderung für \
        erneuerbare Energien deutlich auszubauen. Nach Angaben des Ministeriums sollen die Mittel \
        im kommenden Jahr verdoppelt werden, um den Ausbau von Wind- und Solaranlagen zu beschleunigen.";
    let d = decide(text, Some("en")).unwrap();
    assert_eq!(d.lang, "de");
    let agree = decide(text, Some("de")).unwrap();
    assert_eq!(agree.method, "declared+detected");
}

#[test]
fn nothing_known() {
    assert_eq!(decide("", None), None);
    assert_eq!(decide("12345 !!!", None), None);
}

#[test]
fn huge_text_is_sampled() {
    let text = "The quick brown fox jumps over the lazy dog. ".repeat(50_000);
    assert_eq!(detect(&text).unwrap().lang, "en");
}

/// Accuracy on the bundled multilingual corpus (one-sentence Wikipedia blurbs, the
/// hard case), for the languages whatlang knows. Declared languages are not used.
#[test]
fn itn_blurbs_detected_without_hints() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../courant-origin/demo-data/itn-corpus.json"
    );
    let corpus: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let known: std::collections::HashSet<&str> = whatlang::Lang::all()
        .iter()
        .map(|l| to_iso639_1(l.code()))
        .collect();
    let (mut total, mut right) = (0, 0);
    for group in corpus.as_object().unwrap().values() {
        for b in group.as_object().unwrap().values() {
            let lang = b["lang"].as_str().unwrap();
            if !known.contains(lang) {
                continue;
            }
            let html = b["blurb"].as_str().unwrap();
            let text: String = strip(html);
            total += 1;
            if detect(&text).is_some_and(|d| d.lang == lang) {
                right += 1;
            }
        }
    }
    let acc = right as f64 / total as f64;
    eprintln!("itn blurbs: {right}/{total} = {acc:.3}");
    assert!(total > 2500);
    assert!(acc > 0.85, "accuracy {acc:.3}");
}

fn strip(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn close_languages_keep_their_declaration() {
    // Malay that a trigram detector reads as Indonesian.
    let text = "Perdana Menteri Malaysia telah mengumumkan bahawa kerajaan akan memperkenalkan \
        langkah-langkah baharu untuk mengurangkan kos sara hidup rakyat, termasuk subsidi bahan api \
        dan bantuan tunai kepada isi rumah berpendapatan rendah di seluruh negara mulai bulan hadapan.";
    assert_eq!(decide(text, Some("ms")).unwrap().lang, "ms");
}

#[test]
fn plain_text_joins_soft_hyphens_and_composes() {
    let soft = "Im Mit\u{ad}tel\u{ad}al\u{ad}ter in M\u{75}\u{308}nchen";
    assert_eq!(
        words(&plain(soft)),
        vec!["Im", "Mittelalter", "in", "München"]
    );
    // Nothing to do: the text itself comes back, not a copy.
    let clean = "Im Mittelalter in München";
    assert!(matches!(plain(clean), std::borrow::Cow::Borrowed(_)));
}
