//! Storm control: the pure half of alert suppression windows.
//!
//! A noisy rule can send a thousand emails in an hour. A **suppression** on a rule (or a
//! correlation: anything with a rule id) says: within a window of `window` seconds, the alerts
//! of that rule for one group (by default the alert's principal) after the first do not notify;
//! they are counted, and once the window has ended one summary alert says how many there were
//! ([`Alert::summary`]).
//!
//! This module parses the configuration ([`StormControl::parse`], the Lambda's `SUPPRESS`; a
//! rule may declare its own in the custom attribute [`RULE_FIELD`], [`StormControl::with_rules`]),
//! checks it against the loaded rules ([`StormControl::problems`]) and maps an alert to its
//! window ([`StormControl::key`]). Windows are fixed and keyed by the alert's event time, as
//! correlations' are: a 1 hour window is a clock hour (00:00-01:00...), and a late event lands in
//! the window of its own time. Keeping the counts (across invocations, in the state table) is
//! the shells' business.
//!
//! **Off by default for critical and high.** An alert of those levels is the one a responder
//! must see; a suppression on such a rule needs an explicit opt-in (`:severe`). Without it the
//! configuration is refused at cold start ([`StormControl::problems`]), and should a rule's level
//! be raised later the alert is never suppressed anyway ([`StormControl::key`] checks the
//! alert's own severity).

use std::collections::BTreeMap;
use std::fmt;

use crate::correlate::timespan;
use crate::digest::hash_parts;
use crate::integrity::Timestamp;
use crate::rules::RuleSet;
use crate::{Alert, Severity};

/// The Sigma custom attribute in which a rule declares its own suppression, with the syntax of
/// one `SUPPRESS` entry's value: `keytrail-suppress: 1h`, `keytrail-suppress: 30m:by=account`.
pub const RULE_FIELD: &str = "keytrail-suppress";

/// The syntax of `SUPPRESS`, for error messages.
pub const SYNTAX: &str = "write RULE_ID=WINDOW[:by=principal|account|source-ip|rule][:severe], \
                          comma-separated, with WINDOW a number and s, m, h or d (e.g. \
                          acm-delete-certificate=1h,acm-export-certificate=30m:severe)";

/// What one window counts together, besides the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GroupBy {
    /// The alert's principal (`userIdentity.arn`, else the invoking service or principal id).
    #[default]
    Principal,
    /// The account (`recipientAccountId`).
    Account,
    /// The source address (`sourceIPAddress`).
    SourceIp,
    /// The rule alone: one window for every alert of the rule.
    Rule,
}

impl GroupBy {
    /// The name in `SUPPRESS` (`by=...`).
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Principal => "principal",
            GroupBy::Account => "account",
            GroupBy::SourceIp => "source-ip",
            GroupBy::Rule => "rule",
        }
    }

    /// The group named `text` (as [`GroupBy::as_str`] writes it).
    pub fn parse(text: &str) -> Option<GroupBy> {
        [
            GroupBy::Principal,
            GroupBy::Account,
            GroupBy::SourceIp,
            GroupBy::Rule,
        ]
        .into_iter()
        .find(|g| g.as_str() == text)
    }

    /// The group of `alert` (empty when the alert has no such field, or for [`GroupBy::Rule`]).
    pub fn of(self, alert: &Alert) -> String {
        let field = match self {
            GroupBy::Principal => &alert.principal,
            GroupBy::Account => &alert.account,
            GroupBy::SourceIp => &alert.source_ip,
            GroupBy::Rule => return String::new(),
        };
        field.clone().unwrap_or_default()
    }
}

/// One rule's suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppression {
    /// The window, in seconds.
    pub window: i64,
    /// What one window counts together.
    pub group_by: GroupBy,
    /// Whether a critical or high alert may be suppressed (the explicit opt-in).
    pub severe: bool,
}

/// The suppressions by rule id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StormControl {
    rules: BTreeMap<String, Suppression>,
}

/// The window one alert falls in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SuppressKey {
    /// The rule id.
    pub rule: String,
    /// The group's value (a principal ARN...; untrusted text).
    pub group: String,
    /// What the group is.
    pub group_by: GroupBy,
    /// The window's start, epoch seconds (a multiple of `window`).
    pub start: i64,
    /// The window's length, seconds.
    pub window: i64,
}

impl SuppressKey {
    /// The window's end, epoch seconds.
    pub fn end(&self) -> i64 {
        self.start.saturating_add(self.window)
    }

    /// A digest of the group (32 hex digits): the state table's `supp#<rule>#<group hash>`.
    pub fn group_hash(&self) -> String {
        hash_parts([self.group_by.as_str(), &self.group])
    }
}

impl StormControl {
    /// Parses `SUPPRESS` ([`SYNTAX`]); empty text is no suppression.
    pub fn parse(text: &str) -> Result<StormControl, String> {
        let mut rules = BTreeMap::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = |why: &str| format!("entry {entry:?} {why}: {SYNTAX}");
            let Some((rule, spec)) = entry.split_once('=') else {
                return Err(bad("has no `=`"));
            };
            let rule = rule.trim();
            if rule.is_empty() {
                return Err(bad("names no rule"));
            }
            let mut parts = spec.split(':').map(str::trim);
            let window = timespan(parts.next().unwrap_or_default())
                .map_err(|_| bad("has no valid window"))?;
            let mut s = Suppression {
                window,
                group_by: GroupBy::default(),
                severe: false,
            };
            for option in parts {
                match option.strip_prefix("by=") {
                    _ if option == "severe" => s.severe = true,
                    Some(by) => {
                        s.group_by =
                            GroupBy::parse(by).ok_or_else(|| bad("groups by no known field"))?;
                    }
                    None => return Err(bad(&format!("has an unknown option {option:?}"))),
                }
            }
            if rules.insert(rule.to_owned(), s).is_some() {
                return Err(bad("names a rule a second time"));
            }
        }
        Ok(StormControl { rules })
    }

    /// These suppressions and those the rules of `set` declare ([`RULE_FIELD`]); for a rule named
    /// in both, these win (`SUPPRESS` overrides a rule's field without editing the rule). An
    /// invalid field is an error naming the rule and its file.
    pub fn with_rules(mut self, set: &RuleSet) -> Result<StormControl, String> {
        for (i, rule) in set.rules().iter().enumerate() {
            let Some(value) = set.info(i).and_then(|info| info.custom.get(RULE_FIELD)) else {
                continue;
            };
            if self.rules.contains_key(&rule.id) {
                continue;
            }
            let declared = value
                .as_str()
                .ok_or_else(|| "is not text".to_owned())
                .and_then(|v| StormControl::parse(&format!("{}={v}", rule.id)));
            match declared {
                Ok(declared) => self.rules.extend(declared.rules),
                Err(e) => {
                    return Err(format!(
                        "rule {} ({}): {RULE_FIELD} {value} is invalid: {e}",
                        rule.id, rule.file
                    ))
                }
            }
        }
        Ok(self)
    }

    /// These suppressions, with those the rules of `set` declare ([`StormControl::with_rules`]),
    /// checked against `set` ([`StormControl::problems`]: every id loaded, `:severe` where the
    /// rule is critical or high; correlations count as rules). The errors, one a line, are what
    /// the Lambda's cold start refuses and `keytrail rules test` reports.
    pub fn checked(self, set: &RuleSet) -> Result<StormControl, Vec<String>> {
        let control = self.with_rules(set).map_err(|e| vec![e])?;
        let level = |id: &str| {
            set.rules()
                .iter()
                .map(|r| (&r.id, r.level))
                .chain(
                    set.correlations()
                        .list()
                        .map(|c| (&c.rule.id, c.rule.level)),
                )
                .find(|(rule, _)| *rule == id)
                .map(|(_, level)| level)
        };
        let problems = control.problems(level);
        if problems.is_empty() {
            Ok(control)
        } else {
            Err(problems)
        }
    }

    /// Whether no rule is suppressed.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The suppressed rules' ids.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.keys().map(String::as_str)
    }

    /// The suppression of rule `id`.
    pub fn get(&self, id: &str) -> Option<&Suppression> {
        self.rules.get(id)
    }

    /// What is wrong with the suppressions given the loaded rules (`level` answers a rule's or a
    /// correlation's level, `None` for an id that is not loaded): an unknown rule, or a critical or
    /// high rule without `:severe`. Empty when all is well.
    pub fn problems(&self, level: impl Fn(&str) -> Option<Severity>) -> Vec<String> {
        self.rules
            .iter()
            .filter_map(|(id, s)| match level(id) {
                None => Some(format!(
                    "SUPPRESS names rule {id:?}, which is not loaded: check the id \
                     (`keytrail rules list`)"
                )),
                Some(l) if l >= Severity::High && !s.severe => Some(format!(
                    "SUPPRESS would suppress rule {id:?}, which is {l}: critical and high alerts \
                     are never suppressed unless you opt in with `{id}=...:severe`"
                )),
                Some(_) => None,
            })
            .collect()
    }

    /// The window `alert` falls in, when it is to be suppressed: its rule has a suppression,
    /// its severity allows it (below high, or `:severe`), and it has an event time.
    pub fn key(&self, alert: &Alert) -> Option<SuppressKey> {
        let s = self.rules.get(&alert.rule_id)?;
        if alert.severity >= Severity::High && !s.severe {
            return None;
        }
        let time = Timestamp::parse(alert.event_time.as_deref()?)?.epoch();
        Some(SuppressKey {
            rule: alert.rule_id.clone(),
            group: s.group_by.of(alert),
            group_by: s.group_by,
            start: window_start(time, s.window),
            window: s.window,
        })
    }
}

/// A window that ended with alerts suppressed: what its summary alert says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The window.
    pub key: SuppressKey,
    /// The rule's title and level (from its first alert).
    pub title: String,
    /// The rule's level.
    pub severity: Severity,
    /// Alerts suppressed in the window and not yet summarised: what this summary reports.
    pub more: u64,
    /// Alerts suppressed in the window in all (more than `more` when a late one reopened it).
    pub suppressed: u64,
}

impl Summary {
    /// The summary's alert id: stable per rule x group x window x count, so that the same
    /// summary published twice is one alert to the ledger, and a later one (late events) another.
    pub fn alert_id(&self) -> String {
        let k = &self.key;
        hash_parts([
            "suppressed",
            &k.rule,
            &k.group_hash(),
            &k.start.to_string(),
            &self.suppressed.to_string(),
        ])
    }
}

/// The start of the fixed window of `window` seconds holding `time` (both epoch seconds).
pub fn window_start(time: i64, window: i64) -> i64 {
    if window <= 0 {
        return time;
    }
    time.div_euclid(window) * window
}

/// `window` seconds as the shortest of `2d`, `1h`, `30m`, `45s`.
pub struct Span(pub i64);

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        match s {
            _ if s > 0 && s % 86_400 == 0 => write!(f, "{}d", s / 86_400),
            _ if s > 0 && s % 3600 == 0 => write!(f, "{}h", s / 3600),
            _ if s > 0 && s % 60 == 0 => write!(f, "{}m", s / 60),
            _ => write!(f, "{s}s"),
        }
    }
}

#[cfg(test)]
mod tests;
