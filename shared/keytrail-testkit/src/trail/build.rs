//! Generating the day: sessions, log files and digests for each chain of `chain`.

use std::collections::BTreeMap;

use keytrail_core::integrity::{Timestamp, HOUR};

use super::chain::{chains, Chain};
use super::content::{log_content, unique, DigestFields, Listed};
use super::sign::{sha256_hex, TestKey};
use super::{GenDigest, ListedKey, Trail, TrailSpec};

const MINUTE: i64 = 60;
/// How long after the time in its name a log file is delivered.
pub(super) const DELIVERY: i64 = 4 * MINUTE;

/// A run of logging: digests end every hour from `start` + 1 h while they end by `until`; log
/// files are written before `logs_until`.
struct Session {
    start: Timestamp,
    until: Timestamp,
    logs_until: Timestamp,
}

fn sessions(chain: usize, day: Timestamp, horizon: Timestamp) -> Vec<Session> {
    let at = |h: i64, m: i64, s: i64| day.plus(h * HOUR + m * MINUTE + s);
    let whole = |start| Session {
        start,
        until: horizon,
        logs_until: horizon,
    };
    match chain {
        0 => vec![whole(at(0, 17, 28))],
        1 => vec![
            Session {
                start: at(0, 21, 3),
                until: at(11, 21, 3),
                logs_until: at(11, 0, 0),
            },
            whole(at(14, 5, 10)),
        ],
        2 => vec![whole(at(0, 9, 55))],
        _ => vec![whole(at(0, 42, 10))],
    }
}

pub(super) fn generate(spec: &TrailSpec) -> Trail {
    let horizon = spec.day.plus(24 * HOUR + 30 * MINUTE);
    let key_at = |end: Timestamp| match spec.rotate_key_at {
        Some(at) if end >= at => TestKey::B,
        _ => TestKey::A,
    };
    let mut trail = Trail {
        bucket: spec.bucket.clone(),
        objects: BTreeMap::new(),
        since: spec.day,
        as_of: horizon,
        keys: listed_keys(spec),
        digests: Vec::new(),
    };
    let backfill_log_at = spec.day.plus(6 * HOUR + 5 * MINUTE);
    let mut serial = 0;
    for (c, chain) in chains().iter().enumerate() {
        let mut listed: Vec<(Timestamp, Listed)> = Vec::new();
        for session in sessions(c, spec.day, horizon) {
            let mut at = first_slot(session.start);
            let last_end = session
                .start
                .plus((session.until.since(session.start) / HOUR) * HOUR);
            while at < session.logs_until && at.plus(DELIVERY) <= last_end {
                listed.push((at.plus(DELIVERY), trail.add_log(chain, at, serial)));
                serial += 1;
                at = at.plus(30 * MINUTE);
            }
            let mut previous = None;
            let mut end = session.start.plus(HOUR);
            while end <= last_end {
                let start = end.plus(-HOUR);
                let logs: Vec<Listed> = listed
                    .iter()
                    .filter(|(delivered, log)| {
                        *delivered > start
                            && *delivered <= end
                            && !(c == 0 && log.newest == backfill_log_at)
                    })
                    .map(|(_, log)| log.clone())
                    .collect();
                previous = Some(trail.add_digest(
                    c,
                    chain,
                    start,
                    end,
                    previous,
                    logs,
                    key_at(end),
                    false,
                ));
                end = end.plus(HOUR);
            }
        }
        if c == 0 {
            let late: Vec<Listed> = listed
                .iter()
                .filter(|(_, l)| l.newest == backfill_log_at)
                .map(|(_, l)| l.clone())
                .collect();
            let end = spec.day.plus(6 * HOUR + 17 * MINUTE + 28);
            let generated = spec.day.plus(9 * HOUR + 12 * MINUTE + 44);
            trail.add_digest(
                c,
                chain,
                end.plus(-HOUR),
                end,
                None,
                late,
                key_at(generated),
                true,
            );
            let key = chain.digest_key(end, true);
            let meta = &mut trail
                .objects
                .get_mut(&key)
                .expect("the backfill digest")
                .metadata;
            meta.insert(
                "backfill-generation-timestamp".to_owned(),
                generated.extended(),
            );
            // Delivered after the last digest: not listed yet, and not due.
            trail.add_log(chain, horizon.plus(-10 * MINUTE), serial);
            serial += 1;
        }
    }
    trail
}

/// The first :05 or :35 at or after `start`.
fn first_slot(start: Timestamp) -> Timestamp {
    let mut at =
        Timestamp::from_epoch(start.epoch() - start.epoch().rem_euclid(HOUR)).plus(5 * MINUTE);
    while at < start {
        at = at.plus(30 * MINUTE);
    }
    at
}

fn listed_keys(spec: &TrailSpec) -> Vec<ListedKey> {
    let day = spec.day;
    let entry = |key: TestKey, from: Timestamp, until: Timestamp| ListedKey {
        der: key.public_der(),
        valid_from: from,
        valid_until: until,
        fingerprint: key.fingerprint(),
    };
    match spec.rotate_key_at {
        None => vec![entry(
            TestKey::A,
            day.plus(-20 * 24 * HOUR),
            day.plus(10 * 24 * HOUR),
        )],
        Some(at) => vec![
            entry(TestKey::A, day.plus(-20 * 24 * HOUR), at.plus(HOUR)),
            entry(TestKey::B, at.plus(-HOUR), at.plus(30 * 24 * HOUR)),
        ],
    }
}

impl Trail {
    fn add_log(&mut self, chain: &Chain, at: Timestamp, serial: usize) -> Listed {
        let key = chain.log_key(at, &unique(serial));
        let content = log_content(chain, at, serial);
        let hash = sha256_hex(&content);
        self.put(&key, content, BTreeMap::new());
        Listed {
            key,
            hash,
            newest: at,
            oldest: at.plus(-4 * MINUTE),
        }
    }

    /// Writes and signs one digest; answers what its successor records of it.
    #[allow(clippy::too_many_arguments)]
    fn add_digest(
        &mut self,
        c: usize,
        chain: &Chain,
        start: Timestamp,
        end: Timestamp,
        previous: Option<(String, String, String)>,
        logs: Vec<Listed>,
        key: TestKey,
        backfill: bool,
    ) -> (String, String, String) {
        let fields = DigestFields {
            account: chain.account.to_owned(),
            bucket: self.bucket.clone(),
            key: chain.digest_key(end, backfill),
            start,
            end,
            fingerprint: key.fingerprint(),
            previous,
            logs,
        };
        let (content, metadata) = fields.sign(key);
        let link = (
            fields.key.clone(),
            sha256_hex(&content),
            metadata["signature"].clone(),
        );
        self.put(&fields.key, content, metadata);
        self.digests.push(GenDigest {
            fields,
            chain: c,
            signed_by: key,
            backfill,
        });
        link
    }
}
