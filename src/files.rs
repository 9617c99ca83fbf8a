//! Files landtrace writes for the user (`.save` scripts, the REPL
//! history): never through a symbolic link an attacker may have planted,
//! never with wider permissions than they need.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Refuses a path that is a symbolic link (it is not followed).
pub fn not_a_link(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(io::Error::other(format!(
            "{} is a symbolic link: landtrace does not write through links",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// A new file next to `path`, created exclusively (never an existing file
/// or link) with `mode`; the caller renames it over `path` when written.
pub fn create_beside(path: &Path, mode: u32) -> io::Result<(PathBuf, std::fs::File)> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)?;
    Ok((tmp, file))
}

/// Writes `bytes` to `path` as a new file with `mode`, replacing what is
/// there only once it is complete; a link at `path` is refused.
pub fn write_replacing(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    not_a_link(path)?;
    let (tmp, mut file) = create_beside(path, mode)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}
