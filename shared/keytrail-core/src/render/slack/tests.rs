//! Hostile input for the Slack renderer: every Block Kit limit and every escaping rule is asserted
//! as a property over many alerts built to break them.

use serde_json::{json, Value};

use super::*;
use crate::fuzzing::without_links;
use crate::render::tests::export_alert;

/// Every promise about a message, checked; returns every mrkdwn and plain text in it.
fn check(message: &Value) -> Vec<String> {
    let count = |s: &str| s.chars().count();
    let fallback = message["text"].as_str().unwrap();
    assert!(count(fallback) <= MAX_FALLBACK_CHARS);
    assert!(!fallback.contains(['<', '>']), "{fallback}");
    assert_eq!(message["unfurl_links"], false);
    assert_eq!(message["unfurl_media"], false);
    let blocks = message["blocks"].as_array().unwrap();
    assert!(!blocks.is_empty() && blocks.len() <= MAX_BLOCKS);
    assert_eq!(blocks[0]["type"], "header");
    let mut texts = vec![fallback.to_owned()];
    let mut mrkdwn = |object: &Value, max: usize| {
        assert_eq!(object["type"], "mrkdwn", "{object}");
        assert_eq!(object["verbatim"], true, "{object}");
        let t = object["text"].as_str().unwrap();
        assert!(count(t) <= max, "{} > {max}", count(t));
        assert!(!without_links(t).unwrap().contains(['<', '>']), "{t}");
        assert!(!t.chars().any(|c| c.is_control() && c != '\n'), "{t:?}");
        texts.push(t.to_owned());
    };
    for block in blocks {
        match block["type"].as_str().unwrap() {
            "header" => {
                let t = &block["text"];
                assert_eq!(t["type"], "plain_text");
                let s = t["text"].as_str().unwrap();
                assert!(count(s) <= MAX_HEADER_CHARS, "{}", count(s));
                assert!(!s.chars().any(char::is_control), "{s:?}");
            }
            "section" => {
                if let Some(fields) = block["fields"].as_array() {
                    assert!(!fields.is_empty() && fields.len() <= MAX_FIELDS);
                    for f in fields {
                        mrkdwn(f, MAX_FIELD_CHARS);
                    }
                }
                if block.get("text").is_some() {
                    mrkdwn(&block["text"], MAX_SECTION_CHARS);
                }
            }
            "context" => {
                let elements = block["elements"].as_array().unwrap();
                assert!(elements.len() <= 10);
                for e in elements {
                    mrkdwn(e, MAX_SECTION_CHARS);
                }
            }
            "actions" => {
                let url = block["elements"][0]["url"].as_str().unwrap();
                assert!(
                    url.starts_with("https://") && url.len() <= MAX_URL_CHARS,
                    "{url}"
                );
            }
            other => panic!("unexpected block type {other}"),
        }
    }
    texts
}

fn hostile_strings() -> Vec<String> {
    vec![
        String::new(),
        "<!channel> <!here> <!everyone> <@U024BE7LH> <#C123|general> <!subteam^S1>".to_owned(),
        "<https://evil.example|Open in the CloudTrail console> <mailto:x@evil.example|help>"
            .to_owned(),
        "*bold* _it_ ~strike~ `code` ```block``` > quote &amp; &lt;!channel&gt;".to_owned(),
        "\u{1b}[31mred\u{7}\0nul\r\nSubject: x\u{202e}gpj.exe\u{200b}".to_owned(),
        "`".repeat(10_000),
        "<".repeat(400_000),
        "&".repeat(400_000),
        "é🔑".repeat(200_000),
        "x".repeat(400_000),
        "\n".repeat(100_000),
    ]
}

#[test]
fn hostile_fields_render_inert_and_within_limits() {
    let hostile = hostile_strings();
    for (i, s) in hostile.iter().enumerate() {
        let mut a = export_alert();
        a.severity = Severity::ALL[i % Severity::ALL.len()];
        a.title.clone_from(s);
        a.description.clone_from(s);
        a.principal = Some(s.clone());
        a.principal_type = Some(s.clone());
        a.user_agent = Some(s.clone());
        a.source_ip = Some(s.clone());
        a.event_name = Some(s.clone());
        a.event_source = Some(s.clone());
        a.error_code = Some(s.clone());
        a.event_time = Some(s.clone());
        a.account = Some(s.clone());
        a.region = Some(s.clone());
        a.alert_id.clone_from(s);
        a.rule_id.clone_from(s);
        a.source.object.clone_from(s);
        a.resources = vec![s.clone(); 100];
        a.tags = vec![s.clone(); 20];
        a.falsepositives = vec![s.clone(); 20];
        a.references = vec![s.clone(); 20];
        a.references.push(format!("https://example.com/{s}"));
        let texts = check(&slack_message(&a));
        // Event values sit in code spans that they cannot close: backticks stay paired. (The
        // notification text, the rule's description and false positives are escaped mrkdwn,
        // not code.)
        for t in texts
            .iter()
            .skip(1)
            .filter(|t| !t.starts_with("*What to check*") && !t.starts_with("*Likely benign when*"))
        {
            assert_eq!(t.matches('`').count() % 2, 0, "{t:.200}");
        }
    }
}

#[test]
fn many_resources_are_cut_with_a_count() {
    let mut a = export_alert();
    a.resources = (0..10_000)
        .map(|i| format!("arn:aws:acm:us-east-1:1:certificate/{i:0500}"))
        .collect();
    let message = slack_message(&a);
    check(&message);
    let text = message["blocks"][2]["text"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("*Resources*\n• `arn:aws:acm"),
        "{text:.100}"
    );
    assert!(text.contains(" more (see the JSON alert)"), "{text:.100}");
}

#[test]
fn mentions_and_links_are_escaped_not_live() {
    let mut a = export_alert();
    a.user_agent = Some("<!channel> <https://evil.example|click> `x`".to_owned());
    a.principal = Some("arn:aws:iam::1:user/<@U123>".to_owned());
    let message = slack_message(&a);
    check(&message);
    let fields = &message["blocks"][1]["fields"];
    assert_eq!(
        fields[0]["text"],
        "*Who*\n`arn:aws:iam::1:user/&lt;@U123&gt;` (`IAMUser`)"
    );
    assert_eq!(
        fields[5]["text"],
        "*User agent*\n`&lt;!channel&gt; &lt;https://evil.example|click&gt; ˋxˋ`"
    );
    assert_eq!(
        message["text"],
        "🔴 HIGH: ACM certificate exported by arn:aws:iam::1:user/&lt;@U123&gt; in 123456789012/us-east-1"
    );
}

#[test]
fn console_button_only_for_https() {
    for (url, shown) in [
        (Some("https://us-east-1.console.aws.amazon.com/x"), true),
        (Some("http://evil.example/"), false),
        (Some("javascript:alert(1)"), false),
        (Some("https://evil.example/\n<!channel>"), false),
        (None, false),
    ] {
        let mut a = export_alert();
        a.console_url = url.map(str::to_owned);
        let message = slack_message(&a);
        check(&message);
        let has = message["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["type"] == "actions");
        assert_eq!(has, shown, "{url:?}");
    }
}

#[test]
fn sparse_alert_keeps_only_what_it_has() {
    let mut a = export_alert();
    a.principal = None;
    a.principal_type = None;
    a.event_name = None;
    a.event_source = None;
    a.event_time = None;
    a.account = None;
    a.region = None;
    a.source_ip = None;
    a.user_agent = None;
    a.resources.clear();
    a.console_url = None;
    a.description.clear();
    a.tags.clear();
    a.references.clear();
    a.falsepositives.clear();
    let message = slack_message(&a);
    check(&message);
    let types: Vec<&str> = message["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["header", "context"]);
    assert_eq!(
        message["blocks"][0]["text"]["text"],
        json!("🔴 HIGH · ACM certificate exported")
    );
}
