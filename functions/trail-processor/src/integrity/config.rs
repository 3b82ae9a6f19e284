//! The integrity check's settings, read with the rest of the configuration
//! ([`crate::config::Config::from_env`]).

use keytrail_aws::env::Env;
use keytrail_core::integrity::HOUR;

/// Log-file integrity validation's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntegrityConfig {
    /// `SILENCE_MARGIN_MINUTES` (default 30): a chain is silent when no digest came within the
    /// hour after its last `digestEndTime` plus this margin. In seconds.
    pub silence_margin: i64,
    /// `UNLISTED_LOG_GRACE_MINUTES` (default 180): a log object no digest has listed is reported
    /// once its chain's newest digest started this long after the time in the log's name. Long
    /// enough for a backfill digest (CloudTrail lists a log its hourly digest missed in one
    /// delivered hours later). In seconds.
    pub unlisted_grace: i64,
}

impl Default for IntegrityConfig {
    fn default() -> Self {
        IntegrityConfig {
            silence_margin: HOUR / 2,
            unlisted_grace: 3 * HOUR,
        }
    }
}

impl IntegrityConfig {
    /// The settings, when integrity validation is on: `INTEGRITY` is `on` (the default when there
    /// is a state table) or `off`; `on` without a state table is a problem.
    pub fn from_env(env: &mut Env<'_>, has_table: bool) -> Option<IntegrityConfig> {
        let on = env
            .optional("INTEGRITY", |v| match v.to_ascii_lowercase().as_str() {
                "on" | "true" => Ok(true),
                "off" | "false" => Ok(false),
                _ => Err("is neither `on` nor `off`".to_owned()),
            })
            .unwrap_or(has_table);
        let minutes = |env: &mut Env<'_>, name, default: i64| {
            let default = u64::try_from(default / 60).unwrap_or(0);
            i64::try_from(env.number(name, default, 0..=7 * 24 * 60)).unwrap_or(0) * 60
        };
        let defaults = IntegrityConfig::default();
        let config = IntegrityConfig {
            silence_margin: minutes(env, "SILENCE_MARGIN_MINUTES", defaults.silence_margin),
            unlisted_grace: minutes(env, "UNLISTED_LOG_GRACE_MINUTES", defaults.unlisted_grace),
        };
        if on && !has_table {
            env.invalid(
                "INTEGRITY",
                "on",
                "needs a state table: set STATE_TABLE (the template's StateTable=true does)",
            );
        }
        (on && has_table).then_some(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)], has_table: bool) -> Result<Option<IntegrityConfig>, String> {
        let lookup = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let mut env = Env::new(&lookup);
        let config = IntegrityConfig::from_env(&mut env, has_table);
        env.finish(config).map_err(|e| e.to_string())
    }

    /// Environment, whether there is a table, and the settings or the error's text.
    type Case<'a> = (
        &'a [(&'a str, &'a str)],
        bool,
        Result<Option<IntegrityConfig>, &'a str>,
    );

    #[test]
    fn on_with_a_table_unless_turned_off() {
        let cases: &[Case<'_>] = &[
            (&[], false, Ok(None)),
            (&[], true, Ok(Some(IntegrityConfig::default()))),
            (&[("INTEGRITY", "off")], true, Ok(None)),
            (
                &[
                    ("INTEGRITY", "ON"),
                    ("SILENCE_MARGIN_MINUTES", "45"),
                    ("UNLISTED_LOG_GRACE_MINUTES", "0"),
                ],
                true,
                Ok(Some(IntegrityConfig {
                    silence_margin: 45 * 60,
                    unlisted_grace: 0,
                })),
            ),
            (
                &[("INTEGRITY", "on")],
                false,
                Err("INTEGRITY=\"on\" needs a state table: set STATE_TABLE"),
            ),
            (
                &[("INTEGRITY", "maybe")],
                true,
                Err("INTEGRITY=\"maybe\" is neither `on` nor `off`"),
            ),
        ];
        for (pairs, has_table, want) in cases {
            match (read(pairs, *has_table), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, *want, "{pairs:?}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{got}"),
                (got, want) => panic!("{pairs:?}: got {got:?}, want {want:?}"),
            }
        }
    }
}
