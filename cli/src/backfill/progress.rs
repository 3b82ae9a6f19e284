//! The backfill's progress bar on stderr (a terminal only, unless `--progress always`): a
//! spinner while the layout is walked, then a bar of the objects handed on (sent, or written
//! to the manifest) out of those found so far, with the day folders listed and the bytes. It is
//! cleared before the closing line is said.

use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::term;

/// The bar, or nothing when hidden.
pub struct Progress {
    bar: ProgressBar,
    days: AtomicU64,
    days_total: AtomicU64,
    bytes: AtomicU64,
}

impl Progress {
    /// A bar on stderr when `show`, else a hidden one.
    pub fn new(show: bool) -> Progress {
        let bar = if show {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} handed on, {msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress {
            bar,
            days: AtomicU64::new(0),
            days_total: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    /// The layout is being walked.
    pub fn discovering(&self, what: &str) {
        self.bar.set_message(format!(
            "finding the region folders under {}",
            term::safe(what)
        ));
    }

    /// `total` day folders are about to be listed.
    pub fn listing(&self, total: u64) {
        self.days_total.store(total, Ordering::Relaxed);
        self.redraw();
    }

    /// One more day folder listed.
    pub fn day_listed(&self) {
        self.days.fetch_add(1, Ordering::Relaxed);
        self.redraw();
    }

    /// One more object found, of `bytes`.
    pub fn found(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.bar.inc_length(1);
    }

    /// `n` objects handed on so far.
    pub fn set_handed(&self, n: u64) {
        self.bar.set_position(n);
    }

    fn redraw(&self) {
        self.bar.set_message(format!(
            "{} of {} day folders listed, {}",
            self.days.load(Ordering::Relaxed),
            self.days_total.load(Ordering::Relaxed),
            HumanBytes(self.bytes.load(Ordering::Relaxed))
        ));
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
