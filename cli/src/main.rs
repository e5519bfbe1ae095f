//! `netid`: the command-line face of netid — the demo, the wallet commands, the counter
//! verifier and the development issuer (docs/cli.md).
//!
//! This file owns the process boundary: parse arguments, run one command, print its result or
//! its error (text, or `{"error": …}` with `--json`) and exit 0 (accepted / done), 1 (refused) or
//! 2 (usage or input error). It never prints a secret and never panics on user input.
#![forbid(unsafe_code)]

mod args;
mod biometric;
mod counter_cmd;
mod demo;
mod error;
mod home;
mod i18n;
mod issuer_attestation;
mod issuer_cmd;
mod issuer_serve;
mod key_store;
mod output;
mod pin;
mod replay;
mod scan;
mod status_store;
mod terminal_input;
mod verify_cmd;
mod wallet_cmd;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::error::{CliError, CliResult, Exit};
use crate::home::Home;
use crate::output::Output;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    i18n::init(cli.lang.unwrap_or_else(i18n::Lang::from_env));
    let out = Output::new(cli.json);
    match run(cli, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if out.is_json() {
                output::out_line(&serde_json::to_string_pretty(&e.to_json()).unwrap_or_default());
            } else {
                output::err_line(&e.to_string());
            }
            ExitCode::from(e.exit.code())
        }
    }
}

fn run(cli: Cli, out: Output) -> CliResult<()> {
    // The demo runs in a fresh temporary home unless one is named.
    if let Command::Demo(args) = cli.command {
        return demo::run(cli.home, args, out);
    }
    let home = Home::resolve(cli.home)?;
    match cli.command {
        Command::Verify(args) => verify_cmd::run(&home, args, out),
        Command::Wallet(args) => wallet_cmd::run(&home, args.key_store, args.command, out),
        Command::Demo(_) => Ok(()),
        Command::Issuer(command) => issuer_cmd::run(&home, command, out),
    }
}

/// Help and version exit 0; every other parse failure is a usage error (exit 2), in JSON when
/// `--json` was among the arguments.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if std::env::args().any(|a| a == "--json") {
        // clap's first line says what was wrong ("invalid value 'x' for '--purpose <PURPOSE>'").
        let rendered = e.to_string();
        let first = rendered.lines().next().unwrap_or_default();
        let err = CliError::usage(
            "usage",
            first.strip_prefix("error: ").unwrap_or(first).to_owned(),
            "run `netid --help` (or `netid COMMAND --help`) for the accepted arguments",
        );
        output::out_line(&serde_json::to_string_pretty(&err.to_json()).unwrap_or_default());
    } else {
        let _ = e.print();
    }
    ExitCode::from(Exit::Usage.code())
}
