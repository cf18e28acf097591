//! The CLI side of `.katscan.toml`: which file applies (flag, environment,
//! discovery), rendering its errors, and applying it to a scan.

use std::env;
use std::io::Write;
use std::path::{Path, PathBuf};

use katscan::RuleSet;
use katscan::config::{self, Config, ConfigError, Discovery};
use katscan::output::neutralise;
use katscan::walk::ExcludeFilter;
use miette::{GraphicalReportHandler, GraphicalTheme};

use super::args::ConfigArgs;
use super::{Failure, terminal};

/// Finds and loads the config for a scan of `paths` and applies it to
/// `rules`. An error stops the scan with exit status 2.
pub fn load_for_scan(
    args: &ConfigArgs,
    paths: &[PathBuf],
    rules: &mut RuleSet,
    verbose: bool,
) -> Result<Option<Config>, Failure> {
    let path = match config_path(args, paths) {
        Discovery::Found(path) => path,
        Discovery::None => {
            if verbose {
                terminal::say!("katscan: no config file");
            }
            return Ok(None);
        }
        Discovery::Refused { path, reason } => {
            // Not reading it scans with the built-in rules: more, not less.
            if verbose {
                terminal::say!(
                    "katscan: not reading config {}: {}; no config file",
                    neutralise(&path.display().to_string()),
                    neutralise(&reason.to_string())
                );
            }
            return Ok(None);
        }
    };
    let loaded = Config::load(&path).and_then(|config| {
        config.apply(rules)?;
        Ok(config)
    });
    match loaded {
        Ok(config) => {
            if verbose {
                terminal::say!(
                    "katscan: using config {}",
                    neutralise(&config.path.display().to_string())
                );
            }
            Ok(Some(config))
        }
        Err(error) => Err(Failure::Config(error)),
    }
}

/// `--config`, else `KATSCAN_CONFIG`, else discovery; none with
/// `--no-config`. A file named explicitly is always read (the user chose
/// it), through the same caps; only a discovered one can be refused.
fn config_path(args: &ConfigArgs, paths: &[PathBuf]) -> Discovery {
    if args.no_config {
        return Discovery::None;
    }
    if let Some(path) = &args.config {
        return Discovery::Found(path.clone());
    }
    if let Some(path) = env::var_os(config::ENV_VAR).filter(|value| !value.is_empty()) {
        return Discovery::Found(PathBuf::from(path));
    }
    config::discover(paths)
}

/// The config's `exclude` globs (and the config file) as a walk filter.
pub fn exclude_filter(config: Option<&Config>) -> Option<ExcludeFilter> {
    let excludes = config?.excludes();
    Some(ExcludeFilter::new(move |path: &Path, is_dir| {
        excludes.is_excluded(path, is_dir)
    }))
}

/// Renders a config error with miette: the file, the line, a label at the
/// mistake, and help.
///
/// Without colour: the excerpt miette shows is a line of a file the
/// repository wrote (a committed `.katscan.toml`), which may hold raw ESC
/// bytes, and only a stream without colour lets the output gate replace
/// them all.
pub(super) fn print_config_error(error: &ConfigError) {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false);
    let mut rendered = String::new();
    if handler.render_report(&mut rendered, error).is_err() {
        rendered = format!("katscan: error: {error}\n");
    }
    let mut stderr = terminal::stderr(false);
    let _ = stderr
        .write_all(rendered.as_bytes())
        .and_then(|()| stderr.finish());
}
