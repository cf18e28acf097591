//! A one-line progress display on standard error for long scans: files and
//! bytes scanned and the current rate, redrawn in place.
//!
//! Shown only where a person watches: stderr is a terminal, the scan has
//! run for a second, not in CI (`CI` set, as every CI service does) and not
//! with `--quiet`. The line holds only katscan's own numbers, never text
//! from the repository, and is erased before anything else is printed. No
//! dependency (indicatif) for one line: the hook and the Action build
//! katscan from source, and every crate costs them build time.

use std::env;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use katscan::walk::Progress;

use super::terminal;

/// Nothing is shown for scans shorter than this.
const DELAY: Duration = Duration::from_secs(1);
/// How often the line is redrawn.
const INTERVAL: Duration = Duration::from_millis(200);

/// A running display; [`Display::stop`] erases it.
pub struct Display {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// Whether progress may be shown at all.
pub fn wanted(quiet: bool) -> bool {
    !quiet && terminal::stderr_is_terminal() && env::var_os("CI").is_none()
}

impl Display {
    pub fn start(progress: Arc<Progress>) -> Display {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            thread::spawn(move || show(&progress, &stop))
        };
        Display { stop, thread }
    }

    /// Stops redrawing and erases the line.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.thread().unpark();
        let _ = self.thread.join();
    }
}

fn show(progress: &Progress, stop: &AtomicBool) {
    let started = Instant::now();
    thread::park_timeout(DELAY);
    let mut shown = false;
    let mut last = (Instant::now(), progress.files_and_bytes().1);
    while !stop.load(Ordering::Relaxed) {
        let (files, bytes) = progress.files_and_bytes();
        let now = Instant::now();
        let seconds = now.duration_since(last.0).as_secs_f64().max(1e-3);
        let rate = (bytes.saturating_sub(last.1)) as f64 / seconds;
        last = (now, bytes);
        let line = format!(
            "katscan: {files} files, {} scanned, {}/s, {:.0}s",
            human_bytes(bytes as f64),
            human_bytes(rate),
            started.elapsed().as_secs_f64()
        );
        let mut stderr = terminal::progress_line();
        let _ = write!(stderr, "\r\x1b[2K{line}");
        let _ = stderr.finish();
        shown = true;
        thread::park_timeout(INTERVAL);
    }
    if shown {
        let mut stderr = terminal::progress_line();
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.finish();
    }
}

fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
