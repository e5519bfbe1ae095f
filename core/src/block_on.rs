//! A minimal executor that drives one future to completion on the calling thread.
//!
//! The core's host-facing traits (`SecureArea`, `UserAuthenticator`) are async because a host
//! blocks on a biometric prompt; the FFI layer hands those futures to the host's own runtime. The
//! `netid` command and the tests have no runtime, and pulling one in for "wait for this future" is
//! not worth a dependency, so this module parks the thread until the future's waker unparks it.
//! It must never spawn threads, poll more than one future, or be used inside another executor
//! (it would block that executor's thread).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes the thread that is blocked in [`block_on`].
struct UnparkThread(Thread);

impl Wake for UnparkThread {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` to completion on the current thread and returns its output.
///
/// Spurious unparks are harmless: the future is simply polled again.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(UnparkThread(thread::current())));
    let mut context = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::block_on;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};
    use std::time::Duration;

    /// A future completed by another thread, so `block_on` must really park and be woken.
    struct CompletedElsewhere {
        shared: Arc<Mutex<(Option<u32>, Option<Waker>)>>,
    }

    impl Future for CompletedElsewhere {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            let mut guard = self
                .shared
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match guard.0 {
                Some(value) => Poll::Ready(value),
                None => {
                    guard.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }

    #[test]
    fn ready_future_returns_its_value() {
        assert_eq!(block_on(async { 41 + 1 }), 42);
    }

    #[test]
    fn future_woken_from_another_thread_completes() {
        let shared = Arc::new(Mutex::new((None, None::<Waker>)));
        let remote = Arc::clone(&shared);
        let helper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            let mut guard = remote
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            guard.0 = Some(7);
            if let Some(waker) = guard.1.take() {
                waker.wake();
            }
        });
        assert_eq!(block_on(CompletedElsewhere { shared }), 7);
        helper.join().expect("helper thread");
    }
}
