//! The command-line layer: arguments in, exit status out. It owns the
//! terminal (colour, stderr, files); the library only returns data.

mod args;
mod classify;
mod config;
mod history;
mod hook;
mod init;
mod progress;
mod rules;
mod scan;
mod session;
mod staged;
pub(crate) mod terminal;

use std::fmt::Display;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use katscan::output::neutralise;

use args::{Cli, Command};

/// What the process reports to its caller (README, "Exit status").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above `--fail-on` was found.
    Success,
    /// Findings at or above `--fail-on`.
    Failure,
    /// Usage, configuration or I/O error that stopped or shortened the scan.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> ExitCode {
        match self {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

pub fn run() -> ExitStatus {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version are "errors" to clap that go to stdout;
            // a usage error may quote an argument, so it passes the gate.
            let rendered = error.render().to_string();
            let written = if error.use_stderr() {
                let mut stderr = terminal::stderr(false);
                stderr
                    .write_all(rendered.as_bytes())
                    .and_then(|()| stderr.finish())
            } else {
                let mut stdout = terminal::stdout(false);
                stdout
                    .write_all(rendered.as_bytes())
                    .and_then(|()| stdout.finish())
            };
            drop(written);
            return if error.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            };
        }
    };
    let ran = match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Staged(args) => staged::run(&args),
        Command::History(args) => history::run(&args),
        Command::InstallHook(args) => hook::run(&args),
        Command::Rules(args) => rules::list(&args),
        Command::Explain(args) => rules::explain(&args),
        Command::Init(args) => init::run(&args),
        Command::Classify(args) => classify::run(&args),
    };
    ran.unwrap_or_else(|failure| {
        failure.print();
        ExitStatus::Error
    })
}

/// Why a command stopped before it could finish (exit status 2). Commands
/// return it; [`run`] prints it, in one place, through the output gate.
#[derive(Debug)]
pub enum Failure {
    /// One line: `katscan: error: …`.
    Message(String),
    /// A mistake in a config file, shown with its excerpt and help.
    Config(katscan::config::ConfigError),
}

impl Failure {
    pub fn new(message: impl Display) -> Self {
        Failure::Message(message.to_string())
    }

    fn print(&self) {
        match self {
            Failure::Message(message) => print_error(message),
            Failure::Config(error) => config::print_config_error(error),
        }
    }
}

/// The built-in rules. They are checked by the test suite, so failing here
/// means a broken build, not bad input.
pub fn builtin_rules() -> Result<katscan::RuleSet, Failure> {
    katscan::RuleSet::builtin().map_err(Failure::new)
}

/// Prints an error that stops katscan, on one line: a path or value it
/// quotes cannot start a line of its own.
fn print_error(error: &dyn Display) {
    terminal::say!("katscan: error: {}", neutralise(&error.to_string()));
}
