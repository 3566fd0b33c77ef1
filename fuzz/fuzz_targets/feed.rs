//! Any bytes through the feed parser, as a poll hands them over: no panic may
//! escape, and whatever comes back holds only what XML can carry.
#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;

static QUIET: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    // courant_feed::parse contains feed-rs' panics on purpose; libfuzzer-sys'
    // hook would abort on those. A panic that escapes parse still aborts,
    // because libfuzzer-sys treats an unwinding target as a crash.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    if let Ok(feed) = courant_feed::parse(data, Some("https://example.org/feed")) {
        for e in &feed.entries {
            let texts = [Some(&e.title), e.summary.as_ref(), e.content.as_ref()];
            for t in texts.into_iter().flatten() {
                assert!(!t.chars().any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r')));
            }
        }
    }
});
