//! Integrity validation over the testkit's generated trail (pure: no server; the generator signs
//! with its TEST-ONLY keys and its own implementation of CloudTrail's signing): a clean day has no
//! problem, and each tamper case gives exactly the problems the generator planted.

use keytrail_core::integrity::{
    verify_digest, Digest, DigestObject, LinkTarget, LogInventory, ObjectRef, Problem, PublicKey,
    PublicKeys, Report, Sha256, Timestamp, Walk, HOUR,
};
use keytrail_testkit::trail::{sorted, TestKey, Trail, TrailSpec};

fn walk_with(trail: &Trail, keys: &PublicKeys) -> Report {
    let walk = Walk::new(trail.digest_objects(), keys, trail.walk_options());
    walk.finish(&trail.log_inventory())
}

fn walk(trail: &Trail) -> Report {
    walk_with(trail, &trail.public_keys())
}

#[test]
fn a_clean_day_has_no_problem() {
    let trail = Trail::day();
    let report = walk(&trail);
    assert_eq!(report.problems, vec![], "{:#?}", report.problems);
    // 24 (us-east-1) + 1 backfill + 11 + 10 (eu-west-1, stopped and restarted) + 24 + 23 (org).
    assert_eq!((report.digests, report.digests_valid), (93, 93));
    assert_eq!(report.log_files, report.log_files_valid);
    assert_eq!(report.log_files_unchecked, 0);
    // Every log object but the one delivered after the last digest is listed exactly once.
    let logs = trail
        .objects
        .keys()
        .filter(|k| k.contains("/CloudTrail/"))
        .count();
    // 49 (us-east-1, the late one included) + 21 + 19 (eu-west-1) + 48 + 46 (org).
    assert_eq!(logs, 183);
    assert_eq!(report.log_files, logs - 1);
    // The eu-west-1 restart is a gap, not a problem; the day's first digests have no previous.
    assert_eq!(report.gaps.len(), 1, "{:#?}", report.gaps);
    assert_eq!(report.gaps[0].to.extended(), "2026-06-10T14:05:10Z");
    assert_eq!(report.unchecked_links, vec![]);
}

/// A tamper method of the generated trail: what it plants.
type Tamper = fn(&mut Trail) -> Vec<Problem>;

/// Each tamper case, alone: the report is exactly what the generator says it planted.
#[test]
fn each_tamper_case_reports_exactly_the_planted_problems() {
    let cases: [(&str, Tamper); 8] = [
        ("modified log file", Trail::modify_log_byte),
        ("deleted log file", Trail::delete_log),
        ("deleted digest", Trail::delete_digest),
        ("two consecutive deleted digests", Trail::delete_two_digests),
        ("forged digest", Trail::forge_digest),
        ("digest copied to another key", Trail::copy_digest),
        ("injected log file", Trail::inject_log),
        ("silence", |t| t.silence(3)),
    ];
    for (name, tamper) in cases {
        let mut trail = Trail::day();
        let expected = sorted(tamper(&mut trail));
        assert!(!expected.is_empty(), "{name}: plants nothing");
        let report = walk(&trail);
        assert_eq!(report.problems, expected, "{name}");
    }
}

#[test]
fn all_tamper_cases_at_once_report_the_union() {
    let mut trail = Trail::day();
    let mut expected = trail.modify_log_byte();
    expected.extend(trail.delete_log());
    expected.extend(trail.delete_digest());
    expected.extend(trail.delete_two_digests());
    expected.extend(trail.forge_digest());
    expected.extend(trail.copy_digest());
    expected.extend(trail.inject_log());
    expected.extend(trail.silence(3));
    let report = walk(&trail);
    assert_eq!(report.problems, sorted(expected));
    insta::assert_snapshot!(
        "integrity_problem_lines",
        report
            .problems
            .iter()
            .map(|p| format!("{:<32} {p}", p.kind()))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let jsonl: Vec<String> = report
        .problems
        .iter()
        .map(|p| serde_json::to_string(p).unwrap())
        .collect();
    insta::assert_snapshot!("integrity_problem_jsonl", jsonl.join("\n"));
}

#[test]
fn a_key_rotated_mid_day_verifies_with_both_keys_and_not_with_the_old_one_alone() {
    let trail = Trail::generate(&TrailSpec {
        rotate_key_at: Some(Timestamp::parse("2026-06-10T12:00:00Z").unwrap()),
        ..TrailSpec::default()
    });
    assert_eq!(trail.public_keys().len(), 2);
    assert_eq!(walk(&trail).problems, vec![]);
    let rotated = trail.digests_signed_by(TestKey::B);
    assert!(
        rotated.len() > 40,
        "{} digests after the rotation",
        rotated.len()
    );
    let only_a: PublicKeys = trail
        .public_keys()
        .iter()
        .filter(|k| k.fingerprint() == TestKey::A.fingerprint())
        .cloned()
        .collect();
    let expected = rotated
        .into_iter()
        .map(|digest| Problem::PublicKeyUnknown {
            digest,
            fingerprint: TestKey::B.fingerprint(),
        })
        .collect();
    assert_eq!(walk_with(&trail, &only_a).problems, sorted(expected));
}

#[test]
fn a_digest_signed_with_an_unknown_key_names_its_fingerprint() {
    let trail = Trail::day();
    let forger = PublicKey::from_der(&TestKey::Forger.public_der()).unwrap();
    let keys: PublicKeys = [forger].into_iter().collect();
    let object = &trail.digest_objects()[0];
    let problem = verify_digest(object, &keys).unwrap_err();
    assert_eq!(problem.kind(), "public_key_unknown");
    assert!(
        problem.to_string().contains(&TestKey::A.fingerprint()),
        "{problem}"
    );
}

#[test]
fn every_signature_verifies_and_one_changed_byte_breaks_it() {
    let trail = Trail::day();
    let keys = trail.public_keys();
    for object in trail.digest_objects() {
        let digest = verify_digest(&object, &keys).unwrap_or_else(|p| panic!("{p}"));
        for at in [0, object.content.len() / 2, object.content.len() - 2] {
            let mut content = object.content.clone();
            // A change that keeps the JSON readable: a digit or letter swapped within its class.
            let Some(i) = (at..content.len()).find(|&i| content[i].is_ascii_alphanumeric()) else {
                continue;
            };
            content[i] = if content[i] == b'1' {
                b'2'
            } else if content[i].is_ascii_digit() {
                b'1'
            } else {
                content[i] ^ 0x20
            };
            let tampered = DigestObject {
                content,
                ..object.clone()
            };
            let problem = verify_digest(&tampered, &keys).unwrap_err();
            assert!(
                [
                    "signature_invalid",
                    "digest_moved",
                    "digest_unreadable",
                    "public_key_unknown",
                    "signature_algorithm_unsupported"
                ]
                .contains(&problem.kind()),
                "{}: {problem}",
                digest.location
            );
        }
        let mut signature = object.signature.clone().unwrap();
        signature.replace_range(
            0..2,
            if signature.starts_with("00") {
                "01"
            } else {
                "00"
            },
        );
        let forged = DigestObject {
            signature: Some(signature),
            ..object.clone()
        };
        assert_eq!(
            verify_digest(&forged, &keys).unwrap_err().kind(),
            "signature_invalid"
        );
    }
}

#[test]
fn a_log_file_delivered_after_the_last_digest_is_not_yet_due() {
    let trail = Trail::day();
    let mut options = trail.walk_options();
    // Checked two hours later with no newer digest, the trail is silent, but the late log file
    // is still not reported: no digest that started after it has been delivered.
    options.as_of = Some(trail.as_of.plus(2 * HOUR));
    let report = Walk::new(trail.digest_objects(), &trail.public_keys(), options)
        .finish(&trail.log_inventory());
    assert!(
        report.problems.iter().all(|p| p.kind() == "trail_silent"),
        "{:#?}",
        report.problems
    );
    assert_eq!(
        report.problems.len(),
        4,
        "every regular chain is silent: {:#?}",
        report.problems
    );
}

#[test]
fn listed_log_files_that_were_not_read_are_counted_not_reported() {
    let trail = Trail::day();
    let mut logs = LogInventory::new();
    for key in trail.objects.keys().filter(|k| k.contains("/CloudTrail/")) {
        logs.insert(ObjectRef::new(trail.bucket.clone(), key.clone()), None);
    }
    let report = Walk::new(
        trail.digest_objects(),
        &trail.public_keys(),
        trail.walk_options(),
    )
    .finish(&logs);
    assert_eq!(report.problems, vec![]);
    assert_eq!(
        (report.log_files_valid, report.log_files_unchecked),
        (0, report.log_files)
    );
}

#[test]
fn a_range_that_starts_mid_chain_leaves_the_first_link_unchecked() {
    let trail = Trail::day();
    let since = Timestamp::parse("2026-06-10T12:00:00Z").unwrap();
    let digests: Vec<DigestObject> = trail
        .digest_objects()
        .into_iter()
        .filter(|d| Digest::parse(&d.content).unwrap().end >= since)
        .collect();
    let mut options = trail.walk_options();
    options.since = Some(since);
    let walk = Walk::new(digests, &trail.public_keys(), options);
    let mut logs = LogInventory::new();
    for (_, log) in walk.listed_logs() {
        let content = &trail.objects[&log.location.key].content;
        logs.insert(log.location.clone(), Some(Sha256::of(content)));
    }
    let report = walk.finish(&logs);
    assert_eq!(report.problems, vec![]);
    // One unchecked link per chain whose previous digest ended before noon (not eu-west-1's,
    // which restarted at 14:05:10 with no previous).
    assert_eq!(
        report.unchecked_links.len(),
        3,
        "{:#?}",
        report.unchecked_links
    );
    let link = &report.unchecked_links[0];
    let previous = trail
        .digest_objects()
        .into_iter()
        .find(|d| d.location == link.previous.location)
        .unwrap();
    let target = LinkTarget {
        signature: previous.signature.as_deref(),
        content_hash: Some(Sha256::of(&previous.content)),
    };
    assert_eq!(link.check(Some(target)), Ok(()));
    assert_eq!(link.check(None).unwrap_err().kind(), "digest_missing");
}
