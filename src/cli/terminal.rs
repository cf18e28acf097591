//! The only place the CLI opens stdout, stderr and report files: each comes
//! wrapped in [`katscan::output::Guarded`], so nothing katscan prints can
//! carry a secret (unless `--no-redact`) or a control sequence, whichever
//! command or message produced it. `clippy.toml` forbids `println!`,
//! `eprintln!`, `io::stdout()` and `io::stderr()` everywhere else.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, StderrLock, StdoutLock};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use katscan::output::{Guarded, Policy};

/// Cleared only by `--no-redact`, once, before anything is printed.
static REDACT: AtomicBool = AtomicBool::new(true);

/// `--no-redact`: from now on secrets are printed in full.
pub fn stop_redacting() {
    REDACT.store(false, Ordering::Relaxed);
}

fn policy(colour: bool, workflow_commands: bool) -> Policy {
    Policy {
        redact: REDACT.load(Ordering::Relaxed),
        colour,
        workflow_commands,
        cursor_control: false,
    }
}

/// Standard error, for messages and the human report. `colour` lets
/// katscan's own ANSI colours through.
pub fn stderr(colour: bool) -> Guarded<StderrLock<'static>> {
    Guarded::new(io::stderr().lock(), policy(colour, false))
}

/// Standard output, for reports and listings. `workflow_commands` is for
/// the GitHub reporter's stream only.
pub fn stdout(workflow_commands: bool) -> Guarded<BufWriter<StdoutLock<'static>>> {
    Guarded::new(
        BufWriter::new(io::stdout().lock()),
        policy(false, workflow_commands),
    )
}

/// A report file (`--output`, `--report`).
pub fn file(path: &Path, workflow_commands: bool) -> io::Result<Guarded<BufWriter<File>>> {
    Ok(Guarded::new(
        BufWriter::new(File::create(path)?),
        policy(false, workflow_commands),
    ))
}

/// Standard error for the progress line (`cli/progress.rs`), the one
/// stream allowed to move the cursor (CR, ESC): it writes only katscan's
/// own counts, never text from the repository.
pub fn progress_line() -> Guarded<StderrLock<'static>> {
    Guarded::new(
        io::stderr().lock(),
        Policy {
            cursor_control: true,
            ..policy(true, false)
        },
    )
}

/// Sends panic messages through the gate too. Rust's default hook writes
/// them to standard error directly, and a message can quote what it
/// failed on (a line, a path, a value from the repository): a bug must not
/// become the one way a secret or a control sequence gets out.
pub fn route_panics() {
    std::panic::set_hook(Box::new(|info| {
        let mut stderr = stderr(false);
        report_panic(&info.to_string(), &mut stderr);
        let _ = stderr.finish();
    }));
}

fn report_panic(message: &str, to: &mut impl io::Write) {
    let _ = writeln!(
        to,
        "katscan: internal error (a bug in katscan; the scan did not finish): {}",
        katscan::output::neutralise(message)
    );
}

/// Whether standard error is a terminal (colours, by default).
pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// `eprintln!` through the gate: one message line on standard error.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stderr = $crate::cli::terminal::stderr(false);
        let _ = writeln!(stderr, $($arg)*);
        let _ = stderr.finish();
    }};
}
pub(crate) use say;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_message_is_masked_and_kept_on_one_line() {
        let key = ["kat_live_Pan1cKey", ".Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk0Ya"].concat();
        let mut buffer = Vec::new();
        let mut out = Guarded::new(&mut buffer, policy(false, false));
        report_panic(
            &format!("panicked at src/x.rs:1:1:\nbad line `{key}`\n::error::forged\x1b[2J"),
            &mut out,
        );
        out.finish().unwrap();
        drop(out);
        let printed = String::from_utf8(buffer).unwrap();
        assert!(
            !printed.contains("Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk0Ya"),
            "{printed}"
        );
        assert!(printed.contains("kat_live_Pan1cKey."), "{printed}");
        assert_eq!(printed.lines().count(), 1, "{printed}");
        assert!(!printed.contains('\x1b'), "{printed}");
    }
}
