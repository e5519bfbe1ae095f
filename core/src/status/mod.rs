//! Revocation through status lists (IETF Token Status List, CWT form).
//!
//! This module owns the status list: the issuer side that packs statuses and signs a Status List
//! Token, and the verifier side that checks such a token against trusted issuer keys, keeps
//! verified lists in a cache with a time to live (and, through [`StatusHighWater`], remembers
//! across runs the newest list seen per URI and when it was fetched), and answers "what is the status of entry `idx`
//! of list `uri`". It does no networking: the host fetches token bytes and hands them in. It must
//! never answer from a list whose signature it has not checked, never let an old list replace a
//! newer one, and never panic on bytes from the network; a list past its time to live is reported
//! as stale (with the time it went stale), for the counter's policy to accept or refuse.
//!
//! Wire format (draft-ietf-oauth-status-list, CWT form): a COSE_Sign1 (ES256) whose protected
//! header carries `typ` (16) `"application/statuslist+cwt"`, with CWT claims `sub` (2, the list
//! URI), `iat` (6), optional `exp` (4), optional `ttl` (65534) and `status_list` (65533) =
//! `{"bits": 1/2/4/8, "lst": zlib-compressed bytes}`. Entry 0 is the least significant bits of
//! byte 0. A credential points at its entry with claim 65535 `{"status_list": {"idx", "uri"}}`;
//! that reference is encoded by the credential module, not here.

mod cache;
mod high_water;
mod list;
mod token;

pub use cache::{ListSource, StaleReason, StatusAnswer, StatusListCache, StatusLookup};
pub use high_water::{MemoryHighWater, StatusHighWater, StatusListRecord};
pub use list::{MAX_STATUS_LIST_BYTES, StatusBits, StatusList, TokenStatus};
pub use token::{
    ISSUED_AT_SKEW_SECONDS, STATUS_LIST_CWT_TYPE, StatusIssuerKeys, StatusListBuilder,
    StatusListToken,
};

/// Why a status list could not be built, signed, verified or consulted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// `bits` must be 1, 2, 4 or 8.
    #[error("a status list uses 1, 2, 4 or 8 bits per entry, not {0}")]
    UnsupportedBits(u64),
    /// The list would hold no entry.
    #[error("a status list must hold at least one entry")]
    EmptyList,
    /// The list is larger than this verifier accepts (or an issuer may build).
    #[error(
        "the status list would be {bytes} bytes, more than the {max} bytes accepted; split it \
         into several lists"
    )]
    ListTooLarge {
        /// Size the list needs or claims.
        bytes: u64,
        /// The limit, [`MAX_STATUS_LIST_BYTES`].
        max: usize,
    },
    /// The referenced entry is past the end of the list.
    #[error(
        "status index {idx} is outside the status list, which has {len} entries; the credential \
         points at a list it does not belong to"
    )]
    IndexOutOfRange {
        /// Requested index.
        idx: u64,
        /// Entries in the list.
        len: u64,
    },
    /// A status value needs more bits than the list has per entry.
    #[error(
        "status value {value} does not fit in {bits} bit(s) per entry; build the list with more bits"
    )]
    StatusDoesNotFit {
        /// The status value.
        value: u8,
        /// Bits per entry of the list.
        bits: u8,
    },
    /// The list URI is empty.
    #[error("a status list needs a non-empty URI (the `sub` claim credentials point at)")]
    EmptyUri,
    /// The bytes are not a COSE_Sign1 status list CWT of the expected shape.
    #[error("the status list token is malformed: {0}; fetch it again from the issuer")]
    Malformed(&'static str),
    /// The protected `typ` is missing or names another kind of token.
    #[error(
        "the token is not a status list (protected `typ` must be \"application/statuslist+cwt\"); \
         check the status list URI"
    )]
    WrongType,
    /// The signature algorithm is not ES256.
    #[error("the status list token is not signed with ES256, the only algorithm accepted")]
    UnsupportedAlgorithm,
    /// No trusted status issuer key has this key id.
    #[error(
        "the status list token is signed by key id {kid_hex}, which is not a trusted status \
         issuer key; update the trust list"
    )]
    UnknownKey {
        /// The key id, hex encoded (key ids are public).
        kid_hex: String,
    },
    /// The signature does not verify under the trusted key.
    #[error(
        "the status list token's signature does not verify; the list was altered or signed by another key"
    )]
    BadSignature,
    /// The token's `exp` has passed.
    #[error("the status list token expired at {expired_at} (now {now}); fetch a current list")]
    Expired {
        /// The `exp` claim.
        expired_at: u64,
        /// The verifier's clock.
        now: u64,
    },
    /// The token's `iat` is further in the future than the allowed clock skew.
    #[error(
        "the status list token is issued at {issued_at}, after now ({now}) plus the allowed \
         skew; check the counter's clock"
    )]
    IssuedInFuture {
        /// The `iat` claim.
        issued_at: u64,
        /// The verifier's clock.
        now: u64,
    },
    /// The `lst` bytes inflate past the limit: a decompression bomb or a list too big to use.
    #[error(
        "the status list inflates to more than {max} bytes and was refused (possible \
         decompression bomb); ask the issuer to split the list"
    )]
    DecompressedTooLarge {
        /// The limit, [`MAX_STATUS_LIST_BYTES`].
        max: usize,
    },
    /// The `lst` bytes are not a valid zlib stream.
    #[error("the status list's compressed bytes do not decompress; fetch the list again")]
    Decompression,
    /// The cache holds a newer list for this URI than the one offered.
    #[error(
        "the offered status list (issued at {offered}) is older than the cached one (issued at \
         {cached}); kept the newer list"
    )]
    OlderThanCached {
        /// `iat` of the cached list.
        cached: u64,
        /// `iat` of the refused list.
        offered: u64,
    },
    /// A different list with the same `iat` as the newest one accepted for this URI: an issuer
    /// never signs two lists in the same second, so one of them is not what it claims to be.
    #[error(
        "the offered status list has the same issue time ({issued_at}) as the newest one seen \
         but different content; kept the list seen first — ask the issuer which is current"
    )]
    ConflictingList {
        /// `iat` of both lists.
        issued_at: u64,
    },
    /// The host's record of the newest lists (its [`StatusHighWater`]) could not be read or
    /// written, so the rollback rule cannot be applied; the offered list was not accepted.
    #[error(
        "the record of the newest status lists is unavailable ({0}); repair the counter's \
         storage and load the list again"
    )]
    HighWaterUnavailable(String),
    /// The signing key failed to produce a signature.
    #[error("signing the status list token failed")]
    SigningFailed,
}
