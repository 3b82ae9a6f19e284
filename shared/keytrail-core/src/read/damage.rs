//! The damaged spans of one object that the reader skipped and read past, kept for its report.
//!
//! Every span is accounted for in bounded memory: the first [`Damaged::MAX_LISTED`] are kept
//! whole (their errors, one message each), and any after them are counted and covered by one
//! byte range, so that the report still says where every skipped byte is. The limit also keeps
//! the integrity alert, which carries every message, within its size.

use std::ops::Range;

use super::error::ReadError;

/// The damaged spans the reader recovered from, in the order met.
#[derive(Debug, Default)]
pub struct Damaged {
    listed: Vec<ReadError>,
    /// Spans after the listed ones: how many, and from the first byte of the first to the last
    /// byte of the last.
    more: Option<(u64, Range<u64>)>,
}

impl Damaged {
    /// Spans kept whole; the rest are summed up in one range.
    pub const MAX_LISTED: usize = 32;

    /// Adds the span of a recovered error (one whose [`ReadError::skipped`] is set).
    pub fn push(&mut self, error: ReadError) {
        if self.listed.len() < Self::MAX_LISTED {
            self.listed.push(error);
            return;
        }
        let span = error.skipped.unwrap_or(0..0);
        self.more = Some(match self.more.take() {
            None => (1, span),
            Some((n, covered)) => (n + 1, covered.start..span.end.max(covered.end)),
        });
    }

    /// The spans kept whole, in order.
    pub fn listed(&self) -> &[ReadError] {
        &self.listed
    }

    /// How many spans were skipped, listed or not.
    pub fn count(&self) -> u64 {
        self.listed.len() as u64 + self.more.as_ref().map_or(0, |(n, _)| *n)
    }

    /// True when nothing was skipped.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// The spans after the listed ones: how many, and the decompressed bytes that cover them.
    pub fn more(&self) -> Option<(u64, Range<u64>)> {
        self.more.clone()
    }

    /// One message per listed span, then one for the rest: what a report prints.
    pub fn messages(&self) -> impl Iterator<Item = String> + '_ {
        let rest = self.more.as_ref().map(|(n, covered)| {
            let object = self.listed.first().map_or("", |e| e.object.as_str());
            format!(
                "object {object}: {n} more damaged span(s) were skipped between decompressed \
                 bytes {} and {}, each with reading resumed after it; records in skipped bytes \
                 are not classified (check the object with CloudTrail log file validation, and \
                 fetch it again)",
                covered.start, covered.end
            )
        });
        self.listed.iter().map(ToString::to_string).chain(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::ReadErrorKind;

    fn span(at: u64) -> ReadError {
        ReadError {
            kind: ReadErrorKind::InvalidJson,
            object: "o".to_owned(),
            compressed_offset: Some(at),
            decompressed_offset: Some(at),
            detail: format!("damage at {at}"),
            skipped: Some(at..at + 5),
        }
    }

    #[test]
    fn lists_the_first_spans_and_covers_the_rest() {
        let mut damaged = Damaged::default();
        assert!(damaged.is_empty());
        for k in 0..Damaged::MAX_LISTED as u64 + 3 {
            damaged.push(span(100 * k));
        }
        assert_eq!(damaged.count(), Damaged::MAX_LISTED as u64 + 3);
        assert_eq!(damaged.listed().len(), Damaged::MAX_LISTED);
        let first_unlisted = 100 * Damaged::MAX_LISTED as u64;
        assert_eq!(
            damaged.more(),
            Some((3, first_unlisted..first_unlisted + 205))
        );
        let messages: Vec<String> = damaged.messages().collect();
        assert_eq!(messages.len(), Damaged::MAX_LISTED + 1);
        assert_eq!(messages[0], "object o: damage at 0");
        assert!(
            messages[Damaged::MAX_LISTED].starts_with(&format!(
                "object o: 3 more damaged span(s) were skipped between decompressed bytes \
                 {first_unlisted} and {}",
                first_unlisted + 205
            )),
            "{}",
            messages[Damaged::MAX_LISTED]
        );
    }
}
