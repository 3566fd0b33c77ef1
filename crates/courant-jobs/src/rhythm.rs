//! When to poll a feed next: pure. Entry-frequency scheduling: the interval
//! is the median gap between the feed's recent entries, between a minimum
//! and a maximum; never sooner than the feed (`ttl`, `sy:updatePeriod`) or
//! its HTTP response (`Cache-Control`, `Expires`) asks, up to a day; and
//! moved out of the hours and days the feed says to skip.

use std::time::Duration;

use chrono::{DateTime, Datelike, Timelike, Utc};
use courant_feed::PollHints;

/// Entries looked at for the rhythm: the newest ones.
const RECENT: usize = 10;
/// What a feed or a server may ask for at most.
const DAY: Duration = Duration::from_secs(86_400);

/// The bounds of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rhythm {
    /// Shortest interval.
    pub min: Duration,
    /// Longest interval the entries' rhythm gives.
    pub max: Duration,
    /// The interval when the entries say nothing (fewer than two dates).
    pub default: Duration,
}

impl Rhythm {
    /// `d` within `[min, max]` (a `max` below `min` counts as `min`).
    pub fn bound(&self, d: Duration) -> Duration {
        d.clamp(self.min, self.max.max(self.min))
    }
}

/// The next poll after one at `now` whose feed had entries dated `dates`.
pub fn next_poll(
    now: DateTime<Utc>,
    dates: &[DateTime<Utc>],
    hints: &PollHints,
    fresh_for: Option<Duration>,
    r: &Rhythm,
) -> DateTime<Utc> {
    let mut recent: Vec<_> = dates.iter().copied().filter(|d| *d <= now).collect();
    recent.sort_unstable_by(|a, b| b.cmp(a));
    recent.dedup();
    recent.truncate(RECENT);
    let mut gaps: Vec<Duration> = recent
        .windows(2)
        .filter_map(|w| (w[0] - w[1]).to_std().ok())
        .collect();
    gaps.sort_unstable();
    let rhythm = gaps.get(gaps.len() / 2).copied().unwrap_or(r.default);
    let asked = [hints.ttl, hints.update_period, fresh_for]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or_default()
        .min(DAY);
    let interval = r.bound(rhythm).max(asked);
    let mut next = now + chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::hours(1));
    // At most a week of skipped hours; a feed that skips every hour is polled anyway.
    for _ in 0..24 * 7 {
        let skipped = hints.skip_hours.contains(&(next.hour() as u8))
            || hints.skip_days.contains(&next.weekday());
        if !skipped {
            break;
        }
        next = next
            .with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(next)
            + chrono::Duration::hours(1);
    }
    next
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Weekday};

    use super::*;

    const R: Rhythm = Rhythm {
        min: Duration::from_secs(300),
        max: Duration::from_secs(4 * 3600),
        default: Duration::from_secs(900),
    };

    fn minutes_after(now: DateTime<Utc>, next: DateTime<Utc>) -> i64 {
        (next - now).num_minutes()
    }

    #[test]
    fn the_interval_follows_the_feed() {
        // Sunday 2026-12-06 10:00 UTC.
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0).unwrap();
        let every = |mins: i64, n: i64| -> Vec<DateTime<Utc>> {
            (1..=n)
                .map(|k| now - chrono::Duration::minutes(mins * k))
                .collect()
        };
        let none = PollHints::default();
        // (what, entry dates, hints, fresh for, minutes to the next poll)
        type Case = (
            &'static str,
            Vec<DateTime<Utc>>,
            PollHints,
            Option<u64>,
            i64,
        );
        let cases: Vec<Case> = vec![
            ("every 30 min", every(30, 12), none.clone(), None, 30),
            (
                "every minute: the minimum",
                every(1, 12),
                none.clone(),
                None,
                5,
            ),
            (
                "daily: the maximum",
                every(1440, 5),
                none.clone(),
                None,
                240,
            ),
            (
                "one entry: the default",
                every(30, 1),
                none.clone(),
                None,
                15,
            ),
            (
                "future dates are not a rhythm",
                vec![now + chrono::Duration::days(300); 3],
                none.clone(),
                None,
                15,
            ),
            (
                "ttl of an hour",
                every(10, 12),
                PollHints {
                    ttl: Some(Duration::from_secs(3600)),
                    ..PollHints::default()
                },
                None,
                60,
            ),
            (
                "sy:updatePeriod of 2 h",
                every(10, 12),
                PollHints {
                    update_period: Some(Duration::from_secs(7200)),
                    ..PollHints::default()
                },
                None,
                120,
            ),
            (
                "Cache-Control of 45 min",
                every(10, 12),
                none.clone(),
                Some(2700),
                45,
            ),
            (
                "a year's ttl is a day",
                every(10, 12),
                PollHints {
                    ttl: Some(Duration::from_secs(365 * 86_400)),
                    ..PollHints::default()
                },
                None,
                1440,
            ),
            (
                "skipHours 10 and 11: noon",
                every(30, 12),
                PollHints {
                    skip_hours: vec![10, 11],
                    ..PollHints::default()
                },
                None,
                120,
            ),
            (
                "skipDays Sunday: Monday 00:00",
                every(30, 12),
                PollHints {
                    skip_days: vec![Weekday::Sun],
                    ..PollHints::default()
                },
                None,
                14 * 60,
            ),
        ];
        for (what, dates, hints, fresh, want) in cases {
            let next = next_poll(now, &dates, &hints, fresh.map(Duration::from_secs), &R);
            assert_eq!(minutes_after(now, next), want, "{what}");
        }
    }

    #[test]
    fn skipping_every_hour_still_polls() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0).unwrap();
        let hints = PollHints {
            skip_hours: (0..24).collect(),
            ..PollHints::default()
        };
        let next = next_poll(now, &[], &hints, None, &R);
        assert!(next > now && next - now <= chrono::Duration::days(8));
    }
}
