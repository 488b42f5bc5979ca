//! The library a recorded program preloads, built into ffiscope and written
//! out on first use, so recording needs nothing installed beside the binary.

use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// `csrc/record/interpose.c` with the tracker, as build.rs linked it.
const LIBRARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/libffiscope_record.so"));

/// Where the library is on disk, writing it there first if this build's
/// copy is not already. The file's name carries a hash of its bytes, so
/// builds never overwrite one another's library under a running program.
pub fn library_path() -> io::Result<PathBuf> {
    let folder = private_folder()?;
    let path = folder.join(format!("libffiscope_record-{:016x}.so", fnv1a(LIBRARY)));
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == LIBRARY.len() as u64) {
        return Ok(path);
    }
    // Written beside it and renamed into place, so no program ever loads a half-written file.
    let partial = folder.join(format!(".partial-{}", std::process::id()));
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(LIBRARY)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o700))?;
    drop(file);
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

/// A folder only this user can write: `$XDG_RUNTIME_DIR/ffiscope`, or one in
/// the temporary folder named for the user and checked to be theirs.
fn private_folder() -> io::Result<PathBuf> {
    let folder = match std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| Path::new(dir).is_absolute()) {
        Some(runtime) => PathBuf::from(runtime).join("ffiscope"),
        None => std::env::temp_dir().join(format!("ffiscope-{}", my_uid()?)),
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&folder) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(error),
    }
    let about = std::fs::symlink_metadata(&folder)?;
    if !about.is_dir() || about.uid() != my_uid()? || about.mode() & 0o022 != 0 {
        return Err(io::Error::other(format!(
            "{} is not a private folder of this user: ffiscope will not load its library from it",
            folder.display()
        )));
    }
    Ok(folder)
}

/// This process's user, without a system call of our own: `/proc/self` is owned by it.
fn my_uid() -> io::Result<u32> {
    Ok(std::fs::metadata("/proc/self")?.uid())
}

/// FNV-1a: enough to tell two builds' libraries apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}
