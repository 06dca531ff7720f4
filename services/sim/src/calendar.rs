//! Calendar and time: instants are Unix seconds, days are Amsterdam dates; working
//! days skip weekends and the Dutch public holidays municipal offices close on.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, TimeZone, Weekday,
};
use chrono_tz::Europe::Amsterdam;

use crate::rng::Rng;

pub(crate) const DAY: i64 = 86_400;

pub(crate) fn easter(y: i32) -> NaiveDate {
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(y, month as u32, day as u32).expect("easter is a valid date")
}

/// Dutch public holidays municipal offices close on.
pub(crate) fn is_holiday(d: NaiveDate) -> bool {
    let (m, day) = (d.month(), d.day());
    if matches!((m, day), (1, 1) | (12, 25) | (12, 26)) {
        return true;
    }
    if m == 4 && (day == 26 || day == 27) {
        let kings = NaiveDate::from_ymd_opt(d.year(), 4, 27).expect("valid date");
        let kings = if kings.weekday() == Weekday::Sun {
            kings - Duration::days(1)
        } else {
            kings
        };
        if d == kings {
            return true;
        }
    }
    if (3..=6).contains(&m) {
        let e = easter(d.year());
        let off = (d - e).num_days();
        return off == 1 || off == 39 || off == 50;
    }
    false
}

pub(crate) fn is_workday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_holiday(d)
}

pub(crate) fn next_workday(mut d: NaiveDate) -> NaiveDate {
    while !is_workday(d) {
        d += Duration::days(1);
    }
    d
}

pub(crate) fn add_workdays(d: NaiveDate, k: i64) -> NaiveDate {
    let mut d = next_workday(d);
    for _ in 0..k {
        d = next_workday(d + Duration::days(1));
    }
    d
}

/// The instant of a local wall-clock time (gaps resolved forward, overlaps to the first).
pub(crate) fn local_ts(date: NaiveDate, secs_of_day: i64) -> i64 {
    let ndt = date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::seconds(secs_of_day);
    match Amsterdam.from_local_datetime(&ndt) {
        LocalResult::Single(t) => t.timestamp(),
        LocalResult::Ambiguous(a, _) => a.timestamp(),
        LocalResult::None => Amsterdam
            .from_local_datetime(&(ndt + Duration::hours(1)))
            .earliest()
            .map(|t| t.timestamp())
            .unwrap_or_else(|| ndt.and_utc().timestamp()),
    }
}

pub(crate) fn to_dt(ts: i64) -> DateTime<FixedOffset> {
    Amsterdam
        .timestamp_opt(ts, 0)
        .single()
        .expect("instant in range")
        .fixed_offset()
}

pub(crate) fn local_date(ts: i64) -> NaiveDate {
    Amsterdam
        .timestamp_opt(ts, 0)
        .single()
        .expect("instant in range")
        .date_naive()
}

pub(crate) fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// A time in office hours (08:30–17:00, most around midday) on `date`.
pub(crate) fn at_office(rng: &mut Rng, date: NaiveDate) -> i64 {
    let secs = 30_600 + ((rng.f64() + rng.f64()) / 2.0 * 30_600.0) as i64;
    local_ts(date, secs)
}

/// Any time of day, mostly waking hours.
pub(crate) fn at_any_time(rng: &mut Rng, date: NaiveDate) -> i64 {
    let secs = if rng.chance(0.9) {
        rng.range(7 * 3600, 24 * 3600 - 1)
    } else {
        rng.range(0, 7 * 3600 - 1)
    };
    local_ts(date, secs)
}

/// Office time `k` working days after the day of `t`, strictly after `t`.
pub(crate) fn after_workdays(rng: &mut Rng, t: i64, k: i64) -> i64 {
    let ts = at_office(rng, add_workdays(local_date(t), k));
    if ts > t {
        ts
    } else {
        t + rng.range(300, 5400)
    }
}

/// Office time on the first working day at least `n` calendar days after the day of `t`.
pub(crate) fn after_days(rng: &mut Rng, t: i64, n: i64) -> i64 {
    let ts = at_office(rng, next_workday(local_date(t) + days(n)));
    if ts > t {
        ts
    } else {
        t + rng.range(300, 5400)
    }
}

pub(crate) fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("valid date")
}

pub(crate) fn monday_of(d: NaiveDate) -> NaiveDate {
    d - days(i64::from(d.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn calendar_helpers() {
        assert_eq!(easter(2020), d(2020, 4, 12));
        assert_eq!(easter(2024), d(2024, 3, 31));
        assert!(
            is_holiday(d(2020, 4, 13)) && is_holiday(d(2020, 5, 21)) && is_holiday(d(2020, 6, 1))
        );
        assert!(
            is_holiday(d(2020, 4, 27)) && is_holiday(d(2025, 4, 26)) && !is_holiday(d(2025, 4, 27))
        );
        assert!(!is_workday(d(2020, 1, 4)) && is_workday(d(2020, 1, 2)));
        assert_eq!(add_workdays(d(2020, 4, 9), 1), d(2020, 4, 10));
        assert_eq!(add_workdays(d(2020, 4, 10), 1), d(2020, 4, 14));
        // 02:30 on the spring-forward day does not exist: resolved forward.
        let ts = local_ts(d(2020, 3, 29), 2 * 3600 + 1800);
        assert_eq!(to_dt(ts).to_rfc3339(), "2020-03-29T03:30:00+02:00");
        assert_eq!(
            to_dt(local_ts(d(2020, 1, 2), 9 * 3600)).to_rfc3339(),
            "2020-01-02T09:00:00+01:00"
        );
    }
}
