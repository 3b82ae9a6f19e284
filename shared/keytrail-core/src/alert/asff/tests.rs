use super::*;

fn product() -> Product {
    Product::default_for("111122223333", "eu-west-1")
}

fn now() -> Timestamp {
    Timestamp::parse("2026-06-10T21:00:00Z").unwrap()
}

/// A rule alert (not integrity) with these tags.
fn tagged(tags: &[&str]) -> Alert {
    let mut a = Alert::integrity("s3://b/k", "truncated");
    a.rule_id = "acm-export-certificate".to_owned();
    a.tags = tags.iter().map(|t| (*t).to_owned()).collect();
    a
}

#[test]
fn types_follow_the_attack_tags() {
    let cases: &[(&[&str], &[&str])] = &[
        (&[], &["TTPs"]),
        (&["cve.2021-1"], &["TTPs"]),
        (
            &["attack.credential-access", "attack.t1552.004"],
            &["TTPs/Credential Access", "TTPs/Credential Access/T1552.004"],
        ),
        // Two tactics: a technique cannot be placed under one, so it is left out.
        (
            &["attack.impact", "attack.persistence", "attack.t1098"],
            &["TTPs/Impact", "TTPs/Persistence"],
        ),
        (&["attack.t1098"], &["TTPs"]),
        (
            &["attack.resource-development", "attack.resource-development"],
            &["TTPs/Resource Development"],
        ),
        (&["attack.t12", "attack.tx098", "attack.bogus"], &["TTPs"]),
    ];
    for (tags, want) in cases {
        let f = finding(&tagged(tags), &product(), now());
        assert_eq!(f.types, *want, "{tags:?}");
        validate(&f).unwrap();
    }
    let integrity = finding(&Alert::integrity("s3://b/k", "x"), &product(), now());
    assert_eq!(integrity.types, [INTEGRITY_TYPE]);
    let mut tamper = tagged(&["attack.defense-evasion"]);
    tamper.rule_id = "keytrail-integrity-log-file-modified".to_owned();
    assert_eq!(finding(&tamper, &product(), now()).types, [INTEGRITY_TYPE]);
}

#[test]
fn resources_are_typed_from_their_arn() {
    let cases = [
        (
            "arn:aws:acm:us-east-1:111122223333:certificate/1f2e",
            "AwsCertificateManagerCertificate",
            Some("us-east-1"),
        ),
        (
            "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/ab-cd",
            "AwsKmsKey",
            Some("us-gov-west-1"),
        ),
        (
            "arn:aws:kms:us-east-1:111122223333:alias/x",
            "Other",
            Some("us-east-1"),
        ),
        (
            "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main",
            "AwsCloudTrailTrail",
            Some("eu-west-1"),
        ),
        (
            "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/web/50dc",
            "AwsElbv2LoadBalancer",
            Some("us-east-1"),
        ),
        (
            "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/classic",
            "AwsElbLoadBalancer",
            Some("us-east-1"),
        ),
        ("arn:aws:iam::111122223333:role/admin", "AwsIamRole", None),
        ("arn:aws:s3:::bucket", "AwsS3Bucket", None),
        ("arn:aws:s3:::bucket/key", "AwsS3Object", None),
        (
            "arn:aws:acm-pca:us-east-1:1:certificate-authority/x",
            "Other",
            Some("us-east-1"),
        ),
        ("arn:aws:kms:Not A Region!:1:key/x", "AwsKmsKey", None),
        ("web-lb", "Other", None),
        ("s3://bucket/key", "Other", None),
    ];
    for (name, kind, region) in cases {
        let r = resource(name);
        assert_eq!(
            (r.kind.as_str(), r.region.as_deref()),
            (kind, region),
            "{name}"
        );
        assert_eq!(r.id, name);
    }
    // None named: the event's account, else the product's.
    let mut alert = tagged(&[]);
    alert.resources.clear();
    alert.account = Some("444455556666".to_owned());
    let f = finding(&alert, &product(), now());
    assert_eq!(f.resources[0].id, "AWS::::Account:444455556666");
    alert.account = None;
    let f = finding(&alert, &product(), now());
    assert_eq!(f.resources[0].id, "AWS::::Account:111122223333");
}

#[test]
fn product_arns_parse_only_in_the_default_shape() {
    let ok =
        Product::parse("arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default")
            .unwrap();
    assert_eq!(ok, product());
    let cn = Product::parse(
        "arn:aws-cn:securityhub:cn-north-1:111122223333:product/111122223333/default",
    );
    assert!(cn.is_ok());
    for bad in [
        "",
        "true",
        "arn:aws:securityhub:eu-west-1:111122223333:product/444455556666/default",
        "arn:aws:securityhub:eu-west-1:1111:product/1111/default",
        "arn:aws:sns:eu-west-1:111122223333:product/111122223333/default",
        "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/other",
        "arn:aws-cn:securityhub:eu-west-1:111122223333:product/111122223333/default",
    ] {
        let e = Product::parse(bad).unwrap_err();
        assert!(e.contains("default product ARN"), "{e}");
    }
}

#[test]
fn times_are_the_event_time_or_now() {
    let mut alert = tagged(&[]);
    let cases = [
        (Some("2026-06-10T20:30:05Z"), "2026-06-10T20:30:05Z"),
        (Some("2026-06-10T20:30:05.123Z"), "2026-06-10T20:30:05Z"),
        (Some("yesterday"), "2026-06-10T21:00:00Z"),
        (Some("2026-13-40T20:30:05Z"), "2026-06-10T21:00:00Z"),
        (None, "2026-06-10T21:00:00Z"),
    ];
    for (event_time, want) in cases {
        alert.event_time = event_time.map(str::to_owned);
        let f = finding(&alert, &product(), now());
        for at in [
            &f.created_at,
            &f.updated_at,
            &f.first_observed_at,
            &f.last_observed_at,
        ] {
            assert_eq!(at, want, "{event_time:?}");
        }
    }
}

#[test]
fn long_and_blank_text_is_cut_or_replaced_to_fit() {
    let mut alert = tagged(&["attack.impact"]);
    alert.title = "é".repeat(300);
    alert.description = "d".repeat(5000);
    alert.user_agent = Some("u".repeat(4000));
    alert.principal = Some("   ".to_owned());
    alert.alert_id = "i".repeat(600);
    let f = finding(&alert, &product(), now());
    assert_eq!(f.title.chars().count(), limits::MAX_TITLE);
    assert!(f.title.ends_with('…'));
    assert_eq!(f.description.chars().count(), limits::MAX_DESCRIPTION);
    assert_eq!(
        f.product_fields["keytrail/user_agent"].chars().count(),
        limits::MAX_FIELD_VALUE
    );
    assert!(!f.product_fields.contains_key("keytrail/principal"));
    assert_eq!(f.id.chars().count(), limits::MAX_ID);
    validate(&f).unwrap();
    alert.title = " \n".to_owned();
    alert.description = String::new();
    let f = finding(&alert, &product(), now());
    assert_eq!(
        (f.title.as_str(), f.description.as_str()),
        ("keytrail alert", "See the rule's documentation.")
    );
    validate(&f).unwrap();
}

#[test]
fn the_event_goes_whole_in_chunks_of_2048_characters() {
    let text = "ab".repeat(3000);
    let parts = chunks(&text, 2048, 40);
    assert_eq!(
        parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
        [2048, 2048, 1904]
    );
    assert_eq!(parts.concat(), text);
    // Multi-byte characters are never split.
    let wide = "€".repeat(2049);
    assert_eq!(chunks(&wide, 2048, 40).concat(), wide);
    // No room for all of it: the last chunk says it was cut.
    let cut_parts = chunks(&text, 2048, 2);
    assert_eq!(cut_parts.len(), 2);
    assert!(cut_parts[1].ends_with('…') && cut_parts[1].chars().count() == 2048);
}

#[test]
fn validate_names_each_broken_limit() {
    let good = finding(&tagged(&["attack.impact"]), &product(), now());
    validate(&good).unwrap();
    type Breaker = fn(&mut Finding);
    let cases: &[(&str, Breaker)] = &[
        ("Title has 257", |f| f.title = "t".repeat(257)),
        ("Title has 1 characters", |f| f.title = " ".to_owned()),
        ("Description has 1025", |f| f.description = "d".repeat(1025)),
        ("Id has 0", |f| f.id.clear()),
        ("GeneratorId has 513", |f| f.generator_id = "g".repeat(513)),
        ("AwsAccountId", |f| f.aws_account_id = "12345".to_owned()),
        ("Types entry \"Tactics/Impact\"", |f| {
            f.types = vec!["Tactics/Impact".to_owned()]
        }),
        ("Types entry \"TTPs//x\"", |f| {
            f.types = vec!["TTPs//x".to_owned()]
        }),
        ("Types entry \"TTPs/a/b/c\"", |f| {
            f.types = vec!["TTPs/a/b/c".to_owned()]
        }),
        ("0 Types", |f| f.types.clear()),
        ("51 Types", |f| f.types = vec!["TTPs".to_owned(); 51]),
        ("CreatedAt", |f| f.created_at = "2026-06-10".to_owned()),
        ("Severity.Label", |f| f.severity.label = "SEVERE".to_owned()),
        ("ProductFields pairs (at most 50)", |f| {
            for i in 0..51 {
                f.product_fields.insert(format!("k{i}"), "v".to_owned());
            }
        }),
        ("a ProductFields key has 129", |f| {
            f.product_fields.insert("k".repeat(129), "v".to_owned());
        }),
        ("ProductFields \"k\" has 2049", |f| {
            f.product_fields.insert("k".to_owned(), "v".repeat(2049));
        }),
        ("ProductFields \"k\" has 0", |f| {
            f.product_fields.insert("k".to_owned(), String::new());
        }),
        ("0 Resources", |f| f.resources.clear()),
        ("33 Resources", |f| f.resources = vec![resource("x"); 33]),
        ("a resource Region has 17", |f| {
            f.resources[0].region = Some("r".repeat(17))
        }),
        ("SourceUrl", |f| {
            f.source_url = Some("javascript:alert(1)".to_owned())
        }),
        ("SchemaVersion", |f| {
            f.schema_version = "2020-01-01".to_owned()
        }),
        ("bytes (at most 245760)", |f| {
            for i in 0..45 {
                f.product_fields.insert(format!("k{i}"), "€".repeat(2048));
            }
        }),
    ];
    for (want, breaker) in cases {
        let mut f = good.clone();
        breaker(&mut f);
        let e = validate(&f).unwrap_err();
        assert!(e.to_string().contains(want), "{want}: {e}");
    }
}
