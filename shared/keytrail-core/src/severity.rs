//! Alert severity, ordered, with Sigma's `level` names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How urgent an alert is: Sigma's `level`, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth recording, not worth a page.
    Informational,
    /// Routine change on sensitive material.
    Low,
    /// Unusual; check it today.
    Medium,
    /// Key material may have left its boundary; check now.
    High,
    /// Act immediately.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase Sigma name (`informational` … `critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a severity name.
#[derive(Debug, thiserror::Error)]
#[error("unknown severity {0:?}: use one of informational, low, medium, high, critical")]
pub struct ParseSeverityError(pub String);

impl FromStr for Severity {
    type Err = ParseSeverityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Severity::ALL
            .into_iter()
            .find(|sev| {
                sev.as_str() == lower || (lower == "info" && *sev == Severity::Informational)
            })
            .ok_or_else(|| ParseSeverityError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        for (text, want) in [
            ("informational", Severity::Informational),
            ("info", Severity::Informational),
            ("LOW", Severity::Low),
            (" medium ", Severity::Medium),
            ("High", Severity::High),
            ("critical", Severity::Critical),
        ] {
            assert_eq!(text.parse::<Severity>().unwrap(), want, "{text}");
        }
        assert!("severe".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Informational);
        assert_eq!(serde_json::to_string(&Severity::High).unwrap(), "\"high\"");
    }
}
