//! Reading a function's configuration from its environment, every problem named at once.
//!
//! Both functions validate their variables once, at cold start: a misconfigured deployment fails
//! its first invocation with one message that lists everything to fix, instead of failing record
//! by record or one variable per deployment. [`Env`] reads the variables through a lookup
//! function (the process environment in production, a map in tests), treats a blank value as
//! unset, and collects an [`EnvError`] per bad variable while handing back a default, so that the
//! caller reads every variable before [`Env::finish`] answers `Ok` or all the problems:
//!
//! ```
//! use keytrail_aws::env::Env;
//!
//! let lookup = |name: &str| (name == "OBJECT_CONCURRENCY").then(|| "0".to_owned());
//! let mut env = Env::new(&lookup);
//! let topic = env.required("ALERT_TOPIC_ARN", "give the ARN of the SNS topic for alerts", |v| {
//!     Ok(v.to_owned())
//! });
//! let concurrency = env.number("OBJECT_CONCURRENCY", 4, 1..=64);
//! let err = env.finish((topic, concurrency)).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "invalid configuration: ALERT_TOPIC_ARN is not set: give the ARN of the SNS topic for \
//!      alerts; OBJECT_CONCURRENCY=\"0\" must be a whole number from 1 to 64"
//! );
//! ```

use std::fmt;
use std::ops::RangeInclusive;

use keytrail_core::Severity;

/// One variable that is missing or invalid; the message names it and says what to set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    /// A required variable is unset or blank.
    #[error("{name} is not set: {what}")]
    Missing {
        /// The variable.
        name: &'static str,
        /// What to set it to.
        what: String,
    },
    /// A variable's value is not valid.
    #[error("{name}={value:?} {problem}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value, trimmed (a configuration value, never a secret: variables name secrets).
        value: String,
        /// What is wrong and what to set instead, e.g. `must be a whole number from 1 to 64`.
        problem: String,
    },
}

/// Everything wrong with the environment, in the order the variables were read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError(pub Vec<EnvError>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid configuration: ")?;
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// The environment being read; see the module docs.
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<EnvError>,
}

impl fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

impl<'a> Env<'a> {
    /// Reads variables through `lookup` (`|name| std::env::var(name).ok()` in production).
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Env {
            lookup,
            problems: Vec::new(),
        }
    }

    /// The variable's value, trimmed; `None` when it is unset or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A required variable, parsed; `None` (and a problem noted) when it is unset or invalid.
    /// `what` says what to set when it is unset; `parse` answers the problem with a value.
    pub fn required<T>(
        &mut self,
        name: &'static str,
        what: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        if self.get(name).is_none() {
            self.problems.push(EnvError::Missing {
                name,
                what: what.to_owned(),
            });
            return None;
        }
        self.optional(name, parse)
    }

    /// An optional variable, parsed; `None` when it is unset, or invalid (a problem noted).
    pub fn optional<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.get(name)?;
        match parse(&value) {
            Ok(parsed) => Some(parsed),
            Err(problem) => {
                self.problems.push(EnvError::Invalid {
                    name,
                    value,
                    problem,
                });
                None
            }
        }
    }

    /// A whole number in `range`; `default` when the variable is unset, or invalid (a problem
    /// noted).
    pub fn number(&mut self, name: &'static str, default: u64, range: RangeInclusive<u64>) -> u64 {
        self.optional(name, |v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    format!(
                        "must be a whole number from {} to {}",
                        range.start(),
                        range.end()
                    )
                })
        })
        .unwrap_or(default)
    }

    /// Notes a problem found outside the parsers (a value that parses but does not fit the
    /// deployment, say a directory that does not exist).
    pub fn invalid(&mut self, name: &'static str, value: &str, problem: impl Into<String>) {
        self.problems.push(EnvError::Invalid {
            name,
            value: value.to_owned(),
            problem: problem.into(),
        });
    }

    /// `config` when no problem was noted, else every problem.
    pub fn finish<T>(self, config: T) -> Result<T, ConfigError> {
        if self.problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError(self.problems))
        }
    }
}

/// Parses a severity name (`MIN_SEVERITY`), for [`Env::optional`].
pub fn severity(value: &str) -> Result<Severity, String> {
    value.parse::<Severity>().map_err(|_| {
        let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
        format!("is not a severity: use one of {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn even(v: &str) -> Result<u64, String> {
        v.parse::<u64>()
            .ok()
            .filter(|n| n % 2 == 0)
            .ok_or_else(|| "is not an even number: give one, e.g. 2".to_owned())
    }

    #[test]
    fn values_defaults_and_problems() {
        // (environment, required EVEN, optional ODD-free N, number COUNT 1..=9 default 5,
        //  problems expected)
        type Case = (
            &'static [(&'static str, &'static str)],
            Option<u64>,
            Option<u64>,
            u64,
            &'static [&'static str],
        );
        let cases: &[Case] = &[
            (&[("EVEN", "4")], Some(4), None, 5, &[]),
            (
                &[("EVEN", " 2 "), ("N", "8"), ("COUNT", "9")],
                Some(2),
                Some(8),
                9,
                &[],
            ),
            (
                &[("EVEN", "   "), ("N", "")],
                None,
                None,
                5,
                &["EVEN is not set: give an even number"],
            ),
            (
                &[("EVEN", "3"), ("N", "x"), ("COUNT", "0")],
                None,
                None,
                5,
                &[
                    "EVEN=\"3\" is not an even number: give one, e.g. 2",
                    "N=\"x\" is not an even number: give one, e.g. 2",
                    "COUNT=\"0\" must be a whole number from 1 to 9",
                ],
            ),
            (
                &[("EVEN", "2"), ("COUNT", "-1")],
                Some(2),
                None,
                5,
                &["COUNT=\"-1\" must be a whole number from 1 to 9"],
            ),
        ];
        for (pairs, even_want, n_want, count_want, problems) in cases {
            let lookup = lookup(pairs);
            let mut env = Env::new(&lookup);
            let got = (
                env.required("EVEN", "give an even number", even),
                env.optional("N", even),
                env.number("COUNT", 5, 1..=9),
            );
            assert_eq!(got, (*even_want, *n_want, *count_want), "{pairs:?}");
            match env.finish(()) {
                Ok(()) => assert!(problems.is_empty(), "{pairs:?}: no problem reported"),
                Err(ConfigError(errors)) => {
                    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
                    assert_eq!(texts, *problems, "{pairs:?}");
                }
            }
        }
    }

    #[test]
    fn severity_names() {
        assert_eq!(severity("HIGH"), Ok(Severity::High));
        assert_eq!(severity("info"), Ok(Severity::Informational));
        assert_eq!(
            severity("severe"),
            Err(
                "is not a severity: use one of informational, low, medium, high, critical"
                    .to_owned()
            )
        );
    }

    #[test]
    fn config_error_lists_every_problem_and_escapes_values() {
        let lookup = lookup(&[("A", "bad\u{1b}[31m\nvalue")]);
        let mut env = Env::new(&lookup);
        env.invalid(
            "B",
            "/no/such/dir",
            "does not exist in the deployment package",
        );
        let _ = env.optional("A", |_| Err::<(), _>("is wrong".to_owned()));
        let _ = env.required("C", "set it to something", |v| Ok(v.to_owned()));
        let err = env.finish(()).unwrap_err();
        assert_eq!(
            err.0,
            [
                EnvError::Invalid {
                    name: "B",
                    value: "/no/such/dir".to_owned(),
                    problem: "does not exist in the deployment package".to_owned(),
                },
                EnvError::Invalid {
                    name: "A",
                    value: "bad\u{1b}[31m\nvalue".to_owned(),
                    problem: "is wrong".to_owned(),
                },
                EnvError::Missing {
                    name: "C",
                    what: "set it to something".to_owned(),
                },
            ]
        );
        assert_eq!(
            err.to_string(),
            "invalid configuration: B=\"/no/such/dir\" does not exist in the deployment \
             package; A=\"bad\\u{1b}[31m\\nvalue\" is wrong; C is not set: set it to something"
        );
    }
}
