//! What a feed says about when to come back: RSS `ttl`, `skipHours` and
//! `skipDays`, and the syndication module's `sy:updatePeriod` /
//! `sy:updateFrequency`. Read from the document's head (before its first
//! item) with a byte scan, so a feed that is otherwise malformed still gives
//! them.

use std::time::Duration;

use chrono::Weekday;

/// A feed's own hints for its polling schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollHints {
    /// RSS `ttl`: how long the feed may be cached.
    pub ttl: Option<Duration>,
    /// `sy:updatePeriod` divided by `sy:updateFrequency`.
    pub update_period: Option<Duration>,
    /// RSS `skipHours`: hours (UTC, 0 to 23) not to poll in.
    pub skip_hours: Vec<u8>,
    /// RSS `skipDays`: days not to poll on.
    pub skip_days: Vec<Weekday>,
}

/// The hints in `doc`'s head; `ttl` comes from feed-rs where it parsed.
pub(crate) fn read(doc: &[u8], ttl_minutes: Option<u32>) -> PollHints {
    let head_end = ["<item", "<entry"]
        .iter()
        .filter_map(|t| find(doc, t.as_bytes(), 0))
        .min()
        .unwrap_or(doc.len());
    let head = String::from_utf8_lossy(&doc[..head_end.min(256 * 1024)]);
    let ttl = ttl_minutes
        .or_else(|| text(&head, "ttl").and_then(|t| t.parse().ok()))
        .filter(|m| *m > 0)
        .map(|m| Duration::from_secs(u64::from(m) * 60));
    let period =
        text(&head, "sy:updatePeriod").and_then(|p| match p.to_ascii_lowercase().as_str() {
            "hourly" => Some(3_600u64),
            "daily" => Some(86_400),
            "weekly" => Some(7 * 86_400),
            "monthly" => Some(30 * 86_400),
            "yearly" => Some(365 * 86_400),
            _ => None,
        });
    let frequency = text(&head, "sy:updateFrequency")
        .and_then(|f| f.parse::<u64>().ok())
        .filter(|f| *f > 0)
        .unwrap_or(1);
    let skip_hours = block(&head, "skipHours")
        .map(|b| {
            all_text(b, "hour")
                .filter_map(|h| h.parse::<u8>().ok())
                .map(|h| h % 24)
                .collect()
        })
        .unwrap_or_default();
    let skip_days = block(&head, "skipDays")
        .map(|b| {
            all_text(b, "day")
                .filter_map(|d| d.parse::<Weekday>().ok())
                .collect()
        })
        .unwrap_or_default();
    PollHints {
        ttl,
        update_period: period.map(|p| Duration::from_secs(p / frequency)),
        skip_hours,
        skip_days,
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The text inside the first `<name>...</name>`.
fn text<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    all_text(s, name).next()
}

fn all_text<'a>(s: &'a str, name: &str) -> impl Iterator<Item = &'a str> + use<'a> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = s.get(at..)?.find(&open)? + at + open.len();
        let end = s.get(start..)?.find(&close)? + start;
        at = end + close.len();
        Some(s[start..end].trim())
    })
}

fn block<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = s.find(&open)? + open.len();
    let end = s[start..].find(&close)? + start;
    Some(&s[start..end])
}
