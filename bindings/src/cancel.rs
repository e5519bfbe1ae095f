//! Cancelling an authentication in flight, explicitly.
//!
//! uniffi cancels the Rust future when a Kotlin coroutine is cancelled, but Swift's structured
//! concurrency does not cancel it by itself, and an app whose screen goes away (or whose host
//! prompt hangs) needs a way out either way. [`CancelSwitch::run`] races an operation against the
//! switch: [`CancelSwitch::cancel`] makes every operation running at that moment finish at once
//! with "cancelled", dropping the operation's future, which in turn drops (and so cancels) the
//! host call it was waiting on. Operations started after the cancel are not affected. This module
//! must never let a cancelled operation produce a result, and never block.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Poll, Waker};

#[derive(Default)]
struct State {
    /// Bumped by every cancel; an operation started in generation g is cancelled once it moves.
    generation: u64,
    next_operation: u64,
    waiting: HashMap<u64, Waker>,
}

/// One wallet's cancel switch.
#[derive(Default)]
pub(crate) struct CancelSwitch {
    state: Mutex<State>,
}

/// Removes an operation's waker when it finishes or is dropped.
struct Registration<'a> {
    switch: &'a CancelSwitch,
    id: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.switch.lock().waiting.remove(&self.id);
    }
}

impl CancelSwitch {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state inconsistent (every update is a
        // single assignment or map operation), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Cancels every operation running now.
    pub(crate) fn cancel(&self) {
        let wakers: Vec<Waker> = {
            let mut state = self.lock();
            state.generation = state.generation.wrapping_add(1);
            state.waiting.drain().map(|(_, waker)| waker).collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// Runs `operation` to completion, or returns `None` as soon as [`Self::cancel`] is called.
    pub(crate) async fn run<F: Future>(&self, operation: F) -> Option<F::Output> {
        let (started, id) = {
            let mut state = self.lock();
            let id = state.next_operation;
            state.next_operation = state.next_operation.wrapping_add(1);
            (state.generation, id)
        };
        let _registration = Registration { switch: self, id };
        let mut operation = pin!(operation);
        poll_fn(|cx| {
            if self.lock().generation != started {
                return Poll::Ready(None);
            }
            if let Poll::Ready(output) = operation.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            let mut state = self.lock();
            if state.generation != started {
                // Cancelled while the operation was being polled.
                return Poll::Ready(None);
            }
            state.waiting.insert(id, cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netid_core::block_on::block_on;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_finished_operation_returns_its_output() {
        let switch = CancelSwitch::default();
        assert_eq!(block_on(switch.run(async { 7 })), Some(7));
        assert!(switch.lock().waiting.is_empty());
    }

    #[test]
    fn cancel_ends_a_pending_operation_and_only_that_one() {
        let switch = Arc::new(CancelSwitch::default());
        let canceller = Arc::clone(&switch);
        let handle = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            canceller.cancel();
        });
        let outcome = block_on(switch.run(std::future::pending::<()>()));
        handle.join().expect("canceller thread");
        assert_eq!(outcome, None);
        assert!(switch.lock().waiting.is_empty(), "the waker is cleaned up");
        // A cancel affects only operations already running.
        assert_eq!(block_on(switch.run(async { "later" })), Some("later"));
    }
}
