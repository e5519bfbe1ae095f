//! Blocking core work — the Argon2id unlock (64 MiB), store reads, signature checks — run on a
//! worker thread behind a future, so an async FFI call never blocks the thread that polls it
//! (Android's main thread, Swift's cooperative pool).
//!
//! uniffi polls a Rust future from the foreign side's own thread: work done inside `poll` runs
//! there. This module owns only the hand-off; it must never run the work on the polling thread
//! (except when the OS refuses a new thread, where blocking beats failing) and never lose a
//! panic: a panicking job is reported as such, to become an internal error.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

struct Slot<T> {
    result: Option<std::thread::Result<T>>,
    waker: Option<Waker>,
}

/// The result of `work`, computed on its own thread; `Err` if it panicked.
pub(crate) struct Offloaded<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

/// Starts `work` on a new thread. Dropping the future (a cancelled coroutine or Task) does not
/// stop the work — the core's operations are not interruptible half-way — but its result is
/// dropped, and with it any secret it held.
pub(crate) fn offload<T, F>(work: F) -> Offloaded<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
    }));
    let theirs = Arc::clone(&slot);
    // Type-erased, so the thread start-up and unwinding code exists once in the library, not
    // once per operation (the shipped library's size budget).
    spawn_or_run(Box::new(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        let waker = {
            let mut slot = theirs.lock().unwrap_or_else(PoisonError::into_inner);
            slot.result = Some(result);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }));
    Offloaded { slot }
}

/// Runs `job` on a new thread, or here when the OS refuses one (blocking beats failing).
fn spawn_or_run(job: Box<dyn FnOnce() + Send>) {
    let job = Arc::new(Mutex::new(Some(job)));
    let for_thread = Arc::clone(&job);
    let take = |job: &Mutex<Option<Box<dyn FnOnce() + Send>>>| {
        job.lock().unwrap_or_else(PoisonError::into_inner).take()
    };
    let spawned = std::thread::Builder::new()
        .name("netid-work".into())
        .spawn(move || {
            if let Some(job) = take(&for_thread) {
                job();
            }
        });
    if spawned.is_err()
        && let Some(job) = take(&job)
    {
        job();
    }
}

impl<T> Future for Offloaded<T> {
    type Output = std::thread::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netid_core::block_on::block_on;

    #[test]
    fn the_work_runs_on_another_thread_and_its_result_arrives() {
        let caller = std::thread::current().id();
        let (value, worker) =
            block_on(offload(move || (41 + 1, std::thread::current().id()))).expect("no panic");
        assert_eq!(value, 42);
        assert_ne!(worker, caller);
    }

    #[test]
    fn a_panicking_job_is_reported_not_propagated() {
        let outcome = block_on(offload(|| -> u8 { panic!("job failed") }));
        assert!(outcome.is_err());
    }

    #[test]
    fn a_dropped_future_lets_the_work_finish_and_drops_its_result() {
        let (tx, rx) = std::sync::mpsc::channel();
        let future = offload(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            tx.send(()).expect("receiver alive");
            7
        });
        drop(future);
        rx.recv_timeout(std::time::Duration::from_secs(5))
            .expect("the job still ran to its end");
    }
}
