//! Events across languages with made-up vectors (the real model's cases are
//! in `crates/courant/tests/it`, `real_model_links_stories_across_languages`):
//! close vectors in two languages link, far ones and distant times do not,
//! and an event never takes a second story of one language.

use super::*;

/// A unit vector near axis `axis` of a 16-dimensional space, tilted
/// towards `tilt` by `by`.
fn vector(axis: usize, tilt: usize, by: f32) -> Vec<f32> {
    let mut v = [0.0f32; 16];
    v[axis] = 1.0;
    v[tilt] += by;
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

fn add(c: &mut Clusterer, id: &str, lang: &str, title: &str, day: i64, v: &[f32]) -> u64 {
    c.add(&Doc {
        id,
        title,
        text: "",
        lang: Some(lang),
        published: Some(1_700_000_000 + day * 86_400),
        url: None,
        vector: Some(v),
    })
    .story
}

struct Case {
    name: &'static str,
    /// (id, lang, title, day, axis, tilt, by)
    docs: &'static [(
        &'static str,
        &'static str,
        &'static str,
        i64,
        usize,
        usize,
        f32,
    )],
    /// Groups of ids that must share an event; ids in different groups must not.
    events: &'static [&'static [&'static str]],
}

const CASES: &[Case] = &[
    Case {
        name: "a translation links, another subject does not",
        docs: &[
            (
                "en",
                "en",
                "Floods close the port of Rotterdam",
                0,
                0,
                1,
                0.2,
            ),
            (
                "de",
                "de",
                "Hochwasser schliesst den Hafen Rotterdam",
                0,
                0,
                2,
                0.2,
            ),
            ("fr", "fr", "Le budget de la France adopte", 0, 5, 6, 0.1),
        ],
        events: &[&["en", "de"], &["fr"]],
    },
    Case {
        name: "close vectors weeks apart stay apart",
        docs: &[
            (
                "en",
                "en",
                "Floods close the port of Rotterdam",
                0,
                0,
                1,
                0.2,
            ),
            (
                "de",
                "de",
                "Hochwasser schliesst den Hafen Rotterdam",
                30,
                0,
                2,
                0.2,
            ),
        ],
        events: &[&["en"], &["de"]],
    },
    Case {
        name: "one story per language: a second English story finds the event taken",
        docs: &[
            (
                "en1",
                "en",
                "Floods close the port of Rotterdam",
                0,
                0,
                1,
                0.2,
            ),
            (
                "de",
                "de",
                "Hochwasser schliesst den Hafen Rotterdam",
                0,
                0,
                2,
                0.2,
            ),
            (
                "en2",
                "en",
                "Rail strike halts trains across Belgium",
                0,
                0,
                3,
                0.3,
            ),
        ],
        events: &[&["en1", "de"], &["en2"]],
    },
];

#[test]
fn events_link_stories_across_languages() {
    for case in CASES {
        let mut c = Clusterer::new(Config::default());
        let mut story = std::collections::HashMap::new();
        for &(id, lang, title, day, axis, tilt, by) in case.docs {
            story.insert(
                id,
                add(&mut c, id, lang, title, day, &vector(axis, tilt, by)),
            );
        }
        let event = |id: &str| c.event_of(story[id]);
        for (g, group) in case.events.iter().enumerate() {
            for id in group.iter() {
                assert_eq!(event(id), event(group[0]), "{}: {id}", case.name);
            }
            for other in &case.events[g + 1..] {
                assert_ne!(event(group[0]), event(other[0]), "{}", case.name);
            }
        }
    }
}

#[test]
fn event_changes_name_the_oldest_story() {
    let mut c = Clusterer::new(Config::default());
    let en = add(
        &mut c,
        "en",
        "en",
        "Floods close the port",
        0,
        &vector(0, 1, 0.2),
    );
    assert!(c.event_changes().is_empty(), "a story alone is no event");
    let de = add(
        &mut c,
        "de",
        "de",
        "Hochwasser im Hafen",
        0,
        &vector(0, 2, 0.2),
    );
    let mut changes = c.event_changes();
    changes.sort();
    assert_eq!(changes, vec![(en, en), (de, en)]);
    assert!(c.event_changes().is_empty(), "drained");
}

#[test]
fn without_vectors_no_events() {
    let mut c = Clusterer::new(Config::default());
    let a = c.add(&Doc {
        id: "a",
        title: "Floods close the port of Rotterdam",
        lang: Some("en"),
        ..Default::default()
    });
    let b = c.add(&Doc {
        id: "b",
        title: "Hochwasser schliesst den Hafen Rotterdam",
        lang: Some("de"),
        ..Default::default()
    });
    assert_ne!(c.event_of(a.story), c.event_of(b.story));
    assert!(c.event_changes().is_empty());
}
