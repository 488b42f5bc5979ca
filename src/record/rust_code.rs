//! Whether a module file holds Rust code. A process none of whose modules
//! does has the one heap, C's, whatever its stripped code leaves unnamed;
//! where one does, a call site nothing names may be either.

use std::cell::RefCell;
use std::fs::File;
use std::os::unix::fs::FileExt as _;

use memchr::memmem::Finder;
use rustc_hash::FxHashMap;

use super::symbols::{FileIdentity, is_rust_mangled};

/// What rustc's standard library leaves where its code can panic (the
/// file of each panic's location; `src/libcore/` before Rust 1.47 moved
/// it), and the note rustc writes into `.comment`.
const MARKS: &[&[u8]] =
    &[b"library/core/src/", b"library/std/src/", b"library/alloc/src/", b"src/libcore/", b"rustc version "];

/// How much of a section is read at once: a C program's sections are read
/// through, never held (node's read-only data is 47 MB).
const CHUNK: usize = 1 << 20;

/// Past this, a name is no symbol's, and what is left of it is not carried
/// into the next chunk.
const LONGEST_NAME: usize = 4096;

thread_local! {
    // A flag for each module file, kept for the thread's recordings.
    static HOLDS_RUST: RefCell<FxHashMap<FileIdentity, bool>> = RefCell::default();
}

/// Whether a module is the code the kernel maps into every process (the
/// vDSO, `clock_gettime`'s fast path), which has no file to read and
/// allocates nothing.
pub fn is_the_kernels(path: &str) -> bool {
    path.starts_with("linux-vdso") || path.starts_with("linux-gate")
}

/// Whether the module file at `path` holds Rust code, or may: one that
/// cannot be read or parsed may. Rust code is known by its symbols' mangling
/// or, in a stripped file, by what the compiler leaves in its data: the
/// `.comment` rustc writes (`rustc version 1.95.0`), and the paths of the
/// standard library's panic locations (`library/core/src/…`), which any
/// code that allocates carries. Debian's packages lose the first two
/// (`dh_strip`), not the third: `librsvg-2.so.2`, `librav1e.so.0` and
/// Python's `_pydantic_core` and `cryptography` are all known by it.
pub fn holds_rust(path: &str) -> bool {
    let look = |path: &str| File::open(path).map_or(true, |file| file_holds_rust(&file));
    let Some(identity) = FileIdentity::of(path) else { return look(path) };
    if let Some(known) = HOLDS_RUST.with_borrow(|known| known.get(&identity).copied()) {
        return known;
    }
    let holds = look(path);
    HOLDS_RUST.with_borrow_mut(|known| known.insert(identity, holds));
    holds
}

/// Whether an object file holds Rust code: its read-only data and
/// `.comment` hold a mark, or its string tables a name Rust mangled.
pub fn file_holds_rust(file: &File) -> bool {
    use object::{Object as _, ObjectSection as _, SectionKind};
    // Headers and section names are read through a cache; the sections
    // themselves a chunk at a time.
    let cache = object::ReadCache::new(file);
    let Ok(object) = object::File::parse(&cache) else { return true };
    let mut with_data = Vec::new();
    let mut with_names = Vec::new();
    for section in object.sections() {
        let Some(range) = section.file_range() else { continue };
        match section.name() {
            Ok(".dynstr" | ".strtab") => with_names.push(range),
            Ok(".comment") => with_data.push(range),
            _ if matches!(section.kind(), SectionKind::ReadOnlyData | SectionKind::ReadOnlyString) => {
                with_data.push(range);
            }
            _ => {}
        }
    }
    let finders: Vec<Finder<'_>> = MARKS.iter().map(Finder::new).collect();
    let longest_mark = MARKS.iter().map(|mark| mark.len()).max().unwrap_or(1);
    let marked = |bytes: &[u8]| finders.iter().any(|finder| finder.find(bytes).is_some());
    let mangled = |names: &[u8]| {
        let whole = &names[..names.len() - name_left_open(names)];
        whole.split(|&byte| byte == 0).any(|name| std::str::from_utf8(name).is_ok_and(is_rust_mangled))
    };
    // A section that could not be read through may hold anything.
    with_data.iter().any(|&range| any_chunk(file, range, |_| longest_mark - 1, marked).unwrap_or(true))
        || with_names.iter().any(|&range| any_chunk(file, range, name_left_open, mangled).unwrap_or(true))
}

/// The bytes at the end of a chunk of a string table after its last name:
/// the start of one the next chunk ends.
fn name_left_open(names: &[u8]) -> usize {
    let open = names.iter().rev().position(|&byte| byte == 0).unwrap_or(names.len());
    if open > LONGEST_NAME { 0 } else { open }
}

/// Whether `found` holds for any chunk of the file's `(offset, size)`
/// range, each chunk read after the `carried(chunk)` last bytes of the one
/// before, so that what one chunk cuts the next sees whole; `None` where
/// the file could not be read so far (it ends before the range does).
fn any_chunk(
    file: &File,
    (offset, size): (u64, u64),
    carried: impl Fn(&[u8]) -> usize,
    mut found: impl FnMut(&[u8]) -> bool,
) -> Option<bool> {
    let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK + LONGEST_NAME);
    let mut at = offset;
    let end = offset.saturating_add(size);
    while at < end {
        let kept = buffer.len();
        let want = usize::try_from(end - at).unwrap_or(CHUNK).min(CHUNK);
        buffer.resize(kept + want, 0);
        let read = file.read_at(&mut buffer[kept..], at).ok().filter(|&read| read > 0)?;
        buffer.truncate(kept + read);
        at += read as u64;
        if found(&buffer) {
            return Some(true);
        }
        let carry = carried(&buffer).min(buffer.len());
        buffer.drain(..buffer.len() - carry);
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::{any_chunk, file_holds_rust, holds_rust, is_the_kernels};

    /// The recorder's own library, C built by build.rs, holds no Rust code;
    /// this test binary does, and a copy of it stripped of its symbols and
    /// its `.comment` still does, by its panic locations.
    #[test]
    fn rust_code_is_known_in_a_module_with_or_without_symbols() {
        let recorder = crate::record::preload::library_path().expect("the recorder's library is written");
        assert!(!holds_rust(recorder.to_str().unwrap()));
        let this = std::env::current_exe().expect("the test binary");
        assert!(holds_rust(this.to_str().unwrap()));
        let stripped = std::env::temp_dir().join(format!("ffiscope-stripped-{}", std::process::id()));
        let status = std::process::Command::new("objcopy")
            .args(["--strip-all", "--remove-section=.comment"])
            .arg(&this)
            .arg(&stripped)
            .status()
            .expect("objcopy runs");
        assert!(status.success());
        assert!(file_holds_rust(&std::fs::File::open(&stripped).expect("the stripped copy")));
        std::fs::remove_file(&stripped).expect("removed");
        // What cannot be read may hold anything; the vDSO is no file.
        assert!(holds_rust("/nonexistent/libmaybe.so"));
        assert!(is_the_kernels("linux-vdso.so.1") && !is_the_kernels("libc.so.6"));
    }

    /// A mark cut in two by the chunks' edge is still found, and a range
    /// past the file's end is told from one read through.
    #[test]
    fn a_mark_across_two_chunks_is_found() {
        let path = std::env::temp_dir().join(format!("ffiscope-chunks-{}", std::process::id()));
        let mut bytes = vec![b'.'; super::CHUNK + 100];
        let mark = b"library/core/src/";
        bytes[super::CHUNK - 5..super::CHUNK - 5 + mark.len()].copy_from_slice(mark);
        std::fs::write(&path, &bytes).expect("written");
        let file = std::fs::File::open(&path).expect("opened");
        let finder = memchr::memmem::Finder::new(mark);
        let mut chunks = 0;
        let size = bytes.len() as u64;
        let found = any_chunk(
            &file,
            (0, size),
            |_| mark.len() - 1,
            |chunk| {
                chunks += 1;
                finder.find(chunk).is_some()
            },
        );
        assert!(found == Some(true) && chunks == 2);
        assert_eq!(any_chunk(&file, (0, size), |_| 0, |chunk| finder.find(chunk).is_some()), Some(false));
        // A range past the file's end was not read: it may hold anything.
        assert_eq!(any_chunk(&file, (size + 10, 1 << 40), |_| 0, |_| true), None);
        std::fs::remove_file(&path).expect("removed");
    }
}
