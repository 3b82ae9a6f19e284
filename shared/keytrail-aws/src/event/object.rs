//! [`ObjectRef`]: one S3 object to read, whatever named it (a Lambda payload, a CLI argument,
//! a prefix listing).

use std::fmt;

use serde::{Deserialize, Serialize};

/// One S3 object to read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The bucket name.
    pub bucket: String,
    /// The object key, decoded: what `GetObject` takes.
    pub key: String,
    /// The version the event is about, when the bucket is versioned.
    pub version_id: Option<String>,
    /// The size in bytes, when the event says.
    pub size: Option<u64>,
    /// S3's event sequencer, when the event carries one.
    pub sequencer: Option<String>,
}

impl ObjectRef {
    /// `s3://bucket/key`, with the decoded key.
    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}
