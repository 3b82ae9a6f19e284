use super::*;
use crate::alert::Source;
use crate::render::subject;

const ALICE: &str = "arn:aws:sts::123456789012:assumed-role/r/alice";

fn alert(rule: &str, severity: Severity, time: Option<&str>, who: Option<&str>) -> Alert {
    let mut a = Alert::integrity("s3://b/k", "x");
    a.rule_id = rule.to_owned();
    a.severity = severity;
    a.event_time = time.map(str::to_owned);
    a.principal = who.map(str::to_owned);
    a.account = Some("123456789012".to_owned());
    a.source = Source {
        object: "s3://b/k".to_owned(),
        record: Some(0),
    };
    a
}

#[test]
fn suppress_settings_parse_or_name_the_problem() {
    let ok = |window, group_by, severe| {
        Ok(Suppression {
            window,
            group_by,
            severe,
        })
    };
    // (text, rule, expected suppression of that rule or a fragment of the error)
    let cases: &[(&str, &str, Result<Suppression, &str>)] = &[
        ("r=1h", "r", ok(3600, GroupBy::Principal, false)),
        (" r = 30m , s=1d", "r", ok(1800, GroupBy::Principal, false)),
        (
            " r = 30m , s=1d",
            "s",
            ok(86_400, GroupBy::Principal, false),
        ),
        ("r=1h:severe", "r", ok(3600, GroupBy::Principal, true)),
        (
            "r=10m:by=account:severe",
            "r",
            ok(600, GroupBy::Account, true),
        ),
        ("r=10m:by=source-ip", "r", ok(600, GroupBy::SourceIp, false)),
        ("r=2h:by=rule", "r", ok(7200, GroupBy::Rule, false)),
        ("r", "r", Err("has no `=`")),
        ("=1h", "r", Err("names no rule")),
        ("r=1x", "r", Err("has no valid window")),
        ("r=0h", "r", Err("has no valid window")),
        ("r=", "r", Err("has no valid window")),
        ("r=1h:by=user", "r", Err("groups by no known field")),
        ("r=1h:loud", "r", Err("unknown option \"loud\"")),
        ("r=1h,r=2h", "r", Err("names a rule a second time")),
    ];
    for (text, rule, want) in cases {
        let got = StormControl::parse(text).map(|c| c.get(rule).copied());
        match (got, want) {
            (Ok(Some(got)), Ok(want)) => assert_eq!(&got, want, "{text}"),
            (Err(e), Err(fragment)) => {
                assert!(e.contains(fragment), "{text}: {e}");
                assert!(e.contains("RULE_ID=WINDOW"), "{text}: says the syntax: {e}");
            }
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }
    assert!(StormControl::parse("").unwrap().is_empty());
    assert!(StormControl::parse(" , ").unwrap().is_empty());
}

#[test]
fn critical_and_high_rules_need_the_opt_in_and_unknown_rules_are_named() {
    let level = |id: &str| match id {
        "crit" => Some(Severity::Critical),
        "high" => Some(Severity::High),
        "med" => Some(Severity::Medium),
        _ => None,
    };
    // (SUPPRESS, problems expected: fragments, one per problem)
    let cases: &[(&str, &[&str])] = &[
        ("med=1h", &[]),
        ("high=1h:severe,crit=1h:severe", &[]),
        ("high=1h", &["\"high\", which is high", "`high=...:severe`"]),
        ("crit=1h,med=1h", &["\"crit\", which is critical"]),
        ("gone=1h", &["\"gone\", which is not loaded"]),
    ];
    for (text, want) in cases {
        let problems = StormControl::parse(text).unwrap().problems(level);
        let joined = problems.join(" | ");
        for fragment in *want {
            assert!(joined.contains(fragment), "{text}: {joined}");
        }
        let expected = if want.len() == 2 { 1 } else { want.len() };
        assert_eq!(problems.len(), expected, "{text}: {joined}");
    }
}

#[test]
fn windows_are_fixed_and_keyed_by_event_time() {
    // (time, window, start)
    for (time, window, start) in [
        (0, 3600, 0),
        (3599, 3600, 0),
        (3600, 3600, 3600),
        (1_796_637_900, 3600, 1_796_637_600),
        (-1, 3600, -3600),
        (125, 60, 120),
        (125, 0, 125),
    ] {
        assert_eq!(window_start(time, window), start, "{time} in {window}s");
    }
}

#[test]
fn an_alert_maps_to_its_window_only_when_it_may_be_suppressed() {
    let control =
        StormControl::parse("low=1h,high=1h,opted=1h:severe,acct=30m:by=account").unwrap();
    let at = Some("2026-12-07T10:20:00Z");
    let hour = Timestamp::parse("2026-12-07T10:00:00Z").unwrap().epoch();
    // (alert, expected (group, start, window) or none)
    let cases = [
        (
            alert("low", Severity::Low, at, Some(ALICE)),
            Some((ALICE, hour, 3600)),
        ),
        (alert("high", Severity::High, at, Some(ALICE)), None),
        (alert("low", Severity::Critical, at, Some(ALICE)), None),
        (
            alert("opted", Severity::Critical, at, Some(ALICE)),
            Some((ALICE, hour, 3600)),
        ),
        (
            alert("acct", Severity::Low, at, Some(ALICE)),
            Some(("123456789012", hour, 1800)),
        ),
        (
            alert("low", Severity::Low, at, None),
            Some(("", hour, 3600)),
        ),
        (alert("low", Severity::Low, None, Some(ALICE)), None),
        (
            alert("low", Severity::Low, Some("yesterday"), Some(ALICE)),
            None,
        ),
        (alert("other", Severity::Low, at, Some(ALICE)), None),
    ];
    for (a, want) in cases {
        let got = control.key(&a).map(|k| (k.group, k.start, k.window));
        let want = want.map(|(g, s, w)| (g.to_owned(), s, w));
        assert_eq!(got, want, "{} {:?}", a.rule_id, a.severity);
    }
}

#[test]
fn spans_read_in_the_largest_whole_unit() {
    for (secs, text) in [
        (3600, "1h"),
        (1800, "30m"),
        (86_400, "1d"),
        (90, "90s"),
        (7200, "2h"),
    ] {
        assert_eq!(Span(secs).to_string(), text);
    }
}

fn summary(group: &str, more: u64, suppressed: u64) -> Summary {
    Summary {
        key: SuppressKey {
            rule: "acm-export-certificate".to_owned(),
            group: group.to_owned(),
            group_by: GroupBy::Principal,
            start: Timestamp::parse("2026-12-07T10:00:00Z").unwrap().epoch(),
            window: 3600,
        },
        title: "ACM certificate exported".to_owned(),
        severity: Severity::High,
        more,
        suppressed,
    }
}

#[test]
fn summary_ids_are_stable_per_window_and_count() {
    let a = summary(ALICE, 37, 37);
    assert_eq!(a.alert_id(), summary(ALICE, 37, 37).alert_id(), "stable");
    assert_eq!(a.alert_id().len(), 32);
    for other in [summary(ALICE, 2, 39), summary("bob", 37, 37)] {
        assert_ne!(a.alert_id(), other.alert_id());
    }
}

#[test]
fn a_summary_alert_says_how_many_more_by_whom_and_when() {
    let a = Alert::summary(&summary(ALICE, 37, 37));
    assert_eq!(a.rule_id, "acm-export-certificate");
    assert_eq!(a.severity, Severity::High);
    assert_eq!(a.title, "ACM certificate exported: 37 more in 1h");
    assert_eq!(a.principal.as_deref(), Some(ALICE));
    assert_eq!(
        subject(&a),
        "[HIGH] ACM certificate exported: 37 more in 1h: 123456789012:assumed-role/r/alice"
    );
    assert!(
        a.description.starts_with(&format!(
            "acm-export-certificate by principal {ALICE}: 37 more alert(s) in the 1h window \
             2026-12-07T10:00:00Z to 2026-12-07T11:00:00Z"
        )),
        "{}",
        a.description
    );
    let event: serde_json::Value = serde_json::to_value(&a).unwrap()["event"].clone();
    assert_eq!(event["suppression"]["more"], 37);
    assert_eq!(event["suppression"]["group"], ALICE);
    let late = Alert::summary(&summary(ALICE, 2, 39));
    assert!(
        late.description.contains("(39 in all"),
        "{}",
        late.description
    );
}

#[test]
fn an_untrusted_group_cannot_break_the_subject() {
    let a = Alert::summary(&summary("arn:aws:iam::1:user/x\r\nBcc: <!channel>", 3, 3));
    let subject = subject(&a);
    assert!(!subject.contains(['\r', '\n']), "{subject}");
    assert!(
        subject.starts_with("[HIGH] ACM certificate exported: 3 more in 1h"),
        "{subject}"
    );
}

#[test]
fn rules_declare_their_own_suppression_and_suppress_overrides_it() {
    let rule = |id: &str, field: &str| {
        format!(
            "title: t\nid: {id}\n{field}\nlogsource: {{product: aws, service: cloudtrail}}\n\
             detection: {{sel: {{eventName: DeleteCertificate}}, condition: sel}}\nlevel: low\n"
        )
    };
    let load = |text: String| {
        let options = crate::rules::LoadOptions {
            sources: vec![("mine.yml".to_owned(), text)],
            ..crate::rules::LoadOptions::default()
        };
        crate::rules::RuleSet::load(&options).unwrap().set
    };
    let suppression = |window, group_by, severe| Suppression {
        window,
        group_by,
        severe,
    };
    // (rule's field, SUPPRESS, expected suppression of rule `mine`, or an error fragment)
    type Case<'a> = (&'a str, &'a str, Result<Option<Suppression>, &'a str>);
    let cases: &[Case<'_>] = &[
        (
            "keytrail-suppress: 1h",
            "",
            Ok(Some(suppression(3600, GroupBy::Principal, false))),
        ),
        (
            "keytrail-suppress: 30m:by=account:severe",
            "",
            Ok(Some(suppression(1800, GroupBy::Account, true))),
        ),
        (
            "keytrail-suppress: 1h",
            "mine=2h",
            Ok(Some(suppression(7200, GroupBy::Principal, false))),
        ),
        ("author: x", "", Ok(None)),
        (
            "keytrail-suppress: soon",
            "",
            Err("rule mine (mine.yml): keytrail-suppress \"soon\" is invalid"),
        ),
        (
            "keytrail-suppress: 3",
            "",
            Err("keytrail-suppress 3 is invalid: is not text"),
        ),
    ];
    for (field, env, want) in cases {
        let set = load(rule("mine", field));
        let got = StormControl::parse(env)
            .unwrap()
            .with_rules(&set)
            .map(|c| c.get("mine").copied());
        match (got, want) {
            (Ok(got), Ok(want)) => assert_eq!(&got, want, "{field} / {env}"),
            (Err(e), Err(fragment)) => assert!(e.contains(fragment), "{field}: {e}"),
            (got, want) => panic!("{field} / {env}: got {got:?}, want {want:?}"),
        }
    }
}
