//! Tampering, one attack at a time, each answering exactly what a verifier must report.
//!
//! Every method picks its target in the `us-east-1` chain of `main-trail` (digests end at
//! HH:17:28), away from the backfill digest, the day's ends and every other method's target, so
//! that any two can be combined and their answers concatenated.

use keytrail_core::integrity::{LinkMismatch, Problem, HOUR};

use super::chain::chains;
use super::content::log_content;
use super::sign::{sha256_hex, TestKey};
use super::{GenDigest, Trail};

impl Trail {
    /// The regular digest of the `us-east-1` chain that ends at `hour`:17:28.
    fn main_digest(&self, hour: i64) -> GenDigest {
        let end = self.since.plus(hour * HOUR + 17 * 60 + 28);
        self.digests
            .iter()
            .find(|d| d.chain == 0 && !d.backfill && d.fields.end == end)
            .cloned()
            .unwrap_or_else(|| panic!("no us-east-1 digest ends at {end}"))
    }

    fn delete_digest_at(&mut self, hour: i64) -> GenDigest {
        let digest = self.main_digest(hour);
        self.remove(&digest.fields.key);
        self.digests.retain(|d| d.fields.key != digest.fields.key);
        digest
    }

    /// Changes one byte of a log object's content (`aws-cli/2.15.0` becomes `2.16.0`); answers
    /// the old and the new content's SHA-256.
    fn flip_byte(&mut self, key: &str) -> (String, String) {
        let mut object = self.remove(key);
        let before = sha256_hex(&object.content);
        let at = object
            .content
            .windows(7)
            .position(|w| w == b"/2.15.0")
            .expect("a generated log file")
            + 4;
        object.content[at] = b'6';
        let after = sha256_hex(&object.content);
        self.put(key, object.content, object.metadata);
        (before, after)
    }

    /// Edits one byte of a log file that the 09:17:28 digest lists.
    pub fn modify_log_byte(&mut self) -> Vec<Problem> {
        let digest = self.main_digest(9);
        let log = digest.fields.logs[0].key.clone();
        let (expected, found) = self.flip_byte(&log);
        vec![Problem::LogFileModified {
            log: self.object(&log),
            digest: self.object(&digest.fields.key),
            expected,
            found,
        }]
    }

    /// Replaces a log file that the 09:17:28 digest lists with text that is not JSON (its
    /// records unreadable, its content still hashed).
    pub fn replace_log_with_text(&mut self) -> Vec<Problem> {
        let digest = self.main_digest(9);
        let log = digest.fields.logs[0].key.clone();
        let object = self.remove(&log);
        let expected = sha256_hex(&object.content);
        let content = b"this is not a CloudTrail log file\n".to_vec();
        let found = sha256_hex(&content);
        self.put(&log, content, object.metadata);
        vec![Problem::LogFileModified {
            log: self.object(&log),
            digest: self.object(&digest.fields.key),
            expected,
            found,
        }]
    }

    /// Deletes a log file that the 14:17:28 digest lists.
    pub fn delete_log(&mut self) -> Vec<Problem> {
        let digest = self.main_digest(14);
        let log = digest.fields.logs[0].key.clone();
        self.remove(&log);
        vec![Problem::LogFileMissing {
            log: self.object(&log),
            digest: self.object(&digest.fields.key),
        }]
    }

    /// Deletes the 10:17:28 digest: the 11:17:28 one names it.
    pub fn delete_digest(&mut self) -> Vec<Problem> {
        let gone = self.delete_digest_at(10);
        let next = self.main_digest(11);
        vec![Problem::DigestMissing {
            missing: self.object(&gone.fields.key),
            named_by: Some(self.object(&next.fields.key)),
            start: gone.fields.start,
            end: gone.fields.end,
        }]
    }

    /// Deletes the 16:17:28 and 17:17:28 digests: the 18:17:28 one names the second; nothing
    /// names the first any more (`aws cloudtrail validate-logs` does not report it).
    pub fn delete_two_digests(&mut self) -> Vec<Problem> {
        let first = self.delete_digest_at(16);
        let second = self.delete_digest_at(17);
        let next = self.main_digest(18);
        vec![
            Problem::DigestMissing {
                missing: self.object(&first.fields.key),
                named_by: None,
                start: first.fields.start,
                end: first.fields.end,
            },
            Problem::DigestMissing {
                missing: self.object(&second.fields.key),
                named_by: Some(self.object(&next.fields.key)),
                start: second.fields.start,
                end: second.fields.end,
            },
        ]
    }

    /// Edits a log file that the 12:17:28 digest lists, writes its new hash into the digest and
    /// re-signs the digest with the forger's key, keeping the real key's fingerprint.
    pub fn forge_digest(&mut self) -> Vec<Problem> {
        let mut digest = self.main_digest(12);
        let next = self.main_digest(13);
        let original = self.objects[&digest.fields.key].metadata["signature"].clone();
        let log = digest.fields.logs[0].key.clone();
        let (_, new_hash) = self.flip_byte(&log);
        digest.fields.logs[0].hash = new_hash;
        let (content, metadata) = digest.fields.sign(TestKey::Forger);
        let forged = metadata["signature"].clone();
        self.put(&digest.fields.key, content, metadata);
        vec![
            Problem::SignatureInvalid {
                digest: self.object(&digest.fields.key),
                fingerprint: digest.fields.fingerprint.clone(),
            },
            Problem::ChainBroken {
                digest: self.object(&next.fields.key),
                previous: self.object(&digest.fields.key),
                mismatch: LinkMismatch::Signature,
                expected: original,
                found: forged,
            },
        ]
    }

    /// Copies the 20:17:28 digest, metadata and all, to a free key in `eu-west-1`'s folder.
    pub fn copy_digest(&mut self) -> Vec<Problem> {
        let digest = self.main_digest(20);
        let copy = chains()[1].digest_key(self.since.plus(20 * HOUR + 30 * 60), false);
        let object = self.objects[&digest.fields.key].clone();
        self.put(&copy, object.content, object.metadata);
        vec![Problem::DigestMoved {
            digest: self.object(&copy),
            named: self.object(&digest.fields.key),
        }]
    }

    /// Adds a log object at 07:12 that no digest lists.
    pub fn inject_log(&mut self) -> Vec<Problem> {
        let chain = &chains()[0];
        let at = self.since.plus(7 * HOUR + 12 * 60);
        let key = chain.log_key(at, "INJECTED00000001");
        self.put(&key, log_content(chain, at, 99_999), Default::default());
        vec![Problem::LogFileUnlisted {
            log: self.object(&key),
        }]
    }

    /// Deletes the digests of the last `hours` hours, as if delivery stopped: the chain is silent.
    pub fn silence(&mut self, hours: i64) -> Vec<Problem> {
        let cutoff = self.as_of.plus(-hours * HOUR);
        let gone: Vec<String> = self
            .digests
            .iter()
            .filter(|d| d.chain == 0 && !d.backfill && d.fields.end > cutoff)
            .map(|d| d.fields.key.clone())
            .collect();
        for key in &gone {
            self.remove(key);
        }
        self.digests.retain(|d| !gone.contains(&d.fields.key));
        let last = self
            .digests
            .iter()
            .filter(|d| d.chain == 0 && !d.backfill)
            .max_by_key(|d| d.fields.end)
            .expect("digests before the silence")
            .clone();
        vec![Problem::TrailSilent {
            last_digest: self.object(&last.fields.key),
            last_end: last.fields.end,
            as_of: self.as_of,
        }]
    }
}
