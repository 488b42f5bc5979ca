//! Return addresses from a recorded program, turned into sites: the
//! function, file and line of each call, from the compilers' DWARF (or the
//! symbol table where there is none), and which heap its blocks belong to.
//! Each address is resolved once.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::thread::LocalKey;

use addr2line::Loader;
use rustc_hash::{FxHashMap, FxHashSet};

use super::rust_code::{holds_rust, is_the_kernels};
use crate::ffi::Site;
use crate::ffi::record_channel::{CALLEE_UNKNOWN_TAG, LoadedModule, TAIL_CALLED_TAG};
use crate::report::OwnAllocator;

/// Whose allocator a call site went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heap {
    /// The Rust global allocator's path (`__rdl_alloc`, `std::sys::alloc`…).
    Rust,
    /// The C library's allocator called directly, from C or from Rust (`libc::malloc`).
    C,
    /// Nothing names the caller (no debug information, no symbol): either.
    Uncertain,
}

/// A resolved return address.
#[derive(Debug, Clone, Copy)]
pub struct Symbol {
    pub site: Site,
    pub heap: Heap,
    /// The C library's or the loader's own code: what it keeps at exit is not the program's leak.
    pub in_c_runtime: bool,
}

/// Functions on the Rust global allocator's path, innermost frame first in a match.
const RUST_ALLOCATOR_PATH: &[&str] = &[
    "__rdl_alloc",
    "__rdl_alloc_zeroed",
    "__rdl_realloc",
    "__rdl_dealloc",
    "__rust_alloc",
    "__rust_alloc_zeroed",
    "__rust_realloc",
    "__rust_dealloc",
    "std::sys::alloc::",
    "std::sys::pal::unix::alloc::",
    "<std::alloc::System as core::alloc::global::GlobalAlloc>",
    "alloc::alloc::",
];

/// The C library's allocator entry points, as a call names them.
const C_ALLOCATOR: &[&str] = &[
    "malloc",
    "calloc",
    "realloc",
    "reallocarray",
    "free",
    "cfree",
    "posix_memalign",
    "aligned_alloc",
    "memalign",
    "valloc",
    "pvalloc",
];

/// How a call site reached the allocator.
enum Reached {
    Directly,
    ByTailCallFrom(Heap),
}

fn on_rust_path(name: &str) -> bool {
    // The shims may carry a path (`__rustc::__rust_dealloc` in v0 mangling).
    let name = name.strip_prefix("__rustc::").unwrap_or(name);
    RUST_ALLOCATOR_PATH.iter().any(|p| name.starts_with(p))
}

/// Whether a symbol is mangled as Rust mangles: v0 (`_R…`), or legacy,
/// whose last segment is its hash (`…17h0123456789abcdefE`).
pub(super) fn is_rust_mangled(symbol: &str) -> bool {
    let legacy_hash = |body: &[u8]| {
        body.len() > 19
            && body[body.len() - 19..].starts_with(b"17h")
            && body[body.len() - 16..].iter().all(u8::is_ascii_hexdigit)
    };
    // v0: `_R`, an optional version, then a path, which opens with one of
    // its tags (`_RNvCs…_5hello4main`); a C name may begin `_R` too.
    let v0 = symbol.strip_prefix("_R").is_some_and(|rest| {
        rest.trim_start_matches(|c: char| c.is_ascii_digit()).starts_with(['C', 'M', 'X', 'Y', 'N', 'I', 'B'])
            && rest.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'$' | b'.'))
    });
    v0 || (symbol.starts_with("_ZN") && symbol.strip_suffix('E').is_some_and(|b| legacy_hash(b.as_bytes())))
}

/// Whether a source file is the Rust standard library's, as its prebuilt
/// copy names them: `/rustc/<commit>/library/std/src/backtrace.rs`.
fn is_rust_library_file(path: &str) -> bool {
    path.strip_prefix("/rustc/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, rest)| rest.starts_with("library/"))
}

/// Whether a source file is a C++ standard library's header, whose
/// templates are compiled into the program: libstdc++'s
/// (`/usr/include/c++/12/bits/vector.tcc`) or libc++'s (`…/c++/v1/vector`).
fn is_cxx_library_file(path: &str) -> bool {
    path.contains("/include/c++/") || path.contains("/c++/v1/")
}

fn is_c(language: gimli::DwLang) -> bool {
    [gimli::DW_LANG_C, gimli::DW_LANG_C89, gimli::DW_LANG_C99, gimli::DW_LANG_C11, gimli::DW_LANG_C17]
        .contains(&language)
}

/// Module file names of the C runtime, and the recorder's own library,
/// whose wrappers (`pthread_create`) stand between the program and the C
/// library: neither is ever the program's own frame.
const C_RUNTIME: &[&str] = &["libc.so", "ld-linux", "libc-", "libpthread", "libdl", "libgcc_s", "libffiscope_record"];

/// Libraries that only make a call another asked for: libffi, under
/// Python's ctypes and cffi, Ruby's fiddle, `GLib`'s closures. Their frames
/// are never the caller a block is named by (`libffi.so.8+0x6f79` for a
/// `strdup` ctypes called): the one that asked them is.
const CALL_MAKERS: &[&str] = &["libffi.so"];

/// Allocators a program links in under names of their own, each known by
/// functions it defines: the blocks they make never reach `malloc`
/// (mimalloc and jemalloc as Rust's `#[global_allocator]` call
/// `mi_malloc_aligned` and `_rjem_mallocx`).
const ALLOCATOR_LIBRARIES: &[(&str, &[&str])] = &[
    ("mimalloc", &["mi_malloc", "mi_malloc_aligned", "mi_zalloc_aligned", "mi_realloc_aligned", "mi_free"]),
    ("jemalloc", &["_rjem_malloc", "_rjem_mallocx", "_rjem_sdallocx", "je_malloc", "je_mallocx", "je_sdallocx"]),
    ("tcmalloc", &["tc_malloc", "tc_new", "tc_free"]),
    ("snmalloc", &["sn_rust_alloc", "sn_malloc"]),
    ("rpmalloc", &["rpmalloc", "rpaligned_alloc", "rpfree"]),
];

/// A module file's code, to read the call instruction before a return address.
struct ModuleCode {
    bytes: Vec<u8>,
    /// (address, size, file offset) of each section with code.
    sections: Vec<(u64, u64, u64)>,
    /// What the loader puts in each GOT slot an indirect call reads: an
    /// address in this file (a relative relocation) or a symbol's name.
    slots: FxHashMap<u64, CallTarget>,
    /// (address, size) of the PLT sections, whose stubs jump through a slot.
    stubs: Vec<(u64, u64)>,
    /// (address, size) of every function symbol with a size, by address:
    /// an address in none of them has no name of its own in this file.
    functions: Vec<(u64, u64)>,
    /// An allocator linked in under names of its own (`ALLOCATOR_LIBRARIES`):
    /// its name, and the functions of it the file defines.
    allocator: Option<(&'static str, Vec<&'static str>)>,
    /// The file defines Python's object allocator (`PyObject_Malloc`).
    python_objects: bool,
    /// The file has line information (`.debug_line`): built with `-g`.
    lines: bool,
    /// (start, size) of each function its unwinding table (`.eh_frame`)
    /// describes, by start: read when first asked.
    unwound_functions: std::cell::OnceCell<Vec<(u64, u64)>>,
}

/// A module's code, read on first use (`None`: it could not be read).
fn module_code<'a>(code: &'a mut FxHashMap<String, Option<Rc<ModuleCode>>>, path: &str) -> Option<&'a ModuleCode> {
    code.entry(path.to_owned()).or_insert_with(|| shared(&MODULES_READ, path, ModuleCode::read)).as_deref()
}

/// A module file as it is on disk now: a file rebuilt at the same path is another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct FileIdentity {
    path: String,
    device: u64,
    inode: u64,
    modified: Option<std::time::SystemTime>,
    length: u64,
}

impl FileIdentity {
    pub(super) fn of(path: &str) -> Option<FileIdentity> {
        use std::os::unix::fs::MetadataExt as _;
        let about = std::fs::metadata(path).ok()?;
        Some(FileIdentity {
            path: path.to_owned(),
            device: about.dev(),
            inode: about.ino(),
            modified: about.modified().ok(),
            length: about.len(),
        })
    }
}

/// What is read of each module file on a thread, while a symbolizer holds it.
type ReadOnce<T> = RefCell<FxHashMap<FileIdentity, Weak<T>>>;

thread_local! {
    // The processes of one recording (`--follow-children`) load the same
    // libraries, read on its one thread: rust-lld's libLLVM is 200 MB read
    // whole, and its symbols are parsed for each loader.
    static MODULES_READ: ReadOnce<ModuleCode> = RefCell::default();
    static LOADERS: ReadOnce<Loader> = RefCell::default();
}

/// What `read` makes of the module file at `path`, read once for every
/// symbolizer on this thread that holds it.
fn shared<T>(cache: &'static LocalKey<ReadOnce<T>>, path: &str, read: impl FnOnce(&str) -> Option<T>) -> Option<Rc<T>> {
    let Some(identity) = FileIdentity::of(path) else { return read(path).map(Rc::new) };
    if let Some(known) = cache.with_borrow(|read| read.get(&identity).and_then(Weak::upgrade)) {
        return Some(known);
    }
    let made = Rc::new(read(path)?);
    cache.with_borrow_mut(|read| {
        read.retain(|_, held| held.strong_count() > 0);
        read.insert(identity, Rc::downgrade(&made));
    });
    Some(made)
}

/// A module's symbols and debug information, shared as `shared` shares.
fn shared_loader(path: &str) -> Option<Rc<Loader>> {
    shared(&LOADERS, path, |path| Loader::new(path).ok())
}

/// The symbol that names file address `at` of `path` without debug
/// information: the nearest one before it, if it reaches that far. A static
/// function's nearest symbol is another function's (`libsqlite3`'s free hook
/// lies after `sqlite3ApiExit`'s 18 bytes), and names nothing here.
fn symbol_reaching<'l>(
    loader: &'l Loader,
    code: &mut FxHashMap<String, Option<Rc<ModuleCode>>>,
    path: &str,
    at: u64,
) -> Option<&'l str> {
    let name = loader.find_symbol(at)?;
    module_code(code, path).is_none_or(|code| code.in_a_sized_function(at)).then_some(name)
}

/// Where a call instruction goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CallTarget {
    Address(u64),
    Symbol(String),
}

impl ModuleCode {
    fn read(path: &str) -> Option<ModuleCode> {
        use object::{
            Object as _, ObjectSection as _, ObjectSymbol as _, ObjectSymbolTable as _, RelocationTarget, SectionKind,
        };
        let bytes = std::fs::read(path).ok()?;
        let file = object::File::parse(&*bytes).ok()?;
        let sections = file
            .sections()
            .filter(|section| section.kind() == SectionKind::Text)
            .filter_map(|section| Some((section.address(), section.size(), section.file_range()?.0)))
            .collect();
        let stubs = file
            .sections()
            .filter(|section| matches!(section.name(), Ok(".plt" | ".plt.sec")))
            .map(|section| (section.address(), section.size()))
            .collect();
        let dynamic = file.dynamic_symbol_table();
        let mut slots = FxHashMap::default();
        for (slot, relocation) in file.dynamic_relocations().into_iter().flatten() {
            let target = match relocation.target() {
                RelocationTarget::Absolute => CallTarget::Address(relocation.addend() as u64),
                // Dynamic relocations index the dynamic symbol table.
                RelocationTarget::Symbol(index) => match dynamic.as_ref().and_then(|t| t.symbol_by_index(index).ok()) {
                    Some(symbol) if symbol.is_definition() => CallTarget::Address(symbol.address()),
                    Some(symbol) => CallTarget::Symbol(symbol.name().unwrap_or_default().to_owned()),
                    None => continue,
                },
                _ => continue,
            };
            slots.insert(slot, target);
        }
        let mut functions: Vec<(u64, u64)> = Vec::new();
        let mut allocator_functions: FxHashSet<&str> = FxHashSet::default();
        let mut python_objects = false;
        for symbol in file.symbols().chain(file.dynamic_symbols()) {
            if symbol.kind() != object::SymbolKind::Text {
                continue;
            }
            if symbol.size() > 0 {
                functions.push((symbol.address(), symbol.size()));
            }
            if let Ok(name) = symbol.name()
                && symbol.is_definition()
            {
                if ALLOCATOR_LIBRARIES.iter().any(|(_, named)| named.contains(&name)) {
                    allocator_functions.insert(name);
                }
                python_objects |= name == "PyObject_Malloc";
            }
        }
        functions.sort_unstable();
        functions.dedup();
        let allocator = ALLOCATOR_LIBRARIES.iter().find_map(|&(library, functions)| {
            let defined: Vec<&'static str> =
                functions.iter().copied().filter(|f| allocator_functions.contains(f)).collect();
            (!defined.is_empty()).then_some((library, defined))
        });
        let lines = file.section_by_name(".debug_line").or_else(|| file.section_by_name(".zdebug_line")).is_some();
        Some(ModuleCode {
            bytes,
            sections,
            slots,
            stubs,
            functions,
            allocator,
            python_objects,
            lines,
            unwound_functions: std::cell::OnceCell::new(),
        })
    }

    /// The start of the function `address` is in, as the file's unwinding
    /// table has it: kept by stripped files, which name no function.
    fn function_start(&self, address: u64) -> Option<u64> {
        let functions = self.unwound_functions.get_or_init(|| unwound_functions(&self.bytes));
        let after = functions.partition_point(|&(start, _)| start <= address);
        let (start, size) = *functions.get(after.checked_sub(1)?)?;
        (address - start < size).then_some(start)
    }

    /// Whether `address` lies inside a function the file's symbols size.
    fn in_a_sized_function(&self, address: u64) -> bool {
        let after = self.functions.partition_point(|&(start, _)| start <= address);
        // Sized functions may nest (aliases): any one that starts before
        // and reaches past the address will do; look back a few.
        self.functions[..after].iter().rev().take(8).any(|&(start, size)| address < start + size)
    }

    /// The `len` bytes of code ending at file address `end`.
    fn code_before(&self, end: u64, len: u64) -> Option<&[u8]> {
        let start = end.checked_sub(len)?;
        let &(address, size, offset) = self.sections.iter().find(|&&(a, s, _)| (a..a + s).contains(&start))?;
        if end > address + size {
            return None;
        }
        let at = usize::try_from(offset + (start - address)).ok()?;
        self.bytes.get(at..at + len as usize)
    }

    /// A PLT stub's target: the stub jumps through a slot (`jmp *slot(%rip)`,
    /// FF 25, within its first 16 bytes).
    fn through_stub(&self, stub: u64) -> Option<CallTarget> {
        if !self.stubs.iter().any(|&(a, s)| (a..a + s).contains(&stub)) {
            return None;
        }
        let code = self.code_before(stub + 16, 16)?;
        let at = code.windows(2).position(|pair| pair == [0xFF, 0x25])?;
        let disp = code.get(at + 2..at + 6)?;
        let end = stub + at as u64 + 6;
        self.slots.get(&end.wrapping_add_signed(i64::from(i32::from_le_bytes(disp.try_into().ok()?)))).cloned()
    }

    /// The function the file's symbols size that starts at file address
    /// `entry`: its start and size.
    fn function_at(&self, entry: u64) -> Option<(u64, u64)> {
        let at = self.functions.partition_point(|&(start, _)| start < entry);
        self.functions.get(at).copied().filter(|&(start, _)| start == entry)
    }

    /// The tail jumps out of the function that starts at file address
    /// `entry`: where each jump instruction ends, and where it goes. Read as
    /// bytes, not decoded: a `jmp rel32` (E9) counts only when it lands on
    /// a function's start or a PLT stub outside this one, a `jmp *slot(%rip)`
    /// (FF 25) only when the slot is one the loader fills.
    fn tail_jumps(&self, entry: u64) -> Vec<(u64, CallTarget)> {
        /// Past this, a function is not read for its jumps.
        const LONGEST_FUNCTION: u64 = 64 * 1024;
        let Some((start, size)) = self.function_at(entry) else { return Vec::new() };
        let Some(code) = self.code_before(start + size.min(LONGEST_FUNCTION), size.min(LONGEST_FUNCTION)) else {
            return Vec::new();
        };
        let displacement = |bytes: &[u8]| i64::from(i32::from_le_bytes(bytes.try_into().unwrap_or_default()));
        let inside = |address: u64| (start..start + size).contains(&address);
        let mut jumps = Vec::new();
        for at in 0..code.len() {
            let rest = &code[at..];
            if rest.len() >= 5 && rest[0] == 0xE9 {
                let end = start + at as u64 + 5;
                let target = end.wrapping_add_signed(displacement(&rest[1..5]));
                if !inside(target) {
                    if let Some(stubbed) = self.through_stub(target) {
                        jumps.push((end, stubbed));
                    } else if self.function_at(target).is_some() {
                        jumps.push((end, CallTarget::Address(target)));
                    }
                }
            }
            if rest.len() >= 6 && rest[..2] == [0xFF, 0x25] {
                let end = start + at as u64 + 6;
                if let Some(target) = self.slots.get(&end.wrapping_add_signed(displacement(&rest[2..6]))) {
                    jumps.push((end, target.clone()));
                }
            }
        }
        jumps
    }

    /// Where the call that ends at file address `end` goes, for the two
    /// forms compilers emit on x86-64: `call rel32` and `call *slot(%rip)`.
    fn call_target(&self, end: u64) -> Option<CallTarget> {
        let displacement = |bytes: &[u8]| i64::from(i32::from_le_bytes(bytes.try_into().unwrap_or_default()));
        if let Some(code) = self.code_before(end, 5)
            && code[0] == 0xE8
        {
            let target = end.wrapping_add_signed(displacement(&code[1..5]));
            return Some(self.through_stub(target).unwrap_or(CallTarget::Address(target)));
        }
        if let Some(code) = self.code_before(end, 6)
            && code[..2] == [0xFF, 0x15]
        {
            return self.slots.get(&end.wrapping_add_signed(displacement(&code[2..6]))).cloned();
        }
        // Unoptimized code loads the GOT slot first: `mov reg, [rip+d]; call reg`.
        if let Some(code) = self.code_before(end, 9)
            && code[7] == 0xFF
            && code[8] & 0xF8 == 0xD0
            && code[..2] == [0x48, 0x8B]
            && code[2] == 0x05 | ((code[8] & 0x07) << 3)
        {
            let slot = (end - 2).wrapping_add_signed(displacement(&code[3..7]));
            return self.slots.get(&slot).cloned();
        }
        None
    }
}

#[derive(Default)]
pub struct Symbolizer {
    modules: Vec<LoadedModule>,
    loaders: FxHashMap<String, Option<Rc<Loader>>>,
    code: FxHashMap<String, Option<Rc<ModuleCode>>>,
    resolved: FxHashMap<u64, Symbol>,
    chains: FxHashMap<u64, Vec<Site>>,
    /// Frames of the Rust or C++ standard library's code, inlined into the
    /// program's own (`_M_realloc_insert<…> (vector.tcc:453)`): known by
    /// their files, as an inlined frame's name carries no namespace.
    library_frames: FxHashSet<Site>,
    /// Sites named with a source line: code built with line information.
    placed: FxHashSet<Site>,
    /// How many of `modules` have been looked into for Rust code, and
    /// whether any held some.
    modules_looked_into: usize,
    rust_loaded: bool,
    /// Addresses whose heap was C's only because no module held Rust code
    /// when they were resolved: a module loaded since may call through them.
    decided_for_want_of_rust: Vec<u64>,
}

impl std::fmt::Debug for Symbolizer {
    // Loaders and code are large and opaque: counts say enough.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbolizer")
            .field("modules", &self.modules.len())
            .field("resolved", &self.resolved.len())
            .finish_non_exhaustive()
    }
}

impl Symbolizer {
    /// Takes modules the program has loaded since the last call. True when
    /// one holds Rust code and sites were resolved as though none did: they
    /// are resolved again, and whoever keeps them must ask again.
    pub fn add_modules(&mut self, modules: Vec<LoadedModule>) -> bool {
        self.modules.extend(modules);
        if self.decided_for_want_of_rust.is_empty() || self.no_rust_loaded() {
            return false;
        }
        for address in self.decided_for_want_of_rust.drain(..) {
            self.resolved.remove(&address);
        }
        true
    }

    /// Whether no module the process has loaded holds Rust code: then C's
    /// allocator is the only one its code calls, whatever path reached it.
    fn no_rust_loaded(&mut self) -> bool {
        while !self.rust_loaded && self.modules_looked_into < self.modules.len() {
            let path = &self.modules[self.modules_looked_into].path;
            self.rust_loaded = !is_the_kernels(path) && holds_rust(path);
            self.modules_looked_into += 1;
        }
        !self.rust_loaded
    }

    pub fn module_count(&self) -> usize {
        self.modules.len()
    }

    fn module_of(&self, address: u64) -> Option<&LoadedModule> {
        self.modules.iter().find(|m| (m.start..m.end).contains(&address))
    }

    /// The file of the module an address is in.
    pub fn module_path(&self, address: u64) -> Option<&str> {
        self.module_of(address).map(|module| module.path.as_str())
    }

    /// An allocator the program (the first module, as the loader lists
    /// them) links in under names of its own, which ffiscope does not see.
    pub fn linked_allocator(&mut self) -> Option<OwnAllocator> {
        let program = self.modules.first()?.path.clone();
        let (library, functions) = module_code(&mut self.code, &program)?.allocator.clone()?;
        Some(OwnAllocator {
            functions: functions.into_iter().map(str::to_owned).collect(),
            defined_in: program,
            library: Some(library.to_owned()),
        })
    }

    /// The module of Python's interpreter among the program's
    /// (`python3.11`, `libpython3.12.so.1.0`), by its object allocator.
    pub fn cpython(&mut self) -> Option<String> {
        let interpreters: Vec<String> = self
            .modules
            .iter()
            .map(|module| module.path.clone())
            .filter(|path| {
                let name = path.rsplit('/').next().unwrap_or(path);
                name.starts_with("python") || name.starts_with("libpython")
            })
            .collect();
        interpreters.into_iter().find(|path| module_code(&mut self.code, path).is_some_and(|code| code.python_objects))
    }

    /// Every function a return address is in, innermost first: the one
    /// that made the call, then each it was inlined into, each named with
    /// its own line. A stack names its frames so, since optimized code
    /// inlines the very function that matters (`main`, into which
    /// `CString::new` and the allocator's path were inlined).
    pub fn inlined(&mut self, address: u64) -> Vec<Site> {
        if let Some(chain) = self.chains.get(&address) {
            return chain.clone();
        }
        if address & (TAIL_CALLED_TAG | CALLEE_UNKNOWN_TAG) != 0 {
            let chain = vec![self.symbol(address).site];
            self.chains.insert(address, chain.clone());
            return chain;
        }
        let mut chain = Vec::new();
        if let Some(module) = self.module_of(address).cloned()
            && let Some(Some(loader)) = self.loaders.get(&module.path)
            && let Ok(mut frames) = loader.find_frames(address.wrapping_sub(module.bias).saturating_sub(1))
        {
            while let Ok(Some(frame)) = frames.next() {
                let Some(name) = frame.function.as_ref().and_then(|f| f.demangle().ok()) else { continue };
                let name = strip_hash(&name);
                let place = frame.location.as_ref().and_then(|l| Some((l.file?, l.line?)));
                let site = Site::intern(&match place {
                    Some((file, line)) => format!("{name} ({}:{line})", file.rsplit('/').next().unwrap_or(file)),
                    None => name,
                });
                if place.is_some_and(|(file, _)| is_rust_library_file(file) || is_cxx_library_file(file)) {
                    self.library_frames.insert(site);
                }
                if place.is_some() {
                    self.placed.insert(site);
                }
                chain.push(site);
            }
        }
        if chain.is_empty() {
            chain.push(self.symbol(address).site);
        }
        if let Some((_, file_name, _)) = self.module_named(address)
            && CALL_MAKERS.iter().any(|name| file_name.starts_with(name))
        {
            self.library_frames.extend(chain.iter().copied());
        }
        self.chains.insert(address, chain.clone());
        chain
    }

    /// The function the call before `return_address` went to, where it
    /// names one (a call through the PLT or a GOT slot): `vasprintf`, for a
    /// frame the C library's code returns to from a function it does not
    /// export, which `vasprintf` jumped to.
    pub fn called_at(&mut self, return_address: u64) -> Option<String> {
        let module = self.module_of(return_address)?.clone();
        let code = module_code(&mut self.code, &module.path)?;
        match code.call_target(return_address.wrapping_sub(module.bias))? {
            CallTarget::Symbol(name) => Some(name),
            CallTarget::Address(_) => None,
        }
    }

    /// Whether a site was named with its source line: code built with line
    /// information, as a program's own code under development is, where a
    /// library installed from a package has none.
    pub fn has_line(&self, site: Site) -> bool {
        self.placed.contains(&site)
    }

    /// Whether the program (the first module, as the loader lists them) has
    /// line information, and the site `address` is in another module.
    pub fn outside_a_program_with_lines(&mut self, address: u64) -> bool {
        let address = untagged(address);
        let in_a_module = self.module_of(address).is_some();
        let Some(program) = self.modules.first() else { return false };
        in_a_module
            && !(program.start..program.end).contains(&address)
            && module_code(&mut self.code, &program.path).is_some_and(|code| code.lines)
    }

    /// A frame named by its address alone (`git+0x2a11b1`, in a file
    /// without symbols) named by the start of the function it is in
    /// (`function at git+0x2a1040`), as its module's unwinding table says:
    /// the same for every address in one function.
    pub fn function_of_unnamed_frame(&mut self, frame: &str) -> Option<String> {
        let (file_name, offset) = frame.split_once("+0x").filter(|(name, _)| !name.contains(' '))?;
        let offset = u64::from_str_radix(offset, 16).ok()?;
        let path = self.modules.iter().map(|m| m.path.as_str()).find(|p| p.rsplit('/').next() == Some(file_name))?;
        let start = module_code(&mut self.code, path)?.function_start(offset)?;
        Some(format!("function at {file_name}+{start:#x}"))
    }

    /// The file name of the module a site's address is in (`libsqlite3.so.0`).
    pub fn module_file_name(&self, address: u64) -> Option<String> {
        self.module_named(untagged(address)).map(|(_, file_name, _)| file_name)
    }

    /// Whether a frame `inlined` named is the Rust or C++ standard
    /// library's code, or a call maker's (libffi): never the program's own
    /// frame.
    pub fn is_library_frame(&self, frame: Site) -> bool {
        self.library_frames.contains(&frame)
    }

    /// The site and heap of a return address, resolved once. (The
    /// interpreter keeps the sites of recent events in front of this.)
    pub fn symbol(&mut self, address: u64) -> Symbol {
        if let Some(&symbol) = self.resolved.get(&address) {
            return symbol;
        }
        let mut symbol = self.resolve(address);
        if symbol.heap == Heap::Uncertain && self.no_rust_loaded() {
            // Nothing named the code, a call through a pointer, a tail call
            // from another module: in a process without Rust, C's all.
            symbol.heap = Heap::C;
            self.decided_for_want_of_rust.push(address);
        }
        self.resolved.insert(address, symbol);
        symbol
    }

    /// The module `address` is in, its file's name, and whether that is the
    /// C runtime's or the recorder's own.
    fn module_named(&self, address: u64) -> Option<(LoadedModule, String, bool)> {
        let module = self.module_of(address)?.clone();
        let file_name = module.path.rsplit('/').next().unwrap_or(&module.path).to_owned();
        let in_c_runtime = C_RUNTIME.iter().any(|name| file_name.contains(name));
        Some((module, file_name, in_c_runtime))
    }

    fn resolve(&mut self, address: u64) -> Symbol {
        if address & TAIL_CALLED_TAG != 0 {
            return self.resolve_tail_caller(address & !TAIL_CALLED_TAG);
        }
        if address & CALLEE_UNKNOWN_TAG != 0 {
            // A call through a register that did not hold the allocator when it
            // began: the function the call went to reached it. Unoptimized
            // code loads a function's slot into the register first, which
            // says which; otherwise nothing says whose code it is.
            let return_address = address & !CALLEE_UNKNOWN_TAG;
            let call = self.symbol(return_address);
            let slot_named = self.module_of(return_address).cloned().is_some_and(|module| {
                let probe = return_address.wrapping_sub(module.bias);
                module_code(&mut self.code, &module.path).and_then(|code| code.call_target(probe)).is_some()
            });
            return if slot_named { call } else { Symbol { heap: Heap::Uncertain, ..call } };
        }
        let Some((module, file_name, in_c_runtime)) = self.module_named(address) else {
            return Self::symbol_named(&format!("{address:#x}"), Heap::Uncertain, false);
        };
        let probe = address.wrapping_sub(module.bias);
        // The call's own address, one byte before the return address, is
        // what belongs to the calling line.
        let call = probe.saturating_sub(1);
        let loader = self.loaders.entry(module.path.clone()).or_insert_with(|| shared_loader(&module.path));
        let mut functions: Vec<(String, Option<gimli::DwLang>)> = Vec::new();
        let mut place: Option<(String, u32)> = None;
        let mut symbol_only = false;
        // Rust's mangling says the code is Rust's where no debug information does.
        let mut rust_mangled = false;
        // The Rust standard library's own code, as its prebuilt copy names
        // its files (`/rustc/<commit>/library/std/src/…`).
        let mut rust_library = false;
        if let Some(loader) = loader.as_ref() {
            if let Ok(mut frames) = loader.find_frames(call) {
                while let Ok(Some(frame)) = frames.next() {
                    let name =
                        frame.function.as_ref().and_then(|f| f.demangle().ok().map(std::borrow::Cow::into_owned));
                    let language = frame.function.as_ref().and_then(|f| f.language);
                    if place.is_none()
                        && let Some(location) = frame.location.as_ref()
                        && let (Some(file), Some(line)) = (location.file, location.line)
                    {
                        place = Some((file.rsplit('/').next().unwrap_or(file).to_owned(), line));
                        rust_library = is_rust_library_file(file);
                    }
                    if let Some(name) = name {
                        functions.push((name, language));
                    }
                }
            }
            if functions.is_empty()
                && let Some(name) = symbol_reaching(loader, &mut self.code, &module.path, call)
            {
                // Without debug information the nearest symbol before the
                // address is all there is; in a stripped file it may be
                // another function, so it is named as "near" it.
                symbol_only = true;
                rust_mangled = is_rust_mangled(name);
                functions.push((demangled(name, rust_mangled), None));
            }
        }
        // The heap is the allocator's API, whoever called it: the Rust global
        // allocator's path, or the C library's functions called directly
        // (from C, or from Rust through `libc::malloc`). With no name for the
        // caller at all, nothing says which.
        let heap = if in_c_runtime {
            // The C library's own code (`__vasprintf_internal`, stdio's
            // buffers), named or not, calls the C library's allocator.
            Heap::C
        } else if functions.iter().any(|(name, _)| on_rust_path(name)) {
            // The call is inside the Rust allocator's own code.
            Heap::Rust
        } else {
            let caller_language = functions.first().and_then(|(_, language)| *language);
            let called = module_code(&mut self.code, &module.path).and_then(|code| code.call_target(probe));
            // A call to another module's function (`sqlite3_malloc@plt`)
            // reached the allocator by that module's code; any other, by this one's.
            let by_this_module =
                !matches!(&called, Some(CallTarget::Symbol(name)) if !C_ALLOCATOR.contains(&name.as_str()));
            let heap = match self.reached_through(&module.path, called, caller_language) {
                Reached::Directly if functions.is_empty() => Heap::Uncertain,
                // Rust code known by its symbol alone (a release build without
                // debug information, Cargo's default) that reaches the C
                // allocator with no Rust shim named on the way: the Rust
                // allocator inlined into it (LTO, or `call *%rbp` holding
                // `__rust_dealloc`) or `libc::free`. Nothing says which.
                Reached::Directly if rust_mangled => Heap::Uncertain,
                // The standard library's code, whose prebuilt copy keeps too
                // little debug information to name the allocator inlined into
                // it under LTO (`lto = true`): a `String` dropped inside it is
                // a direct call to `free`, as is its own `libc::free` of what
                // `realpath` made. Nothing says which.
                Reached::Directly if rust_library => Heap::Uncertain,
                Reached::Directly => Heap::C,
                Reached::ByTailCallFrom(heap) => heap,
            };
            // A module with no Rust code in it calls C's allocator, named or
            // not: a stripped C library's static function (SQLite's
            // `sqlite3MemMalloc`) says nothing of its own.
            if heap == Heap::Uncertain && by_this_module && !holds_rust(&module.path) { Heap::C } else { heap }
        };
        let offset = format!("{file_name}+{call:#x}");
        let placed = place.is_some();
        let name = match (functions.first(), place) {
            (Some((function, _)), Some((file, line))) => format!("{} ({file}:{line})", strip_hash(function)),
            (Some((function, _)), None) if symbol_only => format!("near {} ({offset})", strip_hash(function)),
            (Some((function, _)), None) => format!("{} ({file_name})", strip_hash(function)),
            (None, _) => offset,
        };
        let symbol = Self::symbol_named(&name, heap, in_c_runtime);
        if placed {
            self.placed.insert(symbol.site);
        }
        symbol
    }

    /// The function at `entry`, which a call through a pointer went to and
    /// which reached the allocator by a tail call (a Rust callback whose
    /// last act drops a `Box`): named as itself, with the line its first
    /// instruction belongs to; its heap by its name, its language, or the
    /// allocator its tail jumps reach.
    fn resolve_tail_caller(&mut self, entry: u64) -> Symbol {
        let Some((module, file_name, in_c_runtime)) = self.module_named(entry) else {
            return Self::symbol_named(&format!("{entry:#x}"), Heap::Uncertain, false);
        };
        let at = entry.wrapping_sub(module.bias);
        let loader = self.loaders.entry(module.path.clone()).or_insert_with(|| shared_loader(&module.path));
        let mut name = None;
        let mut language = None;
        let mut place = None;
        if let Some(loader) = loader.as_ref() {
            // The outermost frame is the function itself; inner ones are
            // what was inlined at its start (its `Box`'s drop).
            if let Ok(mut frames) = loader.find_frames(at) {
                while let Ok(Some(frame)) = frames.next() {
                    let Some(function) = frame.function.as_ref() else { continue };
                    language = function.language.or(language);
                    name = function.demangle().ok().map(|n| strip_hash(&n)).or(name);
                    place = frame
                        .location
                        .as_ref()
                        .and_then(|location| Some((location.file?.rsplit('/').next()?.to_owned(), location.line?)));
                }
            }
            if name.is_none()
                && let Some(symbol) = symbol_reaching(loader, &mut self.code, &module.path, at)
            {
                let rust_mangled = is_rust_mangled(symbol);
                language = language.or(rust_mangled.then_some(gimli::DW_LANG_Rust));
                name = Some(strip_hash(&demangled(symbol, rust_mangled)));
            }
        }
        let heap = if name.as_deref().is_some_and(on_rust_path) {
            Heap::Rust
        } else if language.is_some_and(is_c) {
            // C has the one allocator: whatever it jumped through, C's.
            Heap::C
        } else {
            // Rust code reaches `free` through its allocator (Rust's heap)
            // or by `libc::free` (C's): its jumps say which.
            self.reached_by_jumps(&module.path, at, 0).unwrap_or(Heap::Uncertain)
        };
        let site = match (name, place) {
            (Some(name), Some((file, line))) => format!("{name} ({file}:{line})"),
            (Some(name), None) => format!("{name} ({file_name})"),
            (None, _) => format!("{file_name}+{at:#x}"),
        };
        Self::symbol_named(&site, heap, in_c_runtime)
    }

    /// Which allocator the function at file address `entry` of `path` reaches
    /// by its tail jumps, following jumps to other functions a few deep:
    /// the Rust allocator's path (named as a target, or inlined where the
    /// jump is), or the C library's free alone; None when they say nothing.
    fn reached_by_jumps(&mut self, path: &str, entry: u64, depth: usize) -> Option<Heap> {
        const DEEPEST: usize = 3;
        let jumps = module_code(&mut self.code, path)?.tail_jumps(entry);
        let mut c_allocator = false;
        let mut onward = Vec::new();
        for (end, target) in jumps {
            match target {
                CallTarget::Symbol(name) if on_rust_path(&name) => return Some(Heap::Rust),
                CallTarget::Symbol(name) if C_ALLOCATOR.contains(&name.as_str()) => {
                    // The Rust allocator inlined where the jump is (LTO, with debug information).
                    let rust_where_it_jumps = self.loaders.get(path).and_then(Option::as_ref).is_some_and(|loader| {
                        let mut frames = loader.find_frames(end - 1).ok();
                        std::iter::from_fn(|| frames.as_mut()?.next().ok().flatten())
                            .filter_map(|f| f.function.as_ref()?.demangle().ok().map(std::borrow::Cow::into_owned))
                            .any(|name| on_rust_path(&name))
                    });
                    if rust_where_it_jumps {
                        return Some(Heap::Rust);
                    }
                    c_allocator = true;
                }
                CallTarget::Symbol(_) => {}
                CallTarget::Address(target) => {
                    let loader = self.loaders.get(path).and_then(Option::as_ref);
                    let name = loader
                        .and_then(|l| l.find_symbol(target))
                        .map(|n| format!("{:#}", rustc_demangle::demangle(n)));
                    if name.as_deref().is_some_and(on_rust_path) {
                        return Some(Heap::Rust);
                    }
                    onward.push(target);
                }
            }
        }
        if c_allocator {
            // Rust code known by its symbol alone (no debug information):
            // the allocator inlined into it under LTO, or `libc::free`.
            // Nothing says which, as for a direct call from it.
            let loader = self.loaders.get(path).and_then(Option::as_ref);
            let described = loader.is_some_and(|loader| {
                let mut frames = loader.find_frames(entry).ok();
                std::iter::from_fn(|| frames.as_mut()?.next().ok().flatten()).any(|frame| frame.function.is_some())
            });
            let rust_mangled = loader.and_then(|loader| loader.find_symbol(entry)).is_some_and(is_rust_mangled);
            return Some(if !described && rust_mangled { Heap::Uncertain } else { Heap::C });
        }
        if depth < DEEPEST {
            for target in onward {
                if let Some(heap) = self.reached_by_jumps(path, target, depth + 1) {
                    return Some(heap);
                }
            }
        }
        None
    }

    /// How the allocator function was reached from a call that went to `called`.
    /// A call straight to it is direct. A call to another function means
    /// that function reached it by tail calls (`__rust_dealloc` jumps to
    /// `__rdl_dealloc`, which jumps to `free`): the heap is that function's,
    /// Rust for Rust code, C for C code, uncertain when nothing says.
    ///
    /// A call that is not a direct one (through a register: a drop through a
    /// vtable, whose code ends in a tail call to `free`) says nothing of its
    /// own; from Rust code it is Rust's, as Rust reaches C's allocator only
    /// by a direct call to it.
    fn reached_through(&self, path: &str, called: Option<CallTarget>, caller: Option<gimli::DwLang>) -> Reached {
        match called {
            None if caller == Some(gimli::DW_LANG_Rust) => Reached::ByTailCallFrom(Heap::Rust),
            None => Reached::Directly,
            Some(CallTarget::Symbol(name)) if C_ALLOCATOR.contains(&name.as_str()) => Reached::Directly,
            Some(CallTarget::Symbol(_)) => Reached::ByTailCallFrom(Heap::Uncertain),
            Some(CallTarget::Address(target)) => {
                let Some(loader) = self.loaders.get(path).and_then(Option::as_ref) else {
                    return Reached::ByTailCallFrom(Heap::Uncertain);
                };
                let mut language = None;
                if let Ok(mut frames) = loader.find_frames(target) {
                    while let Ok(Some(frame)) = frames.next() {
                        language = frame.function.as_ref().and_then(|f| f.language).or(language);
                    }
                }
                let name = loader.find_symbol(target).map(|name| format!("{:#}", rustc_demangle::demangle(name)));
                if name.as_deref().is_some_and(on_rust_path) || language == Some(gimli::DW_LANG_Rust) {
                    Reached::ByTailCallFrom(Heap::Rust)
                } else if language.is_some_and(is_c) {
                    Reached::ByTailCallFrom(Heap::C)
                } else {
                    Reached::ByTailCallFrom(Heap::Uncertain)
                }
            }
        }
    }

    fn symbol_named(name: &str, heap: Heap, in_c_runtime: bool) -> Symbol {
        Symbol { site: Site::intern(name), heap, in_c_runtime }
    }
}

/// A symbol's name as its source spells it: Rust's without its hashes,
/// C++'s (`_Znam` is `operator new[](unsigned long)`), a C name as it is.
fn demangled(symbol: &str, rust_mangled: bool) -> String {
    if !rust_mangled
        && symbol.starts_with("_Z")
        && let Some(name) = addr2line::demangle(symbol, gimli::DW_LANG_C_plus_plus)
    {
        return name;
    }
    format!("{:#}", rustc_demangle::demangle(symbol))
}

/// Whether a frame named so is the C++ runtime's allocation on the
/// program's behalf (`operator new`, the standard containers' allocators,
/// `std::string`'s growth in libstdc++), as a name without debug information
/// (`near operator new(unsigned long)`) or with it.
fn is_cxx_runtime_frame(name: &str) -> bool {
    const RUNTIME: &[&str] = &["operator new", "operator delete", "std::", "__gnu_cxx::", "__cxa_"];
    let name = name.strip_prefix("near ").unwrap_or(name);
    RUNTIME.iter().any(|prefix| name.starts_with(prefix))
}

/// Whether a frame named so belongs to the Rust or the C++ runtime: a
/// stack is named for the first frame of the program's own code above these.
/// A symbol without debug information is "near" it (the Rust standard
/// library's precompiled `near <alloc::raw_vec::RawVecInner>::try_allocate_in`).
pub fn is_runtime_frame(name: &str) -> bool {
    let name = name.strip_prefix("near ").unwrap_or(name);
    is_rust_runtime_frame(name) || is_cxx_runtime_frame(name)
}

/// Whether a frame named so belongs to the Rust runtime (the standard
/// library, its allocator and panic machinery, drop glue).
fn is_rust_runtime_frame(name: &str) -> bool {
    const RUNTIME: &[&str] = &[
        "std::",
        "core::",
        "alloc::",
        "<std::",
        "<core::",
        "<alloc::",
        "<&",
        "panic_unwind::",
        "__rust",
        "__rdl",
        "rust_panic",
        "rust_begin_unwind",
        "__rustc::",
        "<T as ",
    ];
    RUNTIME.iter().any(|prefix| name.starts_with(prefix))
}

/// A site's address without the tags that say how its call was made: a
/// call through a pointer (zlib's `zalloc`) or a function that tail-called.
fn untagged(address: u64) -> u64 {
    address & !(TAIL_CALLED_TAG | CALLEE_UNKNOWN_TAG)
}

/// (start, size) of each function a file's `.eh_frame` describes, by
/// start; none where it has none or it cannot be read.
fn unwound_functions(bytes: &[u8]) -> Vec<(u64, u64)> {
    use gimli::UnwindSection as _;
    use object::{Object as _, ObjectSection as _};
    let Ok(file) = object::File::parse(bytes) else { return Vec::new() };
    let Some(section) = file.section_by_name(".eh_frame") else { return Vec::new() };
    let Ok(data) = section.data() else { return Vec::new() };
    let endian = if file.is_little_endian() { gimli::RunTimeEndian::Little } else { gimli::RunTimeEndian::Big };
    let eh_frame = gimli::EhFrame::new(data, endian);
    let mut bases = gimli::BaseAddresses::default().set_eh_frame(section.address());
    if let Some(text) = file.section_by_name(".text") {
        bases = bases.set_text(text.address());
    }
    let mut functions = Vec::new();
    let mut entries = eh_frame.entries(&bases);
    while let Ok(Some(entry)) = entries.next() {
        if let gimli::CieOrFde::Fde(partial) = entry
            && let Ok(fde) = partial.parse(|_, bases, offset| eh_frame.cie_from_offset(bases, offset))
        {
            functions.push((fde.initial_address(), fde.len()));
        }
    }
    functions.sort_unstable();
    functions
}

/// `foo::bar::h0123456789abcdef` → `foo::bar`: legacy Rust symbols end in a hash.
fn strip_hash(name: &str) -> String {
    match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => head.to_owned(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::{
        Heap, MODULES_READ, ModuleCode, Symbolizer, demangled, is_cxx_library_file, is_cxx_runtime_frame,
        is_rust_library_file, is_rust_mangled, shared, shared_loader,
    };
    use crate::ffi::record_channel::LoadedModule;

    /// An address no module holds says nothing of its heap: C's while the
    /// process has no Rust code, uncertain once a module with Rust arrives,
    /// which has the symbolizer resolve it again.
    #[test]
    fn an_unnamed_site_is_the_c_heaps_until_rust_code_is_loaded() {
        let module = |start: u64, path: &std::path::Path| LoadedModule {
            start,
            end: start + 0x1000,
            bias: start,
            path: path.to_str().unwrap().to_owned(),
        };
        let recorder = crate::record::preload::library_path().expect("the recorder's library is written");
        let mut symbols = Symbolizer::default();
        assert!(!symbols.add_modules(vec![module(0x10_0000, &recorder)]));
        let nowhere = 0x7f00_0000_0000;
        assert_eq!(symbols.symbol(nowhere).heap, Heap::C);
        let this = std::env::current_exe().expect("the test binary");
        assert!(symbols.add_modules(vec![module(0x20_0000, &this)]), "what was decided is asked again");
        assert_eq!(symbols.symbol(nowhere).heap, Heap::Uncertain);
        assert!(!symbols.add_modules(vec![module(0x30_0000, &recorder)]));
    }

    /// The symbolizers of one recording's processes read a module once
    /// while any holds it; a file rebuilt at its path is read again.
    #[test]
    fn a_module_is_read_once_while_held_and_again_once_rebuilt() {
        let this = std::env::current_exe().expect("the test binary");
        let path = this.to_str().unwrap();
        let (first, second) = (shared_loader(path).expect("read"), shared_loader(path).expect("read"));
        assert!(Rc::ptr_eq(&first, &second));
        let copy = std::env::temp_dir().join(format!("ffiscope-module-{}", std::process::id()));
        std::fs::copy(&this, &copy).expect("copied");
        let copy_path = copy.to_str().unwrap();
        let code = shared(&MODULES_READ, copy_path, ModuleCode::read).expect("read");
        assert!(Rc::ptr_eq(&code, &shared(&MODULES_READ, copy_path, ModuleCode::read).expect("read")));
        // Rebuilt: another file at the same path.
        std::fs::remove_file(&copy).expect("removed");
        std::fs::copy(&this, &copy).expect("copied again");
        let rebuilt = shared(&MODULES_READ, copy_path, ModuleCode::read).expect("read");
        assert!(!Rc::ptr_eq(&code, &rebuilt));
        // Let go of by every holder: not kept.
        drop((first, second));
        let weak = Rc::downgrade(&rebuilt);
        drop(rebuilt);
        assert!(weak.upgrade().is_none());
        std::fs::remove_file(&copy).expect("removed");
    }

    #[test]
    fn c_plus_plus_symbols_are_demangled_and_its_allocation_runtime_told() {
        assert_eq!(demangled("_Znam", false), "operator new[](unsigned long)");
        assert_eq!(demangled("_ZdlPvm", false), "operator delete(void*, unsigned long)");
        assert_eq!(demangled("malloc", false), "malloc");
        assert_eq!(demangled("_ZN3std2rt10lang_start17h0123456789abcdefE", true), "std::rt::lang_start");
        assert!(is_cxx_runtime_frame("near operator new[](unsigned long) (libstdc++.so.6+0xa95bb)"));
        assert!(is_cxx_runtime_frame(
            "std::__new_allocator<int>::allocate(unsigned long, void const*) (new_allocator.h:137)"
        ));
        assert!(!is_cxx_runtime_frame("make_numbers() (leaky.cc:5)"));
        assert!(!is_cxx_runtime_frame("standard_names (lab.c:3)"));
    }

    #[test]
    fn the_standard_librarys_files_are_told_by_their_prebuilt_path() {
        assert!(is_rust_library_file("/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/backtrace.rs"));
        assert!(is_rust_library_file("/rustc/1.95.0/library/alloc/src/vec/mod.rs"));
        assert!(!is_rust_library_file("/home/me/src/library/main.rs"));
        assert!(!is_rust_library_file("/rustc/library.rs"));
        assert!(!is_rust_library_file("src/main.rs"));
        assert!(is_cxx_library_file("/usr/include/c++/12/bits/vector.tcc"));
        assert!(is_cxx_library_file("/usr/lib/llvm-14/bin/../include/c++/v1/vector"));
        assert!(!is_cxx_library_file("/home/me/c++/main.cc"));
    }

    #[test]
    fn rust_s_manglings_are_told_from_c_and_c_plus_plus_names() {
        assert!(is_rust_mangled("_RNvCsfLfy6EI15iL_7___rustc14___rust_dealloc"));
        assert!(is_rust_mangled("_ZN79_$LT$hashbrown..raw..RawTable$LT$T$GT$$GT$4drop17hd92d6147ee4ceba3E"));
        assert!(is_rust_mangled("_RINvNtCs1234_4core3ptr13drop_in_placeRNtCsabc_5hello5ThingEB8_"));
        for name in [
            "malloc",
            "main",
            "_ZN3foo3barEv",
            "_ZN3foo3barE",
            "_ZNSt6vectorIiSaIiEE9push_backERKi",
            "_Read_config",
            "_R",
            "_RNG state",
        ] {
            assert!(!is_rust_mangled(name), "{name}");
        }
    }
}
