//! Calendar dates for `--since`/`--until`, and the dates in CloudTrail's key layout
//! (`AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/…`). Days since 1970 use Howard
//! Hinnant's civil-date algorithm, so no date crate is needed for whole days.

use std::fmt;
use std::str::FromStr;

/// A calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day {
    /// Year.
    pub y: i32,
    /// Month, 1-12.
    pub m: u32,
    /// Day of month, 1-31.
    pub d: u32,
}

impl Day {
    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        let y = i64::from(self.y) - i64::from(self.m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.m);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The day `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Day {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        Day {
            y: i32::try_from(y).unwrap_or(i32::MAX),
            m: m as u32,
            d: d as u32,
        }
    }

    /// The `YYYY/MM/DD/` path segment CloudTrail uses.
    pub fn key_segment(self) -> String {
        format!("{:04}/{:02}/{:02}/", self.y, self.m, self.d)
    }

    /// Finds the date in a CloudTrail key: the first `/YYYY/MM/DD/` run of segments.
    pub fn in_key(key: &str) -> Option<Day> {
        let parts: Vec<&str> = key.split('/').collect();
        parts.windows(3).find_map(|w| {
            let all_digits =
                |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
            if all_digits(w[0], 4) && all_digits(w[1], 2) && all_digits(w[2], 2) {
                format!("{}-{}-{}", w[0], w[1], w[2]).parse().ok()
            } else {
                None
            }
        })
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }
}

impl FromStr for Day {
    type Err = String;

    fn from_str(s: &str) -> Result<Day, String> {
        let err = || format!("invalid date {s:?}: write YYYY-MM-DD, e.g. 2026-06-10");
        let mut it = s.trim().splitn(3, '-');
        let (y, m, d) = (
            it.next().ok_or_else(err)?,
            it.next().ok_or_else(err)?,
            it.next().ok_or_else(err)?,
        );
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(err());
        }
        let day = Day {
            y: y.parse().map_err(|_| err())?,
            m: m.parse().map_err(|_| err())?,
            d: d.parse().map_err(|_| err())?,
        };
        // Round-trips only when the day exists (no 2026-02-30).
        if day.m == 0 || day.d == 0 || Day::from_days(day.days()) != day {
            return Err(err());
        }
        Ok(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_known_values() {
        let epoch: Day = "1970-01-01".parse().unwrap();
        assert_eq!(epoch.days(), 0);
        assert_eq!("2000-03-01".parse::<Day>().unwrap().days(), 11_017);
        for n in [-1000, 0, 59, 60, 11_016, 20_000, 20_614, 50_000] {
            assert_eq!(Day::from_days(n).days(), n);
        }
        assert_eq!(Day::from_days(20_614).to_string(), "2026-06-10");
    }

    #[test]
    fn parses_and_rejects() {
        for (text, ok) in [
            ("2026-06-10", true),
            ("2024-02-29", true),
            ("2026-02-29", false),
            ("2026-13-01", false),
            ("2026-6-10", false),
            ("yesterday", false),
        ] {
            assert_eq!(text.parse::<Day>().is_ok(), ok, "{text}");
        }
    }

    #[test]
    fn dates_in_keys() {
        for (key, want) in [
            (
                "AWSLogs/123456789012/CloudTrail/us-east-1/2026/06/10/123_CloudTrail_x.json.gz",
                Some("2026-06-10"),
            ),
            (
                "AWSLogs/o-abc/123/CloudTrail/eu-west-1/2024/02/29/f.json.gz",
                Some("2024-02-29"),
            ),
            ("AWSLogs/123/CloudTrail/us-east-1/2026/06/", None),
            ("random/key.json", None),
        ] {
            assert_eq!(
                Day::in_key(key).map(|d| d.to_string()).as_deref(),
                want,
                "{key}"
            );
        }
    }
}
