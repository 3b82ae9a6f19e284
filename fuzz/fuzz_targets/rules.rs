//! Fuzz target `rules`: bytes as one Sigma rule file: loads or fails with a message; loaded rules match the same through the index and the scan path
//! (keytrail_core::fuzzing::Harness::rules).
#![no_main]

use std::sync::OnceLock;

use keytrail_core::fuzzing::Harness;
use libfuzzer_sys::fuzz_target;

/// Built once per process: libFuzzer calls the target millions of times.
static HARNESS: OnceLock<Harness> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let harness = HARNESS.get_or_init(|| Harness::new().expect("the harness builds"));
    if let Err(why) = harness.rules(data) {
        panic!("rules: {why}");
    }
});
