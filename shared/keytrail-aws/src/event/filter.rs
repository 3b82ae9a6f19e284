//! [`KeyFilter`]: which object keys the function reads, from the `KEY_FILTER` variable.
//!
//! Syntax: comma-separated `prefix=<text>` and `suffix=<text>` items, each repeatable, e.g.
//! `prefix=AWSLogs/,suffix=.json.gz`. A key is read when it starts with one of the prefixes (any
//! key when none is given) and ends with one of the suffixes (`.json.gz` or `.json` when none is
//! given). Whitespace around items is ignored; values cannot contain commas. An empty variable
//! means the defaults. CloudTrail digest files (keys containing `CloudTrail-Digest`) are always
//! skipped: digest validation is a later feature of its own.

use std::fmt;
use std::str::FromStr;

use super::object::ObjectRef;

/// The suffixes accepted when `KEY_FILTER` names none.
pub const DEFAULT_SUFFIXES: [&str; 2] = [".json.gz", ".json"];

/// The marker of CloudTrail digest files in their keys.
const DIGEST_MARKER: &str = "CloudTrail-Digest";

/// Which object keys are CloudTrail log objects worth reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFilter {
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

/// Why an object is skipped; displays as a short sentence for a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A CloudTrail digest file.
    Digest,
    /// The key starts with none of the configured prefixes.
    Prefix {
        /// The configured prefixes.
        prefixes: Vec<String>,
    },
    /// The key ends with none of the accepted suffixes.
    Suffix {
        /// The accepted suffixes.
        suffixes: Vec<String>,
    },
}

/// What `KEY_FILTER` takes, for error messages.
pub const KEY_FILTER_SYNTAX: &str = "write comma-separated prefix=<text> and suffix=<text> \
items, e.g. \"prefix=AWSLogs/,suffix=.json.gz\", or leave it empty for any prefix and the \
suffixes .json.gz and .json";

/// `KEY_FILTER` text that does not follow the syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("KEY_FILTER {text:?} is invalid: {problem}; {}", KEY_FILTER_SYNTAX)]
pub struct KeyFilterError {
    /// The variable's text.
    pub text: String,
    /// What is wrong with it.
    pub problem: String,
}

impl Default for KeyFilter {
    fn default() -> Self {
        KeyFilter {
            prefixes: Vec::new(),
            suffixes: DEFAULT_SUFFIXES.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

impl KeyFilter {
    /// Parses the `KEY_FILTER` text (see the module docs for the syntax).
    pub fn parse(text: &str) -> Result<Self, KeyFilterError> {
        let error = |problem: String| KeyFilterError {
            text: text.to_owned(),
            problem,
        };
        let mut prefixes = Vec::new();
        let mut suffixes = Vec::new();
        for item in text.split(',').map(str::trim) {
            if item.is_empty() {
                if text.trim().is_empty() {
                    continue;
                }
                return Err(error(
                    "it has an empty item (two commas in a row?)".to_owned(),
                ));
            }
            let Some((name, value)) = item.split_once('=') else {
                return Err(error(format!("item {item:?} has no '='")));
            };
            let list = match name.trim() {
                "prefix" => &mut prefixes,
                "suffix" => &mut suffixes,
                other => {
                    return Err(error(format!("{other:?} is neither prefix nor suffix")));
                }
            };
            if value.is_empty() {
                return Err(error(format!("item {item:?} has an empty value")));
            }
            list.push(value.to_owned());
        }
        let mut filter = KeyFilter {
            prefixes,
            ..KeyFilter::default()
        };
        if !suffixes.is_empty() {
            filter.suffixes = suffixes;
        }
        Ok(filter)
    }

    /// Whether `object` should be read, and if not why.
    pub fn check(&self, object: &ObjectRef) -> Result<(), SkipReason> {
        self.check_key(&object.key)
    }

    /// Whether an object with the (decoded) `key` should be read, and if not why.
    pub fn check_key(&self, key: &str) -> Result<(), SkipReason> {
        if key.contains(DIGEST_MARKER) {
            return Err(SkipReason::Digest);
        }
        if !self.prefixes.is_empty() && !self.prefixes.iter().any(|p| key.starts_with(p.as_str())) {
            return Err(SkipReason::Prefix {
                prefixes: self.prefixes.clone(),
            });
        }
        if !self.suffixes.iter().any(|s| key.ends_with(s.as_str())) {
            return Err(SkipReason::Suffix {
                suffixes: self.suffixes.clone(),
            });
        }
        Ok(())
    }
}

impl FromStr for KeyFilter {
    type Err = KeyFilterError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        KeyFilter::parse(text)
    }
}

/// The canonical `KEY_FILTER` text, which parses back to the same filter.
impl fmt::Display for KeyFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = (self.prefixes.iter().map(|p| format!("prefix={p}")))
            .chain(self.suffixes.iter().map(|s| format!("suffix={s}")))
            .collect();
        f.write_str(&items.join(","))
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Digest => {
                f.write_str("CloudTrail digest file: digest files are a later feature")
            }
            SkipReason::Prefix { prefixes } => write!(
                f,
                "key starts with none of the KEY_FILTER prefixes ({})",
                prefixes.join(", ")
            ),
            SkipReason::Suffix { suffixes } => write!(
                f,
                "key ends with none of {}: not a CloudTrail log object (KEY_FILTER suffix= \
                 accepts others)",
                suffixes.join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str =
        "AWSLogs/123456789012/CloudTrail/us-east-1/2026/06/10/123456789012_CloudTrail_us-east-1_20260610T2030Z_a.json.gz";
    const DIGEST: &str = "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/06/10/123456789012_CloudTrail-Digest_us-east-1_t_us-east-1_20260610T203000Z.json.gz";

    #[test]
    fn check_cases() {
        let digest = Err(SkipReason::Digest);
        let suffix_default = Err(SkipReason::Suffix {
            suffixes: vec![".json.gz".to_owned(), ".json".to_owned()],
        });
        let cases: [(&str, &str, Result<(), SkipReason>); 12] = [
            ("", LOG, Ok(())),
            ("", DIGEST, digest.clone()),
            ("", "AWSLogs/x/plain.json", Ok(())),
            ("", "AWSLogs/x/readme.txt", suffix_default.clone()),
            ("", "AWSLogs/x/a.json.gz.tmp", suffix_default),
            ("  ", LOG, Ok(())),
            ("prefix=AWSLogs/", LOG, Ok(())),
            ("prefix=org/,prefix=AWSLogs/", LOG, Ok(())),
            (
                "prefix=org/",
                LOG,
                Err(SkipReason::Prefix {
                    prefixes: vec!["org/".to_owned()],
                }),
            ),
            ("prefix=AWSLogs/,suffix=.json.gz", DIGEST, digest),
            (
                "suffix=.json.gz",
                "AWSLogs/x/plain.json",
                Err(SkipReason::Suffix {
                    suffixes: vec![".json.gz".to_owned()],
                }),
            ),
            (
                " prefix=AWSLogs/ , suffix=.log ",
                "AWSLogs/x/app.log",
                Ok(()),
            ),
        ];
        for (text, key, want) in cases {
            let filter = KeyFilter::parse(text).unwrap();
            assert_eq!(filter.check_key(key), want, "KEY_FILTER={text:?} key={key}");
        }
    }

    #[test]
    fn check_uses_the_decoded_key_of_an_object() {
        let object = ObjectRef {
            bucket: "b".to_owned(),
            key: "AWSLogs/demo copy 100%.json.gz".to_owned(),
            version_id: None,
            size: None,
            sequencer: None,
        };
        assert_eq!(KeyFilter::default().check(&object), Ok(()));
    }

    #[test]
    fn parse_errors_name_the_variable_and_the_syntax() {
        let cases = [
            ("prefix", "has no '='"),
            ("prefix=a,,suffix=b", "empty item"),
            ("prefix=a,", "empty item"),
            ("suffix=", "empty value"),
            ("glob=*.gz", "\"glob\" is neither prefix nor suffix"),
        ];
        for (text, problem) in cases {
            let err = KeyFilter::parse(text).unwrap_err();
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("KEY_FILTER {text:?} is invalid")),
                "{message}"
            );
            assert!(message.contains(problem), "{message}");
            assert!(message.contains("prefix=<text>"), "{message}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "",
            "prefix=AWSLogs/",
            "prefix=a/,prefix=b/,suffix=.gz",
            "suffix=.json",
        ] {
            let filter: KeyFilter = text.parse().unwrap();
            assert_eq!(
                KeyFilter::parse(&filter.to_string()).unwrap(),
                filter,
                "{text}"
            );
        }
        assert_eq!(
            KeyFilter::default().to_string(),
            "suffix=.json.gz,suffix=.json"
        );
    }

    #[test]
    fn skip_reasons_read_as_sentences() {
        let cases = [
            (
                SkipReason::Digest,
                "CloudTrail digest file: digest files are a later feature",
            ),
            (
                SkipReason::Prefix {
                    prefixes: vec!["a/".to_owned(), "b/".to_owned()],
                },
                "key starts with none of the KEY_FILTER prefixes (a/, b/)",
            ),
            (
                SkipReason::Suffix {
                    suffixes: vec![".json.gz".to_owned()],
                },
                "key ends with none of .json.gz: not a CloudTrail log object (KEY_FILTER suffix= \
                 accepts others)",
            ),
        ];
        for (reason, want) in cases {
            assert_eq!(reason.to_string(), want);
        }
    }
}
