//! A count of the objects this library has handed to a host and not yet seen freed.
//!
//! Every FFI object holds a [`Live`] token. Hosts free objects explicitly (`close()` / `use {}` in
//! Kotlin, `deinit` in Swift); a host that forgets leaks native memory, holding keys or claims
//! longer than intended. The JVM tests read the count (exported with the `dev-issuer` feature,
//! which only test and demo builds have) to prove a long loop leaves nothing alive. This module
//! must never count anything but live FFI objects.

use std::sync::atomic::{AtomicU64, Ordering};

static LIVE_OBJECTS: AtomicU64 = AtomicU64::new(0);

/// Held by every FFI object; counts it while it lives.
#[derive(Debug)]
pub(crate) struct Live(());

impl Live {
    pub(crate) fn new() -> Self {
        LIVE_OBJECTS.fetch_add(1, Ordering::SeqCst);
        Self(())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        LIVE_OBJECTS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How many objects (wallets, verifiers, trust lists, presentations, ...) are alive now.
#[cfg(feature = "dev-issuer")]
#[uniffi::export]
pub fn live_native_objects() -> u64 {
    LIVE_OBJECTS.load(Ordering::SeqCst)
}
