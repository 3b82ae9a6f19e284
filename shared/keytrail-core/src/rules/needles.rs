//! The screen's needles: a check on a record's raw bytes that no rule the index cannot route can
//! match it, before any partial event is built.
//!
//! The screen (`classify.rs`) evaluates the unrouted rules on a partial event, which costs a
//! small parse per record. But most such rules insist on some text in one field
//! (`userAgent|contains: TruffleHog`, `userIdentity.type: Root`): every value they accept there
//! contains one of a few strings, ASCII case aside ([`super::detection::Detection::needles`]).
//! The field is found in the raw bytes (a screened top-level value, and for a nested path the
//! member below it, walked like the quick peek walks the top level). When, for every unrouted
//! rule, none of its strings is in its field, none of them can match and the record needs no
//! partial event at all.
//!
//! The answer must equal the partial event's, so the check only rules a record out when the raw
//! bytes say what the parsed text would: no escape (`\u0052oot` is `Root`) and nothing beyond
//! ASCII (Unicode lowercasing). For most texts that is enough: one that can only lie within a
//! string or a literal ([`token_bound`]: `root`, `:assumed-role/aws:`) is in the parsed field only
//! if it is in its bytes. Other texts (digits only, or a `:` that may join a key to a number or
//! `true`) also need the bytes [`plain`]: no number whose text form may differ from its bytes
//! (anything but a non-negative integer of at most 15 digits), and no whitespace between tokens
//! (the text of an object is its compact JSON). Otherwise, and when a top-level key begins with a
//! screened key and a dot (a path may read that key), the partial event decides as before.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::bytes::{as_text, contains_ignoring_case, plain, token_bound};
use super::detection::Compiled;
use crate::record::{object_member, Peek, Projection, MAX_SCREEN_KEYS};

/// The longest non-string value checked; a longer one goes to the partial event.
const MAX_CHECKED: usize = 1024;
/// The most distinct fields the needles look in.
const MAX_FIELDS: usize = 16;

/// For every unrouted rule, the `(field, text)` pairs one of which every match has.
#[derive(Debug)]
pub(crate) struct Needles {
    /// The distinct fields the pairs look in.
    fields: Vec<Field>,
    /// The distinct pairs. Rules share many (`userIdentity.type: Root` is in several of
    /// SigmaHQ's), and each is looked for once per record, however many rules name it.
    pairs: Vec<Pair>,
    /// Per rule: its pairs, as indexes into `pairs`.
    plan: Vec<Vec<usize>>,
}

/// Where a needle is looked for: a screened top-level value, and the keys below it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Field {
    /// The top-level key, by its position among the screened keys.
    member: usize,
    /// The keys from that value down to the field (none for a top-level field).
    keys: Vec<Vec<u8>>,
}

/// One needle: a text (lowercase ASCII) that a field's value must contain. Compared by hand
/// (and hashed alike) so that a test can count the comparisons.
#[derive(Debug, Clone, Eq)]
struct Pair {
    /// The field, as an index into [`Needles::fields`].
    field: usize,
    /// The text.
    text: Vec<u8>,
    /// Whether the text is [`token_bound`].
    bound: bool,
}

impl PartialEq for Pair {
    fn eq(&self, other: &Self) -> bool {
        #[cfg(test)]
        tests::count_comparison();
        self.field == other.field && self.bound == other.bound && self.text == other.text
    }
}

impl Hash for Pair {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.field.hash(state);
        self.bound.hash(state);
        self.text.hash(state);
    }
}

/// The most distinct pairs whose answers a record's check keeps; the others are looked for each
/// time a rule names them.
const MAX_KEPT: usize = 64;

impl Needles {
    /// Needles for every rule in `always` (indexes into `compiled`), placed in the screened
    /// top-level values of `projection`; `None` when some rule has none (then every record gets
    /// its partial event).
    pub(crate) fn build(
        compiled: &[Compiled],
        always: &[usize],
        projection: &Projection,
    ) -> Option<Needles> {
        let members: Vec<&str> = projection.keys().collect();
        let mut fields = Distinct::default();
        let mut pairs = Distinct::default();
        let mut plan = Vec::with_capacity(always.len());
        for &i in always {
            let needles = compiled.get(i)?.detection.needles()?;
            let mut placed = Vec::with_capacity(needles.len());
            for (path, text) in needles {
                let mut keys = path.split('.');
                let top = keys.next().unwrap_or_default();
                let member = members.iter().position(|m| *m == top)?;
                if member >= MAX_SCREEN_KEYS {
                    return None;
                }
                let field = Field {
                    member,
                    keys: keys.map(|k| k.as_bytes().to_vec()).collect(),
                };
                let field = fields.index_of(field);
                let text = text.into_bytes();
                let bound = token_bound(&text);
                placed.push(pairs.index_of(Pair { field, text, bound }));
            }
            plan.push(placed);
        }
        (fields.len() <= MAX_FIELDS).then(|| Needles {
            fields: fields.into_vec(),
            pairs: pairs.into_vec(),
            plan,
        })
    }

    /// True when no unrouted rule can match the record `json`, whose quick peek noted where the
    /// screened values are; false when the partial event must decide.
    pub(crate) fn rule_out(&self, json: &[u8], peek: &Peek<'_>) -> bool {
        if peek.screen_dotted() {
            return false;
        }
        // Two steps per field: a needle that is not even in the raw bytes of the top-level value
        // around the field is not in the field (when those bytes read as their text); only a
        // needle found there needs the field itself, walked down to.
        let mut found = Found {
            tops: [Seen::Unread; MAX_SCREEN_KEYS],
            fields: [Seen::Unread; MAX_FIELDS],
        };
        // Per distinct pair: 0 not looked for yet, 1 rules its rules out, 2 does not.
        let mut kept = [0u8; MAX_KEPT];
        self.plan.iter().all(|pairs| {
            pairs.iter().all(|&k| {
                let Some(pair) = self.pairs.get(k) else {
                    return false;
                };
                let answer = kept.get(k).copied().unwrap_or(0);
                if answer != 0 {
                    return answer == 1;
                }
                let out = self.pair_rules_out(json, peek, &mut found, pair);
                if let Some(slot) = kept.get_mut(k) {
                    *slot = if out { 1 } else { 2 };
                }
                out
            })
        })
    }

    /// True when `text` is not in the record's `field`, so no match of a rule that needs it
    /// there; false when it is, or when that cannot be told from the bytes. `found` keeps what
    /// was read of the screened values and the fields, for the next pair.
    fn pair_rules_out<'a>(
        &self,
        json: &'a [u8],
        peek: &Peek<'_>,
        found: &mut Found<'a>,
        pair: &Pair,
    ) -> bool {
        let Some(Field { member, keys }) = self.fields.get(pair.field) else {
            return false;
        };
        let (member, text) = (*member, pair.text.as_slice());
        let Some(top) = found.tops.get_mut(member) else {
            return false;
        };
        if *top == Seen::Unread {
            *top = match peek.screened(member).and_then(|r| json.get(r)) {
                None => Seen::Missing,
                Some(raw) if as_text(raw) => Seen::Text(raw),
                Some(_) => Seen::Undecided,
            };
        }
        match *top {
            Seen::Missing => return true,
            // A text bound to a token is in the parsed field only if it is in these bytes;
            // another text only if the bytes are plain as well.
            Seen::Text(raw) if pair.bound || plain(raw) => {
                if !contains_ignoring_case(raw, text) {
                    return true;
                }
                // A top-level field: its bytes are its text (quotes aside, which no needle
                // holds).
                if keys.is_empty() {
                    return false;
                }
            }
            _ => {}
        }
        let Some(slot) = found.fields.get_mut(pair.field) else {
            return false;
        };
        if *slot == Seen::Unread {
            *slot = resolve(json, peek.screened(member), keys);
        }
        match *slot {
            // A missing value: a rule that needs text there cannot match.
            Seen::Missing => true,
            Seen::Text(raw) => !contains_ignoring_case(raw, text),
            Seen::Unread | Seen::Undecided => false,
        }
    }
}

/// Distinct items, numbered in the order they were first added and found again by their hash:
/// adding `n` items costs `n` lookups, where searching a list cost `n * n / 2` comparisons (a
/// rule listing 100,000 texts took a minute to load, nearly all of it in those comparisons).
struct Distinct<T> {
    numbers: HashMap<T, usize, foldhash::fast::RandomState>,
}

impl<T> Default for Distinct<T> {
    fn default() -> Self {
        Distinct {
            numbers: HashMap::default(),
        }
    }
}

impl<T: Hash + Eq> Distinct<T> {
    /// The number of `item`, given the next one when it is new.
    fn index_of(&mut self, item: T) -> usize {
        let next = self.numbers.len();
        *self.numbers.entry(item).or_insert(next)
    }

    fn len(&self) -> usize {
        self.numbers.len()
    }

    /// The items, by number.
    fn into_vec(self) -> Vec<T> {
        let mut items: Vec<(usize, T)> = self.numbers.into_iter().map(|(t, n)| (n, t)).collect();
        items.sort_unstable_by_key(|(n, _)| *n);
        items.into_iter().map(|(_, t)| t).collect()
    }
}

/// What one record's check has read so far: each screened top-level value, and each field.
struct Found<'a> {
    tops: [Seen<'a>; MAX_SCREEN_KEYS],
    fields: [Seen<'a>; MAX_FIELDS],
}

/// What a field of a record is, for [`Needles::rule_out`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen<'a> {
    Unread,
    Missing,
    /// Bytes that read as the field's text.
    Text(&'a [u8]),
    /// Escapes, non-ASCII, odd numbers, not an object where keys go down, too long: the
    /// partial event decides.
    Undecided,
}

/// The field under `keys` of the top-level value at `range` of `json`.
fn resolve<'a>(
    json: &'a [u8],
    range: Option<std::ops::Range<usize>>,
    keys: &[Vec<u8>],
) -> Seen<'a> {
    let Some(mut value) = range.and_then(|r| json.get(r)) else {
        return Seen::Missing;
    };
    for key in keys {
        value = match object_member(value, key) {
            Ok(Some(inner)) => inner,
            Ok(None) => return Seen::Missing,
            Err(()) => return Seen::Undecided,
        };
    }
    match value {
        [b'"', content @ .., b'"'] => {
            if as_text(content) {
                Seen::Text(content)
            } else {
                Seen::Undecided
            }
        }
        _ if value.len() <= MAX_CHECKED && plain(value) => Seen::Text(value),
        _ => Seen::Undecided,
    }
}

/// For each compiled rule, the texts one of which every match has somewhere in its record (its
/// needles' texts, when it has some and none is made of number characters only), for the routed
/// rules' check on a record's raw bytes (`classify.rs`).
#[derive(Debug, Default)]
pub(crate) struct RoutedNeedles {
    /// Per rule: its texts, or `None` when it has no usable ones.
    by_rule: Vec<Option<Vec<Vec<u8>>>>,
}

impl RoutedNeedles {
    /// The texts of every rule in `compiled`, leaving out the routing fields' needles (a routed
    /// rule's record has those, or the index would not have admitted it).
    pub(crate) fn build(compiled: &[Compiled]) -> RoutedNeedles {
        let numeric = |t: &str| {
            t.bytes()
                .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        };
        let by_rule = compiled
            .iter()
            .map(|c| {
                let needles = c.detection.needles_except(&["eventSource", "eventName"])?;
                let texts: Vec<Vec<u8>> =
                    needles.into_iter().map(|(_, t)| t.into_bytes()).collect();
                let usable = !texts.is_empty()
                    && texts.iter().all(|t| {
                        std::str::from_utf8(t).is_ok_and(|t| !t.is_empty() && !numeric(t))
                    });
                usable.then_some(texts)
            })
            .collect();
        RoutedNeedles { by_rule }
    }

    /// True when rule `rule` has texts and none of them is in `json` (whose bytes read as their
    /// text: [`as_text`]), ASCII case aside: the rule cannot match the record.
    pub(crate) fn rule_out(&self, rule: usize, json: &[u8]) -> bool {
        self.by_rule
            .get(rule)
            .and_then(Option::as_ref)
            .is_some_and(|texts| !texts.iter().any(|t| contains_ignoring_case(json, t)))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use crate::rules::{LoadOptions, RuleSet};

    thread_local! {
        static COMPARED: Cell<u64> = const { Cell::new(0) };
    }

    /// Counts one comparison of two needles.
    pub(super) fn count_comparison() {
        COMPARED.with(|c| c.set(c.get() + 1));
    }

    /// A rule whose `contains` list is long, and that names no `eventName` (so the needles are
    /// built for it), loads in time linear in the list: each needle is compared with a few
    /// others at most, not with every one before it. The old list search made 200 million
    /// comparisons here (20,000 needles); now there are fewer comparisons than needles.
    #[test]
    fn a_long_needle_list_loads_in_linear_time() {
        const VALUES: usize = 20_000;
        let mut text = "title: long list\nid: long-list\ndetection:\n    selection:\n        \
                        userAgent|contains:\n"
            .to_owned();
        for i in 0..VALUES {
            text.push_str(&format!("            - 'agent-{i:08}-x'\n"));
        }
        text.push_str("    condition: selection\n");
        COMPARED.with(|c| c.set(0));
        let set = RuleSet::load(&LoadOptions::from_sources([("long.yml", text)]))
            .unwrap_or_else(|e| panic!("{e:?}"))
            .set;
        let compared = COMPARED.with(Cell::get);
        let needles = set.needles.as_ref().expect("the rule has needles");
        assert_eq!(needles.pairs.len(), VALUES);
        assert_eq!(needles.plan, [(0..VALUES).collect::<Vec<_>>()]);
        assert!(
            compared < VALUES as u64,
            "{compared} comparisons for {VALUES} needles"
        );
    }
}
