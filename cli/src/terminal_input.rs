//! Lines typed on standard input, shared by everything that asks the person something after the
//! passphrase: the biometric stand-in and the demo's "press Enter or q to stop" countdown.
//!
//! One background thread reads standard input and hands each line over a channel, so the demo
//! can wait for a key with a timeout while the countdown runs, and a prompt that comes in the
//! middle (the refresh's biometric confirmation) reads the next line rather than racing another
//! reader for it. The passphrase is read before this thread starts (see `key_store`), so no
//! secret passes through here.

use std::io::BufRead;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

static LINES: OnceLock<Mutex<Receiver<String>>> = OnceLock::new();

fn lines() -> &'static Mutex<Receiver<String>> {
    LINES.get_or_init(|| {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            loop {
                let mut line = String::new();
                match stdin.lock().read_line(&mut line) {
                    // End of input: dropping the sender tells readers.
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Mutex::new(rx)
    })
}

/// The next line, waiting as long as it takes; `None` at the end of input.
pub fn read_line() -> Option<String> {
    let rx = lines().lock().unwrap_or_else(|p| p.into_inner());
    rx.recv().ok()
}

/// What waiting for a line with a time limit gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Waited {
    /// A line was typed.
    Line(String),
    /// Nothing within the time.
    Nothing,
    /// Standard input is closed.
    Closed,
}

/// The next line if one comes within `timeout`.
pub fn read_line_within(timeout: Duration) -> Waited {
    let rx = lines().lock().unwrap_or_else(|p| p.into_inner());
    match rx.recv_timeout(timeout) {
        Ok(line) => Waited::Line(line),
        Err(RecvTimeoutError::Timeout) => Waited::Nothing,
        Err(RecvTimeoutError::Disconnected) => Waited::Closed,
    }
}
