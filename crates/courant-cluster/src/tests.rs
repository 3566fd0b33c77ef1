use super::*;

fn doc<'a>(id: &'a str, title: &'a str, text: &'a str, day: i64) -> Doc<'a> {
    Doc {
        id,
        title,
        text,
        lang: Some("en"),
        published: Some(1_700_000_000 + day * 86_400),
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
    let s = |a: usize, b: usize| similarity(&f[a], &f[b], &df, 4);
    assert!(s(0, 1) > 0.9);
    assert!(s(0, 2) > s(0, 3));
    assert!((0.0..=1.0).contains(&s(0, 3)));
}
