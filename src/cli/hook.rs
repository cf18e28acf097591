//! `katscan install-hook`: writes (or removes) a git pre-commit hook that
//! runs `katscan staged`, never overwriting a hook katscan did not write
//! unless asked.

use std::env;
use std::fs;
use std::io;
use std::path::Path;

use katscan::git::Repository;

use super::args::InstallHookArgs;
use super::{ExitStatus, print_error, terminal};

/// Identifies a hook file as katscan's own, so re-installing and
/// uninstalling never touch someone else's hook.
const MARKER: &str = "# katscan-managed-hook: written by `katscan install-hook`";

/// Fails closed when katscan is missing: a hook that silently passes would
/// let keys through unnoticed.
const HOOK: &str = r#"#!/bin/sh
# katscan-managed-hook: written by `katscan install-hook`
# Refuses a commit that stages a Katalo API key or a permissive CORS policy.
# Remove it with `katscan install-hook --uninstall`; skip it once with
# `git commit --no-verify`.
if ! command -v katscan >/dev/null 2>&1; then
    echo "katscan pre-commit hook: katscan is not on PATH." >&2
    echo "Install it (cargo install --locked --path <katscan checkout>) or" >&2
    echo "remove the hook with: rm \"$0\"" >&2
    exit 1
fi
exec katscan staged
"#;

pub fn run(args: &InstallHookArgs) -> ExitStatus {
    match install(args) {
        Ok(message) => {
            terminal::say!("katscan: {}", katscan::output::neutralise(&message));
            ExitStatus::Success
        }
        Err(message) => {
            print_error(&message);
            ExitStatus::Error
        }
    }
}

fn install(args: &InstallHookArgs) -> Result<String, String> {
    let dir = env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let repository = Repository::discover(&dir).map_err(|e| e.to_string())?;
    let hooks = repository.hooks_dir().map_err(|e| e.to_string())?;
    let hook = hooks.join("pre-commit");
    let shown = hook.display();

    let existing = match fs::read(&hook) {
        Ok(bytes) => Some(bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(format!("cannot read {shown}: {error}")),
    };
    let ours = existing
        .as_deref()
        .is_some_and(|bytes| String::from_utf8_lossy(bytes).contains(MARKER));

    if args.uninstall {
        return match existing {
            None => Ok(format!("no pre-commit hook at {shown}; nothing to remove")),
            Some(_) if !ours => Err(format!(
                "{shown} was not written by katscan; leaving it in place"
            )),
            Some(_) => {
                fs::remove_file(&hook).map_err(|e| format!("cannot remove {shown}: {e}"))?;
                Ok(format!("removed the pre-commit hook {shown}"))
            }
        };
    }

    if existing.is_some() && !ours && !args.force {
        return Err(format!(
            "{shown} already exists and was not written by katscan; \
             add `katscan staged` to it yourself, or pass --force to replace it"
        ));
    }
    fs::create_dir_all(&hooks).map_err(|e| format!("cannot create {}: {e}", hooks.display()))?;
    write_executable(&hook, HOOK).map_err(|e| format!("cannot write {shown}: {e}"))?;
    Ok(format!(
        "installed a pre-commit hook at {shown} that runs `katscan staged`"
    ))
}

fn write_executable(path: &Path, contents: &str) -> io::Result<()> {
    fs::write(path, contents)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_carries_the_marker_and_runs_staged() {
        assert!(HOOK.starts_with("#!/bin/sh\n"));
        assert!(HOOK.contains(MARKER));
        assert!(HOOK.trim_end().ends_with("exec katscan staged"));
    }
}
