//! Periods of spec §3: day, ISO week, month, quarter, year, taken in the
//! Europe/Amsterdam time zone. An event counts in the period of its own
//! `occurred_at`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Amsterdam;

/// The granularity of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Granularity {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Granularity {
    pub const ACCEPTED: &'static str = "day, week, month, quarter, year";

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "day" => Self::Day,
            "week" => Self::Week,
            "month" => Self::Month,
            "quarter" => Self::Quarter,
            "year" => Self::Year,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }
}

/// The Amsterdam calendar date of an instant.
pub fn local_date<Tz: TimeZone>(t: &DateTime<Tz>) -> NaiveDate {
    t.with_timezone(&Amsterdam).date_naive()
}

/// One period, identified by its first day (Monday for weeks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub granularity: Granularity,
    pub start: NaiveDate,
}

impl Period {
    /// The period of the given granularity that contains `date`.
    pub fn containing(granularity: Granularity, date: NaiveDate) -> Period {
        let start = match granularity {
            Granularity::Day => date,
            Granularity::Week => {
                date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
            }
            Granularity::Month => date.with_day(1).expect("day 1 exists"),
            Granularity::Quarter => {
                NaiveDate::from_ymd_opt(date.year(), (date.month0() / 3) * 3 + 1, 1).expect("valid")
            }
            Granularity::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1).expect("valid"),
        };
        Period { granularity, start }
    }

    /// The first day after this period.
    pub fn end_exclusive(&self) -> NaiveDate {
        let s = self.start;
        match self.granularity {
            Granularity::Day => s + Duration::days(1),
            Granularity::Week => s + Duration::days(7),
            Granularity::Month => add_months(s, 1),
            Granularity::Quarter => add_months(s, 3),
            Granularity::Year => add_months(s, 12),
        }
    }

    /// The last day of this period.
    pub fn last_day(&self) -> NaiveDate {
        self.end_exclusive() - Duration::days(1)
    }

    /// The next period of the same granularity.
    pub fn next(&self) -> Period {
        Period {
            granularity: self.granularity,
            start: self.end_exclusive(),
        }
    }

    /// The label users see: `2020-03-29`, `2020-W13`, `2020-03`, `2020-Q1`, `2020`.
    pub fn label(&self) -> String {
        let s = self.start;
        match self.granularity {
            Granularity::Day => s.format("%Y-%m-%d").to_string(),
            Granularity::Week => {
                let w = s.iso_week();
                format!("{:04}-W{:02}", w.year(), w.week())
            }
            Granularity::Month => s.format("%Y-%m").to_string(),
            Granularity::Quarter => format!("{:04}-Q{}", s.year(), s.month0() / 3 + 1),
            Granularity::Year => format!("{:04}", s.year()),
        }
    }

    /// Parse a label of any granularity (`2020-03-29`, `2020-W13`, `2020-03`,
    /// `2020-Q1`, `2020`).
    pub fn parse_label(s: &str) -> Option<Period> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Some(Period::containing(Granularity::Day, d));
        }
        if let Some((y, w)) = s.split_once("-W") {
            let (y, w) = (y.parse::<i32>().ok()?, w.parse::<u32>().ok()?);
            let d = NaiveDate::from_isoywd_opt(y, w, Weekday::Mon)?;
            return Some(Period {
                granularity: Granularity::Week,
                start: d,
            });
        }
        if let Some((y, q)) = s.split_once("-Q") {
            let (y, q) = (y.parse::<i32>().ok()?, q.parse::<u32>().ok()?);
            if !(1..=4).contains(&q) {
                return None;
            }
            return Some(Period {
                granularity: Granularity::Quarter,
                start: NaiveDate::from_ymd_opt(y, (q - 1) * 3 + 1, 1)?,
            });
        }
        if let Some((y, m)) = s.split_once('-') {
            if m.len() == 2 {
                let d = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
                return Some(Period {
                    granularity: Granularity::Month,
                    start: d,
                });
            }
            return None;
        }
        if s.len() == 4 {
            let d = NaiveDate::from_ymd_opt(s.parse().ok()?, 1, 1)?;
            return Some(Period {
                granularity: Granularity::Year,
                start: d,
            });
        }
        None
    }
}

fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + months as i32;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        .expect("valid")
}

/// The instant at which an Amsterdam calendar day begins.
pub fn start_of_local_day(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_hms_opt(0, 0, 0).expect("valid");
    Amsterdam
        .from_local_datetime(&midnight)
        .earliest()
        .expect("midnight exists in Amsterdam (DST switches happen at 02:00/03:00)")
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn at(s: &str) -> NaiveDate {
        local_date(&DateTime::parse_from_rfc3339(s).unwrap())
    }

    #[test]
    fn spring_dst_switch() {
        // 2020-03-29 02:00 CET → 03:00 CEST. 00:30 UTC is 01:30 CET, still the 29th;
        // 2020-03-28T23:30Z is 00:30 CET on the 29th.
        assert_eq!(at("2020-03-28T22:59:59Z").to_string(), "2020-03-28");
        assert_eq!(at("2020-03-28T23:00:00Z").to_string(), "2020-03-29");
        assert_eq!(at("2020-03-29T21:59:59Z").to_string(), "2020-03-29"); // 23:59:59 CEST
        assert_eq!(at("2020-03-29T22:00:00Z").to_string(), "2020-03-30"); // 00:00 CEST
        let p = Period::containing(Granularity::Week, at("2020-03-29T21:59:59Z"));
        assert_eq!(p.label(), "2020-W13");
        let p = Period::containing(Granularity::Week, at("2020-03-29T22:00:00Z"));
        assert_eq!(p.label(), "2020-W14");
    }

    #[test]
    fn autumn_dst_switch() {
        // 2020-10-25 03:00 CEST → 02:00 CET.
        assert_eq!(at("2020-10-24T21:59:59Z").to_string(), "2020-10-24"); // 23:59:59 CEST
        assert_eq!(at("2020-10-24T22:00:00Z").to_string(), "2020-10-25"); // 00:00 CEST
        assert_eq!(at("2020-10-25T22:59:59Z").to_string(), "2020-10-25"); // 23:59:59 CET
        assert_eq!(at("2020-10-25T23:00:00Z").to_string(), "2020-10-26");
        assert_eq!(
            Period::containing(Granularity::Week, at("2020-10-25T22:59:59Z")).label(),
            "2020-W43"
        );
        assert_eq!(
            Period::containing(Granularity::Week, at("2020-10-25T23:00:00Z")).label(),
            "2020-W44"
        );
    }

    #[test]
    fn quarter_end_late_evening_utc() {
        // 23:30 UTC on 31 March 2020 is 01:30 CEST on 1 April: Q2.
        let d = at("2020-03-31T23:30:00Z");
        assert_eq!(
            Period::containing(Granularity::Quarter, d).label(),
            "2020-Q2"
        );
        assert_eq!(Period::containing(Granularity::Month, d).label(), "2020-04");
        // 23:30 UTC on 31 December 2020 is 00:30 CET on 1 January 2021.
        let d = at("2020-12-31T23:30:00Z");
        assert_eq!(Period::containing(Granularity::Year, d).label(), "2021");
        assert_eq!(
            Period::containing(Granularity::Quarter, d).label(),
            "2021-Q1"
        );
        assert_eq!(Period::containing(Granularity::Week, d).label(), "2020-W53");
        // 21:30 UTC on 30 June is 23:30 CEST: still Q2.
        assert_eq!(
            Period::containing(Granularity::Quarter, at("2020-06-30T21:30:00Z")).label(),
            "2020-Q2"
        );
        assert_eq!(
            Period::containing(Granularity::Quarter, at("2020-06-30T22:30:00Z")).label(),
            "2020-Q3"
        );
    }

    #[test]
    fn labels_round_trip() {
        for l in [
            "2020-03-29",
            "2020-W13",
            "2020-03",
            "2020-Q1",
            "2020",
            "2020-W53",
            "2021-W01",
        ] {
            assert_eq!(Period::parse_label(l).unwrap().label(), l);
        }
        assert_eq!(Period::parse_label("2020-Q5"), None);
        assert_eq!(Period::parse_label("2020-W54"), None);
        assert_eq!(Period::parse_label("March"), None);
        assert_eq!(
            Period::parse_label("2021-W01").unwrap().start.to_string(),
            "2021-01-04"
        );
    }

    #[test]
    fn period_ends() {
        let q = Period::parse_label("2020-Q4").unwrap();
        assert_eq!(q.last_day().to_string(), "2020-12-31");
        assert_eq!(q.next().label(), "2021-Q1");
        let w = Period::parse_label("2020-W53").unwrap();
        assert_eq!(w.next().label(), "2021-W01");
        assert_eq!(
            start_of_local_day(NaiveDate::from_ymd_opt(2020, 3, 29).unwrap()).to_rfc3339(),
            "2020-03-28T23:00:00+00:00"
        );
    }
}
