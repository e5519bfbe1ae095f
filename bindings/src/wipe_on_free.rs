//! The library's global allocator: the system allocator, except that every block is wiped before
//! it is freed.
//!
//! Secrets and claims cross the FFI boundary as byte buffers uniffi creates and frees itself: the
//! data key lowered into a `RustBuffer` for a host [`crate::KeyWrapper`], the PIN `String` lifted
//! from one, the claims of a `DocumentDetails` record lowered for the host. The core wipes what it
//! owns, but these copies are made and dropped inside generated code (and, for lowered values,
//! freed by the host through `rustbuffer_free`), where no `Zeroizing` can reach. Wiping on free
//! catches all of them, and every growing `Vec` or `String` anywhere in the library, whose old
//! buffers are freed on reallocation. It must never change what an allocation returns, only what
//! a freed block keeps.
//!
//! It costs one volatile write per freed byte (Argon2's 64 MiB at unlock is the largest block,
//! a few milliseconds). Memory the host allocates (Kotlin byte arrays, Swift `Data`) is outside
//! it: the host wipes its own copies.

use std::alloc::{GlobalAlloc, Layout, System};

use zeroize::Zeroize;

/// The system allocator, wiping blocks on free (and so on every moving reallocation, which the
/// default `realloc` implements as allocate, copy, free).
pub struct WipeOnFree;

// SAFETY: allocation and freeing are delegated unchanged to `System`, which upholds the
// `GlobalAlloc` contract; `dealloc` only writes zeros into the block it is about to free, which
// the caller still owns (`ptr` was returned by `alloc` with this `layout`).
unsafe impl GlobalAlloc for WipeOnFree {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract (non-zero size) is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` points to a live block of `layout.size()` bytes that the caller owns until
        // the `System.dealloc` below. `zeroize` writes through volatile stores followed by a
        // compiler fence, so the wipe of a block about to be freed is not removed as a dead store.
        unsafe {
            std::slice::from_raw_parts_mut(ptr, layout.size()).zeroize();
            System.dealloc(ptr, layout);
        }
    }
}

#[global_allocator]
static ALLOCATOR: WipeOnFree = WipeOnFree;
