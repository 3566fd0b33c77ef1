//! Dates as pages write them, and the date a URL's path carries.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};

/// A date in the URL path, as blogs and many news sites write it:
/// `/2020/01/05/` or `/2020-01-05`.
pub(crate) fn date_in_url(url: &str) -> Option<DateTime<FixedOffset>> {
    let path = url::Url::parse(url).ok()?.path().to_string();
    let parts: Vec<&str> = path.split(['/', '-', '_']).collect();
    parts.windows(3).find_map(|w| {
        let (y, m, d) = (w[0], w[1], w[2]);
        if y.len() != 4 || m.len() != 2 || !(1..=2).contains(&d.len()) {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
        courant_text::PLAUSIBLE_YEARS
            .contains(&date.year())
            .then(|| date.and_hms_opt(0, 0, 0))
            .flatten()
            .map(|d| d.and_utc().fixed_offset())
    })
}

/// Dates as pages write them: RFC 3339, RFC 2822, ISO without zone (taken as
/// UTC) or a bare date. The page's offset is kept.
pub fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, fmt) {
            return Some(d);
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc().fixed_offset());
        }
    }
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().fixed_offset())
}
