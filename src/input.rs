//! Small files katscan parses (config, baseline, ignore files) are input
//! too, often from the repository being scanned, so they are read through
//! one gate: a regular file only (a FIFO would block, `/dev/zero` never
//! ends), never more than a cap (enforced on the bytes actually read, so a
//! file that lies about its size, as procfs files do, cannot exhaust
//! memory), and, for files found in a repository rather than named by the
//! user, no symbolic link leading out of it (`.katscan.toml ->
//! /proc/self/environ` would put the environment, CI secrets included,
//! into a parse error).

use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::paths::work_tree_top;

/// Cap on a config file. A hand-written `.katscan.toml` is a few KB; a
/// generated one with 10,000 custom rules (about 450 bytes each) is about
/// 4.5 MB. Parsing costs about eight times the file's size in memory (a
/// 15 MB config of 436,907 `[allow]` fingerprints peaked at 115 MB), so
/// 16 MiB bounds it to roughly 150 MB.
pub const CONFIG_CAP: u64 = 16 * 1024 * 1024;

/// Cap on a baseline. An entry is about 110 bytes, so 32 MiB holds some
/// 300,000 accepted findings (a baseline accepts findings "for now"; real
/// ones hold tens to thousands). Loading costs about 24 times the file's
/// size in memory (a 16 MB baseline of 151,147 entries peaked at 385 MB),
/// so the cap bounds it to about 800 MB.
pub const BASELINE_CAP: u64 = 32 * 1024 * 1024;

/// Cap on one ignore file (`.gitignore`, `.ignore`, `.katscanignore`). Real
/// ones are a few KB; 1 MiB is tens of thousands of patterns. A larger one
/// is not read, which means scanning more, never less.
pub const IGNORE_FILE_CAP: u64 = 1024 * 1024;

/// Why an input file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{source}")]
    Io {
        #[source]
        source: io::Error,
    },
    #[error("not a regular file ({kind}); katscan reads only regular files here")]
    NotARegularFile { kind: &'static str },
    #[error("larger than {} (the limit for this file)", human_size(*cap))]
    TooLarge { cap: u64 },
    #[error("a symbolic link leading outside {} (to {})", boundary.display(), target.display())]
    LinkOutside { target: PathBuf, boundary: PathBuf },
}

impl InputError {
    /// The file does not exist (or a link's target does not).
    pub fn is_not_found(&self) -> bool {
        matches!(self, InputError::Io { source } if source.kind() == io::ErrorKind::NotFound)
    }
}

impl From<io::Error> for InputError {
    fn from(source: io::Error) -> Self {
        InputError::Io { source }
    }
}

/// Reads a file the user named (or one already checked with
/// [`check_repository_file`]): a regular file of at most `cap` bytes.
/// Symbolic links are followed.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, InputError> {
    // Checked before opening: opening a FIFO for reading blocks until a
    // writer appears. Checked again on the handle, for what was opened.
    regular(&fs::metadata(path)?, cap)?;
    let file = File::open(path)?;
    let metadata = file.metadata()?;
    regular(&metadata, cap)?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(InputError::TooLarge { cap });
    }
    Ok(bytes)
}

/// [`read_capped`] as UTF-8 text.
pub fn read_capped_text(path: &Path, cap: u64) -> Result<String, InputError> {
    let bytes = read_capped(path, cap)?;
    String::from_utf8(bytes).map_err(|_| InputError::Io {
        source: io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"),
    })
}

/// Whether a file found in a repository (not named by the user) may be
/// read: `Ok(false)` when it does not exist (nor a link's target), `Ok(true)`
/// when it is a regular file within `cap`, or a symbolic link to one inside
/// `boundary` (the repository's top level, or the scan root outside a
/// repository, see [`boundary_of`]; asked for only when the file is a
/// link). A file in a directory outside the boundary (above the
/// repository) may link within its own directory only. Costs one `lstat`
/// for a plain file.
pub fn check_repository_file(
    path: &Path,
    boundary: impl FnOnce() -> Option<PathBuf>,
    cap: u64,
) -> Result<bool, InputError> {
    let link = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(error.into()),
    };
    if !link.file_type().is_symlink() {
        regular(&link, cap)?;
        return Ok(true);
    }
    let target = match fs::canonicalize(path) {
        Ok(target) => target,
        // A broken link reads as nothing, as a missing file.
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(error.into()),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = fs::canonicalize(dir)?;
    let confined_to = match boundary() {
        Some(boundary) if dir.starts_with(&boundary) => boundary,
        _ => dir,
    };
    if !target.starts_with(&confined_to) {
        return Err(InputError::LinkOutside {
            target,
            boundary: confined_to,
        });
    }
    regular(&fs::metadata(&target)?, cap)?;
    Ok(true)
}

/// The directory a repository file's symbolic links must stay in: the git
/// work tree's top level around `start` (a directory holding `.git`), else
/// the scan root holding it (`scan_roots`: absolute, links resolved), else
/// `start` itself (its directory, for a file); absolute, links resolved.
/// `None` when `start` cannot be resolved.
pub fn boundary_of(start: &Path, scan_roots: &[PathBuf]) -> Option<PathBuf> {
    let start = fs::canonicalize(start).ok()?;
    let start = if start.is_dir() {
        start
    } else {
        start.parent()?.to_path_buf()
    };
    let top = work_tree_top(&start)
        .or_else(|| {
            scan_roots
                .iter()
                .map(PathBuf::as_path)
                .find(|root| start.starts_with(root))
        })
        .map(Path::to_path_buf);
    Some(top.unwrap_or(start))
}

fn regular(metadata: &Metadata, cap: u64) -> Result<(), InputError> {
    if !metadata.is_file() {
        return Err(InputError::NotARegularFile {
            kind: kind_of(metadata),
        });
    }
    if metadata.len() > cap {
        return Err(InputError::TooLarge { cap });
    }
    Ok(())
}

fn kind_of(metadata: &Metadata) -> &'static str {
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn devices_fifos_and_oversized_files_are_refused_without_reading() {
        assert!(matches!(
            read_capped(Path::new("/dev/zero"), 1024),
            Err(InputError::NotARegularFile {
                kind: "a character device"
            })
        ));
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        // Would block forever if opened.
        assert!(matches!(
            read_capped(&fifo, 1024),
            Err(InputError::NotARegularFile { kind: "a FIFO" })
        ));
        let big = dir.path().join("big");
        fs::write(&big, vec![b'a'; 2048]).unwrap();
        assert!(matches!(
            read_capped(&big, 1024),
            Err(InputError::TooLarge { cap: 1024 })
        ));
        assert_eq!(read_capped(&big, 2048).unwrap().len(), 2048);
    }

    #[test]
    fn procfs_files_are_capped_on_what_is_read() {
        // Declared size 0, content longer than the cap.
        let path = Path::new("/proc/self/maps");
        if path.exists() {
            assert!(matches!(
                read_capped(path, 16),
                Err(InputError::TooLarge { cap: 16 })
            ));
        }
    }

    #[test]
    fn repository_files_may_link_only_inside_the_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let top = fs::canonicalize(dir.path()).unwrap().join("repo");
        fs::create_dir_all(top.join("sub")).unwrap();
        fs::write(top.join("team-ignore"), "*.log\n").unwrap();
        fs::write(dir.path().join("outside"), "*.log\n").unwrap();
        symlink("../team-ignore", top.join("sub/.ignore")).unwrap();
        symlink("/proc/self/environ", top.join(".gitignore")).unwrap();
        symlink("../outside", top.join(".katscanignore")).unwrap();
        symlink("/dev/zero", top.join("sub/.gitignore")).unwrap();
        symlink("missing", top.join("sub/.katscanignore")).unwrap();

        let check =
            |relative: &str| check_repository_file(&top.join(relative), || Some(top.clone()), 1024);
        assert!(check("sub/.ignore").unwrap());
        assert!(
            !check("sub/.katscanignore").unwrap(),
            "broken: nothing to read"
        );
        assert!(!check("absent").unwrap());
        assert!(matches!(
            check(".gitignore"),
            Err(InputError::LinkOutside { .. })
        ));
        assert!(matches!(
            check(".katscanignore"),
            Err(InputError::LinkOutside { .. })
        ));
        assert!(matches!(
            check("sub/.gitignore"),
            Err(InputError::LinkOutside { .. })
        ));
        // With the boundary at `/`, /dev/zero is inside but not a file.
        assert!(matches!(
            check_repository_file(&top.join("sub/.gitignore"), || Some("/".into()), 1024),
            Err(InputError::NotARegularFile { .. })
        ));
    }
}
