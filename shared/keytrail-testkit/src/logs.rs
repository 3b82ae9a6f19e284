//! An in-memory log sink, for tests that prove what a function's logs do or do not say.
//!
//! It is only the buffer: the test installs the function's own subscriber on it (for the Lambdas,
//! `lambda_runtime::tracing::init_default_subscriber_with_writer(logs.make_writer())`, what their
//! `main` installs), so the formatting under test is the real one and this kit needs no logging
//! dependency of its own.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// A cloneable, thread-safe byte buffer that every clone writes into.
#[derive(Debug, Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    /// A writer factory for a tracing subscriber (a `MakeWriter`): each writer appends here.
    pub fn make_writer(&self) -> impl Fn() -> LogBuffer + Send + Sync + 'static {
        let buffer = self.clone();
        move || buffer.clone()
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8(bytes).expect("the logs are not UTF-8")
    }
}

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
