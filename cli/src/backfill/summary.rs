//! What a backfill says when it is done: one line with what was found and handed on, the rates,
//! what was skipped and why, and the command that shows the outcome.

use std::time::Duration;

use indicatif::HumanBytes;

use super::discover::Found;
use super::pipeline::Totals;

/// How the work went out, for the closing line.
pub enum Handed<'a> {
    /// Nothing sent.
    DryRun,
    /// Sent to this queue.
    Queue(&'a str),
    /// Written to a manifest, and this job created.
    Job {
        /// The job id.
        id: &'a str,
        /// The account (for `status --account`).
        account: &'a str,
        /// The region the job runs in.
        region: &'a str,
    },
}

fn rate(n: u64, d: Duration) -> u64 {
    let secs = d.as_secs_f64();
    if secs > 0.0 {
        (n as f64 / secs).round() as u64
    } else {
        0
    }
}

/// What was passed over, or `None`.
pub fn skipped(found: &Found, totals: &Totals) -> Option<String> {
    let mut parts = Vec::new();
    let mut add = |n: u64, what: &str| {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    };
    add(found.digest_folders, "CloudTrail-Digest folder(s)");
    add(
        found.other_folders.len() as u64,
        "folder(s) outside the CloudTrail layout",
    );
    add(found.stray_keys, "key(s) beside the layout's folders");
    add(totals.digest_keys, "digest key(s) in day folders");
    add(
        totals.other_keys,
        "key(s) in day folders not named like trail objects",
    );
    let mut text = (!parts.is_empty()).then(|| format!("skipped {}", parts.join(", ")))?;
    if let Some(first) = found.other_folders.iter().next() {
        text.push_str(&format!(" (e.g. {first})"));
    }
    Some(text)
}

/// The closing line.
pub fn line(found: &Found, totals: &Totals, handed: &Handed<'_>) -> String {
    let listed = totals.objects + totals.digest_keys + totals.other_keys;
    let scope = format!(
        "{} object(s), {}, in {} day folder(s) of {} account(s) and {} region folder(s)",
        totals.objects,
        HumanBytes(totals.bytes),
        totals.days_listed,
        found.accounts.len(),
        found.regions.len()
    );
    let speed = format!(
        "listed {listed} key(s) in {:.1} s ({} keys/s)",
        totals.listing.as_secs_f64(),
        rate(listed, totals.listing)
    );
    let mut line = match handed {
        Handed::DryRun => format!("dry run: found {scope}; {speed}; nothing sent"),
        Handed::Queue(url) => format!(
            "sent {} of {scope} to {url} in {:.1} s ({} messages/s; {speed}); follow it with: \
             keytrail backfill status --queue {url}",
            totals.handed,
            totals.elapsed.as_secs_f64(),
            rate(totals.handed, totals.elapsed)
        ),
        Handed::Job {
            id,
            account,
            region,
        } => {
            let manifest = totals
                .manifest
                .as_ref()
                .map_or_else(String::new, |m| format!(" s3://{}/{}", m.bucket, m.key));
            format!(
                "created S3 Batch Operations job {id} for {scope} (manifest{manifest}; {speed}); \
                 follow it with: keytrail backfill status {id} --account {account} --region {region}"
            )
        }
    };
    if let Some(skipped) = skipped(found, totals) {
        line.push_str("; ");
        line.push_str(&skipped);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::super::discover::Region;
    use super::*;

    #[test]
    fn closing_lines() {
        let found = Found {
            regions: vec![
                Region {
                    prefix: "a".to_owned(),
                },
                Region {
                    prefix: "b".to_owned(),
                },
            ],
            accounts: ["111122223333".to_owned()].into(),
            digest_folders: 1,
            other_folders: ["AWSLogs/111122223333/CloudTrail-Insight/".to_owned()].into(),
            stray_keys: 0,
        };
        let totals = Totals {
            days_listed: 6,
            objects: 40,
            bytes: 2_048_000,
            other_keys: 2,
            handed: 40,
            listing: Duration::from_millis(2_100),
            elapsed: Duration::from_secs(4),
            ..Totals::default()
        };
        assert_eq!(
            line(&found, &totals, &Handed::Queue("https://q")),
            "sent 40 of 40 object(s), 1.95 MiB, in 6 day folder(s) of 1 account(s) and 2 region \
             folder(s) to https://q in 4.0 s (10 messages/s; listed 42 key(s) in 2.1 s (20 \
             keys/s)); follow it with: keytrail backfill status --queue https://q; skipped 1 \
             CloudTrail-Digest folder(s), 1 folder(s) outside the CloudTrail layout, 2 key(s) in \
             day folders not named like trail objects (e.g. AWSLogs/111122223333/CloudTrail-Insight/)"
        );
        let job = Handed::Job {
            id: "j-1",
            account: "111122223333",
            region: "eu-west-1",
        };
        assert!(line(&found, &totals, &job).contains(
            "follow it with: keytrail backfill status j-1 --account 111122223333 --region eu-west-1"
        ));
        assert!(line(&Found::default(), &Totals::default(), &Handed::DryRun)
            .starts_with("dry run: found 0 object(s)"));
    }
}
