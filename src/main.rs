//! The `katscan` binary: parse arguments, run, map the outcome to an exit
//! code. Everything else lives in the library and in `cli/`.

mod cli;

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

fn main() -> ExitCode {
    cli::terminal::route_panics();
    // A panic is a bug, not a finding: exit 2 ("could not scan") as the
    // contract says for errors, never 101, which CI would not recognise.
    match panic::catch_unwind(AssertUnwindSafe(cli::run)) {
        Ok(status) => status.code(),
        Err(_) => cli::ExitStatus::Error.code(),
    }
}
