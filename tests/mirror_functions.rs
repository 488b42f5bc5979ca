//! Mirror Check's functions: a binding's `extern "C"` declarations (and the
//! functions it defines for C) against the prototypes a header really
//! declares, read by each Linux target's compiler that is here.

use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::header::{HeaderOptions, analyze_header_per_target};
use ffiscope::layout::lab::parser::Pointee;
use ffiscope::layout::lab::verify::find_compiler;
use ffiscope::layout::mirror_check::check_mirror;
use ffiscope::layout::mirror_check::functions::{FunctionPair, FunctionStanding, FunctionsChecked};
use ffiscope::layout::mirror_check::rust_reader::read_rust;

const ALL_LINUX: [Target; 4] = [Target::X86_64Linux, Target::I686Linux, Target::Aarch64Linux, Target::Armv7Linux];

fn required() -> bool {
    std::env::var_os("FFISCOPE_REQUIRE_COMPILERS").is_some()
}

/// `mirror`'s functions checked against `header` (written as the file
/// `name`) on every Linux target with a compiler here, and those targets.
fn functions_of(name: &str, header: &str, mirror: &str) -> Option<(FunctionsChecked, Vec<Target>)> {
    let targets: Vec<Target> = ALL_LINUX.into_iter().filter(|&t| find_compiler(t).is_some()).collect();
    if targets.is_empty() {
        assert!(!required(), "the compilers are required");
        eprintln!("note: no C compiler: the function tests are skipped");
        return None;
    }
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mirror_functions");
    std::fs::create_dir_all(&folder).expect("a temporary folder");
    let path = folder.join(name);
    std::fs::write(&path, header).expect("written");
    let (report, declarations) = analyze_header_per_target(&path, &targets, &HeaderOptions::default(), false);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let rust = read_rust(mirror);
    assert_eq!(rust.errors, [], "the binding reads");
    Some((check_mirror(&report, &declarations, &rust, "binding.rs", false).functions, targets))
}

fn pair<'f>(functions: &'f FunctionsChecked, symbol: &str) -> &'f FunctionPair {
    functions.pairs.iter().find(|f| f.c == symbol).unwrap_or_else(|| panic!("`{symbol}` was paired"))
}

/// The targets `symbol` differs on, and everything said of it there.
fn differs_on(functions: &FunctionsChecked, symbol: &str) -> (Vec<Target>, String) {
    let function = pair(functions, symbol);
    let wrong = function.targets.iter().filter(|t| t.standing == FunctionStanding::Differs).map(|t| t.target);
    let said: Vec<&str> = function.differences_grouped(Target::triple).into_iter().map(|(_, why)| why).collect();
    (wrong.collect(), said.join("\n"))
}

/// Of `wanted`, the targets read here.
fn of(wanted: &[Target], read: &[Target]) -> Vec<Target> {
    wanted.iter().copied().filter(|t| read.contains(t)).collect()
}

const HEADER: &str = r"#include <stddef.h>
#include <stdarg.h>
struct point { int x, y; };
struct big { double d[4]; };
int add(int a, int b);
unsigned long hash(const char *text, size_t len);
void fill(char buffer[16], int (*each)(int), ...);
struct big make_big(struct point p);
struct point make_small(struct big b);
static inline int helper(void) { return 1; }
int old_style();
long double widen(double d);
int vlog(const char *fmt, va_list ap);
const char *(*lookup(int n))(void);
int real_name(int x);
int callback_sum(int a, int b);
void done(void);
";

const BINDING: &str = r#"
use core::ffi::{c_char, c_int, c_ulong, c_void};
#[repr(C)] pub struct point { pub x: c_int, pub y: c_int }
#[repr(C)] pub struct big { pub d: [f64; 4] }
extern "C" {
    pub fn add(a: c_int, b: c_int) -> c_int;
    pub fn hash(text: *const c_char, len: u32) -> c_ulong;
    pub fn fill(buffer: *mut c_char, each: Option<unsafe extern "C" fn(c_int) -> c_int>);
    pub fn make_big(p: point) -> big;
    pub fn make_small(b: point) -> point;
    pub fn helper() -> c_int;
    pub fn old_style() -> c_int;
    pub fn widen(d: f64) -> u128;
    pub fn vlog(fmt: *const c_char, ap: *mut c_void) -> c_int;
    pub fn lookup(n: c_int) -> Option<unsafe extern "C" fn() -> *const c_char>;
    #[link_name = "real_name"]
    pub fn renamed(x: c_int) -> c_int;
    pub fn done() -> c_int;
    pub fn nowhere(x: c_int);
    #[cfg(feature = "extra")]
    pub fn extra();
}
#[unsafe(no_mangle)]
pub extern "C" fn callback_sum(a: c_int, b: i64) -> c_int { a + b as c_int }
pub extern "C" fn not_exported(a: c_int) -> c_int { a }
"#;

#[test]
fn a_bindings_functions_are_checked_against_cs_prototypes_on_each_target() {
    let Some((functions, read)) = functions_of("functions.h", HEADER, BINDING) else { return };
    let sixty_four = of(&[Target::X86_64Linux, Target::Aarch64Linux], &read);
    for agrees in ["add", "make_big", "lookup", "real_name"] {
        assert_eq!(differs_on(&functions, agrees), (Vec::new(), String::new()), "{agrees}");
        assert_eq!(pair(&functions, agrees).targets.len(), read.len(), "{agrees} compared on every target");
    }
    assert_eq!(pair(&functions, "real_name").rust, "renamed", "paired by its link name");
    assert_eq!(pair(&functions, "lookup").c_prototype, "const char *(*lookup(int n))(…)", "as C declares it");

    let (wrong, said) = differs_on(&functions, "hash");
    assert_eq!(wrong, sixty_four, "size_t is a u32 on 32-bit targets only");
    assert!(said.contains("parameter 2 `len`: C takes `size_t`, unsigned 64-bit integer"), "{said}");

    let (wrong, said) = differs_on(&functions, "fill");
    assert_eq!(wrong, read, "{said}");
    assert!(said.contains("after `...`"), "{said}");
    assert!(
        pair(&functions, "fill").c_prototype.starts_with("void fill(char *buffer"),
        "an array parameter is a pointer"
    );

    let (wrong, said) = differs_on(&functions, "make_small");
    assert_eq!(wrong, read);
    assert!(said.contains("parameter 1 `b`: C takes `struct big`, 32 bytes aligned to"), "{said}");
    assert!(!said.contains("returns"), "the returned struct agrees: {said}");

    let (wrong, said) = differs_on(&functions, "helper");
    assert_eq!(wrong, read);
    assert!(said.contains("`static`") && said.contains("cannot link it"), "{said}");

    let (wrong, said) = differs_on(&functions, "widen");
    assert_eq!(wrong, read, "no target passes `long double` as a u128: {said}");
    let armv7 = pair(&functions, "widen").targets.iter().find(|t| t.target == Target::Armv7Linux);
    if let Some(armv7) = armv7 {
        assert!(armv7.differences[0].contains("64-bit float"), "32-bit ARM's long double is a double: {armv7:?}");
    }

    let (wrong, said) = differs_on(&functions, "vlog");
    assert_eq!(wrong, of(&[Target::Aarch64Linux], &read), "va_list is a pointer as passed but on aarch64: {said}");

    let (wrong, said) = differs_on(&functions, "done");
    assert_eq!(wrong, read);
    assert!(said.contains("C gives back nothing (`void`)"), "{said}");

    let unprototyped = pair(&functions, "old_style");
    assert!(!unprototyped.differs());
    assert!(unprototyped.targets[0].why.as_deref().is_some_and(|why| why.contains("without a prototype")));

    let (wrong, said) = differs_on(&functions, "callback_sum");
    assert_eq!(wrong, read, "{said}");
    assert!(pair(&functions, "callback_sum").defined);
    assert!(said.contains("parameter 2 `b`: C takes `int`, signed 32-bit integer; the binding passes `i64`"), "{said}");

    assert_eq!(functions.not_in_header, ["nowhere"]);
    assert_eq!(functions.cfgd_out, ["extra"]);
    assert!(!functions.pairs.iter().any(|f| f.c == "not_exported"), "a mangled Rust function is no C symbol");
}

#[test]
fn a_function_declared_under_a_cfg_is_compared_where_it_holds_and_one_c_lacks_there_is_said() {
    let header = "#ifdef __x86_64__\nint only_x86(int a);\n#endif\nint everywhere(long n);\n";
    let binding = r#"
        use core::ffi::{c_int, c_long};
        extern "C" {
            pub fn only_x86(a: c_int) -> c_int;
            #[cfg(target_pointer_width = "64")]
            pub fn everywhere(n: i64) -> c_int;
            #[cfg(target_pointer_width = "32")]
            pub fn everywhere(n: c_long) -> c_int;
        }
    "#;
    let Some((functions, read)) = functions_of("cfgs.h", header, binding) else { return };
    let everywhere = pair(&functions, "everywhere");
    assert!(!everywhere.differs(), "each target's own declaration is compared: {everywhere:#?}");
    assert_eq!(everywhere.targets.len(), read.len());
    let only = pair(&functions, "only_x86");
    let missing: Vec<Target> =
        only.targets.iter().filter(|t| t.standing == FunctionStanding::NoCFunction).map(|t| t.target).collect();
    let elsewhere: Vec<Target> = read.iter().copied().filter(|t| *t != Target::X86_64Linux).collect();
    assert_eq!(missing, elsewhere, "{only:#?}");
    assert!(only.differs());
}

#[test]
fn typed_prototypes_are_read_by_the_labs_own_reader_on_every_target() {
    let header = "struct point { int x; int y; };\n\
                  int add(int a, int b);\n\
                  static unsigned long hash(const char *text, unsigned long len);\n\
                  void fill(char buffer[16], int (*each)(int), ...);\n\
                  struct point make(struct point p);\n\
                  const char *name_of(void);\n\
                  struct skipped { int a; } made(void);\n";
    let binding = r#"
        use core::ffi::{c_char, c_int, c_ulong};
        #[repr(C)] pub struct point { pub x: c_int, pub y: c_int }
        extern "C" {
            pub fn add(a: c_int, b: c_int) -> c_int;
            pub fn hash(text: *const c_char, len: u32) -> c_ulong;
            pub fn fill(buffer: *mut c_char, each: Option<unsafe extern "C" fn(c_int) -> c_int>, ...);
            pub fn make(p: point) -> point;
            pub fn name_of() -> *const c_char;
        }
    "#;
    let declarations = ffiscope::layout::lab::parser::parse(header);
    assert_eq!(declarations.errors, [], "prototypes are no errors");
    assert!(declarations.records.iter().any(|r| r.name == "struct skipped"), "a type a declaration defines is kept");
    let names: Vec<&str> = declarations.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["add", "fill", "hash", "make", "name_of"]);
    let fill = &declarations.functions[1];
    assert!(fill.variadic && fill.parameters.len() == 2);
    assert_eq!(fill.parameters[0].ty_text, "char *", "an array parameter is a pointer");
    assert_eq!(fill.parameters[1].ty_text, "int (*)(…)");
    let moved = ffiscope::layout::lab::parser::parse(
        "struct point { int x; };\nstruct point *move(struct point *to, struct point all[], struct point **many);\n",
    );
    let function = &moved.functions[0];
    let pointed = |pointee: &Option<Pointee>| {
        pointee.as_ref().map(|p| (p.record(&moved.records).map(str::to_owned), p.value.ty_text.clone(), p.constant))
    };
    let point = Some((Some("struct point".to_owned()), "struct point".to_owned(), false));
    let pointees: Vec<_> = function.parameter_pointees.iter().map(pointed).collect();
    let to_pointer = Some((None, "struct point *".to_owned(), false));
    assert_eq!(pointees, [point.clone(), point.clone(), to_pointer], "what each points at");
    assert_eq!(pointed(&function.returned_pointee), point);
    let qualified = ffiscope::layout::lab::parser::parse("int run(const char *text, char *const *argv, int **out);\n");
    let pointees: Vec<_> = qualified.functions[0].parameter_pointees.iter().map(pointed).collect();
    assert_eq!(
        pointees,
        [
            Some((None, "const char".to_owned(), true)),
            Some((None, "char *const".to_owned(), true)),
            Some((None, "int *".to_owned(), false))
        ],
        "each star's `const`"
    );

    let targets = [Target::X86_64Linux, Target::I686Linux];
    let report = ffiscope::layout::lab::report::analyze("typed.h", header, &targets, false);
    let per_target: Vec<_> = targets.iter().map(|&t| (t, declarations.clone())).collect();
    let rust = read_rust(binding);
    let functions = check_mirror(&report, &per_target, &rust, "binding.rs", false).functions;
    for agrees in ["add", "fill", "make", "name_of"] {
        assert!(!pair(&functions, agrees).differs(), "{agrees}: {:#?}", pair(&functions, agrees));
    }
    let (wrong, said) = differs_on(&functions, "hash");
    assert_eq!(wrong, targets, "{said}");
    assert!(said.contains("`static` (typed.h:3)"), "{said}");
    let x86_64 = &pair(&functions, "hash").targets[0];
    assert!(x86_64.differences.iter().any(|d| d.contains("parameter 2 `len`")), "{x86_64:?}");
    assert_eq!(pair(&functions, "hash").c_prototype, "unsigned long hash(const char *text, unsigned long len)");
}

#[test]
fn parameters_are_compared_as_the_call_passes_them() {
    let header = "typedef void *list_t[];\n\
                  typedef union { void *p; long n; } word_t;\n\
                  typedef union { double d; } float_word_t;\n\
                  int take(list_t list);\n\
                  int by_word(word_t w);\n\
                  int by_float_word(float_word_t w);\n\
                  int by_address(void *handle);\n";
    // Written with the file's own macro, as bzip2-sys writes its functions.
    let binding = r#"
        use core::ffi::{c_int, c_void};
        macro_rules! declare {
            ($(fn $name:ident($($arg:ident: $t:ty),*) -> $ret:ty;)*) => {
                extern "C" { $(pub fn $name($($arg: $t),*) -> $ret;)* }
            };
        }
        declare! {
            fn take(list: *mut *mut c_void) -> c_int;
            fn by_word(w: *mut c_void) -> c_int;
            fn by_float_word(w: *mut c_void) -> c_int;
            fn by_address(handle: usize) -> c_int;
        }
    "#;
    let Some((functions, read)) = functions_of("passed.h", header, binding) else { return };
    assert_eq!(pair(&functions, "take").line, 8, "at the macro's invocation");
    assert_eq!(pair(&functions, "take").rust_signature, "fn take(list: *mut *mut c_void) -> c_int");
    assert_eq!(differs_on(&functions, "take"), (Vec::new(), String::new()), "an array typedef is passed as a pointer");
    for noted in ["by_word", "by_address"] {
        let function = pair(&functions, noted);
        assert!(!function.differs(), "{function:#?}");
        assert!(function.targets.iter().all(|t| t.notes.len() == 1), "{function:#?}");
    }
    let (wrong, said) = differs_on(&functions, "by_float_word");
    assert_eq!(wrong, read, "a union holding a double goes in a float register: {said}");
}

#[test]
fn symbols_are_paired_as_each_side_links_them() {
    let header = "struct sa { int x; };\nstruct sb { int y; };\n\
                  typedef union { struct sa *p; const struct sb *q; } arg_t __attribute__((__transparent_union__));\n\
                  int takes(arg_t a);\n\
                  extern int open_file(const char *path) __asm__(\"\" \"open64\");\n\
                  extern int read_some(int fd) __asm__(\"read_v2\");\n\
                  void *handler(int sig, void *h);\n\
                  long offset(long a);\n\
                  int wide(int a);\nint wide_x86(long long a);\n";
    let binding = r#"
        use core::ffi::{c_char, c_int, c_long};
        #[repr(C)] pub struct sa { pub x: c_int }
        extern "C" {
            pub fn takes(a: *const sa) -> c_int;
            #[link_name = "open64"]
            pub fn open(path: *const c_char) -> c_int;
            pub fn read_some(fd: c_int) -> c_int;
            pub fn handler(sig: c_int, h: usize) -> usize;
            pub fn offset(
                #[cfg(target_pointer_width = "64")] a: i64,
                #[cfg(target_pointer_width = "32")] a: i32,
            ) -> c_long;
            #[cfg_attr(target_arch = "x86", link_name = "wide_x86")]
            pub fn wide(a: c_int) -> c_int;
        }
    "#;
    let Some((functions, read)) = functions_of("symbols.h", header, binding) else { return };
    let quiet = |symbol: &str| {
        let function = pair(&functions, symbol);
        !function.differs() && function.targets.iter().all(|t| t.notes.is_empty())
    };
    assert!(quiet("takes"), "a transparent union is passed as its first member: {:#?}", pair(&functions, "takes"));
    assert!(quiet("open64"), "paired by the symbol C's assembler label gives");
    assert_eq!(pair(&functions, "open64").rust, "open");

    let (wrong, said) = differs_on(&functions, "read_some");
    assert_eq!(wrong, read);
    assert!(said.contains("C's `read_some` is the symbol `read_v2` here"), "{said}");

    let handler = pair(&functions, "handler");
    assert!(!handler.differs());
    assert!(
        handler.targets.iter().all(|t| t.notes.len() == 2),
        "a usize for a pointer, passed and returned: {handler:#?}"
    );

    let offset = pair(&functions, "offset");
    assert!(!offset.differs(), "each target passes the parameter its cfg keeps: {offset:#?}");
    assert_eq!(
        offset.rust_signature,
        "fn offset(#[cfg(target_pointer_width = \"64\")] a: i64, #[cfg(target_pointer_width = \"32\")] a: i32) -> c_long"
    );

    let (wrong, said) = differs_on(&functions, "wide");
    assert_eq!(wrong, of(&[Target::I686Linux], &read), "links `wide_x86` on x86 alone: {said}");
    assert!(said.contains("C takes `long long`"), "{said}");
}

#[test]
fn a_pointer_to_another_of_the_mirrors_types_is_caught() {
    let header = "struct stream { int state; };\nstruct header { int text; };\ntypedef struct stream *streamp;\n\
                  typedef struct header header_t;\n\
                  int start(streamp strm, header_t *head);\nstruct stream *current(void);\nint done(void *any);\n";
    let binding = r#"
        use core::ffi::c_int;
        #[repr(C)] pub struct stream { pub state: c_int }
        #[repr(C)] pub struct header { pub text: c_int }
        pub type streamp = *mut stream;
        extern "C" {
            pub fn start(strm: *mut header, head: streamp) -> c_int;
            pub fn current() -> *mut header;
            pub fn done(any: *mut stream) -> c_int;
        }
    "#;
    let Some((functions, read)) = functions_of("pointees.h", header, binding) else { return };
    let (wrong, said) = differs_on(&functions, "start");
    assert_eq!(wrong, read);
    assert!(
        said.contains(
            "parameter 1 `strm`: C points at `struct stream`; the binding at `header`, the mirror of `struct header`"
        ),
        "{said}"
    );
    assert!(
        said.contains(
            "parameter 2 `head`: C points at `struct header`; the binding at `stream`, the mirror of `struct stream`"
        ),
        "through the binding's alias and C's typedef: {said}"
    );
    let (wrong, said) = differs_on(&functions, "current");
    assert_eq!(wrong, read);
    assert!(said.starts_with("returns: C points at `struct stream`"), "{said}");
    assert!(!pair(&functions, "done").differs(), "a `void *` takes any pointer");
}

#[test]
fn what_a_pointer_points_at_is_compared_by_its_width_and_whether_c_writes_there() {
    let header = "#include <stddef.h>\n#include <stdint.h>\n\
                  struct opaque;\n\
                  typedef unsigned long *ulong_p;\n\
                  typedef const char *text_t;\n\
                  int count_into(unsigned long *out, ulong_p also, size_t *len);\n\
                  int as_float(float *f);\n\
                  int name_into(char **out);\n\
                  int sum(int values[], double grid[2][3]);\n\
                  int fill(char *buffer, void *scratch, const void *from);\n\
                  const char *version(void);\n\
                  int quiet(char *const *argv, const char **out, text_t name, struct opaque *handle,\n\
                            const uint8_t *key, _Bool *flag, int *by_ref);\n";
    let binding = r#"
        use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};
        pub type text_t = *const c_char;
        extern "C" {
            pub fn count_into(out: *mut u32, also: *mut u32, len: *mut c_uint) -> c_int;
            pub fn as_float(f: *mut i32) -> c_int;
            pub fn name_into(out: *mut c_char) -> c_int;
            pub fn sum(values: *mut i64, grid: *mut [f64; 3]) -> c_int;
            pub fn fill(buffer: *const c_char, scratch: *const c_void, from: *const c_void) -> c_int;
            pub fn version() -> *mut c_char;
            pub fn quiet(argv: *const *mut c_char, out: *mut *const c_char, name: text_t, handle: *mut u8,
                         key: *const [u8; 32], flag: *mut u8, by_ref: &mut c_int) -> c_int;
        }
        pub fn unused(_: c_ulong) {}
    "#;
    let Some((functions, read)) = functions_of("pointee_widths.h", header, binding) else { return };
    let sixty_four = of(&[Target::X86_64Linux, Target::Aarch64Linux], &read);

    // An `unsigned long` is 8 bytes on 64-bit Linux alone; through C's typedef of a pointer too.
    let (wrong, said) = differs_on(&functions, "count_into");
    assert_eq!(wrong, sixty_four, "{said}");
    for parameter in ["parameter 1 `out`", "parameter 2 `also`", "parameter 3 `len`"] {
        assert!(said.contains(parameter), "{parameter}: {said}");
    }
    assert!(
        said.contains(
            "parameter 1 `out`: C's `unsigned long *` points at an unsigned 64-bit integer; the binding's `*mut u32` \
             at an unsigned 32-bit integer: a value there is 8 bytes to C and 4 to the binding"
        ),
        "{said}"
    );
    let (wrong, said) = differs_on(&functions, "as_float");
    assert_eq!(wrong, read);
    assert!(said.contains("the same 4 bytes read as another kind of value"), "{said}");
    let (wrong, said) = differs_on(&functions, "name_into");
    assert_eq!(wrong, read, "C writes a pointer where the binding has one byte");
    assert!(said.contains("C's `char **` points at a pointer"), "{said}");
    let (wrong, said) = differs_on(&functions, "sum");
    assert_eq!(wrong, read);
    assert!(
        said.contains("parameter 1 `values`") && !said.contains("`grid`"),
        "an array of arrays is not compared: {said}"
    );

    // What C may write, bound `*const`: notes, not differences.
    let fill = pair(&functions, "fill");
    assert!(!fill.differs(), "{fill:#?}");
    let notes: Vec<&str> = fill.notes_grouped(Target::triple).into_iter().map(|(_, note)| note).collect();
    assert_eq!(notes.len(), 2, "{notes:#?}");
    assert!(notes[0].starts_with("parameter 1 `buffer`: C's `char *` is not `const`, so C may write through it"));
    assert!(notes[1].starts_with("parameter 2 `scratch`: C's `void *` is not `const`"), "{notes:#?}");
    let version = pair(&functions, "version");
    let notes: Vec<&str> = version.notes_grouped(Target::triple).into_iter().map(|(_, note)| note).collect();
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(notes[0].starts_with("returns: C gives back `const char *`, what it points at not to be written"));

    // Each star's `const`, a typedef's `const`, an opaque record as bytes,
    // an element array, a `_Bool` as a byte and a reference all agree.
    let quiet = pair(&functions, "quiet");
    assert!(!quiet.differs() && quiet.notes_grouped(Target::triple).is_empty(), "{quiet:#?}");
}

#[test]
fn functions_returning_function_pointers_and_arrays_of_arrays_are_written_as_c_declares_them() {
    let header = "void (*on_signal(int sig, void (*handler)(int)))(int);\n\
                  void grid_sum(double grid[2][3], int (*rows)[4], char *argv[]);\n";
    let binding = r#"
        use core::ffi::{c_char, c_int};
        extern "C" {
            pub fn on_signal(sig: c_int, handler: Option<unsafe extern "C" fn(c_int)>) -> Option<unsafe extern "C" fn(c_int)>;
            pub fn grid_sum(grid: *mut [f64; 3], rows: *mut i64, argv: *mut *mut c_char);
        }
    "#;
    let declarations = ffiscope::layout::lab::parser::parse(header);
    assert_eq!(declarations.errors, [], "the lab's own reader reads both");
    let names: Vec<&str> = declarations.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["grid_sum", "on_signal"]);
    let targets = [Target::X86_64Linux];
    let report = ffiscope::layout::lab::report::analyze("typed.h", header, &targets, false);
    let per_target: Vec<_> = targets.iter().map(|&t| (t, declarations.clone())).collect();
    let functions = check_mirror(&report, &per_target, &read_rust(binding), "binding.rs", false).functions;
    let on_signal = pair(&functions, "on_signal");
    assert_eq!(on_signal.c_prototype, "void (*on_signal(int sig, void (*handler)(…)))(…)");
    assert!(!on_signal.differs(), "{on_signal:#?}");
    let grid_sum = pair(&functions, "grid_sum");
    assert_eq!(grid_sum.c_prototype, "void grid_sum(double (*grid)[3], int (*rows)[4], char **argv)");
    assert!(!grid_sum.differs(), "what a pointer to an array points at is not compared: {grid_sum:#?}");

    // Through the preprocessor, an array of arrays is written as the pointer C passes too.
    let preprocessed = format!("#include <stddef.h>\n{header}");
    let Some((functions, _)) = functions_of("arrays_of_arrays.h", &preprocessed, binding) else { return };
    assert_eq!(pair(&functions, "on_signal").c_prototype, "void (*on_signal(int sig, void (*handler)(…)))(…)");
    let grid_sum = pair(&functions, "grid_sum");
    assert!(grid_sum.c_prototype.starts_with("void grid_sum(double (*grid)[3], "), "{}", grid_sum.c_prototype);
    assert!(!grid_sum.differs(), "{grid_sum:#?}");
}
