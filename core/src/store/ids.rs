//! Typed record ids, so a document id cannot be passed where a holder-key id is expected.
//!
//! Every id is a random [`RecordId`] underneath; none is derived from personal data.

use super::StoreError;
use super::record::RecordId;

macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub(crate) RecordId);

        impl $name {
            /// The id as 32 lowercase hex digits.
            pub fn to_hex(&self) -> String {
                self.0.to_hex()
            }

            /// Parses the form written by `to_hex`.
            pub fn from_hex(text: &str) -> Result<Self, StoreError> {
                RecordId::from_hex(text).map(Self)
            }

            /// The 16 random bytes of the id.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }
    };
}

record_id!(
    /// Identifies one document in a wallet.
    DocumentId
);
record_id!(
    /// Identifies one holder-key record in a wallet.
    HolderKeyId
);
record_id!(
    /// Identifies one activity-log entry.
    ActivityId
);
