//! Any bytes, decoded as a fetched page is, then extracted: must not panic,
//! and must return in bounded time (libFuzzer's -timeout catches a hang).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = courant_fetch::decode(data, None);
    if let Ok(a) = courant_extract::article(&decoded.text, Some("https://example.org/a")) {
        // The sanitized body must not carry active content.
        assert!(!a.html.contains("<script"));
    }
});
