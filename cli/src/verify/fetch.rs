//! Reading the bucket: listing, digest objects with their signature metadata, log objects
//! hashed as they stream (each read once, gunzipped on the fly into SHA-256, never held whole),
//! and the signature of a previous digest before the range (`HeadObject`).
//!
//! Every call answers either what it found or a [`Unchecked`] that names the object and says
//! why it could not be read: such an object is neither valid nor a problem, and the exit status
//! says the check is incomplete.

use std::io::Write;

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use keytrail_aws::event::ObjectRef as S3Object;
use keytrail_aws::s3::S3Source;
use keytrail_core::integrity::{DigestObject, LogHasher, ObjectRef, Sha256};

/// The largest digest read (uncompressed): CloudTrail's are a few KB to a few MB.
const MAX_DIGEST_BYTES: u64 = 256 << 20;

/// An object that could not be read: it was not checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{object}: could not be read ({why}); it was not checked")]
pub struct Unchecked {
    /// The object.
    pub object: ObjectRef,
    /// What S3 (or the gzip reader) said.
    pub why: String,
}

/// The bucket, through the SDK.
#[derive(Debug, Clone)]
pub struct Bucket {
    client: Client,
}

impl Bucket {
    /// Reads through `client`.
    pub fn new(client: Client) -> Bucket {
        Bucket { client }
    }

    /// The keys under `prefix` that `keep` accepts.
    pub async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> anyhow::Result<Vec<String>> {
        let objects = S3Source::new(self.client.clone())
            .list(bucket, prefix, None, keep)
            .await?;
        Ok(objects.into_iter().map(|o: S3Object| o.key).collect())
    }

    /// A digest object: its content (gunzipped; as stored when it is not gzip, so that the check
    /// calls it unreadable) and its signature metadata. `Ok(None)` when it does not exist.
    pub async fn digest(&self, at: &ObjectRef) -> Result<Option<DigestObject>, Unchecked> {
        let fail = |why: String| Unchecked {
            object: at.clone(),
            why,
        };
        let got = self
            .client
            .get_object()
            .bucket(&at.bucket)
            .key(&at.key)
            .send()
            .await;
        let out = match got {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(fail(DisplayErrorContext(e).to_string())),
        };
        let meta = |name: &str| out.metadata().and_then(|m| m.get(name)).cloned();
        let (signature, signature_algorithm) = (meta("signature"), meta("signature-algorithm"));
        let content = read(out.body, Out::Bytes(Vec::new()), MAX_DIGEST_BYTES)
            .await
            .map_err(fail)?;
        Ok(Some(DigestObject {
            location: at.clone(),
            content: bytes_of(content),
            signature,
            signature_algorithm,
        }))
    }

    /// SHA-256 of a log object's uncompressed content, streamed; `Ok(None)` when it does not
    /// exist.
    pub async fn hash_log(&self, at: &ObjectRef) -> Result<Option<Sha256>, Unchecked> {
        let fail = |why: String| Unchecked {
            object: at.clone(),
            why,
        };
        let got = self
            .client
            .get_object()
            .bucket(&at.bucket)
            .key(&at.key)
            .send()
            .await;
        let body = match got {
            Ok(out) => out.body,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(fail(DisplayErrorContext(e).to_string())),
        };
        let out = read(body, Out::Hash(Box::new(LogHasher::new())), MAX_LOG_BYTES)
            .await
            .map_err(fail)?;
        Ok(Some(hash_of(out)))
    }

    /// The `x-amz-meta-signature` of a digest: `Ok(None)` when the object does not exist,
    /// `Ok(Some(None))` when it has no signature.
    pub async fn signature(&self, at: &ObjectRef) -> Result<Option<Option<String>>, Unchecked> {
        let got = self
            .client
            .head_object()
            .bucket(&at.bucket)
            .key(&at.key)
            .send()
            .await;
        match got {
            Ok(out) => Ok(Some(
                out.metadata().and_then(|m| m.get("signature")).cloned(),
            )),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(Unchecked {
                object: at.clone(),
                why: DisplayErrorContext(e).to_string(),
            }),
        }
    }
}

/// Streams `body` through the decoder into `out`.
async fn read(mut body: ByteStream, out: Out, max: u64) -> Result<Out, String> {
    let mut decode = Decode::new(out, max);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        decode.update(&chunk).map_err(|e| e.to_string())?;
    }
    decode.finish().map_err(|e| e.to_string())
}

/// The most bytes an object may decompress to (a decompression bomb guard): CloudTrail's log
/// files are at most a few hundred MB uncompressed.
const MAX_LOG_BYTES: u64 = 4 << 30;

/// Where decompressed bytes go: a hash (log files) or memory (digests).
enum Out {
    Hash(Box<LogHasher>),
    Bytes(Vec<u8>),
}

/// Takes what the gzip decoder lets out, up to `max` bytes.
struct Sink {
    out: Out,
    written: u64,
    max: u64,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written += buf.len() as u64;
        if self.written > self.max {
            return Err(std::io::Error::other(format!(
                "more than {} bytes uncompressed",
                self.max
            )));
        }
        match &mut self.out {
            Out::Hash(hasher) => hasher.update(buf),
            Out::Bytes(bytes) => bytes.extend_from_slice(buf),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An object's content as its bytes arrive: gzip (as CloudTrail writes it) is decompressed on
/// the way in (every member, the size capped); anything else is taken as it is (its content is
/// what is stored).
enum Decode {
    Start(Sink),
    Gzip(Box<flate2::write::MultiGzDecoder<Sink>>),
    Plain(Sink),
}

impl Decode {
    fn new(out: Out, max: u64) -> Decode {
        Decode::Start(Sink {
            out,
            written: 0,
            max,
        })
    }

    fn update(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if matches!(self, Decode::Start(_)) {
            let empty = Decode::Start(Sink {
                out: Out::Bytes(Vec::new()),
                written: 0,
                max: 0,
            });
            if let Decode::Start(sink) = std::mem::replace(self, empty) {
                // 0x1f (gzip's first byte) never starts JSON text.
                *self = if bytes[0] == 0x1f {
                    Decode::Gzip(Box::new(flate2::write::MultiGzDecoder::new(sink)))
                } else {
                    Decode::Plain(sink)
                };
            }
        }
        match self {
            Decode::Start(_) => Ok(()),
            Decode::Gzip(decoder) => decoder.write_all(bytes),
            Decode::Plain(sink) => sink.write_all(bytes),
        }
    }

    fn finish(self) -> std::io::Result<Out> {
        match self {
            Decode::Start(sink) | Decode::Plain(sink) => Ok(sink.out),
            Decode::Gzip(decoder) => Ok(decoder.finish()?.out),
        }
    }
}

fn hash_of(out: Out) -> Sha256 {
    match out {
        Out::Hash(hasher) => hasher.finish(),
        Out::Bytes(bytes) => Sha256::of(&bytes),
    }
}

fn bytes_of(out: Out) -> Vec<u8> {
    match out {
        Out::Bytes(bytes) => bytes,
        Out::Hash(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn decode(stored: &[u8], piece: usize, out: Out, max: u64) -> std::io::Result<Out> {
        let mut decode = Decode::new(out, max);
        for chunk in stored.chunks(piece) {
            decode.update(chunk)?;
        }
        decode.finish()
    }

    #[test]
    fn hashes_the_uncompressed_content_in_any_pieces() {
        let content = br#"{"Records":[{"eventName":"ExportCertificate"}]}"#.repeat(500);
        let want = Sha256::of(&content);
        let mut twice = gzip(&content);
        twice.extend(gzip(b"")); // a second (empty) gzip member
                                 // (stored bytes, piece size)
        for (stored, piece) in [(twice.clone(), 1), (twice, 4096), (content.clone(), 7)] {
            let out = decode(
                &stored,
                piece,
                Out::Hash(Box::new(LogHasher::new())),
                MAX_LOG_BYTES,
            );
            assert_eq!(hash_of(out.unwrap()), want, "piece {piece}");
            let out = decode(&stored, piece, Out::Bytes(Vec::new()), MAX_LOG_BYTES);
            assert_eq!(bytes_of(out.unwrap()), content, "piece {piece}");
        }
        assert_eq!(
            hash_of(decode(b"", 1, Out::Hash(Box::new(LogHasher::new())), 1).unwrap()),
            Sha256::of(b"")
        );
    }

    #[test]
    fn broken_gzip_and_bombs_are_errors() {
        let content = vec![b' '; 100_000];
        let mut broken = gzip(&content);
        broken.truncate(broken.len() / 2);
        assert!(decode(
            &broken,
            512,
            Out::Hash(Box::new(LogHasher::new())),
            MAX_LOG_BYTES
        )
        .is_err());
        let err = decode(&gzip(&content), 512, Out::Bytes(Vec::new()), 99_999)
            .err()
            .unwrap();
        assert!(err.to_string().contains("more than 99999 bytes"), "{err}");
        assert!(decode(&gzip(&content), 512, Out::Bytes(Vec::new()), 100_000).is_ok());
    }
}
