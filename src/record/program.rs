//! What can be recorded: a program that exists, is executable, is
//! dynamically linked (so the preload can replace its allocator) and is not
//! setuid (the loader ignores a preload there). Each refusal says which.

use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use object::read::elf::ProgramHeader;

/// Why a program cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unrecordable {
    NotFound(String),
    NotExecutable(PathBuf),
    SetId(PathBuf),
    Static(PathBuf),
}

impl std::fmt::Display for Unrecordable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unrecordable::NotFound(name) => write!(f, "no program '{name}': not a file, and not found on PATH"),
            Unrecordable::NotExecutable(path) => write!(f, "{} is not executable", path.display()),
            Unrecordable::SetId(path) => write!(
                f,
                "{} is setuid or setgid: the loader ignores preloaded libraries for it, so it cannot be recorded",
                path.display()
            ),
            Unrecordable::Static(path) => write!(
                f,
                "{} is statically linked: its allocator cannot be replaced from outside, so it cannot be recorded \
                 (build it with dynamic linking, e.g. without -static or for the gnu target instead of musl)",
                path.display()
            ),
        }
    }
}

/// The program's file, checked; `name` as a path or looked up on PATH.
pub fn recordable(name: &str) -> Result<PathBuf, Unrecordable> {
    let path = locate(name).ok_or_else(|| Unrecordable::NotFound(name.to_owned()))?;
    let about = std::fs::metadata(&path).map_err(|_| Unrecordable::NotFound(name.to_owned()))?;
    let mode = about.permissions().mode();
    if !about.is_file() || mode & 0o111 == 0 {
        return Err(Unrecordable::NotExecutable(path));
    }
    if mode & 0o6000 != 0 {
        return Err(Unrecordable::SetId(path));
    }
    if is_static_elf(&path) {
        return Err(Unrecordable::Static(path));
    }
    Ok(path)
}

fn locate(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name)).filter(|p| p.exists());
    }
    let search = std::env::var_os("PATH")?;
    std::env::split_paths(&search).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// An ELF file with no program interpreter. Scripts (`#!`) and other files
/// are left to the kernel: their interpreter is what runs.
fn is_static_elf(path: &Path) -> bool {
    let mut start = [0u8; 4];
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    if file.read_exact(&mut start).is_err() || start != *b"\x7fELF" {
        return false;
    }
    let Ok(bytes) = std::fs::read(path) else { return false };
    // A dynamically linked program names its loader in a PT_INTERP segment;
    // one without (static, or static-pie) runs no loader to preload for it.
    match object::File::parse(&*bytes) {
        Ok(object::File::Elf64(elf)) => !has_interpreter(elf.elf_program_headers(), elf.endian()),
        Ok(object::File::Elf32(elf)) => !has_interpreter(elf.elf_program_headers(), elf.endian()),
        _ => false,
    }
}

fn has_interpreter<H: ProgramHeader>(headers: &[H], endian: H::Endian) -> bool {
    headers.iter().any(|header| header.p_type(endian) == object::elf::PT_INTERP)
}
