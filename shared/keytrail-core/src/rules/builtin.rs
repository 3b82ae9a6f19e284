//! The built-in rule pack: every `*.yml`/`*.yaml` file at the top of the workspace's `rules/`
//! directory, embedded at build time by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The embedded pack: `("rules/x.yml", text)` for every rule file in the workspace's `rules/`
/// directory at build time, sorted by name.
pub fn builtin_sources() -> &'static [(&'static str, &'static str)] {
    BUILTIN_RULES
}
