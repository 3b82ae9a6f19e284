//! A rule's Sigma ATT&CK tags as OCSF `attack` objects.
//!
//! Sigma tags name tactics (`attack.credential-access`, or `attack.credential_access` in
//! SigmaHQ) and techniques (`attack.t1552`, `attack.t1552.004`) side by side, without saying
//! which technique serves which tactic. So a technique carries the tactic only when the rule
//! names exactly one; otherwise techniques and tactics are separate `attack` objects (OCSF's
//! `attack` needs at least one of the three, and its array form `tactics` is deprecated). Other
//! `attack.` tags (groups `g0016`, software `s0002`) and unknown tactics are left out.

use serde_json::{json, Value};

/// ATT&CK Enterprise tactics: the Sigma tag name (hyphenated), the id and the caption.
const TACTICS: &[(&str, &str, &str)] = &[
    ("reconnaissance", "TA0043", "Reconnaissance"),
    ("resource-development", "TA0042", "Resource Development"),
    ("initial-access", "TA0001", "Initial Access"),
    ("execution", "TA0002", "Execution"),
    ("persistence", "TA0003", "Persistence"),
    ("privilege-escalation", "TA0004", "Privilege Escalation"),
    ("defense-evasion", "TA0005", "Defense Evasion"),
    ("credential-access", "TA0006", "Credential Access"),
    ("discovery", "TA0007", "Discovery"),
    ("lateral-movement", "TA0008", "Lateral Movement"),
    ("collection", "TA0009", "Collection"),
    ("command-and-control", "TA0011", "Command and Control"),
    ("exfiltration", "TA0010", "Exfiltration"),
    ("impact", "TA0040", "Impact"),
];

/// One ATT&CK tag, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tag {
    /// (id, caption)
    Tactic(&'static str, &'static str),
    /// `T1552` or `T1552.004`.
    Technique(String),
}

fn parse(tag: &str) -> Option<Tag> {
    let name = tag.trim().to_ascii_lowercase();
    let name = name.strip_prefix("attack.")?.replace('_', "-");
    if let Some((_, id, caption)) = TACTICS.iter().find(|(n, _, _)| *n == name) {
        return Some(Tag::Tactic(id, caption));
    }
    let digits = name.strip_prefix('t')?;
    let (main, sub) = digits.split_once('.').unwrap_or((digits, ""));
    let is_number = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    if is_number(main, 4) && (sub.is_empty() || is_number(sub, 3)) {
        Some(Tag::Technique(format!("T{}", digits.to_ascii_uppercase())))
    } else {
        None
    }
}

/// The tags understood, in order, each once.
fn understood(tags: &[String]) -> Vec<Tag> {
    let mut out: Vec<Tag> = Vec::new();
    for tag in tags.iter().filter_map(|t| parse(t)) {
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// The captions of the tactics `tags` name (`Credential Access`), for `finding_info.types`.
pub(super) fn tactic_names(tags: &[String]) -> Vec<String> {
    understood(tags)
        .into_iter()
        .filter_map(|t| match t {
            Tag::Tactic(_, caption) => Some(caption.to_owned()),
            Tag::Technique(_) => None,
        })
        .collect()
}

/// `finding_info.attacks` for `tags`: see the module docs.
pub(super) fn attacks(tags: &[String]) -> Vec<Value> {
    let tags = understood(tags);
    let tactics: Vec<Value> = tags
        .iter()
        .filter_map(|t| match t {
            Tag::Tactic(id, caption) => Some(json!({
                "uid": id,
                "name": caption,
                "src_url": format!("https://attack.mitre.org/tactics/{id}/"),
            })),
            Tag::Technique(_) => None,
        })
        .collect();
    let mut out: Vec<Value> = tags
        .iter()
        .filter_map(|t| match t {
            Tag::Technique(id) => Some(technique(id)),
            Tag::Tactic(..) => None,
        })
        .collect();
    match (tactics.as_slice(), out.is_empty()) {
        ([one], false) => {
            for attack in &mut out {
                attack["tactic"] = one.clone();
            }
        }
        _ => out.extend(tactics.into_iter().map(|t| json!({ "tactic": t }))),
    }
    out
}

/// The `attack` of technique `id`: a sub-technique (`T1552.004`) with its parent technique.
fn technique(id: &str) -> Value {
    let url = |id: &str| {
        format!(
            "https://attack.mitre.org/techniques/{}/",
            id.replace('.', "/")
        )
    };
    match id.split_once('.') {
        Some((parent, _)) => json!({
            "technique": {"uid": parent, "src_url": url(parent)},
            "sub_technique": {"uid": id, "src_url": url(id)},
        }),
        None => json!({"technique": {"uid": id, "src_url": url(id)}}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn tags_become_attacks() {
        let technique = |id: &str| technique(id);
        let tactic = |id: &str, name: &str| json!({"uid": id, "name": name, "src_url": format!("https://attack.mitre.org/tactics/{id}/")});
        let with = |mut attack: Value, t: Value| {
            attack["tactic"] = t;
            attack
        };
        let credential = tactic("TA0006", "Credential Access");
        let impact = tactic("TA0040", "Impact");
        for (input, want) in [
            (tags(&[]), vec![]),
            (
                tags(&["cve.2021-44228", "attack.g0016", "attack.t12"]),
                vec![],
            ),
            (
                tags(&["attack.credential-access", "attack.t1552.004"]),
                vec![with(technique("T1552.004"), credential.clone())],
            ),
            (
                tags(&[
                    "attack.credential_access",
                    "attack.T1552.004",
                    "attack.t1552.004",
                ]),
                vec![with(technique("T1552.004"), credential.clone())],
            ),
            (
                tags(&["attack.impact", "attack.credential-access", "attack.t1485"]),
                vec![
                    technique("T1485"),
                    json!({ "tactic": impact }),
                    json!({ "tactic": credential.clone() }),
                ],
            ),
            (
                tags(&["attack.credential-access"]),
                vec![json!({ "tactic": credential })],
            ),
        ] {
            assert_eq!(attacks(&input), want, "{input:?}");
        }
        assert_eq!(
            technique("T1552.004"),
            json!({
                "technique": {"uid": "T1552", "src_url": "https://attack.mitre.org/techniques/T1552/"},
                "sub_technique": {"uid": "T1552.004", "src_url": "https://attack.mitre.org/techniques/T1552/004/"},
            })
        );
        assert_eq!(
            tactic_names(&tags(&[
                "attack.impact",
                "attack.t1485",
                "attack.defense_evasion"
            ])),
            ["Impact", "Defense Evasion"]
        );
    }
}
