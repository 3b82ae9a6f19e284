//! The scheduled pass over the suppression windows (see the parent module's protocol): the
//! ended windows that owe a summary, what each summary says, and closing them once it is out.

use aws_sdk_dynamodb::types::{ReturnValue, Select};
use keytrail_core::storm::{Summary, SuppressKey};

use super::{written, Ended, SuppressionState, OPEN};
use crate::state::{get_n, get_s, key, n, s, StateError, SK};

impl SuppressionState {
    /// The windows that ended at or before `cutoff` (epoch seconds) and owe a summary.
    pub async fn ended(&mut self, cutoff: i64) -> Result<Vec<Ended>, StateError> {
        let mut pages = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND sk < :below")
            .expression_attribute_values(":pk", s(OPEN))
            .expression_attribute_values(":below", s(&format!("{:012}", cutoff.saturating_add(1))))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            self.reads += 1;
            let page = page.map_err(|e| self.table.error("list ended suppressions", OPEN, &e))?;
            for item in page.items() {
                if let (Some(sk), Some(wpk), Some(wsk)) =
                    (get_s(item, SK), get_s(item, "wpk"), get_s(item, "wsk"))
                {
                    out.push(Ended {
                        sk: sk.to_owned(),
                        wpk: wpk.to_owned(),
                        wsk: wsk.to_owned(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// What `ended`'s summary says, `None` when all its suppressed alerts were reported already;
    /// with the alert items counted (for [`SuppressionState::summarised`]).
    pub async fn summary(&mut self, ended: &Ended) -> Result<(Option<Summary>, i64), StateError> {
        let Some(w) = self.window(&ended.wpk, &ended.wsk).await? else {
            // The window expired (its summary is over a day late): nothing to say, and an
            // entry count no window can reach, so `summarised` closes the entry.
            return Ok((None, i64::MAX));
        };
        let alerts = self.alerts(&ended.wpk, &ended.wsk).await?;
        let suppressed = u64::try_from(alerts.saturating_sub(1)).unwrap_or(0);
        let reported = u64::try_from(w.summarised).unwrap_or(0);
        let start = ended
            .wsk
            .strip_prefix("win#")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let summary = (suppressed > reported).then(|| Summary {
            key: SuppressKey {
                rule: w.rule,
                group: w.group,
                group_by: w.group_by,
                start,
                window: w.window,
            },
            title: w.title,
            severity: w.severity,
            more: suppressed - reported,
            suppressed,
        });
        Ok((summary, alerts))
    }

    /// How many alert items window `wpk`/`wsk` holds (consistent `Select=COUNT` query).
    async fn alerts(&mut self, wpk: &str, wsk: &str) -> Result<i64, StateError> {
        let mut pages = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND begins_with(sk, :items)")
            .expression_attribute_values(":pk", s(wpk))
            .expression_attribute_values(":items", s(&format!("{wsk}#ev#")))
            .select(Select::Count)
            .consistent_read(true)
            .into_paginator()
            .send();
        let mut count = 0;
        while let Some(page) = pages.next().await {
            self.reads += 1;
            let page = page.map_err(|e| self.table.error("count suppressed alerts", wpk, &e))?;
            count += i64::from(page.count());
        }
        Ok(count)
    }

    /// Notes that `ended`'s summary of `alerts` alert items is out: SET `summarised`, and close
    /// its index entry unless more alerts were counted since.
    pub async fn summarised(&mut self, ended: &Ended, alerts: i64) -> Result<(), StateError> {
        let out = self
            .update(&ended.wpk, &ended.wsk)
            .update_expression("SET summarised = :s")
            .condition_expression("attribute_exists(#first) AND (attribute_not_exists(summarised) OR summarised < :s)")
            .expression_attribute_names("#first", "first")
            .expression_attribute_values(":s", n(alerts.saturating_sub(1)))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        // Refused: a summary as large was noted already (this one reported nothing new).
        let counted = written(&self.table, "mark suppression summarised", &ended.wpk, out)?
            .and_then(|out| out.attributes().and_then(|a| get_n(a, "count")))
            .unwrap_or(0);
        if counted > alerts {
            return Ok(());
        }
        self.writes += 1;
        let out = self
            .table
            .client()
            .delete_item()
            .table_name(self.table.name())
            .set_key(Some(key(OPEN, &ended.sk)))
            .condition_expression("attribute_not_exists(#count) OR #count <= :c")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":c", n(alerts))
            .send()
            .await;
        // Refused: a later alert raised the entry's count; it stays for the next pass.
        written(&self.table, "close suppression summary", OPEN, out).map(|_| ())
    }
}
