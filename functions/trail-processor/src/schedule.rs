//! Bounded, ordered concurrency: every item of an invocation gets exactly its own result.
//!
//! [`run_bounded`] runs one task per item on the runtime, at most `limit` at once, and answers
//! one result per item, in input order, whatever order the tasks finish in. A task that panics
//! (or is cancelled) keeps its slot: it answers [`TaskLost`] in place, which the handler turns
//! into a retryable failure of that very object. Dropping the slot instead would answer success
//! for fewer objects (alerts lost), count its SQS message ok, and shift later S3 Batch results
//! onto the wrong task.

use std::collections::HashMap;
use std::future::Future;

use tokio::task::{Id, JoinSet};

/// A task that ended without a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("its task ended without a result ({detail})")]
pub struct TaskLost {
    /// What the runtime said: the panic message, or that the task was cancelled.
    pub detail: String,
}

/// Runs `work` on every item, at most `limit` (at least 1) at once, and answers one result per
/// item, in the order of `items`.
pub async fn run_bounded<T, R, F, Fut>(
    items: Vec<T>,
    limit: usize,
    mut work: F,
) -> Vec<Result<R, TaskLost>>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    let limit = limit.max(1);
    let mut slots: Vec<Option<Result<R, TaskLost>>> = (0..items.len()).map(|_| None).collect();
    let mut index: HashMap<Id, usize> = HashMap::new();
    let mut tasks = JoinSet::new();
    let mut queue = items.into_iter().enumerate();
    loop {
        while tasks.len() < limit {
            let Some((i, item)) = queue.next() else {
                break;
            };
            let handle = tasks.spawn(work(item));
            index.insert(handle.id(), i);
        }
        let Some(joined) = tasks.join_next_with_id().await else {
            break;
        };
        let (id, result) = match joined {
            Ok((id, value)) => (id, Ok(value)),
            Err(e) => (
                e.id(),
                Err(TaskLost {
                    detail: e.to_string(),
                }),
            ),
        };
        if let Some(slot) = index.remove(&id).and_then(|i| slots.get_mut(i)) {
            *slot = Some(result);
        }
    }
    // Every item was spawned and every task joined, so every slot is filled; should one not be,
    // it still answers a failure rather than vanishing.
    slots
        .into_iter()
        .map(|slot| {
            slot.unwrap_or_else(|| {
                Err(TaskLost {
                    detail: "its task never reported".to_owned(),
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// In-flight counters shared by the tasks of one run.
    #[derive(Default)]
    struct Gauge {
        now: AtomicUsize,
        peak: AtomicUsize,
    }

    /// Runs items `0..n` with `limit`; item `i` yields `n - i` times (so later items finish
    /// first) and panics when `panics` names it. Answers the results and the peak in flight.
    async fn run(
        n: usize,
        limit: usize,
        panics: &'static [usize],
    ) -> (Vec<Result<usize, TaskLost>>, usize) {
        let gauge = Arc::new(Gauge::default());
        let items: Vec<usize> = (0..n).collect();
        let results = run_bounded(items, limit, |i| {
            let gauge = Arc::clone(&gauge);
            async move {
                let now = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
                gauge.peak.fetch_max(now, Ordering::SeqCst);
                for _ in 0..(n - i) {
                    tokio::task::yield_now().await;
                }
                gauge.now.fetch_sub(1, Ordering::SeqCst);
                if panics.contains(&i) {
                    panic!("item {i} panics on purpose");
                }
                i * 10
            }
        })
        .await;
        (results, gauge.peak.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn results_stay_in_input_order_and_the_bound_holds() {
        // (items, limit, peak in flight expected)
        let cases: &[(usize, usize, usize)] = &[
            (0, 4, 0),
            (1, 4, 1),
            (10, 1, 1),
            (10, 3, 3),
            (3, 8, 3),
            (10, 0, 1),
        ];
        for &(n, limit, peak) in cases {
            let (results, seen) = run(n, limit, &[]).await;
            let expected: Vec<Result<usize, TaskLost>> = (0..n).map(|i| Ok(i * 10)).collect();
            assert_eq!(results, expected, "n={n} limit={limit}");
            assert_eq!(seen, peak, "n={n} limit={limit}: peak in flight");
        }
    }

    /// Regression: a panicking task used to be logged and dropped, so the results were fewer
    /// than the items and every later result moved up one place.
    #[tokio::test]
    async fn panicking_task_keeps_its_slot_as_a_failure() {
        // (items, limit, items that panic)
        let cases: &[(usize, usize, &'static [usize])] = &[
            (1, 1, &[0]),
            (3, 1, &[1]),
            (5, 2, &[0, 3]),
            (6, 4, &[5]),
            (4, 4, &[0, 1, 2, 3]),
        ];
        for &(n, limit, panics) in cases {
            let (results, _) = run(n, limit, panics).await;
            assert_eq!(results.len(), n, "n={n} limit={limit} panics={panics:?}");
            for (i, result) in results.iter().enumerate() {
                match result {
                    Ok(v) => {
                        assert!(!panics.contains(&i), "item {i} should have failed");
                        assert_eq!(*v, i * 10, "item {i} got another item's result");
                    }
                    Err(lost) => {
                        assert!(panics.contains(&i), "item {i} should have succeeded");
                        assert!(lost.detail.contains(&format!("item {i} panics")), "{lost}");
                    }
                }
            }
        }
    }
}
