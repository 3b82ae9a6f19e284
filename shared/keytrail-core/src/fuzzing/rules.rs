//! [`Harness::rules`]: bytes as one YAML rule file; the index, the prefilter and the scan path
//! agree with the rules themselves.

use serde_json::Value;

use super::{check_alert, ensure, scan, Checked, Harness};
use crate::rules::RuleSet;

impl Harness {
    /// `data` as one rule file; see the module docs.
    pub fn rules(&self, data: &[u8]) -> Checked {
        let text = String::from_utf8_lossy(data).into_owned();
        let set = match RuleSet::from_sources_lenient([("fuzz.yml", text)]) {
            Ok((set, skipped)) => {
                ensure(skipped.iter().all(|e| !e.to_string().is_empty()), || {
                    "an empty message for a skipped rule".to_owned()
                })?;
                set
            }
            Err(errors) => {
                return ensure(
                    !errors.is_empty() && errors.iter().all(|e| !e.to_string().is_empty()),
                    || format!("a failed load says nothing: {errors:?}"),
                );
            }
        };
        let n = set.rules().len();
        for event in &self.events {
            let mut matched = Vec::new();
            set.matches(event, &mut matched);
            let direct: Vec<usize> = (0..n).filter(|&i| set.is_match(i, event)).collect();
            ensure(matched == direct, || {
                format!("the index gives rules {matched:?}, the rules themselves {direct:?}")
            })?;
            let field = |k: &str| event.get(k).and_then(Value::as_str);
            ensure(
                matched.is_empty() || set.may_match(field("eventSource"), field("eventName")),
                || format!("may_match is false but rules {matched:?} match"),
            )?;
            let want: Vec<&str> = matched
                .iter()
                .map(|&i| set.rules()[i].id.as_str())
                .collect();
            let bytes = serde_json::to_vec(event).map_err(|e| e.to_string())?;
            let alerts = scan(&set, &bytes);
            let got: Vec<&str> = alerts.iter().map(|a| a.rule_id.as_str()).collect();
            ensure(got == want, || {
                format!("the scan path alerts on {got:?}, the rules match {want:?}")
            })?;
            alerts.iter().try_for_each(check_alert)?;
        }
        Ok(())
    }
}
