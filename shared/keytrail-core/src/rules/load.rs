//! Loading: the embedded pack and rule directories become one [`RuleSet`].
//!
//! Every file is parsed; ids must be unique across rules and filters; each Sigma filter is
//! attached to the rules it names (by id or `name`). Invalid files are always errors. Rules
//! that use an unsupported feature are errors too, unless the load is lenient, in which case
//! they are skipped and returned by name, with any filter that targets them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::doc::{self, Doc, FilterDoc, RuleDoc};
use super::error::RuleError;
use super::index::Index;
use super::{builtin_sources, Compiled, RuleSet};

/// A file to load: its display name and its text.
pub(crate) type Source = (String, Cow<'static, str>);

/// The embedded pack (when `builtin`) and every `*.yml`/`*.yaml` file directly in each of
/// `dirs` (a path that is a file is loaded as it is), in that order, files sorted by name.
pub(crate) fn read_sources(builtin: bool, dirs: &[PathBuf]) -> Result<Vec<Source>, Vec<RuleError>> {
    let mut sources: Vec<Source> = Vec::new();
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
            match fs::read_to_string(&file) {
                Ok(text) => sources.push((file.display().to_string(), Cow::Owned(text))),
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

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// Parses and links `sources`. Lenient: unsupported rules are skipped and returned; strict:
/// they are errors.
pub(crate) fn assemble(
    sources: Vec<Source>,
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
    for (file, text) in &sources {
        let unsupported = |label: String, feature: &String| RuleError::Unsupported {
            file: file.clone(),
            rule: label,
            feature: feature.clone(),
        };
        match doc::parse(file, text) {
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
    if !errors.is_empty() {
        return Err(errors);
    }
    let index = Index::build(compiled.iter().map(|c| &c.detection));
    let screen = super::screen_projection(&compiled, index.always());
    let needles = screen
        .as_ref()
        .and_then(|p| super::needles::Needles::build(&compiled, index.always(), p));
    let routed_needles = super::needles::routed(&compiled);
    Ok((
        RuleSet {
            rules: kept,
            info,
            compiled,
            index,
            screen,
            needles,
            routed_needles,
        },
        skipped,
    ))
}
