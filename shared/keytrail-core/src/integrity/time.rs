//! UTC times as CloudTrail writes them: `2015-08-17T15:01:31Z` inside digests (the "UTC extended
//! format" of the signing string), `20150817T150131Z` in digest keys and `20150817T1445Z` in log
//! keys. Seconds since the Unix epoch inside; Hinnant's civil-date algorithm, so no date crate.

use std::fmt;

use serde::{Serialize, Serializer};

/// A UTC time, whole seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// One hour, in seconds: CloudTrail's digest period.
pub const HOUR: i64 = 3600;

impl Timestamp {
    /// The time `secs` seconds after 1970-01-01T00:00:00Z.
    pub const fn from_epoch(secs: i64) -> Timestamp {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn epoch(self) -> i64 {
        self.0
    }

    /// This time plus `secs` seconds (minus, when negative).
    #[must_use]
    pub const fn plus(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs))
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub const fn since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ`, with optional fractional seconds (dropped).
    pub fn parse(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        let rest = b.get(19..)?;
        let frac_ok = match rest {
            [b'Z'] => true,
            [b'.', digits @ .., b'Z'] => {
                !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
            }
            _ => false,
        };
        let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
        if !frac_ok || seps.iter().any(|&(i, c)| b[i] != c) {
            return None;
        }
        let n = |from: usize, len: usize| number(&b[from..from + len]);
        from_parts(
            n(0, 4)?,
            n(5, 2)?,
            n(8, 2)?,
            n(11, 2)?,
            n(14, 2)?,
            n(17, 2)?,
        )
    }

    /// Parses the compact form of S3 keys: `YYYYMMDDTHHMMSSZ` (digests) or `YYYYMMDDTHHMMZ` (logs).
    pub fn parse_compact(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        if !(b.len() == 16 || b.len() == 14) || b[8] != b'T' || b[b.len() - 1] != b'Z' {
            return None;
        }
        let n = |from: usize| number(&b[from..from + if from == 0 { 4 } else { 2 }]);
        let seconds = if b.len() == 16 { n(13)? } else { 0 };
        from_parts(n(0)?, n(4)?, n(6)?, n(9)?, n(11)?, seconds)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, as digests and the signing string write it.
    pub fn extended(self) -> String {
        let (y, mo, d, h, mi, s) = self.parts();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// `YYYYMMDDTHHMMSSZ`, as digest keys write it.
    pub fn compact(self) -> String {
        let (y, mo, d, h, mi, s) = self.parts();
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
    }

    /// `YYYYMMDDTHHMMZ`, as log keys write it.
    pub fn compact_minutes(self) -> String {
        let (y, mo, d, h, mi, _) = self.parts();
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}Z")
    }

    /// `YYYY/MM/DD`, the date folders of trail keys.
    pub fn date_path(self) -> String {
        let (y, mo, d, ..) = self.parts();
        format!("{y:04}/{mo:02}/{d:02}")
    }

    fn parts(self) -> (i64, i64, i64, i64, i64, i64) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, mo, d) = civil_from_days(days);
        (y, mo, d, secs / 3600, secs % 3600 / 60, secs % 60)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.extended())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn number(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

fn from_parts(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<Timestamp> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = (1..=12).contains(&mo)
        && usize::try_from(mo - 1).is_ok_and(|i| (1..=month_days[i]).contains(&d))
        && h < 24
        && mi < 60
        && s < 60;
    valid.then(|| Timestamp(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_the_three_forms() {
        // (extended, compact, epoch): 1439823691 is the docs' sample digestEndTime.
        let cases = [
            ("1970-01-01T00:00:00Z", "19700101T000000Z", 0),
            ("2015-08-17T15:01:31Z", "20150817T150131Z", 1_439_823_691),
            ("2000-02-29T23:59:59Z", "20000229T235959Z", 951_868_799),
            ("2026-06-10T00:17:28Z", "20260610T001728Z", 1_781_050_648),
        ];
        for (extended, compact, epoch) in cases {
            let t = Timestamp::parse(extended).unwrap();
            assert_eq!(t.epoch(), epoch, "{extended}");
            assert_eq!(Timestamp::parse_compact(compact), Some(t), "{compact}");
            assert_eq!(
                (t.extended(), t.compact()),
                (extended.to_owned(), compact.to_owned())
            );
        }
        let log = Timestamp::parse_compact("20150817T1445Z").unwrap();
        assert_eq!(log.extended(), "2015-08-17T14:45:00Z");
        assert_eq!(log.compact_minutes(), "20150817T1445Z");
        assert_eq!(log.date_path(), "2015/08/17");
        assert_eq!(
            Timestamp::parse("2015-08-17T15:01:31.250Z")
                .unwrap()
                .epoch(),
            1_439_823_691
        );
    }

    #[test]
    fn rejects_what_is_not_a_utc_time() {
        for bad in [
            "",
            "2015-08-17T15:01:31",
            "2015-08-17 15:01:31Z",
            "2015-08-17T15:01:31+00:00",
            "2015-02-29T00:00:00Z",
            "2015-13-01T00:00:00Z",
            "2015-08-17T24:00:00Z",
            "2015-08-17T15:01:31.Z",
            "2O15-08-17T15:01:31Z",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad:?}");
        }
        for bad in [
            "20150817150131Z",
            "20150817T150131",
            "20150817T15013Z",
            "2015081xT1501Z",
        ] {
            assert_eq!(Timestamp::parse_compact(bad), None, "{bad:?}");
        }
    }
}
