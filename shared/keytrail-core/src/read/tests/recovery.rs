//! Recovery after damage: which records come out of a damaged object, and exactly which bytes
//! the reader says it skipped, in every container shape, plain and gzip, at every read size.

use super::{encodings, read_all, small};
use crate::read::ReadErrorKind;

/// A CloudTrail record with nested objects and an array of objects, none of which is an event.
fn event(i: usize) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::1:user/u{i}"}},"eventSource":"kms.amazonaws.com","eventName":"Decrypt","eventID":"e-{i}","resources":[{{"ARN":"arn:aws:kms:us-east-1:1:key/k{i}","accountId":"1"}},{{"ARN":"arn:aws:kms:us-east-1:1:key/j{i}","accountId":"1"}}],"requestParameters":{{"encryptionContext":{{"aws:acm:arn":"arn:aws:acm:us-east-1:1:certificate/{i}"}}}}}}"#
    )
}

/// `record` with the first `from` replaced by `to` (which must be there).
fn damaged(record: &str, from: &str, to: &str) -> String {
    assert!(record.contains(from), "{from} not in {record}");
    record.replacen(from, to, 1)
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// An object built from pieces, with the offset of each piece.
struct Object {
    bytes: String,
    at: Vec<u64>,
}

fn object(pieces: &[&str]) -> Object {
    let mut bytes = String::new();
    let mut at = Vec::new();
    for piece in pieces {
        at.push(bytes.len() as u64);
        bytes.push_str(piece);
    }
    Object { bytes, at }
}

struct Case {
    name: &'static str,
    object: Object,
    /// Indexes of the pieces that must come out as records, in order.
    records: Vec<usize>,
    /// The skipped spans, as (first piece, piece reading resumed at).
    skipped: Vec<(usize, usize)>,
    /// The fault that ends the object, if any.
    ends: Option<ReadErrorKind>,
}

fn cases() -> Vec<Case> {
    let e: Vec<String> = (0..5).map(event).collect();
    let stray = |r: &str| damaged(r, r#""eventVersion":"1.08","#, r#""eventVersion":"1.08"@,"#);
    let records = |r: &[&str]| -> Vec<String> {
        let mut out = vec![r#"{"Records":["#.to_owned()];
        for (k, record) in r.iter().enumerate() {
            if k > 0 {
                out.push(",".to_owned());
            }
            out.push((*record).to_owned());
        }
        out.push("]}".to_owned());
        out
    };
    // Pieces: 0 is `{"Records":[`, record k is piece 2k+1.
    let trail = |r: Vec<String>| object(&refs(&records(&refs(&r))));
    let with = |k: usize, record: String| {
        let mut r = e.clone();
        r[k] = record;
        r
    };
    let mut two_spans = with(1, damaged(&e[1], r#"user/u1"}"#, r#"user/u1"]"#));
    two_spans[3].push('\n'); // the comma after it goes below
    let missing_comma = {
        let mut p = records(&refs(&two_spans));
        p[8] = "\n".to_owned(); // the comma between records 3 and 4
        p
    };
    let lost_bracket = {
        let mut r = e[1].clone();
        r.pop();
        with(1, r)
    };
    let no_commas = {
        let mut p = records(&refs(&e[..3]));
        p[2] = "\n".to_owned();
        p[4] = String::new();
        p
    };
    let cut = e[1][..60].to_owned();
    vec![
        Case {
            name: "a damaged first record",
            object: trail(with(0, stray(&e[0]))),
            records: vec![3, 5, 7, 9],
            skipped: vec![(1, 3)],
            ends: None,
        },
        Case {
            name: "a damaged record in the middle",
            object: trail(with(2, stray(&e[2]))),
            records: vec![1, 3, 7, 9],
            skipped: vec![(5, 7)],
            ends: None,
        },
        Case {
            name: "a damaged record before the last",
            object: trail(with(3, stray(&e[3]))),
            records: vec![1, 3, 5, 9],
            skipped: vec![(7, 9)],
            ends: None,
        },
        Case {
            // Nothing after it to resume at: the object ends there, as it always did.
            name: "a damaged last record",
            object: trail(with(4, stray(&e[4]))),
            records: vec![1, 3, 5, 7],
            skipped: vec![],
            ends: Some(ReadErrorKind::InvalidJson),
        },
        Case {
            name: "a quote inside a string",
            object: trail(with(2, damaged(&e[2], r#""e-2""#, r#""e-"2""#))),
            records: vec![1, 3, 7, 9],
            skipped: vec![(5, 7)],
            ends: None,
        },
        Case {
            name: "two damaged spans: a mismatched bracket, a missing comma",
            object: object(&refs(&missing_comma)),
            records: vec![1, 5, 7, 9],
            skipped: vec![(3, 5), (9, 9)],
            ends: None,
        },
        Case {
            // The record never closes: the splitter runs on through the others and fails only
            // at the array's end; they are found again.
            name: "a record that lost its closing bracket",
            object: trail(lost_bracket),
            records: vec![1, 5, 7, 9],
            skipped: vec![(3, 5)],
            ends: None,
        },
        Case {
            name: "missing commas between records",
            object: object(&refs(&no_commas)),
            records: vec![1, 3, 5],
            skipped: vec![(3, 3), (5, 5)],
            ends: None,
        },
        Case {
            name: "stray bytes between records",
            object: object(&[r#"{"Records":["#, &e[0], ",", "#!x,", &e[1], "]}"]),
            records: vec![1, 4],
            skipped: vec![(3, 4)],
            ends: None,
        },
        Case {
            name: "a top-level array",
            object: object(&["[", &e[0], ",", &stray(&e[1]), ",", &e[2], "]"]),
            records: vec![1, 5],
            skipped: vec![(3, 5)],
            ends: None,
        },
        Case {
            name: "NDJSON",
            object: object(&[&e[0], "\n", &stray(&e[1]), "\n", &e[2], "\n", &e[3], "\n"]),
            records: vec![0, 4, 6],
            skipped: vec![(2, 4)],
            ends: None,
        },
        Case {
            name: "a cut record, then a new log file",
            object: object(&[
                r#"{"Records":["#,
                &e[0],
                ",",
                &cut,
                r#"{"Records":["#,
                &e[2],
                "]}",
            ]),
            records: vec![1, 5],
            skipped: vec![(3, 4)],
            ends: None,
        },
    ]
}

#[test]
fn damaged_records_are_skipped_and_the_rest_read() {
    for case in cases() {
        let Object { bytes, at } = &case.object;
        let want: Vec<&str> = case
            .records
            .iter()
            .map(|&k| {
                let end = at.get(k + 1).map_or(bytes.len(), |&e| e as usize);
                bytes[at[k] as usize..end].trim_end()
            })
            .collect();
        let skipped: Vec<_> = case
            .skipped
            .iter()
            .map(|&(from, to)| at[from]..at[to])
            .collect();
        for (how, input, _) in encodings(bytes.as_bytes()) {
            for size in [1, 7, 64, 128 << 10] {
                let label = format!("{} ({how}, buffer {size})", case.name);
                let out = read_all(&input, small(size));
                assert_eq!(out.records, want, "{label}");
                let got: Vec<_> = out.damaged.iter().map(|e| e.skipped.clone()).collect();
                let want_skipped: Vec<_> = skipped.iter().cloned().map(Some).collect();
                assert_eq!(got, want_skipped, "{label}: {:?}", out.damaged);
                assert_eq!(out.error.as_ref().map(|e| e.kind), case.ends, "{label}");
                for e in &out.damaged {
                    let text = e.to_string();
                    assert!(
                        text.contains("reading resumed at") && e.is_recovered(),
                        "{label}: {text}"
                    );
                }
            }
        }
    }
}
