//! Fuzz target `reader`: bytes as a CloudTrail object: readers agree, the scan counts what they
//! deliver, alerts render within limits; then the same bytes as the recipe of a damaged object
//! built from known records: every record the serial reader recovers is one of them or holds a
//! damaged byte (keytrail_core::fuzzing::Harness::reader).
#![no_main]

use std::sync::OnceLock;

use keytrail_core::fuzzing::Harness;
use libfuzzer_sys::fuzz_target;

/// Built once per process: libFuzzer calls the target millions of times.
static HARNESS: OnceLock<Harness> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let harness = HARNESS.get_or_init(|| Harness::new().expect("the harness builds"));
    if let Err(why) = harness.reader(data) {
        panic!("reader: {why}");
    }
});
