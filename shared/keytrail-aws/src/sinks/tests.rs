use std::cell::RefCell;
use std::time::Duration;

use super::*;

const FAST: Retry = Retry {
    attempts: 3,
    first_backoff: Duration::from_millis(1),
};

fn rejected(index: usize, retryable: bool) -> Rejected {
    Rejected {
        index,
        detail: format!("entry {index} refused"),
        retryable,
    }
}

/// Runs `send_all` over entries 0..n (tag = value = i, 1 byte each) with `answer` deciding each
/// call's outcome from (call number, the values it carried); answers the calls made and the
/// outcome.
fn run(
    n: usize,
    batch: usize,
    answer: impl Fn(usize, &[usize]) -> Result<Vec<Rejected>, String>,
) -> (Vec<Vec<usize>>, Result<(), Undelivered>) {
    let calls = RefCell::new(Vec::new());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let out = rt.block_on(send_all(
        "target",
        FAST,
        (0..n).map(|i| (i, i, 1)).collect(),
        batch,
        usize::MAX,
        |sent: Vec<usize>| {
            let k = calls.borrow().len();
            calls.borrow_mut().push(sent.clone());
            let a = answer(k, &sent);
            async move { a }
        },
    ));
    (calls.into_inner(), out)
}

#[test]
fn send_all_batches_retries_and_names_what_never_got_through() {
    // Everything accepted: calls of at most `batch`.
    let (calls, out) = run(25, 10, |_, _| Ok(Vec::new()));
    assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
    assert!(out.is_ok());

    // A retryable rejection of entry 1 (value 1) once: only it is sent again.
    let (calls, out) = run(3, 10, |k, _| {
        Ok(if k == 0 {
            vec![rejected(1, true)]
        } else {
            Vec::new()
        })
    });
    assert_eq!(calls, [vec![0, 1, 2], vec![1]]);
    assert!(out.is_ok());

    // Rejected on every try: named after the last attempt, retryable.
    let (calls, out) = run(3, 10, |_, sent| {
        Ok(sent
            .iter()
            .position(|&v| v == 2)
            .map(|i| rejected(i, true))
            .into_iter()
            .collect())
    });
    assert_eq!(calls.len(), 3);
    let failed = out.unwrap_err();
    assert_eq!((failed.tags, failed.retryable), (vec![2], true));

    // The sender's fault: not retried, not retryable.
    let (calls, out) = run(3, 10, |_, _| Ok(vec![rejected(0, false)]));
    assert_eq!(calls.len(), 1);
    let failed = out.unwrap_err();
    assert_eq!((failed.tags, failed.retryable), (vec![0], false));
    assert_eq!(failed.detail, "entry 0 refused");

    // A call that keeps failing: its entries, and only its, are undelivered.
    let (calls, out) = run(12, 10, |_, sent| {
        if sent.len() == 2 {
            Err("throttled".to_owned())
        } else {
            Ok(Vec::new())
        }
    });
    assert_eq!(calls.len(), 1 + 3);
    let failed = out.unwrap_err();
    assert_eq!(
        (failed.tags, failed.detail.as_str()),
        (vec![10, 11], "throttled")
    );
}

#[test]
fn chunks_respect_the_byte_limit() {
    let entries: Vec<(usize, (), usize)> = [100, 100, 60, 300, 10]
        .iter()
        .enumerate()
        .map(|(i, s)| (i, (), *s))
        .collect();
    let split = chunks(entries, 10, 256);
    let tags: Vec<Vec<usize>> = split
        .iter()
        .map(|c| c.iter().map(|(t, _)| *t).collect())
        .collect();
    assert_eq!(tags, [vec![0, 1], vec![2], vec![3], vec![4]]);
}

#[test]
fn settle_adds_the_refused_as_not_retryable() {
    assert!(settle("t", 3, Ok(()), Vec::new()).is_ok());
    let e = settle("t", 3, Ok(()), vec![(1, "too big".to_owned())]).unwrap_err();
    assert_eq!(
        (e.unpublished, e.retryable, e.failed, e.total),
        (vec![1], false, 1, 3)
    );
    let sent = Err(Undelivered {
        tags: vec![2],
        detail: "x".to_owned(),
        retryable: true,
    });
    let e = settle("t", 3, sent, vec![(0, "bad".to_owned())]).unwrap_err();
    assert_eq!((e.unpublished, e.retryable), (vec![0, 2], false));
}
