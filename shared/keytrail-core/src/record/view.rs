//! Reading a JSON value the same way whatever holds it: a parsed [`Value`], or a record's own
//! bytes read into a [`super::Tree`].
//!
//! An alert is made from either (the tree when the rules decided on a partial event and nothing
//! else needs the record parsed into a `Value`), and must come out the same byte for byte. So
//! what an alert reads of its record (the path lookups of [`lookup`], the walk for its
//! resources) is written once, over [`View`], and runs on both.

use serde_json::Value;

/// A borrowed JSON value: what an alert reads of its record.
pub trait View<'v>: Copy {
    /// The text, when the value is a string.
    fn as_str(self) -> Option<&'v str>;
    /// True for `null`.
    fn is_null(self) -> bool;
    /// The member `key`, when the value is an object that has one.
    fn member(self, key: &str) -> Option<Self>;
    /// Item `index`, when the value is an array that long.
    fn item(self, index: usize) -> Option<Self>;
    /// The members when the value is an object (sorted by key, as a `Value`'s map keeps them),
    /// else `None`.
    fn members(self) -> Option<impl DoubleEndedIterator<Item = (&'v str, Self)>>;
    /// The items when the value is an array, else `None`.
    fn items(self) -> Option<impl DoubleEndedIterator<Item = Self>>;
}

impl<'v> View<'v> for &'v Value {
    fn as_str(self) -> Option<&'v str> {
        Value::as_str(self)
    }

    fn is_null(self) -> bool {
        Value::is_null(self)
    }

    fn member(self, key: &str) -> Option<Self> {
        self.as_object().and_then(|map| map.get(key))
    }

    fn item(self, index: usize) -> Option<Self> {
        self.as_array().and_then(|items| items.get(index))
    }

    fn members(self) -> Option<impl DoubleEndedIterator<Item = (&'v str, Self)>> {
        self.as_object()
            .map(|map| map.iter().map(|(k, v)| (k.as_str(), v)))
    }

    fn items(self) -> Option<impl DoubleEndedIterator<Item = Self>> {
        self.as_array().map(|items| items.iter())
    }
}

/// Follows the dotted `path` into `value` (`userIdentity.sessionContext.sessionIssuer.arn`): each
/// split at a dot is tried, then the rest as one key, so a key may itself contain dots
/// (`requestParameters.encryptionContext.aws:acm:arn` and `{"a.b": 1}` both work); a segment
/// may index an array (`resources.0.ARN`).
pub fn lookup<'v, V: View<'v>>(value: V, path: &str) -> Option<V> {
    for (i, _) in path.match_indices('.') {
        let found = child(value, path.get(..i)?).and_then(|c| lookup(c, path.get(i + 1..)?));
        if found.is_some() {
            return found;
        }
    }
    child(value, path)
}

/// One step of a path: an object's key or an array's index.
fn child<'v, V: View<'v>>(value: V, key: &str) -> Option<V> {
    value
        .member(key)
        .or_else(|| key.parse::<usize>().ok().and_then(|i| value.item(i)))
}
