//! The reader's long and randomised tests, apart from the code: the whole reader over tables of
//! shapes and faults, the splitter's block paths against its byte walk, and skipped chunks
//! against noted ones. Short table-driven tests of one part stay beside that part.

mod blocks;
mod reader;
mod recovery;
mod splitting;

use std::io::Write;

use crate::integrity::{hash_content, ContentHasher};
use crate::read::pipe::Notes;
use crate::read::*;

pub(super) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub(super) struct Outcome {
    pub records: Vec<String>,
    pub offsets: Vec<u64>,
    /// The errors the reader recovered from, in order.
    pub damaged: Vec<ReadError>,
    /// The error that ended the object.
    pub error: Option<ReadError>,
    pub shape: Option<Shape>,
    pub compression: Option<Compression>,
}

/// Reads `input` directly and through the decompress thread, its blocks noted as readers have
/// them, in every chunk and in none; all must agree exactly. The last two also hash on the
/// decompress thread: the hash must be what [`hash_content`] makes of the whole input, however
/// the reader ended.
pub(super) fn read_all(input: &[u8], options: ReadOptions) -> Outcome {
    let direct = read_with(RecordReader::new("test-object", input, options.clone()));
    let max = options.max_decompressed_bytes;
    for (notes, hasher) in [
        (Notes::Balanced, None),
        (Notes::Every, Some(ContentHasher::new(u64::MAX))),
        (Notes::Skipped, Some(ContentHasher::new(u64::MAX))),
    ] {
        let hashing = hasher.is_some();
        let (piped, hashed) = std::thread::scope(|scope| {
            let (reader, thread) = RecordReader::pipelined_noting(
                scope,
                "test-object",
                input,
                options.clone(),
                notes,
                hasher,
            );
            let piped = read_with(reader);
            let hashed = ContentTap { thread }.join();
            (piped, hashed)
        });
        agree(&direct, &piped);
        if hashing {
            let want = hash_content(input, max).map_err(|e| e.to_string());
            let got = hashed.map_err(|e| e.to_string());
            assert_eq!(got.is_ok(), want.is_ok(), "hash {got:?}, want {want:?}");
            if let (Ok(got), Ok(want)) = (got, want) {
                assert_eq!(got, want);
            }
        }
    }
    direct
}

/// The direct and the piped reader's outcomes are the same.
fn agree(direct: &Outcome, piped: &Outcome) {
    assert_eq!(direct.records, piped.records);
    assert_eq!(direct.offsets, piped.offsets);
    assert_eq!(direct.shape, piped.shape);
    assert_eq!(direct.compression, piped.compression);
    // The structure after "near" shows what happens to be buffered, which depends on read sizes.
    let message = |e: &ReadError| {
        (
            e.kind,
            e.compressed_offset,
            e.decompressed_offset,
            without_context(&e.to_string()),
            e.skipped.clone(),
        )
    };
    assert_eq!(
        direct.error.as_ref().map(message),
        piped.error.as_ref().map(message)
    );
    let damaged = |o: &Outcome| o.damaged.iter().map(message).collect::<Vec<_>>();
    assert_eq!(damaged(direct), damaged(piped));
}

/// `text` without the structure shown after " near ".
pub(super) fn without_context(text: &str) -> String {
    match text.split_once(" near `") {
        Some((before, after)) => {
            let rest = after.split_once("` at ").map_or("", |(_, rest)| rest);
            format!("{before} at {rest}")
        }
        None => text.to_owned(),
    }
}

fn read_with<R: std::io::Read>(mut reader: RecordReader<R>) -> Outcome {
    let mut out = Outcome {
        records: Vec::new(),
        offsets: Vec::new(),
        damaged: Vec::new(),
        error: None,
        shape: None,
        compression: None,
    };
    loop {
        match reader.next_record() {
            Ok(Some(r)) => {
                assert_eq!(r.index, out.records.len() as u64);
                // Closes noted while splitting, across any refill, match a scan of the record.
                if let Some(closes) = r.closes {
                    assert_eq!(Some(closes.to_vec()), crate::read::closes_of(r.json));
                }
                out.records
                    .push(String::from_utf8_lossy(r.json).into_owned());
                out.offsets.push(r.offset);
            }
            Ok(None) => break,
            Err(e) if e.is_recovered() => out.damaged.push(e),
            Err(e) => {
                out.error = Some(e);
                assert!(
                    reader.next_record().unwrap().is_none(),
                    "nothing after an error"
                );
                break;
            }
        }
    }
    assert_eq!(reader.records(), out.records.len() as u64);
    out.shape = reader.shape();
    out.compression = reader.compression();
    out
}

pub(super) fn small(buffer_bytes: usize) -> ReadOptions {
    ReadOptions {
        buffer_bytes,
        ..ReadOptions::default()
    }
}

/// Every way of feeding `input`: plain and gzip, one or two gzip members, buffer sizes.
pub(super) fn encodings(input: &[u8]) -> Vec<(String, Vec<u8>, Compression)> {
    let mut out = vec![("plain".to_owned(), input.to_vec(), Compression::None)];
    if !input.is_empty() {
        out.push(("gzip".to_owned(), gzip(input), Compression::Gzip));
        for cut in [1, input.len() / 2, input.len() - 1] {
            let two = [gzip(&input[..cut]), gzip(&input[cut..])].concat();
            out.push((
                format!("two gzip members cut at {cut}"),
                two,
                Compression::Gzip,
            ));
        }
    }
    out
}
