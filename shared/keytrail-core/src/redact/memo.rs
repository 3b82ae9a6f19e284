//! The key predicates, remembered per thread.
//!
//! Every key of every alerted record is judged ([`Facts::of`]: is it a secret's, the name or the
//! value of a name/value pair), and a profile of a noisy rule's alerts had those judgements at a
//! seventh of the CPU time. CloudTrail records repeat a few hundred keys, so each thread keeps
//! the facts of the keys it saw last in a small table: 1,024 slots, two per hash of a key
//! ([`WAYS`]), each holding one key of up to [`KEY_BYTES`] bytes and its facts (40 KiB a
//! thread). A key whose two slots hold others is judged again and takes the one seen least
//! recently. The table only remembers what the predicates said, so the answers are theirs
//! whatever the keys; crafted keys that share a slot cost what they cost
//! before. Longer keys are judged every time.

use std::cell::RefCell;

use super::{eq_folded, keys};

/// Slots of a thread's table.
const SLOTS: usize = 1024;
/// Slots a key may take, side by side: two keys that hash alike (a few do, among the few
/// hundred a trail repeats) then both stay, where one slot had them push each other out on
/// every record.
const WAYS: usize = 2;
/// The longest key a slot holds, a multiple of 8.
const KEY_BYTES: usize = 32;

/// What the predicates say of one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Facts(u8);

impl Facts {
    const SECRET: u8 = 1;
    const PAIR_NAME: u8 = 2;
    const PAIR_VALUE: u8 = 4;

    /// The facts of `key`, judged.
    pub fn of(key: &str) -> Facts {
        let names = |lower: &[&str]| lower.iter().any(|l| eq_folded(key, l));
        let flag = |set: bool, bit: u8| if set { bit } else { 0 };
        Facts(
            flag(keys::is_secret_key(key), Facts::SECRET)
                | flag(
                    names(&["name", "key", "parametername", "parameterkey"]),
                    Facts::PAIR_NAME,
                )
                | flag(names(&["value", "parametervalue"]), Facts::PAIR_VALUE),
        )
    }

    /// A value under the key is a secret ([`keys::is_secret_key`]).
    pub fn secret(self) -> bool {
        self.0 & Facts::SECRET != 0
    }

    /// The key names the name of a pair: `name`, `key`, `parameterName` or `parameterKey`
    /// (any case, `_` and `-` ignored).
    pub fn pair_name(self) -> bool {
        self.0 & Facts::PAIR_NAME != 0
    }

    /// The key names the value of a pair: `value` or `parameterValue`.
    pub fn pair_value(self) -> bool {
        self.0 & Facts::PAIR_VALUE != 0
    }
}

/// A key as four little-endian words, zero-padded: compared and hashed without a byte loop.
type Words = [u64; KEY_BYTES / 8];

#[derive(Clone, Copy)]
struct Slot {
    /// Bytes of the key; `u8::MAX` in a slot never filled.
    len: u8,
    words: Words,
    facts: Facts,
}

const EMPTY: Slot = Slot {
    len: u8::MAX,
    words: [0; KEY_BYTES / 8],
    facts: Facts(0),
};

thread_local! {
    static TABLE: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
}

/// The facts of `key`, from this thread's table when it holds them.
pub(super) fn facts(key: &str) -> Facts {
    let bytes = key.as_bytes();
    let Some(len) = u8::try_from(bytes.len())
        .ok()
        .filter(|&n| n as usize <= KEY_BYTES)
    else {
        return Facts::of(key); // longer than a slot holds
    };
    // Whole words loaded as they are, the last one byte by byte (no copy through a buffer).
    let mut words: Words = [0; KEY_BYTES / 8];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks(8)) {
        *word = match <[u8; 8]>::try_from(chunk) {
            Ok(eight) => u64::from_le_bytes(eight),
            Err(_) => chunk.iter().rev().fold(0, |w, b| (w << 8) | u64::from(*b)),
        };
    }
    TABLE.with(|table| {
        let Ok(mut table) = table.try_borrow_mut() else {
            return Facts::of(key);
        };
        if table.is_empty() {
            table.resize(SLOTS, EMPTY);
        }
        let at = WAYS * bucket_of(len, &words);
        let Some(bucket) = table.get_mut(at..at + WAYS) else {
            return Facts::of(key);
        };
        if let Some(slot) = bucket.iter().find(|s| s.len == len && s.words == words) {
            return slot.facts;
        }
        // The key seen last goes first; the other way keeps the one before it.
        let facts = Facts::of(key);
        bucket.rotate_right(1);
        if let Some(first) = bucket.first_mut() {
            *first = Slot { len, words, facts };
        }
        facts
    })
}

/// The bucket of a key: a multiplicative hash of its length and words.
fn bucket_of(len: u8, words: &Words) -> usize {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let h = words.iter().fold(u64::from(len), |h, w| {
        (h.rotate_left(5) ^ w).wrapping_mul(K)
    });
    // The top bits are the best mixed: 9 of them for 512 buckets.
    (h >> (64 - (SLOTS / WAYS).trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::{facts, Facts, KEY_BYTES};

    /// Remembered or judged, the facts are the same: over keys of every length around the
    /// slot size, secret and not, many sharing slots, asked in two rounds and in reverse.
    #[test]
    fn remembered_facts_are_the_judged_ones() {
        let mut keys: Vec<String> = [
            "password",
            "Name",
            "value",
            "parameterKey",
            "PARAMETER_VALUE",
            "key",
            "eventName",
            "privateKeyPem",
            "x-api-key",
            "userIdentity",
            "sessionToken",
            "bypass",
            "DB_PASS",
        ]
        .iter()
        .map(|k| (*k).to_owned())
        .collect();
        for len in 0..KEY_BYTES + 4 {
            keys.push("a".repeat(len));
            keys.push(format!("{}password", "b".repeat(len)));
        }
        for i in 0..5000 {
            keys.push(format!("key{i}"));
            keys.push(format!("secret{i}"));
        }
        for round in 0..2 {
            let order: Vec<&String> = if round == 0 {
                keys.iter().collect()
            } else {
                keys.iter().rev().collect()
            };
            for key in order {
                assert_eq!(facts(key), Facts::of(key), "{key:?}, round {round}");
            }
        }
        assert!(Facts::of("Name").pair_name() && !Facts::of("Name").secret());
        assert!(Facts::of("parameter_value").pair_value());
        assert!(Facts::of("clientSecret").secret());
    }
}
