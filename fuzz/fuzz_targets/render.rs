//! Fuzz target `render`: bytes as one JSON record: every alert it raises renders within the documented limits
//! (keytrail_core::fuzzing::Harness::render).
#![no_main]

use std::sync::OnceLock;

use keytrail_core::fuzzing::Harness;
use libfuzzer_sys::fuzz_target;

/// Built once per process: libFuzzer calls the target millions of times.
static HARNESS: OnceLock<Harness> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let harness = HARNESS.get_or_init(|| Harness::new().expect("the harness builds"));
    if let Err(why) = harness.render(data) {
        panic!("render: {why}");
    }
});
