//! Why a rule or filter could not be loaded.
//!
//! Every variant displays as `FILE: detail`, and the detail says what to do. Variants for which
//! [`RuleError::is_unsupported`] is true describe valid Sigma that keytrail does not implement:
//! a lenient load skips those rules and reports them, while every other variant is fatal.

/// A rule or filter that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The file or directory could not be read.
    #[error("{file}: cannot read: {detail}")]
    Io {
        /// The file or directory.
        file: String,
        /// The I/O error.
        detail: String,
    },
    /// Not YAML, or not a well-formed Sigma rule or filter.
    #[error("{file}: {detail}")]
    Invalid {
        /// The file.
        file: String,
        /// What is wrong and what to do.
        detail: String,
    },
    /// Valid Sigma that uses a feature keytrail does not implement.
    #[error(
        "{file}: rule {rule} uses {feature}, which keytrail does not support: rewrite that part \
         of the rule or leave the rule out"
    )]
    Unsupported {
        /// The file.
        file: String,
        /// The rule's id and title.
        rule: String,
        /// The feature, named as in the rule.
        feature: String,
    },
    /// A rule for a log source other than AWS CloudTrail.
    #[error(
        "{file}: rule {rule} is for logsource {logsource}, not product: aws, service: cloudtrail: \
         keep only CloudTrail rules in keytrail's rule directories"
    )]
    Logsource {
        /// The file.
        file: String,
        /// The rule's id and title.
        rule: String,
        /// The rule's logsource.
        logsource: String,
    },
    /// Two rules or filters share an id.
    #[error("{file}: id {id} is also used by {other}: give every rule and filter its own id")]
    DuplicateId {
        /// The file loaded second.
        file: String,
        /// The shared id.
        id: String,
        /// The file loaded first.
        other: String,
    },
    /// A filter names a rule that is not loaded.
    #[error(
        "{file}: filter {filter} names rule {target}, which is not loaded: fix the id or name \
         under filter.rules, or load the directory that holds the rule"
    )]
    UnknownFilterTarget {
        /// The filter's file.
        file: String,
        /// The filter's id and title.
        filter: String,
        /// The rule id or name the filter gives.
        target: String,
    },
    /// A filter for a rule that was skipped because it uses an unsupported feature.
    #[error(
        "{file}: filter {filter} was skipped with rule {target}, which uses an unsupported feature"
    )]
    SkippedTarget {
        /// The filter's file.
        file: String,
        /// The filter's id and title.
        filter: String,
        /// The rule id or name the filter gives.
        target: String,
    },
}

impl RuleError {
    /// The file (or `builtin:rules/x.yml`) the error is about.
    pub fn file(&self) -> &str {
        match self {
            RuleError::Io { file, .. }
            | RuleError::Invalid { file, .. }
            | RuleError::Unsupported { file, .. }
            | RuleError::Logsource { file, .. }
            | RuleError::DuplicateId { file, .. }
            | RuleError::UnknownFilterTarget { file, .. }
            | RuleError::SkippedTarget { file, .. } => file,
        }
    }

    /// True for valid Sigma that keytrail does not implement (the rule can be skipped); false for
    /// errors that must be fixed.
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            RuleError::Unsupported { .. } | RuleError::SkippedTarget { .. }
        )
    }
}

/// A problem found while compiling one rule, before the file and rule are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Not well-formed: becomes [`RuleError::Invalid`].
    Invalid(String),
    /// A feature keytrail lacks: becomes [`RuleError::Unsupported`].
    Unsupported(String),
}

impl Problem {
    /// Prefixes an invalid detail with where it was found.
    pub(crate) fn context(self, at: &str) -> Problem {
        match self {
            Problem::Invalid(detail) => Problem::Invalid(format!("{at}: {detail}")),
            unsupported @ Problem::Unsupported(_) => unsupported,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_starts_with_file_and_unsupported_is_distinguishable() {
        let cases = [
            (
                RuleError::Unsupported {
                    file: "r.yml".into(),
                    rule: "abc (T)".into(),
                    feature: "modifier 'expand'".into(),
                },
                "r.yml: rule abc (T) uses modifier 'expand', which keytrail does not support",
                true,
            ),
            (
                RuleError::Invalid {
                    file: "r.yml".into(),
                    detail: "missing title".into(),
                },
                "r.yml: missing title",
                false,
            ),
            (
                RuleError::DuplicateId {
                    file: "b.yml".into(),
                    id: "x".into(),
                    other: "a.yml".into(),
                },
                "b.yml: id x is also used by a.yml",
                false,
            ),
        ];
        for (err, prefix, unsupported) in cases {
            assert!(err.to_string().starts_with(prefix), "{err}");
            assert_eq!(err.is_unsupported(), unsupported, "{err}");
            assert!(err.to_string().starts_with(err.file()));
        }
    }
}
