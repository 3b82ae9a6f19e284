//! [`Harness::render`] and the output limits every check applies to every alert.

use serde_json::{json, Value};

use super::{ensure, scan, scan_report, Checked, Harness};
use crate::alert::{asff, AlertHead, TreeAlert, MAX_ALERT_BYTES};
use crate::integrity::Timestamp;
use crate::record::{Event, Tree};
use crate::render::{self, slack};
use crate::Alert;

impl Harness {
    /// `data` as one JSON record; see the module docs.
    pub fn render(&self, data: &[u8]) -> Checked {
        self.tree_agrees(data)?;
        let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(data) else {
            return Ok(());
        };
        scan(&self.any_event, data)
            .iter()
            .try_for_each(check_alert)?;
        // The same record, sure to have an eventName, re-serialized (no duplicate keys).
        map.entry("eventName").or_insert_with(|| json!("FuzzEvent"));
        let value = Value::Object(map);
        let bytes = serde_json::to_vec(&value).map_err(|e| e.to_string())?;
        let (alerts, clean) = scan_report(&self.any_event, &bytes);
        let event = Event::from_value(value).map_err(|e| e.to_string())?;
        let expected = clean && !event.wrapped() && event.event_name().is_some();
        ensure(!expected || alerts.len() == 1, || {
            format!("{} alerts for a record with an eventName", alerts.len())
        })?;
        alerts.iter().try_for_each(check_alert)
    }
}

impl Harness {
    /// The alert made from a [`Tree`] over `data` (the path of records only unrouted rules
    /// match), and the same alert written as JSON straight from the tree, are the alert made
    /// from the parsed event, byte for byte; the tree never reads what
    /// serde_json refuses. The tree may leave to serde_json what it does not read (deep nesting).
    fn tree_agrees(&self, data: &[u8]) -> Checked {
        let tree = Tree::parse(data);
        let Some(rule) = self.any_event.rules().first() else {
            return Err("the any-event rule set is empty".to_owned());
        };
        match (Event::parse(data), tree) {
            (Err(_), Some(_)) => Err("the tree read a record serde_json refuses".to_owned()),
            (Ok(event), Some(tree)) => {
                let want = serde_json::to_string(&Alert::new(rule, &event, "f", 1));
                let got = serde_json::to_string(&Alert::from_tree(rule, &tree, data, "f", 1));
                let (want, got) = (
                    want.map_err(|e| e.to_string())?,
                    got.map_err(|e| e.to_string())?,
                );
                ensure(want == got, || {
                    format!("tree alert {got}\nvalue alert {want}")
                })?;
                let found = TreeAlert {
                    rule,
                    head: Some(&AlertHead::of(rule)),
                    tree: &tree,
                    json: data,
                    object: "f",
                    record: 1,
                };
                let mut line = Vec::new();
                ensure(
                    !found.write_json(&mut line) || line == want.as_bytes(),
                    || {
                        format!(
                            "written alert {}\nvalue alert {want}",
                            String::from_utf8_lossy(&line)
                        )
                    },
                )
            }
            (_, None) => Ok(()),
        }
    }
}

/// Every documented limit of every output of `alert`.
pub fn check_alert(alert: &Alert) -> Checked {
    let chars = |s: &str| s.chars().count();
    let subject = render::subject(alert);
    ensure(
        !subject.is_empty()
            && subject.len() <= render::MAX_SUBJECT_CHARS
            && subject.bytes().all(|b| (0x20..0x7f).contains(&b))
            && subject.starts_with(|c: char| c.is_ascii_graphic()),
        || format!("subject {subject:?}"),
    )?;
    let email = render::email_text(alert);
    ensure(!email.chars().any(|c| c.is_control() && c != '\n'), || {
        format!("control character in the email {email:?}")
    })?;
    let sns = render::sns_message(alert);
    ensure(sns.subject == subject, || "SNS subject differs".to_owned())?;
    ensure(sns.message.len() <= render::MAX_MESSAGE_BYTES, || {
        format!("SNS message of {} bytes", sns.message.len())
    })?;
    let doc: Value = serde_json::from_str(&sns.message).map_err(|e| format!("SNS message: {e}"))?;
    for key in ["default", "email", "email-json"] {
        ensure(doc[key].is_string(), || {
            format!("SNS message without {key}")
        })?;
    }
    let default: Value = serde_json::from_str(doc["default"].as_str().unwrap_or_default())
        .map_err(|e| format!("SNS default: {e}"))?;
    ensure(default["alert_id"] == alert.alert_id.as_str(), || {
        "SNS default has another alert_id".to_owned()
    })?;
    for (name, value) in render::message_attributes(alert) {
        ensure(
            !value.is_empty() && !value.chars().any(char::is_control),
            || format!("attribute {name} = {value:?}"),
        )?;
    }
    let json = serde_json::to_string(alert).map_err(|e| e.to_string())?;
    // Out of reach under `read_options` (an alert over the limit needs a record over its 64 KiB),
    // checked for runs with larger limits.
    ensure(json.len() <= MAX_ALERT_BYTES, || {
        format!("serialized alert of {} bytes", json.len())
    })?;
    let back: Alert = serde_json::from_str(&json).map_err(|e| format!("alert JSON: {e}"))?;
    // The event is carried as text, kept as it is: floats in it do not move.
    ensure(back == *alert, || {
        "the alert does not survive its JSON".to_owned()
    })?;
    // Security Hub: every alert's finding is within the ASFF limits.
    let product = asff::Product::default_for("111122223333", "us-east-1");
    asff::validate(&asff::finding(alert, &product, Timestamp::from_epoch(0)))
        .map_err(|e| e.to_string())?;
    let message = render::slack_message(alert);
    check_slack(&message, chars)
}

/// `t` with its links (`<http(s)://url|label>`) taken out, or what is wrong with one: links may
/// only list the rule's references, their URL must be printable ASCII without `<`, `>`, `|`,
/// quotes or backticks, their label without `<` or `|`. Checked apart from the renderer's own
/// test of a URL, so that a slip in one is caught by the other.
pub fn without_links(t: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = t;
    while let Some(at) = rest.find("<http") {
        out.push_str(rest.get(..at).unwrap_or_default());
        let link = rest.get(at + 1..).unwrap_or_default();
        let end = link
            .find('>')
            .ok_or_else(|| format!("unclosed link in {t:?}"))?;
        let inner = link.get(..end).unwrap_or_default();
        let (url, label) = inner
            .split_once('|')
            .ok_or_else(|| format!("link without a label in {t:?}"))?;
        ensure(t.starts_with("*References*"), || {
            format!("a link outside the references: {t:?}")
        })?;
        let scheme = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        ensure(
            (scheme.starts_with("https://") || scheme.starts_with("http://"))
                && url
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"<>|\"`".contains(&b)),
            || format!("link to {url:?}"),
        )?;
        ensure(!label.contains(['<', '|']), || {
            format!("link label {label:?}")
        })?;
        rest = link.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// Slack's Block Kit limits and the escaping promises of [`render::slack`].
fn check_slack(message: &Value, chars: impl Fn(&str) -> usize) -> Checked {
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .ok_or(format!("not text: {v}"))
    };
    let fallback = text(&message["text"])?;
    ensure(chars(&fallback) <= slack::MAX_FALLBACK_CHARS, || {
        format!("{fallback:?}")
    })?;
    ensure(!fallback.contains(['<', '>']), || {
        format!("live text {fallback:?}")
    })?;
    ensure(
        message["unfurl_links"] == false && message["unfurl_media"] == false,
        || "unfurling on".to_owned(),
    )?;
    let blocks = message["blocks"].as_array().cloned().unwrap_or_default();
    ensure(
        !blocks.is_empty() && blocks.len() <= slack::MAX_BLOCKS,
        || format!("{} blocks", blocks.len()),
    )?;
    let mrkdwn = |object: &Value, max: usize| -> Checked {
        let t = text(&object["text"])?;
        ensure(
            object["type"] == "mrkdwn" && object["verbatim"] == true,
            || format!("not verbatim mrkdwn: {object}"),
        )?;
        ensure(chars(&t) <= max, || format!("{} chars > {max}", chars(&t)))?;
        ensure(!without_links(&t)?.contains(['<', '>']), || {
            format!("live text {t:?}")
        })?;
        ensure(!t.chars().any(|c| c.is_control() && c != '\n'), || {
            format!("{t:?}")
        })
    };
    for block in &blocks {
        match block["type"].as_str().unwrap_or_default() {
            "header" => {
                let t = text(&block["text"]["text"])?;
                ensure(block["text"]["type"] == "plain_text", || format!("{block}"))?;
                ensure(chars(&t) <= slack::MAX_HEADER_CHARS, || {
                    format!("header {t:?}")
                })?;
                ensure(!t.chars().any(char::is_control), || format!("header {t:?}"))?;
            }
            "section" => {
                if let Some(fields) = block["fields"].as_array() {
                    ensure(
                        !fields.is_empty() && fields.len() <= slack::MAX_FIELDS,
                        || format!("{} fields", fields.len()),
                    )?;
                    for f in fields {
                        mrkdwn(f, slack::MAX_FIELD_CHARS)?;
                    }
                }
                if block.get("text").is_some() {
                    mrkdwn(&block["text"], slack::MAX_SECTION_CHARS)?;
                }
            }
            "context" => {
                let elements = block["elements"].as_array().cloned().unwrap_or_default();
                ensure(!elements.is_empty() && elements.len() <= 10, || {
                    format!("{block}")
                })?;
                for e in &elements {
                    mrkdwn(e, slack::MAX_SECTION_CHARS)?;
                }
            }
            "actions" => {
                let url = text(&block["elements"][0]["url"])?;
                ensure(
                    url.starts_with("https://") && url.len() <= slack::MAX_URL_CHARS,
                    || format!("button url {url:?}"),
                )?;
            }
            other => return Err(format!("unexpected block type {other:?}")),
        }
    }
    Ok(())
}
