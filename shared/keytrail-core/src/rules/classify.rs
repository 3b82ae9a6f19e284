//! The rule set's one entry point: [`RuleSet::classify`] takes one raw record through the whole
//! cascade and says what matched.
//!
//! Most records match nothing, and the cascade is ordered so that they cost as little as
//! possible, each stage dismissing what it can before a dearer one runs:
//!
//! 1. peek: the routing fields (`eventSource`, `eventName`, `eventType`) read off the bytes,
//!    by the quick walk when the record is plain, noting where the screened top-level values
//!    are ([`crate::record::peek_quick`], else [`crate::record::peek`]);
//! 2. route: the prefilter index says whether a routed rule may match those routing fields, and
//!    the routed rules' needles whether the texts they need are in the bytes at all; when they
//!    are, each candidate that reads only a few top-level keys runs on a partial event of just
//!    those ([`crate::record::project_record`]). A load balancer's `Decrypt` of an ACM key has
//!    every text the ACM-key rule needs, and is told apart only by `userIdentity`: this spares
//!    the full parse of such records, which are common (every TLS handshake a load balancer
//!    makes with a fresh key);
//! 3. screen: when only rules the index cannot route remain, their needles look in the few
//!    top-level values those rules read, then the rules run on a partial event of just those
//!    values ([`crate::record::partial_event`]);
//! 4. parse and match: the record is parsed whole and the index's candidates are matched.
//!    Unless the screen of stage 3 matched, with every routed rule ruled out before it: then
//!    the rules that matched the partial event are the record's matches (they answer there as
//!    on the whole record), and the record is read into a [`Tree`] over its own bytes, from
//!    which its alerts are made without a `Value` ([`Matches::tree`]; a rule alerting on most
//!    records made that parse the larger part of an alert's cost). A `Value` is parsed later
//!    only if asked for ([`Matches::event`]: correlations, an event too large to carry whole).
//!
//! The stages are private to `rules`: a caller (the scan loop, the fixture runner through it)
//! calls [`RuleSet::classify`] once per record and turns [`Verdict::Matched`] into alerts.
//! Matchers to come plug in behind this one call, never into the scan loop: correlation rules
//! take the matched events (their state reached through a trait the caller hands the rule set),
//! and integrity checks take the raw bytes and findings of their own, both reported through the
//! same [`Verdict`]. What a stage keeps from one record to the next lives in [`Scratch`].

use std::cell::OnceCell;

use serde_json::Value;

use super::bytes::as_text;
use super::rule::Rule;
use super::set::RuleSet;
use crate::read::RawRecord;
use crate::record::{self, Event, Peek, Projection, RecordError, Tree};

/// What the cascade keeps from one record to the next: buffers it reuses, and how many records
/// reached its costly stages. Make one per scan (per object), and read the counts at its end.
#[derive(Debug, Default)]
pub struct Scratch {
    matched: Vec<usize>,
    screened: u64,
    parsed: u64,
}

impl Scratch {
    /// Records that only rules the index cannot route could match, checked on the few values
    /// those rules read before any full parse.
    pub fn screened(&self) -> u64 {
        self.screened
    }

    /// Records that some rule could match, and were therefore parsed whole.
    pub fn parsed(&self) -> u64 {
        self.parsed
    }
}

/// What the rule set made of one record.
#[derive(Debug)]
pub enum Verdict<'a> {
    /// No rule matches (most records: dismissed before any parse).
    NoMatch,
    /// Some rules match.
    Matched(Matches<'a>),
    /// Not a usable JSON object: not JSON, or a JSON value of another type.
    Bad(RecordError),
    /// A JSON object, but not a CloudTrail event (no `eventSource`, `eventName` or
    /// `eventType`): its peek describes its keys ([`Peek::describe_keys`]). Boxed: a peek is
    /// large, and this is rare.
    NotEvent(Box<Peek<'a>>),
}

/// The rules that matched one record, and the record parsed.
#[derive(Debug)]
pub struct Matches<'a> {
    set: &'a RuleSet,
    record: Record<'a>,
    indexes: &'a [usize],
}

/// How a matched record was read.
#[derive(Debug)]
enum Record<'a> {
    /// Parsed whole, to be matched.
    Parsed(Event),
    /// Matched on a partial event, then read into a tree; parsed only when asked for.
    Read {
        json: &'a [u8],
        tree: Tree<'a>,
        parsed: OnceCell<Event>,
    },
}

impl<'a> Matches<'a> {
    /// The parsed record (unwrapped from its EventBridge envelope), parsed now when the rules
    /// decided without it.
    pub fn event(&self) -> &Event {
        match &self.record {
            Record::Parsed(event) => event,
            Record::Read { json, parsed, .. } => parsed.get_or_init(|| Event::parse_read(json)),
        }
    }

    /// The record read into a tree, and its bytes, when the rules decided without parsing it:
    /// its alerts are then made from the tree ([`crate::Alert::from_tree`]).
    pub fn tree(&self) -> Option<(&Tree<'a>, &'a [u8])> {
        match &self.record {
            Record::Parsed(_) => None,
            Record::Read { json, tree, .. } => Some((tree, json)),
        }
    }

    /// The matching rules that alert on their own, in load order: a rule that only
    /// correlations with `generate: false` use is left out (it alerts through them,
    /// [`RuleSet::correlate`]).
    pub fn rules(&self) -> impl Iterator<Item = &'a Rule> + 'a {
        self.alerting().map(|(_, rule)| rule)
    }

    /// [`Matches::rules`], each with its index into [`RuleSet::rules`].
    pub fn alerting(&self) -> impl Iterator<Item = (usize, &'a Rule)> + 'a {
        let set = self.set;
        self.indexes
            .iter()
            .filter(move |&&i| !set.correlations.is_silent(i))
            .filter_map(move |&i| set.rules().get(i).map(|rule| (i, rule)))
    }

    /// The matching rules' indexes into [`RuleSet::rules`], ascending.
    pub fn indexes(&self) -> &[usize] {
        self.indexes
    }
}

/// What the stages before the full parse made of a record.
enum Stage {
    /// No rule matches.
    Dismissed,
    /// Only rules the index cannot route match, found on a partial event.
    Screened,
    /// Only the full parse can tell.
    Parse,
}

/// At most this many routed candidates are screened on partial events before a record is
/// parsed whole: each costs a walk of the record's top level, and a few walks cost about what
/// one parse does.
const MAX_ROUTED_SCREENS: usize = 4;

impl RuleSet {
    /// Classifies one raw record: peek, route, screen, parse and match (see the module doc),
    /// each stage run only when the cheaper ones before it could not dismiss the record.
    ///
    /// Inlined into the caller's loop: this runs once per record, and most records leave
    /// after the peek and a hash lookup.
    #[inline(always)]
    pub fn classify<'a>(&'a self, raw: &RawRecord<'a>, scratch: &'a mut Scratch) -> Verdict<'a> {
        let projection = self.screen.as_ref();
        let quick = record::peek_quick(raw.json, raw.closes, projection).map(Ok);
        // Only a quick peek notes where the projected values are.
        let screen = projection.filter(|_| quick.is_some());
        let peek = match quick.unwrap_or_else(|| record::peek(raw.json)) {
            Ok(peek) => peek,
            Err(e) => return Verdict::Bad(e),
        };
        if !peek.looks_like_event() {
            return Verdict::NotEvent(Box::new(peek));
        }
        match self.dismisses(raw.json, &peek, screen, scratch) {
            Stage::Dismissed => return Verdict::NoMatch,
            Stage::Screened => {
                if let Some(tree) = Tree::parse(raw.json) {
                    scratch.parsed += 1;
                    return Verdict::Matched(Matches {
                        set: self,
                        record: Record::Read {
                            json: raw.json,
                            tree,
                            parsed: OnceCell::new(),
                        },
                        indexes: &scratch.matched,
                    });
                }
            }
            Stage::Parse => {}
        }
        scratch.parsed += 1;
        let event = match Event::parse(raw.json) {
            Ok(event) => event,
            Err(e) => return Verdict::Bad(e),
        };
        scratch.matched.clear();
        self.matches(event.value(), &mut scratch.matched);
        if scratch.matched.is_empty() {
            return Verdict::NoMatch;
        }
        Verdict::Matched(Matches {
            set: self,
            record: Record::Parsed(event),
            indexes: &scratch.matched,
        })
    }

    /// Whether a rule can match the record `json`, told without parsing it: [`Stage::Dismissed`]
    /// when no routed rule can (by the index, then by the bytes) and no unrouted one does (on
    /// the values `screen` names, when the quick peek found them); [`Stage::Screened`] when
    /// no routed rule can and some unrouted ones do (their indexes, ascending, are in
    /// `scratch.matched`).
    #[inline(always)]
    fn dismisses(
        &self,
        json: &[u8],
        peek: &Peek<'_>,
        screen: Option<&Projection>,
        scratch: &mut Scratch,
    ) -> Stage {
        let (source, name) = (peek.event_source.as_deref(), peek.event_name.as_deref());
        // A routed rule may match, unless the raw bytes lack every text those rules need, or
        // each of them fails on the few values it reads.
        if self.routed_may_match(source, name)
            && !self.routed_rules_out(json, source, name)
            && !self.routed_screen_rules_out(json, peek, source, name)
        {
            return Stage::Parse;
        }
        if !self.has_unrouted() {
            return Stage::Dismissed;
        }
        // Only rules the index cannot route could match: check them on the few values they
        // read before parsing the whole record.
        let Some(projection) = screen else {
            return Stage::Parse;
        };
        scratch.screened += 1;
        // First the raw bytes: most records lack every text those rules insist on.
        if self.screen_rules_out(json, peek) {
            return Stage::Dismissed;
        }
        let Some(partial) = record::partial_event(json, peek, projection) else {
            return Stage::Parse;
        };
        scratch.matched.clear();
        scratch.matched.extend(self.screened(&partial));
        if scratch.matched.is_empty() {
            return Stage::Dismissed;
        }
        scratch.matched.sort_unstable();
        Stage::Screened
    }

    /// Whether some rule is checked for every record: one the index cannot route.
    pub(super) fn has_unrouted(&self) -> bool {
        !self.index.always().is_empty()
    }

    /// False when no rule can match a record with these routing fields. `None` means the field
    /// was not found cheaply and is treated as unknown, never as absent.
    #[cfg(test)]
    pub(super) fn may_match(&self, event_source: Option<&str>, event_name: Option<&str>) -> bool {
        self.index.may_match(event_source, event_name)
    }

    /// Like [`RuleSet::may_match`], leaving out the rules the index cannot route (those
    /// [`RuleSet::screen`] checks).
    pub(super) fn routed_may_match(
        &self,
        event_source: Option<&str>,
        event_name: Option<&str>,
    ) -> bool {
        self.index.routed_may_match(event_source, event_name)
    }

    /// The parts of a record that the rules the index cannot route read (at most
    /// [`crate::record::MAX_SCREEN_KEYS`] top-level keys), when there are such rules and none
    /// of them needs the whole record (a keyword search does). A record that
    /// [`RuleSet::routed_may_match`] rules out can be screened on just these parts
    /// ([`crate::record::partial_event`]) instead of being parsed whole.
    #[cfg(test)]
    pub(super) fn screen_projection(&self) -> Option<&Projection> {
        self.screen.as_ref()
    }

    /// Whether some rule the index cannot route matches `partial`: an event holding the parts
    /// of a record that [`RuleSet::screen_projection`] names (see
    /// [`crate::record::partial_event`]). The answer is the same as on the whole record, since
    /// those rules read nothing else.
    #[cfg(test)]
    pub(super) fn screen(&self, partial: &Value) -> bool {
        self.screened(partial).next().is_some()
    }

    /// The rules the index cannot route that match `partial` (see [`RuleSet::screen`]).
    fn screened<'s>(&'s self, partial: &'s Value) -> impl Iterator<Item = usize> + 's {
        self.index
            .always()
            .iter()
            .copied()
            .filter(move |&i| self.compiled.get(i).is_some_and(|c| c.is_match(partial)))
    }

    /// True when no rule the index cannot route can match the record `json`, told from the raw
    /// bytes of the values [`crate::record::peek_quick`] found for [`RuleSet::screen_projection`]
    /// (see the `needles` module). False means [`RuleSet::screen`] must decide on the partial
    /// event.
    pub(super) fn screen_rules_out(&self, json: &[u8], peek: &Peek<'_>) -> bool {
        self.needles
            .as_ref()
            .is_some_and(|n| n.rule_out(json, peek))
    }

    /// True when no routed rule can match the record `json` with these routing fields, told
    /// from its raw bytes: every routed rule that may match needs one of a few texts somewhere in
    /// the record (`requestParameters.encryptionContext.aws:acm:arn|exists` needs the key's name,
    /// `userAgent|contains: x` needs `x`), and none of them is there. Only when the bytes read as
    /// their text: no escape, ASCII only (then every string's text, every key and every literal
    /// is in the bytes as it is; a text with only number characters is never used, as a
    /// number's text may differ from its bytes). The rules the index cannot route are left to
    /// [`RuleSet::screen`].
    pub(super) fn routed_rules_out(
        &self,
        json: &[u8],
        event_source: Option<&str>,
        event_name: Option<&str>,
    ) -> bool {
        if !as_text(json) {
            return false;
        }
        let mut out = true;
        self.index
            .routed_candidates(event_source, event_name, &mut |i| {
                out = out && self.routed_needles.rule_out(i, json);
            });
        out
    }

    /// True when no routed rule that may match the record `json` (with these routing fields)
    /// does, each checked on a partial event of the top-level values it reads
    /// ([`crate::record::project_record`]; it answers there as on the whole record). False when
    /// one matches, or one reads too much to check this way (more than a few top-level keys),
    /// or there are more than [`MAX_ROUTED_SCREENS`] candidates (each is a walk of the record's
    /// top level), or the record came in an EventBridge envelope: then the record is parsed.
    pub(super) fn routed_screen_rules_out(
        &self,
        json: &[u8],
        peek: &Peek<'_>,
        event_source: Option<&str>,
        event_name: Option<&str>,
    ) -> bool {
        if peek.wrapped {
            return false;
        }
        let (mut out, mut candidates) = (true, 0);
        self.index
            .routed_candidates(event_source, event_name, &mut |i| {
                candidates += 1;
                out = out
                    && candidates <= MAX_ROUTED_SCREENS
                    && self
                        .routed_projections
                        .get(i)
                        .and_then(Option::as_ref)
                        .and_then(|p| record::project_record(json, p))
                        .is_some_and(|partial| !self.is_match(i, &partial));
            });
        out
    }

    /// Indexes (into [`RuleSet::rules`]) of the rules matching `event`, appended to `out` in
    /// ascending order.
    pub(super) fn matches(&self, event: &Value, out: &mut Vec<usize>) {
        let start = out.len();
        self.index.candidates(event, &mut |i| {
            if self.compiled.get(i).is_some_and(|c| c.is_match(event)) {
                out.push(i);
            }
        });
        if let Some(found) = out.get_mut(start..) {
            found.sort_unstable();
        }
    }
}
