//! `katscan init`: writes a commented starter `.katscan.toml`.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};

use katscan::config::{FILE_NAME, STARTER};

use super::args::InitArgs;
use super::{ExitStatus, print_error, terminal};

pub fn run(args: &InitArgs) -> ExitStatus {
    if !args.path.is_dir() {
        print_error(&format!("{}: not a directory", args.path.display()));
        return ExitStatus::Error;
    }
    let path = args.path.join(FILE_NAME);
    let shown = path
        .strip_prefix(".")
        .unwrap_or(&path)
        .display()
        .to_string();
    // `create_new` refuses atomically, so a file appearing meanwhile is
    // never overwritten without --force.
    let written = if args.force {
        fs::write(&path, STARTER)
    } else {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut file| file.write_all(STARTER.as_bytes()))
    };
    match written {
        Ok(()) => {
            terminal::say!(
                "katscan: wrote {}; every option in it is commented out",
                katscan::output::neutralise(&shown)
            );
            ExitStatus::Success
        }
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            print_error(&format!(
                "{shown} already exists; pass --force to overwrite it"
            ));
            ExitStatus::Error
        }
        Err(error) => {
            print_error(&format!("cannot write {shown}: {error}"));
            ExitStatus::Error
        }
    }
}
