//! `katscan install-hook`: writes (or removes) a git pre-commit hook that
//! runs `katscan staged`, or with `--pre-push` a pre-push hook that runs
//! `katscan history` on the commits being pushed, never overwriting or
//! removing a hook katscan did not write, or one that was edited since,
//! unless asked.

use std::env;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process;

use katscan::git::Repository;
use sha2::{Digest, Sha256};

use super::args::InstallHookArgs;
use super::{ExitStatus, Failure, terminal};

/// Identifies a hook file as katscan's own, so re-installing and
/// uninstalling never touch someone else's hook.
const MARKER: &str = "# katscan-managed-hook: written by `katscan install-hook`";

/// Starts the line that carries the SHA-256 of the rest of the hook's text.
/// The marker says who wrote a hook; the checksum says whether it is still
/// exactly what katscan wrote. A hook whose text no longer matches its
/// checksum was edited (a flag added to `katscan staged`, a second command)
/// and katscan will not silently discard that work. Carrying the checksum
/// in the file, rather than comparing with this version's text, also lets
/// a later katscan recognise, and upgrade, any unedited hook an earlier one
/// wrote.
const CHECKSUM_PREFIX: &str = "# katscan-hook-sha256: ";

/// The hook's first lines, up to its marker; the checksum line follows.
const HOOK_HEAD: &str = "#!/bin/sh\n# katscan-managed-hook: written by `katscan install-hook`\n";

/// The rest of the hook. Fails closed when katscan is missing: a hook that
/// silently passes would let keys through unnoticed.
const HOOK_TAIL: &str = r#"# Refuses a commit that stages a Katalo API key or a permissive CORS policy.
# Remove it with `katscan install-hook --uninstall`; skip it once with
# `git commit --no-verify`. Edit it and katscan will ask before replacing it.
if ! command -v katscan >/dev/null 2>&1; then
    echo "katscan pre-commit hook: katscan is not on PATH." >&2
    echo "Install it (cargo install --locked --path <katscan checkout>) or" >&2
    echo "remove the hook with: rm \"$0\"" >&2
    exit 1
fi
exec katscan staged
"#;

/// Hooks katscan wrote before hooks carried a checksum, exactly: still
/// katscan's own, unedited, so replaced and removed without asking.
const HOOKS_WITHOUT_CHECKSUM: &[&str] = &[r#"#!/bin/sh
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
"#];

/// The pre-push hook after its head. Git gives it one line per pushed ref
/// (`<local ref> <local id> <remote ref> <remote id>`); it scans the
/// commits each brings that the remote lacks: `remote..local` when the
/// remote has the old commit, else (a new branch, or an old commit never
/// fetched) what no remote-tracking branch of that remote holds. A deleted
/// ref brings nothing; a range of no commits is skipped.
const PRE_PUSH_TAIL: &str = r#"# Refuses a push whose commits ever held a Katalo API key or a permissive
# CORS policy, even one removed in a later commit: history is pushed too.
# Remove it with `katscan install-hook --pre-push --uninstall`; skip it once
# with `git push --no-verify`. Edit it and katscan will ask before replacing it.
if ! command -v katscan >/dev/null 2>&1; then
    echo "katscan pre-push hook: katscan is not on PATH." >&2
    echo "Install it (cargo install --locked --path <katscan checkout>) or" >&2
    echo "remove the hook with: rm \"$0\"" >&2
    exit 1
fi
remote="$1"
status=0
while read -r local_ref local_id _remote_ref remote_id; do
    case "$local_id" in *[!0]*) ;; *) continue ;; esac
    case "$remote_id" in
        *[!0]*) git cat-file -e "$remote_id^{commit}" 2>/dev/null || remote_id=0 ;;
    esac
    # Object ids, one word each: the split is wanted.
    # shellcheck disable=SC2046
    case "$remote_id" in
        *[!0]*) set -- "$remote_id..$local_id" ;;
        *) set -- "$local_id" $(git for-each-ref --format='^%(objectname)' "refs/remotes/$remote/") ;;
    esac
    [ "$(git rev-list --count "$@")" = 0 ] && continue
    echo "katscan: scanning the commits of $local_ref" >&2
    katscan history "$@" || status=$?
    [ "$status" -ne 0 ] && break
done
exit "$status"
"#;

/// Which hook: its file name in the hooks directory, what it runs (for
/// messages) and its text after the head.
#[derive(Debug, Clone, Copy)]
struct HookKind {
    name: &'static str,
    runs: &'static str,
    tail: &'static str,
}

const PRE_COMMIT: HookKind = HookKind {
    name: "pre-commit",
    runs: "katscan staged",
    tail: HOOK_TAIL,
};

const PRE_PUSH: HookKind = HookKind {
    name: "pre-push",
    runs: "katscan history",
    tail: PRE_PUSH_TAIL,
};

/// The text katscan writes: the head, the checksum of head and tail, the
/// tail.
fn hook_text(kind: HookKind) -> String {
    let checksum = sha256_hex(&format!("{HOOK_HEAD}{}", kind.tail));
    format!("{HOOK_HEAD}{CHECKSUM_PREFIX}{checksum}\n{}", kind.tail)
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// What is at the hook's path now.
#[derive(Debug, PartialEq, Eq)]
enum Existing {
    Nothing,
    /// A hook katscan wrote, exactly as it wrote it.
    Katscan,
    /// A hook katscan wrote that was changed since.
    EditedKatscan,
    /// Anything else: someone else's script, or a symbolic link (katscan
    /// writes only regular files; a link is a team's setup, such as
    /// `.git/hooks/pre-commit -> ../../scripts/pre-commit`).
    Foreign,
}

fn classify(text: &[u8]) -> Existing {
    let Ok(text) = std::str::from_utf8(text) else {
        return Existing::Foreign;
    };
    if !text.contains(MARKER) {
        return Existing::Foreign;
    }
    if HOOKS_WITHOUT_CHECKSUM.contains(&text) {
        return Existing::Katscan;
    }
    let mut recorded = None;
    let mut rest = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match line.strip_prefix(CHECKSUM_PREFIX) {
            Some(checksum) if recorded.is_none() => recorded = Some(checksum.trim_end()),
            _ => rest.push_str(line),
        }
    }
    if recorded.is_some_and(|checksum| checksum == sha256_hex(&rest)) {
        Existing::Katscan
    } else {
        Existing::EditedKatscan
    }
}

fn existing(hook: &Path) -> Result<Existing, String> {
    let shown = hook.display();
    match fs::symlink_metadata(hook) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(error) => return Err(format!("cannot read {shown}: {error}")),
        Ok(metadata) if !metadata.is_file() => return Ok(Existing::Foreign),
        Ok(_) => {}
    }
    fs::read(hook)
        .map(|bytes| classify(&bytes))
        .map_err(|error| format!("cannot read {shown}: {error}"))
}

pub fn run(args: &InstallHookArgs) -> Result<ExitStatus, Failure> {
    let message = install(args).map_err(Failure::Message)?;
    terminal::say!("katscan: {}", katscan::output::neutralise(&message));
    Ok(ExitStatus::Success)
}

fn install(args: &InstallHookArgs) -> Result<String, String> {
    let kind = if args.pre_push { PRE_PUSH } else { PRE_COMMIT };
    let name = kind.name;
    let runs = kind.runs;
    let dir = env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let repository = Repository::discover(&dir).map_err(|e| e.to_string())?;
    let hooks = repository.hooks_dir().map_err(|e| e.to_string())?;
    let hook = hooks.join(name);
    let shown = hook.display();
    let is_link = fs::symlink_metadata(&hook).is_ok_and(|m| m.file_type().is_symlink());
    let existing = existing(&hook)?;

    // Edits to katscan's own hook are refused rather than backed up: a
    // backup file in the hooks directory is easily never seen, and the
    // person who edited the hook is the one to decide (`--force`), as for
    // a hook katscan did not write.
    let edited = || {
        format!(
            "{shown} was written by katscan but has been edited since; \
             pass --force to {} it (your edits will be lost)",
            if args.uninstall { "remove" } else { "replace" }
        )
    };
    if args.uninstall {
        return match existing {
            Existing::Nothing => Ok(format!("no {name} hook at {shown}; nothing to remove")),
            Existing::Foreign if is_link => Err(format!(
                "{shown} is a symbolic link, not a hook katscan wrote; leaving it in place"
            )),
            Existing::Foreign => Err(format!(
                "{shown} was not written by katscan; leaving it in place"
            )),
            Existing::EditedKatscan if !args.force => Err(edited()),
            Existing::Katscan | Existing::EditedKatscan => {
                fs::remove_file(&hook).map_err(|e| format!("cannot remove {shown}: {e}"))?;
                Ok(format!("removed the {name} hook {shown}"))
            }
        };
    }

    match existing {
        Existing::Foreign if !args.force && is_link => {
            return Err(format!(
                "{shown} is a symbolic link, not a hook katscan wrote; add `{runs}` \
                 to the script it points to, or pass --force to replace the link (its \
                 target is left alone)"
            ));
        }
        Existing::Foreign if !args.force => {
            return Err(format!(
                "{shown} already exists and was not written by katscan; \
                 add `{runs}` to it yourself, or pass --force to replace it"
            ));
        }
        Existing::EditedKatscan if !args.force => return Err(edited()),
        _ => {}
    }
    fs::create_dir_all(&hooks).map_err(|e| format!("cannot create {}: {e}", hooks.display()))?;
    replace_with_executable(&hook, &hook_text(kind))
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    Ok(format!(
        "installed a {name} hook at {shown} that runs `{runs}`{}",
        if is_link {
            " (replacing the symbolic link, not its target)"
        } else {
            ""
        }
    ))
}

/// Puts a new executable file at `path`: written beside it, then renamed
/// over it. Renaming replaces whatever is at `path` itself, so a symbolic
/// link there is replaced rather than written through (writing to the
/// path would change its target, a team's script in the working tree),
/// and git never runs a half-written hook.
fn replace_with_executable(path: &Path, contents: &str) -> io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".katscan-{}.tmp", process::id()));
    let temporary = PathBuf::from(temporary);
    let written =
        write_new_executable(&temporary, contents).and_then(|()| fs::rename(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

fn write_new_executable(path: &Path, contents: &str) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o755);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    #[cfg(unix)]
    {
        // The mode given at creation is reduced by the umask.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o755))?;
    }
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_carries_the_marker_and_runs_staged() {
        let hook = hook_text(PRE_COMMIT);
        assert!(hook.starts_with("#!/bin/sh\n"));
        assert!(HOOK_HEAD.ends_with(&format!("{MARKER}\n")));
        assert!(hook.trim_end().ends_with("exec katscan staged"));
    }

    #[test]
    fn only_the_exact_text_katscan_wrote_is_its_unedited_hook() {
        assert_eq!(classify(hook_text(PRE_PUSH).as_bytes()), Existing::Katscan);
        let hook = hook_text(PRE_COMMIT);
        assert_eq!(classify(hook.as_bytes()), Existing::Katscan);
        assert_eq!(
            classify(HOOKS_WITHOUT_CHECKSUM[0].as_bytes()),
            Existing::Katscan
        );
        let edited = hook.replace("exec katscan staged", "exec katscan staged --fail-on error");
        assert_eq!(classify(edited.as_bytes()), Existing::EditedKatscan);
        let appended = format!("{hook}echo done\n");
        assert_eq!(classify(appended.as_bytes()), Existing::EditedKatscan);
        let old_edited = HOOKS_WITHOUT_CHECKSUM[0].replace("staged", "staged -v");
        assert_eq!(classify(old_edited.as_bytes()), Existing::EditedKatscan);
        assert_eq!(classify(b"#!/bin/sh\nmake lint\n"), Existing::Foreign);
        assert_eq!(classify(b"\xff\xfe"), Existing::Foreign);
    }
}
