//! Loading: the embedded pack, rule directories and rule texts become one [`RuleSet`], through
//! [`RuleSet::load`] and its [`LoadOptions`].
//!
//! Every file is parsed; ids must be unique across rules and filters; each Sigma filter is
//! attached to the rules it names (by id or `name`). Invalid files are always errors. Rules
//! that use an unsupported feature are errors too, unless the load is lenient (not
//! [`LoadOptions::strict`]), in which case they are skipped and returned by name in
//! [`Loaded::skipped`], with any filter that targets them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::builtin::builtin_sources;
use super::correlations::link;
use super::detection::Compiled;
use super::doc::{self, Doc, FilterDoc, RuleDoc};
use super::error::RuleError;
use super::prescan::{too_large, MAX_RULE_FILE_BYTES};
use super::set::RuleSet;

/// What [`RuleSet::load`] loads, and how strictly.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Load the embedded pack first ([`builtin_sources`]).
    pub builtin: bool,
    /// Then every `*.yml`/`*.yaml` rule and filter file directly in each of these directories,
    /// in name order (a path to a file loads that file).
    pub dirs: Vec<PathBuf>,
    /// Then these `(name, YAML text)` pairs, in order: rules fetched from elsewhere (an S3
    /// prefix), or written by a test. The name stands for the file in messages.
    pub sources: Vec<(String, String)>,
    /// Fail the load on a rule or filter that uses a Sigma feature keytrail does not support;
    /// otherwise skip it and return it in [`Loaded::skipped`]. Invalid files fail either way.
    pub strict: bool,
}

impl Default for LoadOptions {
    /// The embedded pack, strictly.
    fn default() -> Self {
        LoadOptions {
            builtin: true,
            dirs: Vec::new(),
            sources: Vec::new(),
            strict: true,
        }
    }
}

impl LoadOptions {
    /// Only these `(name, YAML text)` pairs, strictly (no pack, no directories).
    pub fn from_sources<N, T>(sources: impl IntoIterator<Item = (N, T)>) -> LoadOptions
    where
        N: Into<String>,
        T: Into<String>,
    {
        LoadOptions {
            builtin: false,
            sources: sources
                .into_iter()
                .map(|(n, t)| (n.into(), t.into()))
                .collect(),
            ..LoadOptions::default()
        }
    }
}

/// A loaded rule set, and what a lenient load skipped.
#[derive(Debug)]
pub struct Loaded {
    /// The rules.
    pub set: RuleSet,
    /// Rules and filters left out because they use an unsupported Sigma feature (each error
    /// names the file, the rule and the feature), for the caller to report; always empty when
    /// the load is strict.
    pub skipped: Vec<RuleError>,
}

impl RuleSet {
    /// Loads what `options` name: the pack, the directories' files, then the sources, each file
    /// checked and parsed, the filters attached to their rules. Every error is returned, not
    /// just the first.
    pub fn load(options: &LoadOptions) -> Result<Loaded, Vec<RuleError>> {
        let mut sources = read_sources(options.builtin, &options.dirs)?;
        sources.extend(
            options
                .sources
                .iter()
                .map(|(name, text)| (name.clone(), Cow::Borrowed(text.as_str()))),
        );
        let (set, skipped) = assemble(sources, !options.strict)?;
        Ok(Loaded { set, skipped })
    }
}

/// A file to load: its display name and its text.
type Source<'a> = (String, Cow<'a, str>);

/// The embedded pack (when `builtin`) and every `*.yml`/`*.yaml` file directly in each of
/// `dirs` (a path that is a file is loaded as it is), in that order, files sorted by name.
fn read_sources(builtin: bool, dirs: &[PathBuf]) -> Result<Vec<Source<'static>>, Vec<RuleError>> {
    let mut sources: Vec<Source<'static>> = Vec::new();
    if builtin {
        sources.extend(
            builtin_sources()
                .iter()
                .map(|(name, text)| (format!("builtin:{name}"), Cow::Borrowed(*text))),
        );
    }
    let mut errors = Vec::new();
    let io = |path: &Path, e: std::io::Error| RuleError::Io {
        file: path.display().to_string(),
        detail: e.to_string(),
    };
    for dir in dirs {
        let files = if dir.is_file() {
            vec![dir.clone()]
        } else {
            match fs::read_dir(dir) {
                Ok(entries) => {
                    let mut files: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.is_file() && is_yaml(p))
                        .collect();
                    files.sort();
                    files
                }
                Err(e) => {
                    errors.push(io(dir, e));
                    continue;
                }
            }
        };
        for file in files {
            match read_capped(&file) {
                Ok(Ok(text)) => sources.push((file.display().to_string(), Cow::Owned(text))),
                Ok(Err(detail)) => errors.push(RuleError::Invalid {
                    file: file.display().to_string(),
                    detail,
                }),
                Err(e) => errors.push(io(&file, e)),
            }
        }
    }
    if errors.is_empty() {
        Ok(sources)
    } else {
        Err(errors)
    }
}

/// A rule file's text, read no further than [`MAX_RULE_FILE_BYTES`] (and one byte more, to
/// tell that it is larger): the inner error says so before a huge file is read whole.
fn read_capped(path: &Path) -> std::io::Result<Result<String, String>> {
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(MAX_RULE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_RULE_FILE_BYTES {
        let size = fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Ok(Err(too_large(size)));
    }
    String::from_utf8(bytes)
        .map(Ok)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// Parses and links `sources`. Lenient: unsupported rules are skipped and returned; strict:
/// they are errors.
fn assemble(
    sources: Vec<Source<'_>>,
    lenient: bool,
) -> Result<(RuleSet, Vec<RuleError>), Vec<RuleError>> {
    let mut errors = Vec::new();
    let mut skipped = Vec::new();
    let mut skipped_names: Vec<String> = Vec::new();
    let mut rules: Vec<Box<RuleDoc>> = Vec::new();
    let mut filters: Vec<Box<FilterDoc>> = Vec::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut unique = |id: &str, file: &str, errors: &mut Vec<RuleError>| match ids.get(id) {
        Some(other) => {
            errors.push(RuleError::DuplicateId {
                file: file.to_owned(),
                id: id.to_owned(),
                other: other.clone(),
            });
            false
        }
        None => {
            ids.insert(id.to_owned(), file.to_owned());
            true
        }
    };
    let mut correlations = Vec::new();
    let parsed = sources.iter().flat_map(|(file, text)| {
        doc::parse_all(file, text)
            .into_iter()
            .map(move |d| (file, d))
    });
    for (file, parsed) in parsed {
        let unsupported = |label: String, feature: &String| RuleError::Unsupported {
            file: file.clone(),
            rule: label,
            feature: feature.clone(),
        };
        match parsed {
            Ok(Doc::Correlation(c)) => {
                if unique(&c.rule.id, file, &mut errors) {
                    correlations.push(*c);
                }
            }
            Ok(Doc::Rule(rule)) => {
                if !unique(&rule.rule.id, file, &mut errors) {
                    continue;
                }
                match &rule.detection {
                    Ok(_) => rules.push(rule),
                    Err(feature) => {
                        let e = unsupported(doc::label(&rule.rule.id, &rule.rule.title), feature);
                        if lenient {
                            skipped_names.push(rule.rule.id.clone());
                            skipped_names.extend(rule.info.name.clone());
                            skipped.push(e);
                        } else {
                            errors.push(e);
                        }
                    }
                }
            }
            Ok(Doc::Filter(filter)) => {
                if !unique(&filter.id, file, &mut errors) {
                    continue;
                }
                match &filter.detection {
                    Ok(_) => filters.push(filter),
                    Err(feature) if lenient => {
                        skipped.push(unsupported(filter.label.clone(), feature))
                    }
                    Err(feature) => errors.push(unsupported(filter.label.clone(), feature)),
                }
            }
            Err(e) if lenient && e.is_unsupported() => skipped.push(e),
            Err(e) => errors.push(e),
        }
    }
    let mut compiled = Vec::with_capacity(rules.len());
    let mut kept = Vec::with_capacity(rules.len());
    let mut info = Vec::with_capacity(rules.len());
    for doc in rules {
        let RuleDoc {
            rule,
            info: rule_info,
            detection,
        } = *doc;
        let Ok(detection) = detection else { continue };
        compiled.push(Compiled {
            detection,
            filters: Vec::new(),
        });
        kept.push(rule);
        info.push(rule_info);
    }
    for filter in filters {
        let Ok(detection) = &filter.detection else {
            continue;
        };
        for target in &filter.targets {
            let found = kept
                .iter()
                .zip(&info)
                .position(|(r, i)| r.id == *target || i.name.as_deref() == Some(target));
            match found {
                Some(at) => compiled[at].filters.push(detection.clone()),
                None if skipped_names.contains(target) => skipped.push(RuleError::SkippedTarget {
                    file: filter.file.clone(),
                    filter: filter.label.clone(),
                    target: target.clone(),
                }),
                None => errors.push(RuleError::UnknownFilterTarget {
                    file: filter.file.clone(),
                    filter: filter.label.clone(),
                    target: target.clone(),
                }),
            }
        }
    }
    let correlations = link(
        correlations,
        &kept,
        &info,
        &skipped_names,
        &mut errors,
        &mut skipped,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut set = RuleSet::build(kept, info, compiled);
    set.correlations = correlations;
    Ok((set, skipped))
}
