//! Hours whose log files cannot be verified, per trail id (`unverifiable#<trail id>` /
//! `<end>#<start>`): the hour of a digest that is missing (deleted) or not valid (forged,
//! unreadable, unsigned, unknown key). The scheduled check does not call a log of such an hour
//! injected: no valid digest can list it, and the digest's own problem already says so (as
//! `keytrail verify` does). Kept here rather than acted on when found, because the log objects of
//! that hour may arrive after the digest's problem was found (notifications are not ordered).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use keytrail_core::integrity::Timestamp;

use super::{
    get_n, n, now, s, StateError, StateTable, INTEGRITY_TTL_SECONDS, PK, SK, TTL_ATTRIBUTE,
};

/// One unverifiable hour: the window of the digest that should cover it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The digest's start (`digestStartTime`).
    pub start: Timestamp,
    /// The digest's end (`digestEndTime`).
    pub end: Timestamp,
}

fn pk(trail: &str) -> String {
    format!("unverifiable#{trail}")
}

fn window(item: &HashMap<String, AttributeValue>) -> Option<Window> {
    Some(Window {
        start: Timestamp::from_epoch(get_n(item, "start")?),
        end: Timestamp::from_epoch(get_n(item, "end")?),
    })
}

impl StateTable {
    /// Records that the log files of trail id `trail` delivered in `window` cannot be verified.
    pub async fn record_unverifiable(&self, trail: &str, window: Window) -> Result<(), StateError> {
        let pk = pk(trail);
        let now = now();
        self.client()
            .put_item()
            .table_name(self.name())
            .item(PK, s(&pk))
            .item(
                SK,
                s(&format!("{}#{}", window.end.epoch(), window.start.epoch())),
            )
            .item("start", n(window.start.epoch()))
            .item("end", n(window.end.epoch()))
            .item("seen_at", n(now))
            .item(TTL_ATTRIBUTE, n(now + INTEGRITY_TTL_SECONDS))
            .send()
            .await
            .map_err(|e| self.error("record unverifiable hour", &pk, &e))?;
        Ok(())
    }

    /// Every unverifiable hour recorded for trail id `trail`.
    pub async fn unverifiable(&self, trail: &str) -> Result<Vec<Window>, StateError> {
        self.partition("read unverifiable hours", &pk(trail), window)
            .await
    }
}
