use std::collections::HashMap;

use super::*;

fn doc<'a>(id: &'a str, title: &'a str, text: &'a str, day: i64) -> Doc<'a> {
    Doc {
        id,
        title,
        text,
        lang: Some("en"),
        published: Some(1_700_000_000 + day * 86_400),
        url: None,
        vector: None,
    }
}

const QUAKE_TURKEY: &str = "A magnitude 7.8 earthquake struck southern Turkey near Gaziantep early on Monday, \
    toppling buildings in Kahramanmaras and Hatay. Rescue teams searched the rubble for survivors as \
    aftershocks shook the region. The Turkish disaster agency AFAD said hundreds of people were killed.";
const QUAKE_TURKEY_COPY: &str = "A magnitude 7.8 earthquake struck southern Turkey near Gaziantep early on Monday, \
    toppling buildings in Kahramanmaras and Hatay. Rescue teams searched the rubble for survivors as \
    aftershocks shook the region. The Turkish disaster agency AFAD said hundreds were killed, Reuters reported.";
const QUAKE_TURKEY_LATER: &str = "Rescue teams in Gaziantep and Hatay pulled more survivors from the rubble \
    a week after the earthquake in southern Turkey. AFAD said the death toll from the Kahramanmaras \
    earthquake had risen, while aid arrived from abroad.";
const QUAKE_CHILE: &str = "A magnitude 6.9 earthquake hit central Chile near Valparaiso on Thursday, \
    damaging houses in Vina del Mar. The Chilean emergency office ONEMI said no tsunami warning was issued \
    and two people were injured by falling debris.";

#[test]
fn syndicated_copies_merge_into_one_story() {
    let mut c = Clusterer::new(Config::default());
    let a = c.add(&doc(
        "a",
        "Earthquake kills hundreds in Turkey",
        QUAKE_TURKEY,
        0,
    ));
    let b = c.add(&doc(
        "b",
        "Earthquake kills hundreds in Turkey",
        QUAKE_TURKEY_COPY,
        0,
    ));
    assert_eq!(a.duplicate_of, None);
    assert_eq!(b.duplicate_of.as_deref(), Some("a"));
    assert_eq!(a.story, b.story);
}

#[test]
fn stories_grow_over_time_and_hard_negatives_stay_apart() {
    let mut c = Clusterer::new(Config::default());
    let turkey = c.add(&doc(
        "t1",
        "Earthquake kills hundreds in Turkey",
        QUAKE_TURKEY,
        0,
    ));
    let chile = c.add(&doc(
        "c1",
        "Earthquake damages houses in Chile",
        QUAKE_CHILE,
        1,
    ));
    let later = c.add(&doc(
        "t2",
        "Survivors pulled from rubble in Turkey",
        QUAKE_TURKEY_LATER,
        7,
    ));
    assert_ne!(turkey.story, chile.story, "same topic, other event");
    assert_eq!(later.story, turkey.story, "the story goes on a week later");
    assert_eq!(later.duplicate_of, None);
    assert_eq!(c.stories(), 2);
}

#[test]
fn re_adding_changes_nothing() {
    let mut c = Clusterer::new(Config::default());
    let first = c.add(&doc(
        "a",
        "Earthquake kills hundreds in Turkey",
        QUAKE_TURKEY,
        0,
    ));
    let again = c.add(&doc(
        "a",
        "Earthquake kills hundreds in Turkey",
        QUAKE_TURKEY,
        0,
    ));
    assert_eq!(first.story, again.story);
    assert_eq!((c.len(), c.stories()), (1, 1));
}

#[test]
fn odd_input_gets_a_sensible_result() {
    let mut c = Clusterer::new(Config::default());
    let empty = c.add(&doc("e", "", "", 0));
    let other = c.add(&doc("f", "", "", 0));
    assert_ne!(empty.story, other.story, "nothing in common is no story");
    let huge = "word ".repeat(400_000) + QUAKE_TURKEY;
    let start = std::time::Instant::now();
    let h = c.add(&doc("h", "Big", &huge, 0));
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(h.duplicate_of, None);
    let unknown = c.add(&Doc {
        id: "u",
        title: "Zxqv wplk",
        text: "Qwrt zxcv plkm",
        lang: Some("xx"),
        published: None,
        url: None,
        vector: None,
    });
    assert!(unknown.story < 10);
}

#[test]
fn similarity_scores_pairs() {
    let docs = [
        QUAKE_TURKEY,
        QUAKE_TURKEY_COPY,
        QUAKE_TURKEY_LATER,
        QUAKE_CHILE,
    ];
    let f: Vec<Features> = docs.iter().map(|d| features("", d, "en")).collect();
    let mut df = HashMap::new();
    for x in &f {
        for t in x.terms.keys() {
            *df.entry(t.clone()).or_insert(0) += 1;
        }
    }
    let model = Model::default();
    let s = |a: usize, b: usize| similarity(&f[a], &f[b], &df, 4, &model, None);
    assert!(s(0, 1) > 0.9);
    assert!(s(0, 2) > s(0, 3));
    assert!((0.0..=1.0).contains(&s(0, 3)));
}

#[test]
fn replayed_state_decides_like_the_live_one() {
    let stream = [
        doc("t1", "Earthquake kills hundreds in Turkey", QUAKE_TURKEY, 0),
        doc(
            "t1c",
            "Earthquake kills hundreds in Turkey",
            QUAKE_TURKEY_COPY,
            0,
        ),
        doc("c1", "Earthquake damages houses in Chile", QUAKE_CHILE, 1),
    ];
    let mut live = Clusterer::new(Config::default());
    let placed: Vec<Assignment> = stream.iter().map(|d| live.add(d)).collect();
    let mut replayed = Clusterer::new(Config::default());
    for (d, a) in stream.iter().zip(&placed) {
        replayed.restore(d, a.story, a.duplicate_of.is_some());
    }
    let next = doc(
        "t2",
        "Survivors pulled from rubble in Turkey",
        QUAKE_TURKEY_LATER,
        7,
    );
    let from_live = live.add(&next);
    let from_replay = replayed.add(&next);
    // Term ids come from hash-map order, so sums may differ in the last bit.
    assert_eq!(
        (from_live.story, &from_live.duplicate_of, &from_live.related),
        (
            from_replay.story,
            &from_replay.duplicate_of,
            &from_replay.related
        )
    );
    assert!((from_live.similarity - from_replay.similarity).abs() < 1e-4);
    assert_eq!(from_live.story, placed[0].story);
    // A new story after a replay never reuses an id.
    let fresh = replayed.add(&doc(
        "x",
        "Parliament passes budget",
        "The parliament of Estonia passed the budget for next year after a long debate.",
        8,
    ));
    assert!(placed.iter().all(|a| a.story != fresh.story));
}

#[test]
fn related_stories_are_reported_below_the_joining_threshold() {
    let mut c = Clusterer::new(Config::default());
    let turkey = c.add(&doc(
        "t1",
        "Earthquake kills hundreds in Turkey",
        QUAKE_TURKEY,
        0,
    ));
    let chile = c.add(&doc(
        "c1",
        "Earthquake damages houses in Chile",
        QUAKE_CHILE,
        1,
    ));
    assert_ne!(turkey.story, chile.story);
    assert!(
        chile.related.iter().any(|(s, _)| *s == turkey.story),
        "{:?}",
        chile.related
    );
    assert!(chile.related.iter().all(|(_, sim)| *sim < 0.2));
}

// Two stories opened apart (a month between them, and little in common) merge
// when an article belongs to both (here at a probability of 0.3, below the
// default, since the two halves share few words); the merged id resolves to
// the older story for good.
#[test]
fn stories_merge_and_old_ids_resolve() {
    let cfg = Config {
        merge_threshold: 0.3,
        ..Config::default()
    };
    let mut c = Clusterer::new(cfg);
    let a = c.add(&doc(
        "a",
        "Chemical plant blast in Ludwigshafen",
        "An explosion at the BASF chemical plant in Ludwigshafen injured workers. Firefighters \
         contained the blaze at the BASF site and measured the air near Ludwigshafen.",
        0,
    ));
    let b = c.add(&doc(
        "b",
        "Prosecutors question BASF managers",
        "Prosecutors opened an investigation into BASF, questioning managers about safety checks \
         and maintenance records. The company said managers cooperate with prosecutors.",
        40,
    ));
    assert_ne!(a.story, b.story, "a month apart, time keeps them apart");
    let bridge = c.add(&doc(
        "m",
        "BASF Ludwigshafen explosion: prosecutors question managers",
        "After the explosion at the BASF chemical plant in Ludwigshafen injured workers and \
         firefighters contained the blaze, prosecutors opened an investigation and questioned \
         managers about safety checks before the blast.",
        40,
    ));
    assert_eq!(bridge.merged.len(), 1, "{bridge:?}");
    assert_eq!(bridge.story, a.story, "the older story survives");
    assert_eq!(c.resolve(b.story), a.story);
    assert_eq!(c.resolve(a.story), a.story);
    assert_eq!(c.stories(), 1);
}

#[test]
fn words_keep_their_marks_and_unspaced_scripts_become_bigrams() {
    // Devanagari vowel signs are combining marks: the word stays whole.
    let f = features("", "भारत सरकार ने नई नीति घोषित की", "hi");
    assert!(
        f.terms.keys().any(|t| t.ends_with(":सरकार")),
        "{:?}",
        f.terms.keys()
    );
    // Thai has no spaces: bigrams, and the tone mark stays with its letter.
    let f = features("", "นายกรัฐมนตรี", "th");
    assert!(
        f.terms.keys().any(|t| t.ends_with(":นา")),
        "{:?}",
        f.terms.keys()
    );
    assert!(f.terms.len() > 5);
    let f = features("", "東京都知事選挙", "ja");
    assert!(
        f.terms.keys().any(|t| t.ends_with(":東京")),
        "{:?}",
        f.terms.keys()
    );
}

// A join threshold far too low (a probability of 0.02) chains two events
// into one story; the split check divides the story and the second event's
// articles move to a new one, while the first keeps the id.
#[test]
fn a_chained_story_splits() {
    let cfg = Config {
        join_threshold: 0.02,
        merge_threshold: 2.0,
        ..Config::default()
    };
    let mut c = Clusterer::new(cfg);
    let quake = [
        "Rescue teams searched the rubble in Gaziantep after the earthquake, officials reported Monday.",
        "Aftershocks shook Gaziantep as rescue teams pulled survivors from the earthquake rubble, officials reported Monday.",
        "The earthquake death toll in Gaziantep rose as rescue teams kept digging through rubble, officials reported Monday.",
        "Survivors of the Gaziantep earthquake slept in tents while rescue teams cleared rubble, officials reported Monday.",
    ];
    let budget = [
        "Estonian lawmakers passed the budget with tax rises after a long parliament debate, officials reported Monday.",
        "The Estonian parliament budget vote followed a debate on tax rises and defence spending, officials reported Monday.",
        "Estonian opposition lawmakers attacked the tax rises in the budget debate in parliament, officials reported Monday.",
        "After the parliament debate, the Estonian budget with its tax rises goes to the president, officials reported Monday.",
    ];
    let mut placed = Vec::new();
    for (i, (q, b)) in quake.iter().zip(&budget).enumerate() {
        placed.push((
            format!("q{i}"),
            c.add(&doc(&format!("q{i}"), "", q, i as i64)),
        ));
        placed.push((
            format!("b{i}"),
            c.add(&doc(&format!("b{i}"), "", b, i as i64)),
        ));
    }
    let first = placed[0].1.story;
    assert!(
        placed[..7].iter().all(|(_, a)| a.story == first),
        "everything chained into one story before the split"
    );
    let last = &placed.last().unwrap().1;
    assert!(
        !last.moved.is_empty(),
        "the eighth join triggers the split: {last:?}"
    );
    let now = |id: &str| c.story_of(id).unwrap();
    for i in 0..4 {
        assert_eq!(now(&format!("q{i}")), first, "the first event keeps the id");
    }
    let second = now("b0");
    assert_ne!(second, first);
    for i in 1..4 {
        assert_eq!(now(&format!("b{i}")), second);
    }
    assert!(last
        .moved
        .iter()
        .all(|(id, s)| id.starts_with('b') && *s == second));
    assert_eq!(c.stories(), 2);
}

/// One article of a stream in `testdata/`.
struct Line {
    value: serde_json::Value,
    /// The caller's embedding, if the stream gives one.
    vector: Option<Vec<f32>>,
}

impl Line {
    fn str(&self, key: &str) -> Option<&str> {
        self.value[key].as_str()
    }

    fn doc(&self) -> Doc<'_> {
        Doc {
            id: self.str("id").expect("id"),
            title: self.str("title").unwrap_or(""),
            text: self.str("text").unwrap_or(""),
            lang: self.str("lang"),
            published: self.value["published"].as_i64(),
            url: self.str("url"),
            vector: self.vector.as_deref(),
        }
    }
}

fn stream(name: &str) -> Vec<Line> {
    let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|l| {
            let value: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}: {e}"));
            let vector = value["vector"].as_array().map(|a| {
                a.iter()
                    .map(|x| x.as_f64().expect("a number") as f32)
                    .collect()
            });
            Line { value, vector }
        })
        .collect()
}

/// A slug is a path segment of three or more words; the rest of a URL is not.
#[test]
fn slug_words_are_the_slug_only() {
    let cases: [(&str, &[&str]); 7] = [
        (
            "http://www.latimes.com/business/money/la-fi-mo-federal-reserve-plosser-stimulus-economy-20140310,0,1312750.story\\?track=rss",
            &["federal", "reserve", "plosser", "stimulus", "economy"],
        ),
        ("https://example.com/news/world/", &[]),
        ("https://example.com/2025/12/06/88412", &[]),
        (
            "https://www.example.de/politik/m%C3%BCnchen-w%C3%A4hlt-neuen-b%C3%BCrgermeister-a-1234.html",
            &["münchen", "wählt", "neuen", "bürgermeister"],
        ),
        ("https://example.com/article?slug=fed-holds-rates-steady", &[]),
        ("fed-holds-rates-steady", &[]),
        ("https://example.com/a/b#fed-holds-rates-steady", &[]),
    ];
    for (url, words) in cases {
        assert_eq!(slug_words(url), words, "{url}");
    }
    let long = format!("https://example.com/{}", "word-".repeat(1000));
    assert!(slug_words(&long).is_empty(), "an oversized URL is not read");
}

/// Every stream in `testdata/*.jsonl`, placed in order: articles with the
/// same `gold` label end in one story and articles with different labels in
/// different stories, except that an article whose `linked` names another
/// label may be in that story or list it as related (a follow-up months
/// later); `duplicate_of` is the copy found.
#[test]
fn check() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("testdata")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".jsonl"))
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for name in names {
        let lines = stream(&name);
        let mut c = Clusterer::new(Config::default());
        let mut related: HashMap<String, Vec<u64>> = HashMap::new();
        for line in &lines {
            let a = c.add(&line.doc());
            let id = line.str("id").expect("id");
            assert_eq!(
                a.duplicate_of.as_deref(),
                line.str("duplicate_of"),
                "{name}: copy of {id}"
            );
            related.insert(id.to_string(), a.related.iter().map(|r| r.0).collect());
        }
        c.settle();
        let story = |id: &str| c.story_of(id).expect("placed");
        for a in &lines {
            for b in &lines {
                let (ia, ib) = (a.str("id").expect("id"), b.str("id").expect("id"));
                let same = story(ia) == story(ib);
                if a.str("gold") == b.str("gold") {
                    assert!(same, "{name}: {ia} and {ib} are one story");
                } else if a.str("linked").is_some() && a.str("linked") == b.str("gold") {
                    let linked = related[ia].iter().any(|&s| c.resolve(s) == story(ib));
                    assert!(same || linked, "{name}: {ia} is linked to {ib}");
                } else if b.str("linked").is_none() || b.str("linked") != a.str("gold") {
                    assert!(!same, "{name}: {ia} and {ib} are different stories");
                }
            }
        }
    }
}

// An article that opened a story of its own because nothing like it had come
// yet joins the story later articles show it belongs to, on the second look
// (merges on arrival are off here, so only the second look can do it).
#[test]
fn second_look_brings_an_early_article_into_its_story() {
    let cfg = Config {
        merge_threshold: 2.0,
        ..Config::default()
    };
    let mut c = Clusterer::new(cfg);
    let lines = stream("second-look.jsonl");
    let placed: Vec<Assignment> = lines.iter().map(|l| c.add(&l.doc())).collect();
    assert_ne!(placed[0].story, placed[1].story, "m2 opens its own story");
    assert!(placed.iter().all(|a| a.merged.is_empty()));
    let (moved, merged) = c.settle();
    assert!(moved.is_empty(), "{moved:?}");
    assert_eq!(merged, vec![(placed[1].story, placed[0].story)]);
    assert_eq!(c.story_of("m2"), Some(placed[0].story));
    assert_eq!(c.resolve(placed[1].story), placed[0].story);
    assert_ne!(c.story_of("x1"), Some(placed[0].story));
}

/// German capitalizes every noun: there only runs and acronyms are names.
#[test]
fn german_names_are_runs_and_acronyms() {
    let text = "Am Montag sagte die Polizei in Kassel, Bundeskanzler Olaf Scholz \
                und die SPD seien auf der A7 im Stau gewesen. Der US-Markt reagierte.";
    let names = |lang: &str| -> Vec<String> {
        let mut n: Vec<String> = features("", text, lang)
            .terms
            .into_keys()
            .filter(|t| group_of(t) == Group::Names)
            .map(|t| t.split_once(":N:").map(|(_, n)| n.to_string()).unwrap_or(t))
            .collect();
        n.sort();
        n
    };
    assert_eq!(
        names("de"),
        ["a7", "bundeskanzler olaf scholz", "spd", "us-markt"]
    );
    // English capitals mark names, so single words count there.
    assert!(names("en").contains(&"kassel".to_string()));
    assert!(names("en").contains(&"polizei".to_string()));
}

#[test]
fn soft_hyphens_and_decomposed_letters_do_not_split_words() {
    let marked = "Die Mit\u{ad}tel\u{ad}al\u{ad}ter\u{ad}mes\u{ad}se in Mu\u{308}nchen \
                  lockte am Wochenende viele Besucher an.";
    let plain = "Die Mittelaltermesse in München lockte am Wochenende viele Besucher an.";
    let a = features("", marked, "de");
    let b = features("", plain, "de");
    let mut ta: Vec<_> = a.terms.keys().collect();
    let mut tb: Vec<_> = b.terms.keys().collect();
    ta.sort();
    tb.sort();
    assert_eq!(ta, tb);
    assert_eq!(a.shingles, b.shingles);
}

/// Headlines with the same embedding join though they share one word only;
/// with unrelated embeddings, or none, they stay apart. (Candidates still
/// come from shared words: an embedding judges a story, it does not find one.)
#[test]
fn an_embedding_joins_headlines_that_share_little() {
    let one = [0.6f32, 0.8, 0.0, 0.0];
    let other = [0.0f32, 0.0, 1.0, 0.0];
    let place = |vectors: [Option<&[f32]>; 3]| {
        let mut c = Clusterer::new(Config::default());
        let titles = [
            "Fed holds borrowing costs at record low",
            "Powell and the Fed keep interest rates unchanged, citing weak jobs data",
            "Hurricane floods coastal towns",
        ];
        let ids = ["a", "b", "c"];
        for ((id, title), vector) in ids.iter().zip(titles).zip(vectors) {
            c.add(&Doc {
                vector,
                ..doc(id, title, "", 0)
            });
        }
        c.settle();
        ids.map(|id| c.story_of(id).expect("placed"))
    };
    let [a, b, c] = place([Some(&one), Some(&one), Some(&other)]);
    assert_eq!(a, b, "the same embedding joins");
    assert_ne!(a, c, "an unrelated embedding does not");
    let [a, b, _] = place([Some(&one), Some(&other), None]);
    assert_ne!(a, b, "unrelated embeddings and no shared word");
    let [a, b, _] = place([None, None, None]);
    assert_ne!(a, b, "no embeddings: words alone");
}

#[test]
fn similarity_weighs_embeddings_when_both_sides_have_one() {
    let f = [
        features("Central bank holds borrowing costs", "", "en"),
        features("Fed keeps interest rates unchanged", "", "en"),
    ];
    let mut df = HashMap::new();
    for x in &f {
        for t in x.terms.keys() {
            *df.entry(t.clone()).or_insert(0) += 1;
        }
    }
    let model = Model::default();
    let v = [0.6f32, 0.8, 0.0];
    let w = [0.0f32, 0.0, 1.0];
    let words = similarity(&f[0], &f[1], &df, 2, &model, None);
    let same = similarity(&f[0], &f[1], &df, 2, &model, Some((&v, &v)));
    let apart = similarity(&f[0], &f[1], &df, 2, &model, Some((&v, &w)));
    assert!(same > 0.8, "{same}");
    assert!(apart < 0.1 && words < 0.1, "{apart} {words}");
    // A zero vector is no embedding.
    let zero = [0.0f32; 3];
    assert_eq!(
        similarity(&f[0], &f[1], &df, 2, &model, Some((&v, &zero))),
        words
    );
}

#[test]
fn a_model_file_of_eight_weights_still_reads() {
    let old = r#"{"article":{"bias":-5.8,"w":[1,2,3,4,5,6,7,8]},"headline":{"bias":-6,"w":[1,2,0,0,3,4,0,0]}}"#;
    let m: Model = serde_json::from_str(old).expect("an older model file");
    assert_eq!(
        m.article.w,
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 0.0, 0.0]
    );
    assert!(m.headline_vector.is_none());
    let long =
        r#"{"article":{"bias":0,"w":[1,2,3,4,5,6,7,8,9,10,11]},"headline":{"bias":0,"w":[]}}"#;
    assert!(serde_json::from_str::<Model>(long).is_err());
}
