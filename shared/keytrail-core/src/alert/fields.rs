//! What an alert reads of its record, borrowed from the record: each text field as the alert
//! carries it (a secret redacted, a long value cut to [`super::MAX_FIELD_BYTES`]) and the
//! resources it touched.
//!
//! Read once, through [`View`], then either owned into an [`super::Alert`] or written straight
//! to JSON ([`super::TreeAlert::write_json`]): both carry the same text because both take it
//! from here.

use std::borrow::Cow;

use super::resources::resources;
use super::{cut_to, MAX_FIELD_BYTES};
use crate::record::{lookup, View};
use crate::redact;

/// The alert's fields read from its record; each is the alert field of the same name.
pub(super) struct Fields<'v> {
    pub event_id: Option<Cow<'v, str>>,
    pub event_source: Option<Cow<'v, str>>,
    pub event_name: Option<Cow<'v, str>>,
    pub event_time: Option<Cow<'v, str>>,
    pub account: Option<Cow<'v, str>>,
    pub region: Option<Cow<'v, str>>,
    pub principal: Option<Cow<'v, str>>,
    pub principal_type: Option<Cow<'v, str>>,
    pub source_ip: Option<Cow<'v, str>>,
    pub user_agent: Option<Cow<'v, str>>,
    pub error_code: Option<Cow<'v, str>>,
    pub resources: Vec<&'v str>,
}

impl<'v> Fields<'v> {
    /// The fields of the record `event`.
    pub fn read(event: impl View<'v>) -> Fields<'v> {
        // A top-level field holding a PEM private key is redacted like the same text in the
        // event.
        let text = |path: &str| {
            lookup(event, path).and_then(View::as_str).map(|s| {
                if redact::is_secret_text(s) {
                    Cow::Borrowed(redact::REDACTED)
                } else {
                    cut_to(s, MAX_FIELD_BYTES)
                }
            })
        };
        let principal_type = text("userIdentity.type");
        Fields {
            event_id: text("eventID"),
            event_source: text("eventSource"),
            event_name: text("eventName"),
            event_time: text("eventTime").or_else(|| text("@timestamp")),
            account: text("recipientAccountId").or_else(|| text("userIdentity.accountId")),
            region: text("awsRegion"),
            principal: text("userIdentity.arn")
                .or_else(|| text("userIdentity.invokedBy"))
                .or_else(|| text("userIdentity.principalId"))
                .or_else(|| principal_type.clone()),
            principal_type,
            source_ip: text("sourceIPAddress"),
            user_agent: text("userAgent"),
            error_code: text("errorCode"),
            resources: resources(event),
        }
    }
}
