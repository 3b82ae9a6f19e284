//! What the prefilter index knows about a rule, read-only: the `eventSource` and `eventName`
//! values every match of its condition requires (the analysis `index.rs` keys rules by, see
//! [`RuleSet::required_event_sources`]). Coverage tables and the EventBridge pattern that feeds
//! the Lambda in real time are built from it, so that they follow the rules rather than a list
//! kept by hand.
//!
//! Values come back as the rule writes them (the index itself keeps them lowercased), so that a
//! table can show `ExportCertificate` rather than `exportcertificate`.

use super::RuleSet;

impl RuleSet {
    /// The `eventSource` values every match of rule `index` (an index into [`RuleSet::rules`])
    /// requires, as the rule writes them, sorted case-insensitively. `None` when the condition
    /// does not bound them (no `eventSource` equality in an AND position of every branch; a
    /// wildcard, a modifier or a NOT does not bound), or when there is no such rule. An empty
    /// list means the condition can never hold.
    pub fn required_event_sources(&self, index: usize) -> Option<Vec<String>> {
        self.required_spelled(index, "eventSource")
    }

    /// Like [`RuleSet::required_event_sources`], for `eventName`.
    pub fn required_event_names(&self, index: usize) -> Option<Vec<String>> {
        self.required_spelled(index, "eventName")
    }

    fn required_spelled(&self, index: usize, field: &str) -> Option<Vec<String>> {
        self.compiled.get(index)?.detection.required_spelled(field)
    }
}

#[cfg(test)]
mod tests {
    use serde_norway::Mapping;

    use crate::rules::detection::Detection;

    fn detection(yaml: &str) -> Detection {
        let map: Mapping = serde_norway::from_str(yaml).unwrap();
        Detection::compile(&map).unwrap()
    }

    #[test]
    fn required_values_come_back_as_written() {
        type Want = (
            Option<&'static [&'static str]>,
            Option<&'static [&'static str]>,
        );
        let cases: &[(&str, Want)] = &[
            (
                "s: {eventSource: acm.amazonaws.com, eventName: [GetCertificate, ExportCertificate]}\n\
                 condition: s",
                (
                    Some(&["acm.amazonaws.com"]),
                    Some(&["ExportCertificate", "GetCertificate"]),
                ),
            ),
            (
                "a: {eventSource: kms.amazonaws.com, eventName: Decrypt}\n\
                 b: {eventSource: IAM.amazonaws.com, eventName: UploadServerCertificate}\n\
                 condition: a or b",
                (
                    Some(&["IAM.amazonaws.com", "kms.amazonaws.com"]),
                    Some(&["Decrypt", "UploadServerCertificate"]),
                ),
            ),
            (
                "s:\n  - {eventSource: acm.amazonaws.com, eventName: RevokeCertificate}\n  \
                 - {eventSource: acm-pca.amazonaws.com, eventName: revokecertificate}\n\
                 condition: s",
                (
                    Some(&["acm-pca.amazonaws.com", "acm.amazonaws.com"]),
                    Some(&["RevokeCertificate"]),
                ),
            ),
            (
                "s: {eventName: StopLogging}\ncondition: s",
                (None, Some(&["StopLogging"])),
            ),
            (
                "s: {eventSource: cloudtrail.amazonaws.com, eventName|startswith: Stop}\n\
                 condition: s",
                (Some(&["cloudtrail.amazonaws.com"]), None),
            ),
            (
                "s: {eventSource: acm.amazonaws.com}\nx: {eventName: ListCertificates}\n\
                 condition: s and not x",
                (Some(&["acm.amazonaws.com"]), None),
            ),
            (
                "s: {eventName: A}\nt: {eventName: B}\ncondition: s and t",
                (None, Some(&[])),
            ),
        ];
        for (yaml, (sources, names)) in cases {
            let d = detection(yaml);
            let owned = |v: &Option<&[&str]>| v.map(|v| v.iter().map(|s| s.to_string()).collect());
            assert_eq!(d.required_spelled("eventSource"), owned(sources), "{yaml}");
            assert_eq!(d.required_spelled("eventName"), owned(names), "{yaml}");
        }
    }

    #[test]
    fn other_fields_stay_lowercase() {
        let d = detection("s: {eventName: PutKeyPolicy, errorCode: AccessDenied}\ncondition: s");
        assert_eq!(
            d.required_spelled("errorCode"),
            Some(vec!["accessdenied".to_owned()])
        );
    }
}
