//! The optional sinks beside SNS, read with the rest of the configuration
//! ([`crate::config::Config::from_env`]) and built once at cold start ([`build`]).
//!
//! - `SECURITY_HUB` (`true`/`false`, default `false`): import every alert into Security Hub as
//!   an ASFF finding of the account's default product. `SECURITY_HUB_PRODUCT_ARN` names that
//!   product (`arn:aws:securityhub:<region>:<account>:product/<account>/default`; the template
//!   sets it); unset, it is the default product of the alert topic's account and Region.
//! - `EVENT_BUS` (a name or an ARN, unset by default): put every alert on that EventBridge bus.
//!
//! How they publish, and how the idempotency table keeps each sink's deliveries apart, is
//! [`crate::publish`]'s and `keytrail_aws::sinks`' business.

use aws_config::SdkConfig;
use keytrail_aws::env::Env;
use keytrail_aws::sinks::{EventBridgeSink, ExtraSink, Retry, SecurityHubSink};
use keytrail_core::alert::asff::Product;

/// Which optional sinks are on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkConfig {
    /// The Security Hub product findings are imported as, when `SECURITY_HUB` is on.
    pub security_hub: Option<Product>,
    /// `EVENT_BUS`: the bus alerts are put on.
    pub event_bus: Option<String>,
}

impl SinkConfig {
    /// Reads `SECURITY_HUB`, `SECURITY_HUB_PRODUCT_ARN` and `EVENT_BUS`; `topic` is the alert
    /// topic's ARN, whose account and Region give the default product.
    pub fn from_env(env: &mut Env<'_>, topic: &str) -> SinkConfig {
        let on = env
            .optional("SECURITY_HUB", |v| match v.to_ascii_lowercase().as_str() {
                "true" | "on" => Ok(true),
                "false" | "off" => Ok(false),
                _ => Err("is neither `true` nor `false`".to_owned()),
            })
            .unwrap_or(false);
        let explicit = env.optional("SECURITY_HUB_PRODUCT_ARN", Product::parse);
        let security_hub = match (on, explicit) {
            (false, _) => None,
            (true, Some(product)) => Some(product),
            (true, None) => match topic_product(topic) {
                Some(product) => Some(product),
                None => {
                    env.invalid(
                        "SECURITY_HUB",
                        "true",
                        "needs SECURITY_HUB_PRODUCT_ARN (arn:aws:securityhub:<region>:<account>:\
                         product/<account>/default): the alert topic's ARN does not give the \
                         account and Region",
                    );
                    None
                }
            },
        };
        let event_bus = env.optional("EVENT_BUS", |v| {
            if is_bus(v) {
                Ok(v.to_owned())
            } else {
                Err(
                    "is not an event bus name or ARN (arn:aws:events:<region>:<account>:\
                     event-bus/<name>; a name of letters, digits, `.`, `-`, `_`, `/`)"
                        .to_owned(),
                )
            }
        });
        SinkConfig {
            security_hub,
            event_bus,
        }
    }
}

/// The default product of the account and Region of SNS topic `topic`.
fn topic_product(topic: &str) -> Option<Product> {
    let parts: Vec<&str> = topic.split(':').collect();
    let (region, account) = (parts.get(3)?, parts.get(4)?);
    Product::parse(&Product::default_for(account, region).arn).ok()
}

/// True for an EventBridge bus name (1 to 256 of `[/.\-_A-Za-z0-9]`) or a bus ARN.
fn is_bus(v: &str) -> bool {
    let name_ok = |n: &str| {
        (1..=256).contains(&n.len())
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/.-_".contains(&b))
    };
    match v.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            matches!(parts[..], [_, "events", region, account, resource]
                if !region.is_empty()
                    && account.len() == 12
                    && resource.strip_prefix("event-bus/").is_some_and(name_ok))
        }
        None => name_ok(v),
    }
}

/// The sinks `config` turns on, with clients built from `sdk` (SECURITY_HUB first).
pub fn build(config: &SinkConfig, sdk: &SdkConfig, retry: Retry) -> Vec<ExtraSink> {
    let mut out = Vec::new();
    if let Some(product) = &config.security_hub {
        let client = aws_sdk_securityhub::Client::new(sdk);
        out.push(ExtraSink::SecurityHub(
            SecurityHubSink::new(client, product.clone()).with_retry(retry),
        ));
    }
    if let Some(bus) = &config.event_bus {
        let client = aws_sdk_eventbridge::Client::new(sdk);
        out.push(ExtraSink::EventBridge(
            EventBridgeSink::new(client, bus.clone()).with_retry(retry),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use keytrail_aws::env::ConfigError;
    use std::collections::HashMap;

    const TOPIC: &str = "arn:aws:sns:eu-west-1:111122223333:keytrail-alerts";

    fn read(pairs: &[(&str, &str)]) -> Result<SinkConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let lookup = |k: &str| map.get(k).cloned();
        let mut env = Env::new(&lookup);
        let config = SinkConfig::from_env(&mut env, TOPIC);
        env.finish(config)
    }

    #[test]
    fn sinks_are_off_unless_asked_for_and_checked_when_they_are() {
        let default_product = Product::default_for("111122223333", "eu-west-1");
        let other = "arn:aws:securityhub:us-east-1:444455556666:product/444455556666/default";
        let bus_arn = "arn:aws:events:eu-west-1:111122223333:event-bus/security";
        type Case<'a> = (&'a [(&'a str, &'a str)], Result<SinkConfig, &'a str>);
        let cases: &[Case<'_>] = &[
            (&[], Ok(SinkConfig::default())),
            (
                &[("SECURITY_HUB", "false"), ("EVENT_BUS", "")],
                Ok(SinkConfig::default()),
            ),
            (
                &[("SECURITY_HUB", "TRUE")],
                Ok(SinkConfig {
                    security_hub: Some(default_product.clone()),
                    event_bus: None,
                }),
            ),
            (
                &[
                    ("SECURITY_HUB", "true"),
                    ("SECURITY_HUB_PRODUCT_ARN", other),
                ],
                Ok(SinkConfig {
                    security_hub: Some(Product::parse(other).unwrap()),
                    event_bus: None,
                }),
            ),
            (
                &[("EVENT_BUS", "security")],
                Ok(SinkConfig {
                    security_hub: None,
                    event_bus: Some("security".to_owned()),
                }),
            ),
            (
                &[("EVENT_BUS", bus_arn)],
                Ok(SinkConfig {
                    security_hub: None,
                    event_bus: Some(bus_arn.to_owned()),
                }),
            ),
            (&[("SECURITY_HUB", "yes")], Err("SECURITY_HUB")),
            (
                &[
                    ("SECURITY_HUB", "true"),
                    ("SECURITY_HUB_PRODUCT_ARN", "arn:aws:sns:x"),
                ],
                Err("default product ARN"),
            ),
            (&[("EVENT_BUS", "bus with spaces")], Err("not an event bus")),
            (
                &[("EVENT_BUS", "arn:aws:sqs:eu-west-1:111122223333:q")],
                Err("not an event bus"),
            ),
        ];
        for (env, want) in cases {
            match (read(env), want) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "{env:?}"),
                (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{env:?}: {e}"),
                (got, want) => panic!("{env:?}: {got:?}, wanted {want:?}"),
            }
        }
    }
}
