//! `katscan init`: writes a commented starter `.katscan.toml`.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};

use katscan::config::{FILE_NAME, STARTER};

use super::args::InitArgs;
use super::{ExitStatus, Failure, terminal};

pub fn run(args: &InitArgs) -> Result<ExitStatus, Failure> {
    if !args.path.is_dir() {
        return Err(Failure::new(format!(
            "{}: not a directory",
            args.path.display()
        )));
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
            Ok(ExitStatus::Success)
        }
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Err(Failure::new(format!(
            "{shown} already exists; pass --force to overwrite it"
        ))),
        Err(error) => Err(Failure::new(format!("cannot write {shown}: {error}"))),
    }
}
