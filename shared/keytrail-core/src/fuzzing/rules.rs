//! [`Harness::rules`]: bytes as one YAML rule file; the rule set's cascade (index, prefilter,
//! screen) and the scan path agree with the rules themselves.

use super::{check_alert, ensure, scan, Checked, Harness};
use crate::read::RawRecord;
use crate::rules::{LoadOptions, Loaded, RuleSet, Scratch, Verdict};

impl Harness {
    /// `data` as one rule file; see the module docs.
    pub fn rules(&self, data: &[u8]) -> Checked {
        let text = String::from_utf8_lossy(data).into_owned();
        let options = LoadOptions {
            strict: false,
            ..LoadOptions::from_sources([("fuzz.yml", text)])
        };
        let set = match RuleSet::load(&options) {
            Ok(Loaded { set, skipped }) => {
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
        let mut scratch = Scratch::default();
        for event in &self.events {
            let bytes = serde_json::to_vec(event).map_err(|e| e.to_string())?;
            let raw = RawRecord {
                index: 0,
                offset: 0,
                json: &bytes,
                closes: None,
            };
            let matched = match set.classify(&raw, &mut scratch) {
                Verdict::Matched(m) => m.indexes().to_vec(),
                _ => Vec::new(),
            };
            let direct: Vec<usize> = (0..n).filter(|&i| set.is_match(i, event)).collect();
            ensure(matched == direct, || {
                format!("the cascade gives rules {matched:?}, the rules themselves {direct:?}")
            })?;
            let want: Vec<&str> = matched
                .iter()
                .map(|&i| set.rules()[i].id.as_str())
                .collect();
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
