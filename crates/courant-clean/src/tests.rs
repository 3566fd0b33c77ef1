use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use super::*;

fn lexicons() -> &'static Lexicons {
    static LEX: OnceLock<Lexicons> = OnceLock::new();
    LEX.get_or_init(|| {
        let (lex, missing) = Lexicons::load_system();
        assert!(
            missing.is_empty(),
            "word lists missing: {missing:?}; scripts/test.sh installs them (see README)"
        );
        lex
    })
}

fn cases(file: &str) -> Vec<serde_json::Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(file);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn same(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// Per kind: (true positives, false positives, false negatives).
type Tally = BTreeMap<String, (usize, usize, usize)>;

/// Runs the checker on every case file and tallies per kind; returns failures.
fn run_cases(files: &[&str]) -> (Tally, Vec<String>) {
    let mut tally = Tally::new();
    let mut failures = Vec::new();
    for file in files {
        for case in cases(file) {
            let id = case["id"].as_str().unwrap();
            let text = case["text"].as_str().unwrap();
            let lang = case["lang"].as_str();
            let found = check(text, lang, lexicons());
            let mut used = vec![false; found.len()];
            for d in case["defects"].as_array().unwrap() {
                let kind = d["kind"].as_str().unwrap();
                let span = d["span"].as_str().unwrap();
                let hit = found.iter().enumerate().position(|(k, f)| {
                    !used[k]
                        && f.kind.as_str() == kind
                        && same(&f.span, span)
                        && match d["repair"].as_str() {
                            Some(r) => f.repair.as_deref().is_some_and(|fr| same(fr, r)),
                            None => true,
                        }
                });
                let t = tally.entry(kind.to_string()).or_default();
                match hit {
                    Some(k) => {
                        used[k] = true;
                        t.0 += 1;
                    }
                    None => {
                        t.2 += 1;
                        failures.push(format!("{id}: missed {kind} {span:?}; found {found:?}"));
                    }
                }
            }
            for (k, f) in found.iter().enumerate().filter(|(k, _)| !used[*k]) {
                let _ = k;
                tally.entry(f.kind.as_str().to_string()).or_default().1 += 1;
                failures.push(format!(
                    "{id}: false {} {:?} in {text:?}",
                    f.kind.as_str(),
                    f.span
                ));
            }
        }
    }
    (tally, failures)
}

fn report(tally: &Tally) -> String {
    let mut s = String::from("kind                 TP  FP  FN  precision  recall\n");
    for (k, (tp, fp, fn_)) in tally {
        let p = if tp + fp == 0 {
            1.0
        } else {
            *tp as f64 / (tp + fp) as f64
        };
        let r = if tp + fn_ == 0 {
            1.0
        } else {
            *tp as f64 / (tp + fn_) as f64
        };
        s.push_str(&format!(
            "{k:<20} {tp:>3} {fp:>3} {fn_:>3}  {p:>9.2}  {r:>6.2}\n"
        ));
    }
    s
}

/// The shared development cases: every defect found with its repair, nothing else flagged.
#[test]
fn development_cases() {
    let (tally, failures) = run_cases(&["dev-cases.jsonl"]);
    eprintln!("{}", report(&tally));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Cases written for courant beyond the shared ones: other words, other sentences.
#[test]
fn own_cases() {
    let (tally, failures) = run_cases(&["own-cases.jsonl"]);
    eprintln!("{}", report(&tally));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn translation_pairs() {
    for case in cases("dev-translation-pairs.jsonl") {
        let flags = check_translation(
            case["source"].as_str().unwrap(),
            case["source_lang"].as_str().unwrap(),
            case["target"].as_str().unwrap(),
            case["target_lang"].as_str().unwrap(),
            lexicons(),
        );
        let mut got: Vec<&str> = flags.iter().map(|f| f.flag).collect();
        got.sort();
        got.dedup();
        let mut want: Vec<&str> = case["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        want.sort();
        assert_eq!(got, want, "{}: {flags:?}", case["id"]);
    }
}

#[test]
fn repair_applies_safe_findings_only() {
    let text = "Die Ministerin sagte, die Verhandlungender Koalition seien am Abend gescheitert.Das erklärte der Sprecher.";
    let (cleaned, findings) = clean(text, Some("de"), lexicons());
    assert_eq!(
        cleaned,
        "Die Ministerin sagte, die Verhandlungen der Koalition seien am Abend gescheitert. Das erklärte der Sprecher."
    );
    assert_eq!(findings.len(), 2);
    // Offsets point into the original.
    for f in &findings {
        assert_eq!(&text[f.start..f.end], f.span);
    }
    // Deleting a caption paragraph leaves no empty paragraph behind.
    let text =
        "First paragraph here.\n\nFILE - A man walks by. (AP Photo/John Doe)\n\nLast paragraph.";
    assert_eq!(
        clean(text, Some("en"), lexicons()).0,
        "First paragraph here.\n\nLast paragraph."
    );
}

#[test]
fn without_word_lists_only_structural_rules_run() {
    let text = "The ministersaid the the talks failed.Officials left.";
    let f = check(text, Some("en"), &Lexicons::none());
    let kinds: Vec<_> = f.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, vec![Kind::RepeatedPhrase, Kind::MissingSpace]);
}

#[test]
fn hostile_text_is_bounded() {
    let long = "Wort ".repeat(400_000);
    let start = std::time::Instant::now();
    let _ = check(&long, Some("de"), lexicons());
    let _ = check("", None, lexicons());
    let _ = check("„„„„»»««\"\"\"", Some("de"), lexicons());
    let _ = check(&"ä".repeat(100_000), Some("de"), lexicons());
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn numbers_by_language() {
    assert_eq!(
        translation::numbers("1,100 and 4.5 and 2025", "en"),
        vec![1100.0, 4.5, 2025.0]
    );
    assert_eq!(
        translation::numbers("1.100 und 4,5 und 11.000", "de"),
        vec![1100.0, 4.5, 11000.0]
    );
    assert_eq!(
        translation::numbers("1 100 et 4,5", "fr"),
        vec![1100.0, 4.5]
    );
}

#[test]
fn names_are_the_runs_the_lexicon_does_not_know() {
    let text = "Prime Minister Ulf Kristersson met Condoleezza Rice at the White House. In Kyiv it was quiet, said NATO.";
    let got = crate::names(text, "en", lexicons());
    if lexicons().get("en").is_none() {
        eprintln!("skipped: no English word list");
        assert!(got.is_empty());
        return;
    }
    assert_eq!(got, ["Ulf Kristersson", "Condoleezza Rice", "Kyiv"]);
    // No lexicon, no guess.
    assert!(crate::names(text, "xx", lexicons()).is_empty());
}
