//! A small OCSF validator over the schema's own source definitions (vendored under `schema/`):
//! `dictionary.json` (every attribute's type, whether it is an array, its enum), the class files
//! (`events/`), the objects (`objects/`) and the profiles (`profiles/`).
//!
//! A class or object is resolved the way the OCSF server compiles the schema: its `extends`
//! chain first, then the profiles it `$include`s (their attributes belong to that profile unless
//! the definition says `"profile": null`), then its own attribute entries, each a patch over
//! what it inherits. A value is then checked against the resolution:
//!
//! - every attribute name is one the class or object knows, not deprecated, and not from a
//!   profile the finding does not declare in `metadata.profiles`;
//! - every required attribute (of the class, of the declared profiles, of each nested object)
//!   is there, and the objects' `at_least_one` / `just_one` constraints hold;
//! - every value has its type: objects recursively, arrays where the dictionary says
//!   `is_array`, and the scalar types down to their base (`string_t`, `integer_t` (32-bit),
//!   `long_t`, `float_t`, `boolean_t`, `json_t`) with the types' `regex`, `max_len` and `range`;
//!   `null` is never a value;
//! - an `_id` with an enum holds one of its values, and its sibling caption (`severity` of
//!   `severity_id`) is the enum's caption unless the id is 99 (Other);
//! - `class_uid`, `category_uid`, `type_uid` and their names agree with the class and
//!   `categories.json`.
//!
//! Not checked: the `datetime` profile's `_dt` twins, observables, extensions.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use regex::Regex;
use serde_json::{Map, Value};

/// The vendored schema.
pub struct Schema {
    dir: PathBuf,
    dictionary: Map<String, Value>,
    types: Map<String, Value>,
    objects: RefCell<HashMap<String, Rc<Def>>>,
    regexes: RefCell<HashMap<String, Regex>>,
}

/// A class or object, resolved.
#[derive(Debug, Default)]
struct Def {
    /// Attribute name to its merged definition (the dictionary's, then the patches).
    attributes: BTreeMap<String, Map<String, Value>>,
    /// Attribute name to the profile it belongs to (absent: always part of the definition).
    profiles: BTreeMap<String, String>,
    constraints: Map<String, Value>,
    /// The profiles a class supports.
    supports: BTreeSet<String>,
    /// The class's category (`findings`) and own uid, for a class.
    category: Option<String>,
    uid: Option<u64>,
    caption: String,
}

fn read(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `patch` merged over `base`, key by key; `enum` maps merged by value.
fn merge(base: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match (key.as_str(), base.get_mut(key), value) {
            ("enum", Some(Value::Object(have)), Value::Object(more)) => {
                have.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

impl Schema {
    /// Loads `dir` (the vendored schema's root).
    pub fn load(dir: &Path) -> Schema {
        let dictionary = read(&dir.join("dictionary.json"));
        let attributes = dictionary["attributes"].as_object().unwrap().clone();
        let types = dictionary["types"]["attributes"]
            .as_object()
            .unwrap()
            .clone();
        Schema {
            dir: dir.to_owned(),
            dictionary: attributes,
            types,
            objects: RefCell::default(),
            regexes: RefCell::default(),
        }
    }

    /// The schema's version (`version.json`).
    pub fn version(&self) -> String {
        read(&self.dir.join("version.json"))["version"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn find_class(&self, name: &str) -> PathBuf {
        for sub in ["events", "events/findings"] {
            let path = self.dir.join(sub).join(format!("{name}.json"));
            if path.exists() {
                return path;
            }
        }
        panic!("class {name} is not in the vendored schema");
    }

    fn is_object(&self, name: &str) -> bool {
        self.dir
            .join("objects")
            .join(format!("{name}.json"))
            .exists()
    }

    /// Object `name`, resolved once.
    fn object(&self, name: &str) -> Rc<Def> {
        if let Some(def) = self.objects.borrow().get(name) {
            return Rc::clone(def);
        }
        let def = Rc::new(self.resolve(&self.dir.join(format!("objects/{name}.json")), false));
        self.objects
            .borrow_mut()
            .insert(name.to_owned(), Rc::clone(&def));
        def
    }

    /// Whether `text` matches `pattern`, compiled once.
    fn matches(&self, pattern: &str, text: &str) -> bool {
        let mut cache = self.regexes.borrow_mut();
        cache
            .entry(pattern.to_owned())
            .or_insert_with(|| Regex::new(pattern).unwrap())
            .is_match(text)
    }

    fn resolve(&self, path: &Path, is_class: bool) -> Def {
        let file = read(path);
        let mut def = match file.get("extends").and_then(Value::as_str) {
            Some(parent) if is_class => self.resolve(&self.find_class(parent), true),
            Some(parent) => self.resolve(&self.dir.join(format!("objects/{parent}.json")), false),
            None => Def::default(),
        };
        let own = file["attributes"].as_object().cloned().unwrap_or_default();
        for include in own
            .get("$include")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let profile = read(&self.dir.join(include.as_str().unwrap()));
            let name = profile["name"].as_str().unwrap().to_owned();
            for (attr, patch) in profile["attributes"].as_object().unwrap() {
                self.patch(&mut def, attr, patch.as_object().unwrap());
                def.profiles.insert(attr.clone(), name.clone());
            }
        }
        for (attr, patch) in own.iter().filter(|(k, _)| *k != "$include") {
            let patch = patch.as_object().unwrap();
            self.patch(&mut def, attr, patch);
            match patch.get("profile") {
                Some(Value::String(p)) => {
                    def.profiles.insert(attr.clone(), p.clone());
                }
                Some(Value::Null) => {
                    def.profiles.remove(attr);
                }
                _ => {}
            }
        }
        if let Some(c) = file.get("constraints").and_then(Value::as_object) {
            def.constraints = c.clone();
        }
        for p in file
            .get("profiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            def.supports.insert(p.as_str().unwrap().to_owned());
        }
        if let Some(category) = file.get("category").and_then(Value::as_str) {
            def.category = Some(category.to_owned());
        }
        def.uid = file.get("uid").and_then(Value::as_u64).or(def.uid);
        def.caption = file["caption"].as_str().unwrap_or_default().to_owned();
        def
    }

    fn patch(&self, def: &mut Def, attr: &str, patch: &Map<String, Value>) {
        let entry = def.attributes.entry(attr.to_owned()).or_insert_with(|| {
            let mut base = self
                .dictionary
                .get(attr)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(|| panic!("{attr} is not in the dictionary"));
            base.insert("requirement".into(), Value::from("optional"));
            base
        });
        merge(entry, patch);
    }

    /// Every problem of `finding` as an instance of class `class` (e.g. `detection_finding`).
    pub fn check(&self, class: &str, finding: &Value) -> Vec<String> {
        let mut def = self.resolve(&self.find_class(class), true);
        // The base event's enums of these two list only the base event itself; `class` below
        // checks them against the class and its category instead.
        for key in ["class_uid", "category_uid"] {
            def.attributes.get_mut(key).map(|a| a.remove("enum"));
        }
        let mut problems = Vec::new();
        let declared: BTreeSet<String> = finding
            .pointer("/metadata/profiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect();
        for p in declared.difference(&def.supports) {
            problems.push(format!(
                "metadata.profiles: {p} is not a profile of {class}"
            ));
        }
        let checker = Checker {
            schema: self,
            profiles: declared,
            problems: &mut problems,
        };
        checker.class(&def, finding);
        problems
    }
}

struct Checker<'a> {
    schema: &'a Schema,
    profiles: BTreeSet<String>,
    problems: &'a mut Vec<String>,
}

impl Checker<'_> {
    fn problem(&mut self, path: &str, what: impl std::fmt::Display) {
        self.problems.push(format!("{path}: {what}"));
    }

    fn class(mut self, def: &Def, value: &Value) {
        self.object(def, value, "");
        let categories = read(&self.schema.dir.join("categories.json"));
        let category = def.category.as_deref().unwrap_or("other");
        let cat = &categories["attributes"][category];
        let category_uid = cat["uid"].as_u64().unwrap();
        let class_uid = category_uid * 1000 + def.uid.unwrap_or(0);
        let activity = value["activity_id"].as_u64().unwrap_or(0);
        let activity_caption = def.attributes["activity_id"]["enum"][activity.to_string()]
            ["caption"]
            .as_str()
            .unwrap_or("?");
        for (key, want) in [
            ("class_uid", Value::from(class_uid)),
            ("class_name", Value::from(def.caption.as_str())),
            ("category_uid", Value::from(category_uid)),
            ("category_name", cat["caption"].clone()),
            ("type_uid", Value::from(class_uid * 100 + activity)),
            (
                "type_name",
                Value::from(format!("{}: {activity_caption}", def.caption)),
            ),
        ] {
            match value.get(key) {
                Some(have) if *have != want => self.problem(key, format!("{have}, not {want}")),
                _ => {}
            }
        }
    }

    fn object(&mut self, def: &Def, value: &Value, path: &str) {
        let Some(map) = value.as_object() else {
            return self.problem(path, format!("{value} is not an object"));
        };
        let at = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        for (key, v) in map {
            let Some(attr) = def.attributes.get(key) else {
                self.problem(&at(key), "unknown attribute");
                continue;
            };
            if let Some(p) = def.profiles.get(key) {
                if !self.profiles.contains(p) {
                    self.problem(&at(key), format!("belongs to profile {p}, not declared"));
                }
            }
            if attr.contains_key("@deprecated") {
                self.problem(&at(key), "deprecated");
            }
            self.value(attr, v, &at(key));
            // The caption sibling of an enum id (`severity` of `severity_id`).
            if let (Some(sibling), Some(id)) =
                (attr.get("sibling").and_then(Value::as_str), v.as_i64())
            {
                let caption = attr
                    .get("enum")
                    .and_then(|e| e.get(id.to_string()))
                    .and_then(|c| c.get("caption"));
                if let (Some(have), Some(want), false) = (map.get(sibling), caption, id == 99) {
                    if have != want {
                        self.problem(
                            &at(sibling),
                            format!("{have}, not the caption {want} of {key} {id}"),
                        );
                    }
                }
            }
        }
        for (key, attr) in &def.attributes {
            let in_profile = def
                .profiles
                .get(key)
                .is_none_or(|p| self.profiles.contains(p));
            if attr["requirement"] == "required" && in_profile && !map.contains_key(key) {
                self.problem(&at(key), "required, missing");
            }
        }
        for (kind, names) in &def.constraints {
            let present = names
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| map.contains_key(n.as_str().unwrap()))
                .count();
            let ok = match kind.as_str() {
                "at_least_one" => present >= 1,
                "just_one" => present == 1,
                _ => true,
            };
            if !ok {
                self.problem(path, format!("constraint {kind} {names} not met"));
            }
        }
    }

    fn value(&mut self, attr: &Map<String, Value>, v: &Value, path: &str) {
        if attr.get("is_array") == Some(&Value::Bool(true)) {
            let Some(items) = v.as_array() else {
                return self.problem(path, "is not an array");
            };
            for (i, item) in items.iter().enumerate() {
                self.scalar(attr, item, &format!("{path}[{i}]"));
            }
        } else {
            self.scalar(attr, v, path);
        }
    }

    fn scalar(&mut self, attr: &Map<String, Value>, v: &Value, path: &str) {
        if v.is_null() {
            return self.problem(path, "null");
        }
        let ty = attr["type"].as_str().unwrap();
        if ty == "object" {
            if !v.is_object() {
                self.problem(path, "is not an object");
            }
            return;
        }
        if self.schema.is_object(ty) {
            let def = self.schema.object(ty);
            return self.object(&def, v, path);
        }
        // Down the type chain: each level's constraints, then the base type's JSON kind.
        let mut level = ty.to_owned();
        loop {
            let Some(t) = self.schema.types.get(&level).cloned() else {
                return self.problem(path, format!("unknown type {level}"));
            };
            if let (Some(re), Some(s)) = (t.get("regex").and_then(Value::as_str), v.as_str()) {
                if !self.schema.matches(re, s) {
                    self.problem(path, format!("{s:?} does not match {level}'s pattern"));
                }
            }
            if let (Some(max), Some(s)) = (t.get("max_len").and_then(Value::as_u64), v.as_str()) {
                if s.chars().count() as u64 > max {
                    self.problem(path, format!("longer than {max} ({level})"));
                }
            }
            match t.get("type").and_then(Value::as_str) {
                Some(next) => level = next.to_owned(),
                None => break,
            }
        }
        let ok = match level.as_str() {
            "string_t" => v.is_string(),
            "integer_t" => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            "long_t" => v.is_i64() || v.is_u64(),
            "float_t" => v.is_number(),
            "boolean_t" => v.is_boolean(),
            "json_t" => true,
            other => {
                self.problem(path, format!("unknown base type {other}"));
                true
            }
        };
        if !ok {
            self.problem(path, format!("{v} is not a {ty} ({level})"));
        }
        if let (Some(Value::Object(values)), Some(id)) = (attr.get("enum"), v.as_i64()) {
            if !values.contains_key(&id.to_string()) {
                self.problem(path, format!("{id} is not one of its enum values"));
            }
        }
    }
}
