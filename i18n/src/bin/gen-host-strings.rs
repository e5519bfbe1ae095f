//! Writes the Android and iOS string resources from the catalogue (netid_i18n::host), relative to
//! the repository root (the current directory, or the first argument).
//!
//! It owns only writing the files the library generates; it never edits anything else. Exit 0 on
//! success, 1 when the catalogue cannot be converted or a file cannot be written.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let files = match netid_i18n::host::generate() {
        Ok(files) => files,
        Err(e) => {
            eprintln!("gen-host-strings: {e}");
            return ExitCode::FAILURE;
        }
    };
    for file in files {
        let path = root.join(file.path);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, &file.text));
        if let Err(e) = written {
            eprintln!("gen-host-strings: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("gen-host-strings: wrote {}", file.path);
    }
    ExitCode::SUCCESS
}
