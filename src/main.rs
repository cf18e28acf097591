//! The `katscan` binary: parse arguments, run, map the outcome to an exit
//! code. Everything else lives in the library and in `cli/`.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run().code()
}
