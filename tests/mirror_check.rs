//! Mirror Check on real types: Rust mirrors of `sockaddr_in`, `sockaddr`,
//! `timeval`, the packed `epoll_event`, `struct stat` and `z_stream`, each
//! written right and wrong in each way a hand-written mirror goes wrong.
//! Every wrong one must be caught on exactly the targets where it is wrong;
//! the right ones must match on every target whose compiler reads the header.
//! The C side is each target's own preprocessor and Struct Lab's reading of
//! it (itself checked against the compilers by `struct_lab_headers`).

use std::fmt::Write as _;
use std::sync::OnceLock;

use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::header::{HeaderOptions, analyze_header_per_target};
use ffiscope::layout::lab::parser::Declarations;
use ffiscope::layout::lab::report::LabReport;
use ffiscope::layout::lab::verify::find_compiler;
use ffiscope::layout::mirror_check::constants::{ConstantPair, ConstantStanding};
use ffiscope::layout::mirror_check::diff::DifferenceKind;
use ffiscope::layout::mirror_check::rust_reader::read_rust;
use ffiscope::layout::mirror_check::{MirrorPair, Standing, check_mirror};

const HEADER: &str = "#include <netinet/in.h>\n#include <sys/socket.h>\n#include <sys/time.h>\n\
                      #include <sys/epoll.h>\n#include <sys/stat.h>\n#include <zlib.h>\n";

fn required() -> bool {
    std::env::var_os("FFISCOPE_REQUIRE_COMPILERS").is_some()
}

/// A header as read: the report and each target's declarations.
type CSide = (LabReport, Vec<(Target, Declarations)>);

/// The header read once for every Linux target with a compiler.
fn c_side() -> Option<&'static CSide> {
    static READ: OnceLock<Option<CSide>> = OnceLock::new();
    READ.get_or_init(|| {
        let zlib = std::path::Path::new("/usr/include/zlib.h").exists();
        if !zlib {
            assert!(!required(), "zlib1g-dev is required");
            eprintln!("note: no zlib.h: the mirror tests are skipped");
            return None;
        }
        read_on_linux_targets("real.h", HEADER)
    })
    .as_ref()
}

/// `text`, written as the header `name`, read by each Linux target's compiler that is here.
fn read_on_linux_targets(name: &str, text: &str) -> Option<CSide> {
    let targets: Vec<Target> = ALL_LINUX.into_iter().filter(|&t| find_compiler(t).is_some()).collect();
    if targets.is_empty() {
        assert!(!required(), "the compilers are required");
        eprintln!("note: no C compiler: the mirror tests are skipped");
        return None;
    }
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mirror_check");
    std::fs::create_dir_all(&folder).expect("a temporary folder");
    let header = folder.join(name);
    std::fs::write(&header, text).expect("written");
    let read = analyze_header_per_target(&header, &targets, &HeaderOptions::default(), false);
    assert!(read.0.errors.is_empty(), "{:?}", read.0.errors);
    Some(read)
}

/// The pair of the Rust type `name` in `mirror`, checked on every target read.
fn checked(mirror: &str, name: &str) -> Option<MirrorPair> {
    let (report, declarations) = c_side()?;
    let rust = read_rust(mirror);
    assert_eq!(rust.errors, [], "the mirror reads");
    let checked = check_mirror(report, declarations, &rust, "mirror.rs", false);
    Some(checked.pairs.into_iter().find(|p| p.rust == name).unwrap_or_else(|| panic!("`{name}` was paired")))
}

/// `mirror` checked against the C side read: its first pair.
fn first_pair(report: &LabReport, declarations: &[(Target, Declarations)], mirror: &str) -> MirrorPair {
    let rust = read_rust(mirror);
    check_mirror(report, declarations, &rust, "mirror.rs", false).pairs.into_iter().next().expect("paired")
}

/// The targets the pair is wrong on.
fn wrong_on(pair: &MirrorPair) -> Vec<Target> {
    pair.targets.iter().filter(|t| t.standing != Standing::Matches).map(|t| t.target).collect()
}

/// Typed C text as Struct Lab reads it, on `targets` (the compilers check
/// it with `verify`): the report and each target's declarations.
fn typed_c_side(name: &str, header: &str, targets: &[Target], verify: bool) -> CSide {
    let report = ffiscope::layout::lab::report::analyze(name, header, targets, verify);
    (report, targets.iter().map(|&t| (t, ffiscope::layout::lab::parser::parse(header))).collect())
}

/// Of `expected`, the targets this machine read.
fn read_of(expected: &[Target]) -> Vec<Target> {
    c_side().map_or_else(Vec::new, |(_, declarations)| read_of_these(declarations, expected))
}

/// Of `expected`, the targets `declarations` were read for.
fn read_of_these(declarations: &[(Target, Declarations)], expected: &[Target]) -> Vec<Target> {
    expected.iter().copied().filter(|t| declarations.iter().any(|(d, _)| d == t)).collect()
}

const ALL_LINUX: [Target; 4] = [Target::X86_64Linux, Target::I686Linux, Target::Aarch64Linux, Target::Armv7Linux];

/// Checks `mirror`'s `name` is wrong on exactly `expected` and says `kind` there.
fn caught(mirror: &str, name: &str, expected: &[Target], kind: DifferenceKind) {
    let Some(pair) = checked(mirror, name) else { return };
    assert_eq!(wrong_on(&pair), read_of(expected), "{name}: {:#?}", pair.targets);
    for on in pair.targets.iter().filter(|t| expected.contains(&t.target)) {
        assert!(
            on.differences.iter().any(|d| d.kind == kind),
            "{name} on {}: no {kind:?} among {:#?}",
            on.target.triple(),
            on.differences
        );
    }
}

fn matches_everywhere(mirror: &str, name: &str) {
    let Some(pair) = checked(mirror, name) else { return };
    assert_eq!(wrong_on(&pair), [], "{name}: {:#?}", pair.targets);
    assert_eq!(pair.targets.len(), read_of(&ALL_LINUX).len());
}

const IN_ADDR: &str = "#[repr(C)] pub struct in_addr { pub s_addr: u32 }\n";

fn sockaddr_in(fields: &str) -> String {
    format!("{IN_ADDR}#[repr(C)] pub struct sockaddr_in {{ {fields} }}\n")
}

const SOCKADDR_IN: &str =
    "pub sin_family: libc::sa_family_t, pub sin_port: u16, pub sin_addr: in_addr, pub sin_zero: [u8; 8],";

#[test]
fn sockaddr_in_right_and_wrong() {
    matches_everywhere(&sockaddr_in(SOCKADDR_IN), "sockaddr_in");
    // Two fields of one type swapped: every offset is a valid one.
    caught(
        &sockaddr_in("pub sin_port: u16, pub sin_family: u16, pub sin_addr: in_addr, pub sin_zero: [u8; 8],"),
        "sockaddr_in",
        &ALL_LINUX,
        DifferenceKind::Order,
    );
    caught(&sockaddr_in(&format!("{SOCKADDR_IN} pub extra: u32,")), "sockaddr_in", &ALL_LINUX, DifferenceKind::Extra);
    caught(
        &sockaddr_in("pub sin_family: u16, pub sin_port: i16, pub sin_addr: in_addr, pub sin_zero: [u8; 8],"),
        "sockaddr_in",
        &ALL_LINUX,
        DifferenceKind::Class,
    );
    caught(
        &sockaddr_in("pub sin_family: u16, pub port: u16, pub sin_addr: in_addr, pub sin_zero: [u8; 8],"),
        "sockaddr_in",
        &ALL_LINUX,
        DifferenceKind::Name,
    );
    caught(
        &format!("{IN_ADDR}pub struct sockaddr_in {{ {SOCKADDR_IN} }}"),
        "sockaddr_in",
        &ALL_LINUX,
        DifferenceKind::NotReprC,
    );
    // The array one short: the struct's size still matches (`sin_zero` is the tail).
    caught(
        &sockaddr_in("pub sin_family: u16, pub sin_port: u16, pub sin_addr: in_addr, pub sin_zero: [u8; 7],"),
        "sockaddr_in",
        &ALL_LINUX,
        DifferenceKind::FieldSize,
    );
}

#[test]
fn sockaddr_with_a_c_char_array_differs_only_where_char_is_unsigned() {
    let right = "#[repr(C)] pub struct sockaddr { pub sa_family: u16, pub sa_data: [core::ffi::c_char; 14] }";
    matches_everywhere(right, "sockaddr");
    let wrong = "#[repr(C)] pub struct sockaddr { pub sa_family: u16, pub sa_data: [i8; 14] }";
    caught(wrong, "sockaddr", &[Target::Aarch64Linux, Target::Armv7Linux], DifferenceKind::Class);
}

#[test]
fn timeval_with_a_64_bit_microsecond_count_is_wrong_on_32_bit_targets() {
    let right = "#[repr(C)] pub struct timeval { pub tv_sec: libc::time_t, pub tv_usec: libc::suseconds_t }";
    matches_everywhere(right, "timeval");
    let wrong = "#[repr(C)] pub struct timeval { pub tv_sec: libc::time_t, pub tv_usec: i64 }";
    caught(wrong, "timeval", &[Target::I686Linux, Target::Armv7Linux], DifferenceKind::FieldSize);
}

const EPOLL_DATA: &str =
    "#[repr(C)] pub union epoll_data { pub ptr: *mut core::ffi::c_void, pub fd: i32, pub u32: u32, pub u64: u64 }\n";

#[test]
fn epoll_event_is_packed_on_x86_only() {
    // As the libc crate writes it.
    let right = format!(
        "{EPOLL_DATA}// mirrors: struct epoll_event\n#[repr(C)]\n\
         #[cfg_attr(any(target_arch = \"x86\", target_arch = \"x86_64\"), repr(packed))]\n\
         pub struct EpollEvent {{ pub events: u32, pub data: epoll_data }}"
    );
    matches_everywhere(&right, "EpollEvent");
    let never_packed =
        format!("{EPOLL_DATA}#[repr(C)] pub struct epoll_event {{ pub events: u32, pub data: epoll_data }}");
    caught(&never_packed, "epoll_event", &[Target::X86_64Linux, Target::I686Linux], DifferenceKind::Align);
    let always_packed =
        format!("{EPOLL_DATA}#[repr(C, packed)] pub struct epoll_event {{ pub events: u32, pub data: epoll_data }}");
    caught(&always_packed, "epoll_event", &[Target::Aarch64Linux, Target::Armv7Linux], DifferenceKind::Offset);
}

const TIMESPEC: &str = "#[repr(C)] pub struct timespec { pub tv_sec: libc::time_t, pub tv_nsec: core::ffi::c_long }\n";

/// `struct stat` as glibc lays it out on each architecture.
const STAT: &str = r#"
use core::ffi::{c_int, c_long, c_ulong, c_ushort};

#[cfg(any(target_arch = "x86", target_arch = "arm"))]
#[repr(C)]
pub struct stat {
    pub st_dev: libc::dev_t,
    pub __pad1: c_ushort,
    pub st_ino: libc::ino_t,
    pub st_mode: libc::mode_t,
    pub st_nlink: libc::nlink_t,
    pub st_uid: libc::uid_t,
    pub st_gid: libc::gid_t,
    pub st_rdev: libc::dev_t,
    pub __pad2: c_ushort,
    pub st_size: libc::off_t,
    pub st_blksize: libc::blksize_t,
    pub st_blocks: libc::blkcnt_t,
    pub st_atim: timespec,
    pub st_mtim: timespec,
    pub st_ctim: timespec,
    pub __glibc_reserved4: c_ulong,
    pub __glibc_reserved5: c_ulong,
}

#[cfg(target_arch = "aarch64")]
#[repr(C)]
pub struct stat {
    pub st_dev: libc::dev_t,
    pub st_ino: libc::ino_t,
    pub st_mode: libc::mode_t,
    pub st_nlink: libc::nlink_t,
    pub st_uid: libc::uid_t,
    pub st_gid: libc::gid_t,
    pub st_rdev: libc::dev_t,
    pub __pad1: libc::dev_t,
    pub st_size: libc::off_t,
    pub st_blksize: libc::blksize_t,
    pub __pad2: c_int,
    pub st_blocks: libc::blkcnt_t,
    pub st_atim: timespec,
    pub st_mtim: timespec,
    pub st_ctim: timespec,
    pub __glibc_reserved: [c_int; 2],
}
"#;

/// `x86_64`'s `struct stat`, under `cfg` (an attribute line, or nothing).
fn stat_x86_64(cfg: &str) -> String {
    format!("{cfg}\n{STAT_X86_64}")
}

const STAT_X86_64: &str = r"
#[repr(C)]
pub struct stat {
    pub st_dev: libc::dev_t,
    pub st_ino: libc::ino_t,
    pub st_nlink: libc::nlink_t,
    pub st_mode: libc::mode_t,
    pub st_uid: libc::uid_t,
    pub st_gid: libc::gid_t,
    pub __pad0: core::ffi::c_int,
    pub st_rdev: libc::dev_t,
    pub st_size: libc::off_t,
    pub st_blksize: libc::blksize_t,
    pub st_blocks: libc::blkcnt_t,
    pub st_atim: timespec,
    pub st_mtim: timespec,
    pub st_ctim: timespec,
    pub __glibc_reserved: [core::ffi::c_long; 3],
}
";

#[test]
fn struct_stat_differs_by_architecture() {
    let right = format!("{TIMESPEC}{STAT}{}", stat_x86_64("#[cfg(target_arch = \"x86_64\")]"));
    matches_everywhere(&right, "stat");
    // x86_64's layout taken for all: right there only (on i686 even its size agrees).
    let everywhere = format!("{TIMESPEC}{}", stat_x86_64(""));
    caught(
        &everywhere,
        "stat",
        &[Target::I686Linux, Target::Aarch64Linux, Target::Armv7Linux],
        DifferenceKind::Missing,
    );
    // The per-architecture mirror with x86_64's left out: nothing to build with there.
    let Some(pair) = checked(&format!("{TIMESPEC}{STAT}"), "stat") else { return };
    let x86_64 = pair.targets.iter().find(|t| t.target == Target::X86_64Linux).expect("x86_64");
    assert_eq!(x86_64.standing, Standing::NoMirror);
}

fn z_stream(replace: &[(&str, &str)]) -> String {
    let mut fields = String::from(
        "pub next_in: *const u8, pub avail_in: c_uint, pub total_in: c_ulong, \
         pub next_out: *mut u8, pub avail_out: c_uint, pub total_out: c_ulong, \
         pub msg: *const c_char, pub state: *mut c_void, \
         pub zalloc: Option<unsafe extern \"C\" fn(*mut c_void, c_uint, c_uint) -> *mut c_void>, \
         pub zfree: Option<unsafe extern \"C\" fn(*mut c_void, *mut c_void)>, pub opaque: *mut c_void, \
         pub data_type: c_int, pub adler: c_ulong, pub reserved: c_ulong,",
    );
    for (from, to) in replace {
        assert!(fields.contains(from), "{from}");
        fields = fields.replace(from, to);
    }
    format!(
        "use core::ffi::{{c_char, c_int, c_uint, c_ulong, c_void}};\n// mirrors: z_stream\n\
         #[repr(C)] pub struct ZStream {{ {fields} }}\n"
    )
}

#[test]
fn z_stream_right_and_wrong() {
    matches_everywhere(&z_stream(&[]), "ZStream");
    // Widened into the padding that follows it on 64-bit targets: no offset moves there.
    let widened = z_stream(&[("pub avail_in: c_uint", "pub avail_in: u64")]);
    caught(&widened, "ZStream", &ALL_LINUX, DifferenceKind::FieldSize);
    if let Some(pair) = checked(&widened, "ZStream") {
        let x86_64 = pair.targets.iter().find(|t| t.target == Target::X86_64Linux).expect("x86_64");
        assert!(x86_64.differences.iter().all(|d| d.kind != DifferenceKind::Offset), "{:#?}", x86_64.differences);
        assert!(x86_64.differences.iter().any(|d| d.message.contains("widened into the padding")));
    }
    caught(&z_stream(&[(" pub reserved: c_ulong,", "")]), "ZStream", &ALL_LINUX, DifferenceKind::Missing);
    // `uLong` is `unsigned long`: 4 bytes on 32-bit Linux.
    caught(
        &z_stream(&[("pub total_in: c_ulong", "pub total_in: u64")]),
        "ZStream",
        &[Target::I686Linux, Target::Armv7Linux],
        DifferenceKind::FieldSize,
    );
    // `bool` for `int`: every offset and the size still agree.
    let boolean = z_stream(&[("pub data_type: c_int", "pub data_type: bool")]);
    caught(&boolean, "ZStream", &ALL_LINUX, DifferenceKind::Class);
    if let Some(pair) = checked(&boolean, "ZStream") {
        for on in &pair.targets {
            assert!(on.differences.iter().all(|d| !matches!(d.kind, DifferenceKind::Offset | DifferenceKind::Size)));
        }
    }
}

/// Windows through Struct Lab's own reader (no Windows SDK needed): `long`
/// is 4 bytes there and on 32-bit Linux.
#[test]
fn c_long_differs_on_windows_and_32_bit_linux() {
    let header = "struct record { long flags; char tag; int count; };\n";
    let (report, declarations) = typed_c_side("record.h", header, &Target::ALL, false);
    let check = |mirror: &str| {
        let rust = read_rust(mirror);
        check_mirror(&report, &declarations, &rust, "record.rs", false).pairs.remove(0)
    };
    let right = check("#[repr(C)] struct record { flags: core::ffi::c_long, tag: core::ffi::c_char, count: i32 }");
    assert_eq!(wrong_on(&right), []);
    let wrong = check("#[repr(C)] struct record { flags: i64, tag: core::ffi::c_char, count: i32 }");
    assert_eq!(wrong_on(&wrong), [Target::I686Linux, Target::Armv7Linux, Target::X86_64Windows]);
    let windows = wrong.targets.iter().find(|t| t.target == Target::X86_64Windows).expect("windows");
    let flags = windows.differences.iter().find(|d| d.field.as_deref() == Some("flags")).expect("flags");
    assert_eq!(flags.message, "`flags`: 4 bytes in C on x86_64-windows-msvc (`long`), 8 in Rust (`i64`)");
}

#[test]
fn guards_hold_for_a_right_mirror_and_stop_the_build_of_a_wrong_one() {
    use ffiscope::layout::mirror_check::guards::{c_guards, rust_guards};
    use ffiscope::layout::mirror_check::rustc::build_with;
    let (Some((report, declarations)), Some(host)) = (c_side(), Target::host()) else { return };
    let guarded = |mirror: &str| {
        let rust = read_rust(mirror);
        let checked = check_mirror(report, declarations, &rust, "mirror.rs", false);
        let guards = rust_guards(&checked, &rust);
        (build_with(&rust, host, &guards), c_guards(&checked))
    };
    let right = format!("{}{}", z_stream(&[]), sockaddr_in(SOCKADDR_IN));
    let (built, c) = guarded(&right);
    let Ok(printed) = built else { return }; // no rustc here
    assert_eq!(printed, "", "the right mirror builds with its guards");
    // The C guards hold for the header on the host.
    if let Some(gcc) = find_compiler(host) {
        assert_eq!(c_compiles(&gcc, &format!("{HEADER}{c}")), Ok(()));
        assert!(c.contains("_Static_assert(offsetof(struct z_stream_s, adler) =="), "{c}");
    }
    // A field widened into padding: no offset moves, the guard on its size stops the build.
    let (built, _) = guarded(&z_stream(&[("pub avail_in: c_uint", "pub avail_in: u64")]));
    let printed = built.expect("rustc ran");
    assert!(printed.contains("size_of::<u64>() == 4"), "{printed}");
}

#[test]
fn rustc_confirms_the_rust_side_where_it_can_build() {
    let Some((report, declarations)) = c_side() else { return };
    if std::process::Command::new("rustc").arg("--version").output().is_err() {
        return;
    }
    let rust = read_rust(&format!("{}{}", z_stream(&[]), sockaddr_in(SOCKADDR_IN)));
    let checked = check_mirror(report, declarations, &rust, "mirror.rs", true);
    for pair in &checked.pairs {
        for on in &pair.targets {
            let said = on.rust_checked.as_deref().expect("said either way");
            if Some(on.target) == Target::host() {
                assert!(said.starts_with("checked by rustc"), "{}: {said}", pair.rust);
            } else {
                assert!(said.starts_with("checked by rustc") || said.starts_with("model only"), "{said}");
            }
        }
    }
}

/// libz-sys writes `z_stream`'s sizes with a macro of its own, defined one
/// way under `cfg(zng)` and another without: each target reads the
/// definition in force, as rustc does, in an alias and in a field alike.
#[test]
fn a_type_written_with_the_files_own_macro_is_read_as_its_definition_in_force_expands_it() {
    const IF_ZNG: &str = "#[cfg(not(zng))]\nmacro_rules! if_zng { ($_zng:tt, $not_zng:tt) => { $not_zng }; }\n\
                          #[cfg(zng)]\nmacro_rules! if_zng { ($zng:tt, $_not_zng:tt) => { $zng }; }\n\
                          type z_size = if_zng!(usize, c_ulong);\n";
    let mirror = format!(
        "{IF_ZNG}{}",
        z_stream(&[
            ("pub total_in: c_ulong", "pub total_in: z_size"),
            ("pub adler: c_ulong", "pub adler: if_zng!(u32, c_ulong)"),
        ])
    );
    matches_everywhere(&mirror, "ZStream");

    let Some((report, declarations)) = c_side() else { return };
    let mut rust = read_rust(&mirror);
    let zng = ffiscope::layout::mirror_check::cfg::Cfg::parse_set("zng").expect("a cfg");
    rust.set_cfgs(&[zng]);
    let report = check_mirror(report, declarations, &rust, "mirror.rs", true);
    let pair = report.pairs.iter().find(|p| p.rust == "ZStream").expect("paired");
    // zlib-ng's `uint32_t` is zlib's `unsigned long` where that is 4 bytes.
    assert_eq!(wrong_on(pair), read_of(&[Target::X86_64Linux, Target::Aarch64Linux]), "{:#?}", pair.targets);
    let host = pair.targets.iter().find(|t| Some(t.target) == Target::host());
    if let Some(said) = host.and_then(|on| on.rust_checked.as_deref()) {
        let rustc_here = std::process::Command::new("rustc").arg("--version").output().is_ok();
        assert!(!rustc_here || said.starts_with("checked by rustc"), "rustc expands the macros too: {said}");
    }

    let undefined = z_stream(&[("pub adler: c_ulong", "pub adler: other_crate_macro!(u32)")]);
    let Some(pair) = checked(&undefined, "ZStream") else { return };
    let on = &pair.targets[0];
    assert_eq!(on.standing, Standing::Unreadable);
    assert!(on.why.as_deref().is_some_and(|why| why.contains("`other_crate_macro!(u32)` has no layout")), "{on:#?}");
}

/// A union's renamed members pair by their types, as the x11 crate renames
/// every member of Xlib's `XEvent` (`xkey` of type `XKeyEvent` is `key`):
/// of two records of one size, the one of the same type, in any order; a
/// member of a type C's union does not have is an extra one, no rename.
#[test]
fn a_unions_renamed_members_pair_by_their_types() {
    let header = "typedef struct { int type; long serial; } XKeyEvent;\n\
                  typedef struct { int type; long window; } XButtonEvent;\n\
                  typedef struct { int type; int x; } XSmallEvent;\n\
                  union event { int type; XKeyEvent xkey; XButtonEvent xbutton; XSmallEvent xsmall; };\n";
    let (report, declarations) = typed_c_side("event.h", header, &[Target::X86_64Linux], false);
    let rust = read_rust(
        "use core::ffi::c_long;\n\
         #[repr(C)] pub struct XKeyEvent { pub type_: i32, pub serial: c_long }\n\
         #[repr(C)] pub struct XButtonEvent { pub type_: i32, pub window: c_long }\n\
         #[repr(C)] pub struct XOtherEvent { pub type_: i32, pub y: i32 }\n\
         #[repr(C)] pub union event { pub type_: i32, pub button: XButtonEvent, pub key: XKeyEvent, \
         pub other: XOtherEvent }\n",
    );
    let checked = check_mirror(&report, &declarations, &rust, "event.rs", false);
    let pair = checked.pairs.iter().find(|p| p.rust == "event").expect("paired");
    let messages: Vec<&str> = pair.targets[0].differences.iter().map(|d| d.message.as_str()).collect();
    assert!(messages.contains(&"at offset 0: `xkey` in C, `key` in Rust"), "{messages:#?}");
    assert!(messages.contains(&"at offset 0: `xbutton` in C, `button` in Rust"), "{messages:#?}");
    assert!(messages.iter().any(|m| m.starts_with("`other`: in the Rust mirror at offset 0")), "{messages:#?}");
    assert_eq!(messages.len(), 3, "nothing else differs: {messages:#?}");
}

/// openssl-sys declares its types in `cfg_if!` blocks: each branch is in
/// force where its cfg holds and no earlier one's did, and an empty enum
/// there (`pub enum X509_ALGOR {}`) stands for the type as an opaque one.
#[test]
fn cfg_if_branches_and_empty_enums_are_read_as_rustc_reads_them() {
    let header = "struct algor { void *algorithm; void *parameter; };\nstruct ctx { int flags; int more; };\n";
    let targets = [Target::X86_64Linux, Target::X86_64Windows];
    let (report, declarations) = typed_c_side("x509.h", header, &targets, false);
    let mirror = "cfg_if! {\n\
                  if #[cfg(ossl110)] {\n\
                      pub enum algor {}\n\
                      #[repr(C)] pub struct ctx { pub flags: i32, pub more: i32 }\n\
                  } else if #[cfg(unix)] {\n\
                      #[repr(C)] pub struct algor { pub algorithm: *mut u8, pub parameter: *mut u8 }\n\
                      #[repr(C)] pub struct ctx { pub flags: i32 }\n\
                  }\n\
                  }\n";
    let standings = |set: &[&str]| {
        let mut rust = read_rust(mirror);
        assert_eq!(rust.errors, []);
        let set: Vec<_> = set.iter().map(|s| ffiscope::layout::mirror_check::cfg::Cfg::parse_set(s).unwrap()).collect();
        rust.set_cfgs(&set);
        let checked = check_mirror(&report, &declarations, &rust, "types.rs", true);
        let of = |name: &str| -> Vec<Standing> {
            let pair = checked.pairs.iter().find(|p| p.rust == name).expect("paired");
            pair.targets.iter().map(|t| t.standing).collect()
        };
        let rustc_said = checked.pairs[0].targets[0].rust_checked.clone().unwrap_or_default();
        (of("algor"), of("ctx"), checked.has_mismatch(), rustc_said)
    };
    // Linux takes the `unix` branch; Windows neither.
    let (algor, ctx, mismatch, rustc_said) = standings(&[]);
    assert_eq!(algor, [Standing::Matches, Standing::NoMirror]);
    assert_eq!(ctx, [Standing::Differs, Standing::NoMirror]);
    assert!(mismatch);
    let rustc_here = std::process::Command::new("rustc").arg("--version").output().is_ok();
    assert!(!rustc_here || rustc_said.starts_with("checked by rustc"), "{rustc_said}");
    // With `ossl110` the first branch is in force everywhere: `algor` is opaque there.
    let (algor, ctx, mismatch, _) = standings(&["ossl110"]);
    assert_eq!(algor, [Standing::Opaque, Standing::Opaque]);
    assert_eq!(ctx, [Standing::Matches, Standing::Matches]);
    assert!(!mismatch, "an opaque type is no difference");
}

/// bindgen names a record declared by name inside another by both
/// (`_XImage_funcs` for Xlib's `struct funcs` inside `struct _XImage`): it
/// pairs with the inner record. Its helpers (`__BindgenFloat16`) mirror no
/// C type and are not listed as unpaired.
#[test]
fn a_nested_named_record_pairs_by_bindgens_name_for_it() {
    let header = "typedef struct _XImage { int width; struct funcs { void *(*create)(void); int (*destroy)(void *); } f; } XImage;\n";
    let (report, declarations) = typed_c_side("Xlib.h", header, &[Target::X86_64Linux], false);
    let rust = read_rust(
        "#[repr(transparent)] pub struct __BindgenFloat16(pub u16);\n\
         #[repr(C)] pub struct _XImage_funcs { pub create: Option<unsafe extern \"C\" fn() -> *mut u8>, \
         pub destroy: Option<unsafe extern \"C\" fn(*mut u8) -> i32> }\n\
         #[repr(C)] pub struct Unrelated_name { pub x: u8 }\n",
    );
    let checked = check_mirror(&report, &declarations, &rust, "bindings.rs", false);
    let pair = checked.pairs.iter().find(|p| p.rust == "_XImage_funcs").expect("paired");
    assert_eq!((pair.c.as_str(), pair.targets[0].standing), ("struct funcs", Standing::Matches), "{pair:#?}");
    assert_eq!(checked.unpaired, ["Unrelated_name"], "no outer C type `Unrelated`, and no helper");
}

/// The standard library's `RawFd` is C's `int` on Unix (wayland-sys's
/// `wl_argument.h`); Windows has none, and the mirror says so there.
#[test]
fn raw_fd_is_a_c_int_on_unix() {
    let header = "union wl_argument { int i; unsigned u; int h; void *o; };\n";
    let (report, declarations) = typed_c_side("wayland-util.h", header, &Target::ALL, true);
    let rust = read_rust(
        "use std::os::unix::io::RawFd;\n#[repr(C)]\n\
         pub union wl_argument { pub i: i32, pub u: u32, pub h: RawFd, pub o: *mut core::ffi::c_void }\n",
    );
    let pair = check_mirror(&report, &declarations, &rust, "common.rs", true).pairs.remove(0);
    assert_eq!(wrong_on(&pair), [Target::X86_64Windows], "{:#?}", pair.targets);
    let windows = pair.targets.iter().find(|t| t.target == Target::X86_64Windows).expect("windows");
    assert!(windows.why.as_deref().is_some_and(|why| why.contains("`RawFd`")), "{windows:#?}");
    let host = pair.targets.iter().find(|t| Some(t.target) == Target::host()).expect("the host");
    let said = host.rust_checked.as_deref().unwrap_or_default();
    let rustc_here = std::process::Command::new("rustc").arg("--version").output().is_ok();
    assert!(!rustc_here || said.starts_with("checked by rustc"), "{said}");
}

/// Rust has no bitfields: a mirror keeps a run of them in its storage
/// integer, which is no extra field; Microsoft's bitfields move what follows.
#[test]
fn bitfields_are_mirrored_by_their_storage() {
    let header =
        "struct flags { unsigned kind : 2; unsigned ready : 1; unsigned priority : 5; unsigned short code; };\n";
    let (report, declarations) = typed_c_side("flags.h", header, &Target::ALL, false);
    let rust = read_rust("#[repr(C, align(4))]\npub struct flags { pub bits: u8, pub code: u16 }\n");
    let pair = check_mirror(&report, &declarations, &rust, "flags.rs", false).pairs.remove(0);
    assert_eq!(wrong_on(&pair), [Target::X86_64Windows], "{:#?}", pair.targets);
    let windows = pair.targets.iter().find(|t| t.target == Target::X86_64Windows).expect("windows");
    assert!(
        windows
            .differences
            .iter()
            .any(|d| d.message == "`code`: at offset 4 in C on x86_64-windows-msvc, at 2 in Rust"),
        "{:#?}",
        windows.differences
    );
    assert!(pair.targets.iter().all(|t| t.differences.iter().all(|d| d.kind != DifferenceKind::Extra)));
}

/// The libc crate's own mirrors for `x86_64` glibc (the version this project
/// builds with, from cargo's registry), checked against the host's headers.
fn libc_crate_mirrors() -> Option<String> {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).ok()?;
    let version = lock.split("[[package]]").find(|p| p.contains("name = \"libc\""))?;
    let version = version.lines().find_map(|l| l.strip_prefix("version = "))?.trim_matches('"').to_owned();
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")))?;
    let registry = std::fs::read_dir(home.join("registry/src")).ok()?;
    registry.flatten().find_map(|index| {
        let file = index.path().join(format!("libc-{version}/src/unix/linux_like/linux/gnu/b64/x86_64/mod.rs"));
        std::fs::read_to_string(file).ok()
    })
}

#[test]
fn the_libc_crates_own_mirrors_are_read_and_checked() {
    if Target::host() != Some(Target::X86_64Linux) || find_compiler(Target::X86_64Linux).is_none() {
        return;
    }
    let Some(mirrors) = libc_crate_mirrors() else {
        eprintln!("note: the libc crate's source is not in cargo's registry here: skipped");
        return;
    };
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mirror_check_libc");
    std::fs::create_dir_all(&folder).expect("a temporary folder");
    let header = folder.join("libc.h");
    std::fs::write(
        &header,
        "#include <sys/stat.h>\n#include <signal.h>\n#include <sys/user.h>\n#include <sys/shm.h>\n",
    )
    .expect("written");
    let (report, declarations) =
        analyze_header_per_target(&header, &[Target::X86_64Linux], &HeaderOptions::default(), false);
    let rust = read_rust(&mirrors);
    assert_eq!(rust.errors, [], "the libc crate's file reads");
    let checked = check_mirror(&report, &declarations, &rust, "mod.rs", false);
    let on_host = |name: &str| {
        let pair = checked.pairs.iter().find(|p| p.rust == name).unwrap_or_else(|| panic!("`{name}` paired"));
        pair.targets[0].clone()
    };
    // `s! { … }` marks them #[repr(C)]; they match glibc's.
    for name in ["stack_t", "user_regs_struct", "user_fpregs_struct"] {
        assert_eq!(on_host(name).standing, Standing::Matches, "{name}: {:#?}", on_host(name).differences);
    }
    // libc spells each `struct timespec` of `struct stat` as two fields: the bytes agree.
    let stat = on_host("stat");
    assert!(
        stat.differences.iter().all(|d| matches!(d.kind, DifferenceKind::Split | DifferenceKind::Name)),
        "{:#?}",
        stat.differences
    );
    assert_eq!(stat.differences.iter().filter(|d| d.kind == DifferenceKind::Split).count(), 3);
}

/// A mirror of the outer type alone: the nested C type it names without
/// declaring is laid out as C declares it, and the report says so.
#[test]
fn a_nested_type_the_mirror_does_not_declare_is_taken_from_c_and_said() {
    let Some((report, declarations)) = c_side() else { return };
    let rust = read_rust(
        "// mirrors: struct sockaddr_in\n\
         #[repr(C)] pub struct Addr { pub sin_family: u16, pub sin_port: u16, pub sin_addr: in_addr, pub sin_zero: [u8; 8] }",
    );
    let checked = check_mirror(report, declarations, &rust, "mirror.rs", false);
    for on in &checked.pairs[0].targets {
        assert_eq!(on.standing, Standing::Matches, "{:#?}", on.differences);
        assert!(on.notes.iter().any(|n| n.starts_with("`in_addr` is not declared in the mirror")), "{:?}", on.notes);
    }
}

/// A header with what bindgen has to write around: a member named `type`,
/// a flexible array member, anonymous unions and structs (one packed, one
/// inside another, one a union bindgen can only emulate), an array of an
/// unnamed struct, a run of bitfields, a type bindgen was told to keep opaque,
/// an enum it was told to make a Rust enum and a typedef of an enum, which
/// bindgen makes `c_uint` where GCC makes it unsigned (no value is negative).
const BINDGEN_HEADER: &str = "#include <stdint.h>\n\
    struct key_spec { uint32_t type; uint32_t __reserved; union { uint8_t __reserved[32]; uint8_t descriptor[8]; } u; };\n\
    struct payload { uint32_t type; uint32_t flags; uint8_t raw[]; };\n\
    struct caps { uint32_t magic; struct { uint32_t permitted; uint32_t inheritable; } data[2]; };\n\
    struct hidden { uint16_t kind; uint16_t flags; uint32_t words[2]; };\n\
    struct msg { uint32_t len; union { uint32_t code; uint8_t cmd[0]; }; };\n\
    enum color { RED, GREEN, BLUE };\n\
    struct pixel { enum color c; uint8_t alpha; };\n\
    typedef enum { MODE_READ, MODE_WRITE } open_mode;\n\
    typedef open_mode mode_alias;\n\
    struct opener { open_mode mode; mode_alias again; int32_t fd; };\n\
    struct sqe {\n\
        uint8_t opcode; uint8_t flags; uint16_t ioprio; int32_t fd;\n\
        union { uint64_t off; uint64_t addr2; struct { uint32_t cmd_op; uint32_t __pad1; }; };\n\
        union { uint16_t buf_index; uint16_t buf_group; } __attribute__((packed));\n\
        uint16_t personality;\n\
        struct { unsigned kind : 3; unsigned ready : 1; };\n\
    };\n";

/// The header's mirror as bindgen writes it: its helper types as it emits
/// them, `type_` for `type`, and a type of its own for each anonymous member
/// (one with the member older bindgen gave a union to align it).
const BINDGEN_MIRROR: &str = r"
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct __BindgenBitfieldUnit<Storage> {
    storage: Storage,
}
#[repr(C)]
#[derive(Default)]
pub struct __IncompleteArrayField<T>(::core::marker::PhantomData<T>, [T; 0]);
#[repr(C)]
pub struct __BindgenUnionField<T>(::core::marker::PhantomData<T>);
#[repr(C)]
pub struct key_spec { pub type_: u32, pub __reserved: u32, pub u: key_spec__bindgen_ty_1 }
#[repr(C)]
pub union key_spec__bindgen_ty_1 { pub __reserved: [u8; 32usize], pub descriptor: [u8; 8usize] }
#[repr(C)]
pub struct payload { pub type_: u32, pub flags: u32, pub raw: __IncompleteArrayField<u8> }
#[repr(C)]
pub struct caps { pub magic: u32, pub data: [caps__bindgen_ty_1; 2usize] }
#[repr(C)]
#[derive(Copy, Clone)]
pub struct caps__bindgen_ty_1 { pub permitted: u32, pub inheritable: u32 }
#[repr(C)]
#[repr(align(4))]
pub struct hidden {
    pub _bindgen_opaque_blob: [u32; 3usize],
}
#[repr(u32)]
#[derive(Debug, Copy, Clone, Hash, PartialEq, Eq)]
pub enum color {
    RED = 0,
    GREEN = 1,
    BLUE = 2,
}
#[repr(C)]
pub struct pixel { pub c: color, pub alpha: u8 }
pub const open_mode_MODE_READ: open_mode = 0;
pub type open_mode = ::std::os::raw::c_uint;
pub type mode_alias = open_mode;
#[repr(C)]
pub struct opener { pub mode: open_mode, pub again: mode_alias, pub fd: i32 }
#[repr(C)]
pub struct msg { pub len: u32, pub __bindgen_anon_1: msg__bindgen_ty_1 }
#[repr(C)]
pub struct msg__bindgen_ty_1 {
    pub code: __BindgenUnionField<u32>,
    pub cmd: __BindgenUnionField<__IncompleteArrayField<u8>>,
    pub bindgen_union_field: u32,
}
#[repr(C)]
pub struct sqe {
    pub opcode: u8,
    pub flags: u8,
    pub ioprio: u16,
    pub fd: i32,
    pub __bindgen_anon_1: sqe__bindgen_ty_1,
    pub __bindgen_anon_2: sqe__bindgen_ty_2,
    pub personality: u16,
    pub __bindgen_anon_3: sqe__bindgen_ty_3,
}
#[repr(C)]
pub union sqe__bindgen_ty_1 {
    pub off: u64,
    pub addr2: u64,
    pub __bindgen_anon_1: sqe__bindgen_ty_1__bindgen_ty_1,
    _bindgen_union_align: u64,
}
#[repr(C)]
#[derive(Copy, Clone)]
pub struct sqe__bindgen_ty_1__bindgen_ty_1 { pub cmd_op: u32, pub __pad1: u32 }
#[repr(C, packed)]
pub union sqe__bindgen_ty_2 { pub buf_index: u16, pub buf_group: u16 }
#[repr(C)]
#[repr(align(4))]
pub struct sqe__bindgen_ty_3 {
    pub _bitfield_align_1: [u8; 0],
    pub _bitfield_1: __BindgenBitfieldUnit<[u8; 1usize]>,
    pub __bindgen_padding_0: [u8; 3usize],
}
";

/// The bindgen header read by each Linux target's compiler that is here.
fn bindgen_c_side() -> Option<CSide> {
    read_on_linux_targets("bindgen.h", BINDGEN_HEADER)
}

/// bindgen's output matches where it is right: its generic helpers are laid
/// out where fields name them (a struct of `__BindgenUnionField`s as the
/// union it stands for), `type_` is C's `type`, and each anonymous
/// member is compared as the field that stands for it, inside and out. None
/// of its types is left over as mirroring nothing.
#[test]
fn a_bindgen_mirror_is_checked_as_bindgen_means_it() {
    let Some((report, declarations)) = bindgen_c_side() else { return };
    let rust = read_rust(BINDGEN_MIRROR);
    assert_eq!(rust.errors, []);
    let checked = check_mirror(&report, &declarations, &rust, "bindings.rs", false);
    let paired: Vec<&str> = checked.pairs.iter().map(|p| p.rust.as_str()).collect();
    assert_eq!(paired, ["key_spec", "payload", "caps", "hidden", "pixel", "opener", "msg", "sqe"]);
    assert_eq!(checked.unpaired, Vec::<String>::new(), "helpers and anonymous members' types mirror nothing alone");
    for pair in &checked.pairs {
        assert_eq!(wrong_on(pair), [], "{}: {:#?}", pair.rust, pair.targets);
        assert_eq!(pair.targets.len(), declarations.len());
    }
    // An opaque type is its size and alignment, and says so.
    let hidden = checked.pairs.iter().find(|p| p.rust == "hidden").expect("hidden");
    assert!(hidden.targets.iter().all(|t| t.notes.iter().any(|n| n.starts_with("opaque in the mirror"))));
}

/// A mistake inside an anonymous member is said there, with the bytes it
/// concerns where they lie in the outer type.
#[test]
fn a_mistake_inside_an_anonymous_member_is_said_where_it_is() {
    let Some((report, declarations)) = bindgen_c_side() else { return };
    let wrong = BINDGEN_MIRROR
        .replace("pub cmd_op: u32, pub __pad1: u32", "pub cmd_op: u16, pub __pad1: u32")
        .replace("#[repr(C, packed)]\npub union sqe__bindgen_ty_2", "#[repr(C)]\npub union sqe__bindgen_ty_2")
        .replace("pub inheritable: u32", "pub inheritable: u64")
        .replace("_bindgen_opaque_blob: [u32; 3usize]", "_bindgen_opaque_blob: [u32; 4usize]");
    let rust = read_rust(&wrong);
    let checked = check_mirror(&report, &declarations, &rust, "bindings.rs", false);
    // Inside an array of an unnamed struct: its first element, where it lies.
    let caps = checked.pairs.iter().find(|p| p.rust == "caps").expect("caps");
    for on in &caps.targets {
        let said: Vec<(&str, Option<(u64, u64)>)> =
            on.differences.iter().map(|d| (d.message.as_str(), d.c_bytes)).collect();
        let triple = on.target.triple();
        let inheritable = format!(
            "in `data[0]`, C's unnamed struct at offset 4: `inheritable`: 4 bytes in C on {triple} (`uint32_t`), 8 in Rust (`u64`)"
        );
        assert!(said.contains(&(inheritable.as_str(), Some((8, 12)))), "{said:#?}");
    }
    // An opaque blob of the wrong size: only the size is there to say.
    let hidden = checked.pairs.iter().find(|p| p.rust == "hidden").expect("hidden");
    for on in &hidden.targets {
        let kinds: Vec<DifferenceKind> = on.differences.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [DifferenceKind::Size], "{:#?}", on.differences);
    }
    let sqe = checked.pairs.iter().find(|p| p.rust == "sqe").expect("sqe");
    for on in &sqe.targets {
        let triple = on.target.triple();
        let cmd_op =
            on.differences.iter().find(|d| d.field.as_deref() == Some("__bindgen_anon_1.__bindgen_anon_1.cmd_op"));
        let cmd_op = cmd_op.unwrap_or_else(|| panic!("cmd_op on {triple}: {:#?}", on.differences));
        assert_eq!(
            cmd_op.message,
            format!(
                "in `__bindgen_anon_1`, C's anonymous union at offset 8: in `__bindgen_anon_1`, C's anonymous struct \
                 at offset 0: `cmd_op`: 4 bytes in C on {triple} (`uint32_t`), 2 in Rust (`u16`): narrowed, leaving \
                 padding C does not have, so every offset and the size still agree"
            )
        );
        assert_eq!(cmd_op.c_bytes, Some((8, 12)), "where cmd_op lies in sqe");
        // The packed union is aligned to 1 in C; the mirror's, to 2.
        assert!(
            on.differences.iter().any(|d| d.kind == DifferenceKind::FieldAlign
                && d.message == format!("`__bindgen_anon_2`: aligned to 1 in C on {triple} (`union {{…}}`), to 2 in Rust (`sqe__bindgen_ty_2`)")),
            "{:#?}",
            on.differences
        );
    }
}

/// A crate that names its structs apart from C and gives them C's names by
/// aliases (`pub type FcMatrix = struct__FcMatrix;`, as
/// yeslogic-fontconfig-sys does) is paired through the alias, and its `_type`
/// is C's `type`, as `type_` is.
#[test]
fn a_struct_pairs_through_an_alias_of_it_and_underscore_type_is_type() {
    let Some((report, declarations)) = read_on_linux_targets(
        "aliased.h",
        "typedef struct _matrix { double xx, xy; } matrix;\n\
         typedef struct _object_type { const char *object; int type; } object_type;\n",
    ) else {
        return;
    };
    let rust = read_rust(
        "#[repr(C)] pub struct struct__matrix { pub xx: f64, pub xy: f64 }\n\
         pub type matrix = struct__matrix;\n\
         #[repr(C)] pub struct object_type_rec { pub object: *const i8, pub _type: i32 }\n\
         pub type object_type = object_type_rec;\n\
         #[repr(C)] pub struct unrelated { pub a: i32 }\n",
    );
    let checked = check_mirror(&report, &declarations, &rust, "lib.rs", false);
    let paired: Vec<(&str, &str)> = checked.pairs.iter().map(|p| (p.rust.as_str(), p.c.as_str())).collect();
    assert_eq!(paired, [("struct__matrix", "struct _matrix"), ("object_type_rec", "struct _object_type")]);
    for pair in &checked.pairs {
        assert_eq!(wrong_on(pair), [], "{}: {:#?}", pair.rust, pair.targets);
    }
    assert_eq!(checked.unpaired, ["unrelated"]);
}

/// A mirror may name a type C only has as a macro (Xlib's `#define Bool
/// int`, `#define Status int`): it is laid out as what the macro stands for,
/// and said so.
#[test]
fn a_type_c_defines_as_a_macro_is_laid_out_as_what_it_stands_for() {
    let Some((report, declarations)) = read_on_linux_targets(
        "macro_types.h",
        "#define Bool int\n#define Status int\n#define Serial unsigned long\n\
         typedef struct { int type; Serial serial; Bool send_event; Status status; } event;\n",
    ) else {
        return;
    };
    let event = first_pair(
        &report,
        &declarations,
        "#[repr(C)] pub struct event { pub type_: i32, pub serial: Serial, pub send_event: Bool, pub status: Status }",
    );
    assert_eq!(wrong_on(&event), [], "{:#?}", event.targets);
    for on in &event.targets {
        assert!(
            on.notes.iter().any(|n| n.contains("`Bool`") && n.contains("not declared in the mirror")),
            "{:?}",
            on.notes
        );
    }
    // Written as the crate wrongly has it, `serial` is caught on the 64-bit targets.
    let wrong = first_pair(
        &report,
        &declarations,
        "#[repr(C)] pub struct event { pub type_: i32, pub serial: u32, pub send_event: Bool, pub status: Status }",
    );
    assert_eq!(wrong_on(&wrong), read_of_these(&declarations, &[Target::X86_64Linux, Target::Aarch64Linux]));
}

/// A field written `r#type` is C's `type` too; its guards and rustc's probe
/// name it as Rust must, and the bindgen mirror's guards build (generic
/// helpers, union markers, an opaque type and the fields standing for
/// anonymous members included).
#[test]
fn keyword_fields_and_bindgen_helpers_build_with_their_guards() {
    use ffiscope::layout::mirror_check::guards::rust_guards;
    use ffiscope::layout::mirror_check::rustc::build_with;
    let (Some((report, declarations)), Some(host)) = (bindgen_c_side(), Target::host()) else { return };
    let raw = BINDGEN_MIRROR.replace("pub struct payload { pub type_: u32", "pub struct payload { pub r#type: u32");
    for mirror in [BINDGEN_MIRROR.to_owned(), raw] {
        let rust = read_rust(&mirror);
        let checked = check_mirror(&report, &declarations, &rust, "bindings.rs", true);
        let payload = checked.pairs.iter().find(|p| p.rust == "payload").expect("payload");
        assert_eq!(wrong_on(payload), [], "{:#?}", payload.targets);
        let guards = rust_guards(&checked, &rust);
        // Anonymous members are guarded by the fields that stand for them, opaque types by their size.
        assert!(!guards.contains("which the mirror lacks"), "{guards}");
        assert!(guards.contains("offset_of!(sqe, __bindgen_anon_3) == 20"), "{guards}");
        assert!(guards.contains("size_of::<sqe__bindgen_ty_3>() == 4"), "{guards}");
        let Ok(printed) = build_with(&rust, host, &guards) else { return }; // no rustc here
        assert_eq!(printed, "", "the guards build:\n{guards}");
        let on_host = payload.targets.iter().find(|t| t.target == host).expect("the host");
        assert!(on_host.rust_checked.as_deref().is_some_and(|s| s.starts_with("checked by rustc")), "{on_host:#?}");
    }
}

/// zlib declares `struct internal_state` and never defines it: a mirror of
/// it is a handle, right when zero-sized and wrong when it has fields.
#[test]
fn a_mirror_of_a_type_c_never_defines_is_a_handle() {
    let Some((report, declarations)) = c_side() else { return };
    let handle = |mirror: &str| {
        let rust = read_rust(mirror);
        let checked = check_mirror(report, declarations, &rust, "mirror.rs", false);
        assert_eq!(checked.unpaired, Vec::<String>::new(), "a handle is not unpaired");
        (checked.handles[0].clone(), checked.has_mismatch())
    };
    let (right, mismatch) = handle(
        "#[repr(C)] pub struct internal_state { _data: [u8; 0], _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)> }",
    );
    assert_eq!((right.c.as_str(), right.sized_on.as_slice(), mismatch), ("struct internal_state", &[][..], false));
    assert!(right.say().ends_with("the mirror is zero-sized, as a handle's should be"), "{}", right.say());
    let (wrong, mismatch) = handle("#[repr(C)] pub struct internal_state { pub status: i32 }");
    assert!(mismatch, "a handle with fields is a mistake");
    assert_eq!(wrong.sized_on.len(), read_of(&ALL_LINUX).len(), "4 bytes on every target");
    assert!(wrong.say().contains("but the mirror is 4 bytes on"), "{}", wrong.say());

    // The older way to write one, as openssl-sys does (`pub enum SSL {}`):
    // a handle too, said once for all such, with why a reference to it is
    // unsound; no mismatch, as its layout is not wrong. One name under two
    // cfgs is one handle.
    let rust = read_rust("#[cfg(unix)] pub enum internal_state {}\n#[cfg(windows)] pub enum internal_state {}\n");
    let checked = check_mirror(report, declarations, &rust, "mirror.rs", false);
    assert_eq!(checked.handles.len(), 1, "{:#?}", checked.handles);
    assert!(checked.handles[0].empty_enum && !checked.has_mismatch());
    let said = checked.empty_enum_handles().expect("said");
    assert!(said.starts_with("An empty enum stands for a type C declares and never defines"), "{said}");
    assert!(said.contains("`internal_state`") && said.contains("undefined behaviour"), "{said}");
}

/// A struct mirroring a C union of its name is paired with it, as the libc
/// crate mirrors `union sigval`, and says so; its fields are compared where
/// they lie, and a member of the union whose bytes a kept one holds is read
/// through it. It was "no C type of that name".
#[test]
fn a_struct_mirroring_a_union_of_its_name_is_paired_with_it() {
    let Some((report, declarations)) = read_on_linux_targets("sigval.h", "#include <signal.h>\n") else { return };
    let check = |mirror: &str| {
        let rust = read_rust(mirror);
        let checked = check_mirror(&report, &declarations, &rust, "mirror.rs", false);
        assert_eq!(checked.unpaired, Vec::<String>::new());
        checked.pairs.into_iter().next().expect("paired")
    };
    let libc = check("#[repr(C)] pub struct sigval { pub sival_ptr: *mut core::ffi::c_void }");
    assert_eq!(libc.c, "union sigval");
    assert_eq!(wrong_on(&libc), [], "`sival_int` is read through `sival_ptr`: {:#?}", libc.targets);
    for on in &libc.targets {
        assert_eq!(
            on.notes,
            [
                "`union sigval` is a union in C and `sigval` a struct in the mirror: its fields are compared where they lie"
            ]
        );
    }
    let union = check("#[repr(C)] pub union sigval { pub sival_int: i32, pub sival_ptr: *mut core::ffi::c_void }");
    assert_eq!(wrong_on(&union), [], "{:#?}", union.targets);
    assert!(union.targets.iter().all(|on| on.notes.is_empty()));
    // Keeping the narrower member loses the pointer's bytes on 64-bit targets.
    let narrow = check("#[repr(C)] pub struct sigval { pub sival_int: i32 }");
    assert_eq!(wrong_on(&narrow), read_of(&[Target::X86_64Linux, Target::Aarch64Linux]));
    for on in narrow.targets.iter().filter(|on| on.standing != Standing::Matches) {
        let said: Vec<(DifferenceKind, Option<&str>)> =
            on.differences.iter().map(|d| (d.kind, d.field.as_deref())).collect();
        assert_eq!(
            said,
            [(DifferenceKind::Missing, Some("sival_ptr")), (DifferenceKind::Size, None), (DifferenceKind::Align, None)]
        );
    }
}

/// A field that takes all of a C union's bytes and holds what one of its
/// members does is that member, the others read through it (the libc
/// crate's `epoll_event.u64` for `epoll_data_t data`, curl-sys's
/// `CURLMsg.data: *mut c_void`): compared as that member, with a note. It
/// was "struct or union in C, unsigned 64-bit integer in Rust".
#[test]
fn a_field_holding_one_member_of_a_union_is_compared_as_that_member() {
    let header = "#include <stdint.h>\n\
        typedef union { void *ptr; int fd; uint32_t u32; uint64_t u64; } data_t;\n\
        struct event { uint32_t events; data_t data; };\n\
        struct message { int kind; union { void *whatever; int result; } data; };\n";
    let Some((report, declarations)) = read_on_linux_targets("unions.h", header) else { return };
    let check = |mirror: &str| first_pair(&report, &declarations, mirror);
    let message = check("#[repr(C)] pub struct message { pub kind: i32, pub data: *mut core::ffi::c_void }");
    assert_eq!(wrong_on(&message), [], "{:#?}", message.targets);
    for on in &message.targets {
        let note = format!(
            "`data` (`union {{…}}`) is held as its member `whatever` (`void *`) by `data` on {}; `result` shares its bytes",
            on.target.triple()
        );
        assert_eq!(on.notes, [note]);
    }
    // Named for the member it holds: the name differs, the kind of value does not.
    let event = check("#[repr(C)] pub struct event { pub events: u32, pub u64: u64 }");
    for on in &event.targets {
        let kinds: Vec<DifferenceKind> = on.differences.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [DifferenceKind::Name], "{:#?}", on.differences);
        assert!(on.notes[0].ends_with("; `ptr`, `fd`, `u32` share its bytes"), "{:?}", on.notes);
    }
    // A field of no member's kind, or short of the union's bytes, is still wrong.
    let float = check("#[repr(C)] pub struct event { pub events: u32, pub data: f64 }");
    assert_eq!(wrong_on(&float), read_of(&ALL_LINUX));
    assert!(float.targets.iter().all(|on| on.differences.iter().any(|d| d.kind == DifferenceKind::Class)));
    let short = check("#[repr(C)] pub struct event { pub events: u32, pub data: u32 }");
    assert_eq!(wrong_on(&short), read_of(&ALL_LINUX));
}

/// Padding is padding whatever it is called and whatever its element type:
/// libc's `sockaddr_storage` writes C's `char __ss_padding[118]` as
/// `__ss_pad2: [u8; 118]`, and `__unused` fields where C has holes.
#[test]
fn padding_named_and_typed_differently_is_no_difference() {
    let mirror = "#[repr(C)] pub struct sockaddr_storage { pub ss_family: libc::sa_family_t, \
                  #[cfg(target_pointer_width = \"64\")] __ss_pad2: [u8; 118], \
                  #[cfg(target_pointer_width = \"32\")] __ss_pad2: [u8; 122], \
                  __ss_align: core::ffi::c_ulong }";
    matches_everywhere(mirror, "sockaddr_storage");
    // glibc's reserved words, the libc crate's unused ones.
    let ipc = "struct ipc_like { int key; int __glibc_reserved1; };\n";
    if let Some((report, declarations)) = read_on_linux_targets("ipc_like.h", ipc) {
        let rust = read_rust("#[repr(C)] pub struct ipc_like { pub key: i32, __unused1: i32 }");
        let checked = check_mirror(&report, &declarations, &rust, "mirror.rs", false);
        assert_eq!(wrong_on(&checked.pairs[0]), [], "{:#?}", checked.pairs[0].targets);
    }
    // A value field renamed as padding is still a rename.
    let hidden = mirror.replace("pub ss_family", "pub __reserved");
    caught(&hidden, "sockaddr_storage", &ALL_LINUX, DifferenceKind::Name);
}

/// A constant the mirror names without defining it (the libc crate defines
/// `NCCS` in another file) takes C's value, an integer macro's or an
/// enumerator's, and says so; a renamed member of a union pairs with the
/// member of its size and kind, not the union's first.
#[test]
fn c_constants_stand_in_for_ones_the_mirror_does_not_define() {
    let header = "#define NCC (8)\n#define NCC_ALIAS NCC\nenum { SLOTS = 3 };\n\
        struct tty { unsigned char cc[NCC_ALIAS]; int slots[SLOTS]; };\n\
        union opaque { struct { int a; int b; } __data; char __size[8]; int __align; };\n";
    let Some((report, declarations)) = read_on_linux_targets("constants.h", header) else { return };
    let check = |mirror: &str| first_pair(&report, &declarations, mirror);
    let tty = check("#[repr(C)] pub struct tty { pub cc: [u8; crate::NCC_ALIAS], pub slots: [i32; SLOTS] }");
    assert_eq!(wrong_on(&tty), [], "{:#?}", tty.targets);
    for on in &tty.targets {
        let note =
            format!("`NCC_ALIAS` (8), `SLOTS` (3) are not defined in the mirror: C's values on {}", on.target.triple());
        assert!(on.notes.contains(&note), "{:?}", on.notes);
    }
    // The file's own definition comes first.
    let own = check("const SLOTS: usize = 3;\n#[repr(C)] pub struct tty { pub cc: [u8; 8], pub slots: [i32; SLOTS] }");
    assert!(own.targets.iter().all(|on| on.notes.is_empty()), "{:#?}", own.targets);
    let opaque = check("#[repr(C, align(4))] pub struct opaque { size: [core::ffi::c_char; 8] }");
    for on in &opaque.targets {
        let said: Vec<&str> = on.differences.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(said, ["at offset 0: `__size` in C, `size` in Rust"], "{}", on.target.triple());
    }
}

/// A zero-sized field (`_align: [usize; 0]`, an alignment marker) stands for
/// no C member: it neither takes a member's place nor is an extra field.
#[test]
fn a_zero_sized_marker_is_no_member() {
    let Some((report, declarations)) =
        read_on_linux_targets("marker.h", "struct ctx { int flags; void *db; void *issuer_pkey; };\n")
    else {
        return;
    };
    let check = |mirror: &str| first_pair(&report, &declarations, mirror);
    let marked =
        check("#[repr(C)] pub struct ctx { flags: i32, db: *mut u8, issuer_pkey: *mut u8, _align: [usize; 0] }");
    assert_eq!(wrong_on(&marked), [], "{:#?}", marked.targets);
    let short = check("#[repr(C)] pub struct ctx { flags: i32, db: *mut u8, _spare: [u8; 0] }");
    for on in &short.targets {
        let kinds: Vec<DifferenceKind> = on.differences.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [DifferenceKind::Missing, DifferenceKind::Size], "{:#?}", on.differences);
    }
}

/// A packed enum is one byte to GCC: a `#[repr(u8)]` enum mirrors it, a
/// `#[repr(C)]` one (an int) does not. It was laid out as an int, so the
/// right mirror was called wrong.
#[test]
fn a_packed_enum_mirrors_a_one_byte_rust_enum() {
    let header = "#include <stdint.h>\nenum __attribute__((packed)) color { RED, GREEN };\n\
        struct pixel { enum color color; uint8_t value; };\n";
    let Some((report, declarations)) = read_on_linux_targets("packed_enum.h", header) else { return };
    let mirror = |repr: &str| {
        format!(
            "#[repr({repr})] #[derive(Clone, Copy)] pub enum color {{ RED, GREEN }}\n\
             #[repr(C)] pub struct pixel {{ pub color: color, pub value: u8 }}\n"
        )
    };
    let one_byte = first_pair(&report, &declarations, &mirror("u8"));
    assert_eq!((one_byte.rust.as_str(), wrong_on(&one_byte)), ("pixel", vec![]), "{:#?}", one_byte.targets);
    let as_int = first_pair(&report, &declarations, &mirror("C"));
    assert_eq!(wrong_on(&as_int), read_of_these(&declarations, &ALL_LINUX), "{:#?}", as_int.targets);
}

/// The constants of `mirror` checked against `header` on every Linux target here.
fn constants_of(name: &str, header: &str, mirror: &str) -> Option<Vec<ConstantPair>> {
    let (report, declarations) = read_on_linux_targets(name, header)?;
    let rust = read_rust(mirror);
    assert_eq!(rust.errors, [], "the mirror reads");
    Some(check_mirror(&report, &declarations, &rust, "mirror.rs", false).constants)
}

/// The targets `constant` differs on, and what is said of the first.
fn constant_differs_on(constants: &[ConstantPair], name: &str) -> (Vec<Target>, String) {
    let pair = constants.iter().find(|c| c.rust == name).unwrap_or_else(|| panic!("`{name}` was paired"));
    let wrong: Vec<Target> =
        pair.targets.iter().filter(|t| t.standing == ConstantStanding::Differs).map(|t| t.target).collect();
    let said = pair.differences().next().map(|(_, why)| why.to_owned()).unwrap_or_default();
    (wrong, said)
}

#[test]
fn constants_are_checked_against_cs_macros_and_enumerators_on_each_target() {
    let header = "#include <zlib.h>\n\
                  #define FLAG_READ 0x1u\n#define FLAG_WRITE (FLAG_READ << 1)\n#define FLAG_ALL (FLAG_READ | FLAG_WRITE)\n\
                  #define NOT_FOUND (-1)\n#define TOO_BIG 0x1FF\n#define OLD_NAME MODE_LATE\n\
                  #define RELEASE \"1.2\" \"-rc\\t\"\n#define CODENAME \"new\"\n#define ALL_ONES (~0UL)\n\
                  #if defined(__x86_64__) || defined(__aarch64__)\n#define WORD_BITS 64\n#else\n#define WORD_BITS 32\n#endif\n\
                  enum mode { MODE_EARLY = 1, MODE_LATE, MODE_NEWLINE = '\\n', MODE_QUOTE = '\\'' };\n";
    let mirror = "use core::ffi::{c_int, c_uint, c_ulong};\n\
                  pub const Z_BUF_ERROR: c_int = -5;\n\
                  pub const Z_BEST_COMPRESSION: c_int = 6;\n\
                  pub const FLAG_WRITE: c_uint = 2;\n\
                  pub const FLAG_ALL: c_uint = FLAG_WRITE | 1;\n\
                  pub const NOT_FOUND: c_ulong = !0;\n\
                  pub const TOO_BIG: u8 = 0xFF;\n\
                  pub const OLD_NAME: c_int = 2;\n\
                  pub const WORD_BITS: u32 = 64;\n\
                  pub type mode = c_uint;\n\
                  pub const mode_MODE_NEWLINE: mode = 10;\n\
                  #[repr(u32)]\npub enum Mode { MODE_EARLY = 1, MODE_LATE, MODE_QUOTE = 40 }\n\
                  #[repr(i32)]\npub enum Again { FIRST = 1, MODE_LATE = Self::FIRST as i32 + 1 }\n\
                  pub const UNRELATED: u32 = 7;\n\
                  pub const RELEASE: &[u8; 8] = b\"1.2-rc\\t\\0\";\n\
                  pub const CODENAME: &str = \"old\";\n\
                  pub const ALL_ONES: c_ulong = !0;\n";
    if c_side().is_none() {
        return; // no zlib.h, said once
    }
    let Some(constants) = constants_of("constants.h", header, mirror) else { return };
    let read = read_of(&ALL_LINUX);
    let bits_64: Vec<Target> =
        read.iter().copied().filter(|t| matches!(t, Target::X86_64Linux | Target::Aarch64Linux)).collect();
    let bits_32: Vec<Target> = read.iter().copied().filter(|t| !bits_64.contains(t)).collect();
    let again = constants.iter().find(|c| c.rust == "Again::MODE_LATE").expect("paired");
    assert!(
        again.targets.iter().all(|t| t.standing == ConstantStanding::Matches),
        "a discriminant naming another variant: {again:?}"
    );
    for right in [
        "Z_BUF_ERROR",
        "FLAG_WRITE",
        "FLAG_ALL",
        "NOT_FOUND",
        "OLD_NAME",
        "mode_MODE_NEWLINE",
        "Mode::MODE_EARLY",
        "Mode::MODE_LATE",
    ] {
        let (wrong, said) = constant_differs_on(&constants, right);
        assert_eq!(wrong, [], "`{right}` agrees with C: {said}");
    }
    assert!(constants.iter().any(|c| c.rust == "mode_MODE_NEWLINE" && c.c == "MODE_NEWLINE"), "bindgen's `Enum_NAME`");
    assert!(!constants.iter().any(|c| c.rust == "UNRELATED"), "a constant C has no value of is not paired");
    let line = |name: &str| constants.iter().find(|c| c.rust == name).map(|c| c.line);
    assert_eq!(
        (line("Z_BUF_ERROR"), line("Mode::MODE_QUOTE")),
        (Some(2), Some(13)),
        "the variant's line, not its attribute's"
    );
    assert_eq!(
        constant_differs_on(&constants, "Z_BEST_COMPRESSION"),
        (read.clone(), "6 in Rust (`c_int`), 9 in C".to_owned())
    );
    assert_eq!(
        constant_differs_on(&constants, "Mode::MODE_QUOTE"),
        (read.clone(), "40 in Rust (`u32`), 39 in C".to_owned()),
        "a character constant's escape is read as C reads it"
    );
    assert_eq!(constant_differs_on(&constants, "RELEASE"), (vec![], String::new()), "joined, escapes read, NUL aside");
    let unread = constants.iter().find(|c| c.rust == "ALL_ONES").expect("said, though not compared");
    assert!(
        unread.targets.iter().all(|t| t.standing == ConstantStanding::NotCompared
            && t.why.as_deref()
                == Some("C defines `ALL_ONES` as `(~0UL)`, which this does not read as an integer or a string")),
        "{unread:?}"
    );
    assert_eq!(constant_differs_on(&constants, "CODENAME"), (read.clone(), "\"old\" in Rust, \"new\" in C".to_owned()));
    let (wrong, said) = constant_differs_on(&constants, "TOO_BIG");
    assert_eq!(wrong, read);
    assert_eq!(said, "C's `TOO_BIG` is 511, which `u8` (unsigned 8-bit integer) cannot hold; Rust's is 255");
    let (wrong, said) = constant_differs_on(&constants, "WORD_BITS");
    assert_eq!(wrong, bits_32, "64 is right where C says 64");
    if !bits_32.is_empty() {
        assert_eq!(said, "64 in Rust (`u32`), 32 in C");
    }
    let on_64 = constants.iter().find(|c| c.rust == "NOT_FOUND").and_then(|c| c.targets.first()).and_then(|t| t.rust);
    assert_eq!(on_64, Some(i128::from(u64::MAX)), "`!0` in a 64-bit `c_ulong`");
}

/// Every integer constant read from real headers (their macros and
/// enumerators, thousands of them) is the value gcc gives it: a program
/// that prints each one, built against the same header, says so.
#[test]
fn every_constant_read_from_real_headers_is_the_compilers_value() {
    let headers = "#include <zlib.h>\n#include <sqlite3.h>\n#include <curl/curl.h>\n#include <lzma.h>\n";
    let installed =
        ["zlib.h", "sqlite3.h", "lzma.h"].iter().all(|h| std::path::Path::new("/usr/include").join(h).exists())
            && std::path::Path::new("/usr/include/x86_64-linux-gnu/curl/curl.h").exists();
    if Target::host() != Some(Target::X86_64Linux) || !installed || find_compiler(Target::X86_64Linux).is_none() {
        assert!(!required(), "zlib1g-dev, libsqlite3-dev, libcurl4-openssl-dev and liblzma-dev are required");
        eprintln!("note: not every header is installed: the constants are not checked");
        return;
    }
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mirror_constants");
    std::fs::create_dir_all(&folder).expect("a temporary folder");
    let header = folder.join("real.h");
    std::fs::write(&header, headers).expect("written");
    let (_, declarations) =
        analyze_header_per_target(&header, &[Target::X86_64Linux], &HeaderOptions::default(), false);
    let read = &declarations.first().expect("x86_64 read it").1;
    let constants = &read.constants;
    // Reserved names are the C library's and compiler's own, some of them
    // keywords' stand-ins (`__USE_ISOC99`, `__GNUC__`): the libraries' are the point.
    let checked: Vec<&(String, i128)> = constants.iter().filter(|(name, _)| !name.starts_with('_')).collect();
    assert!(checked.len() > 1_000, "only {} constants were read", checked.len());
    // Strings as hex, one a line.
    let strings: Vec<&(String, Vec<u8>)> = read.strings.iter().filter(|(name, _)| !name.starts_with('_')).collect();
    assert!(strings.len() > 10, "only {} strings were read", strings.len());
    let mut program = format!(
        "#include <stdio.h>\n{headers}static void hex(const char *s) {{ while (*s) printf(\"%02x\", (unsigned char)*s++); printf(\"\\n\"); }}\nint main(void) {{\n"
    );
    for (name, _) in &checked {
        let _ = writeln!(program, "    printf(\"%lld\\n\", (long long)({name}));");
    }
    for (name, _) in &strings {
        let _ = writeln!(program, "    hex({name});");
    }
    program.push_str("    return 0;\n}\n");
    let (source, binary) = (folder.join("values.c"), folder.join("values"));
    std::fs::write(&source, program).expect("written");
    let built =
        std::process::Command::new("gcc").args(["-w", "-o"]).arg(&binary).arg(&source).output().expect("gcc runs");
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let ran = std::process::Command::new(&binary).output().expect("the program runs");
    let printed = String::from_utf8(ran.stdout).expect("text");
    let wrong: Vec<String> = checked
        .iter()
        .zip(printed.lines())
        .filter(|((_, model), gcc)| gcc.parse::<i128>().ok() != Some(as_long_long(*model)))
        .map(|((name, model), gcc)| format!("{name}: read {model}, gcc {gcc}"))
        .collect();
    assert_eq!(printed.lines().count(), checked.len() + strings.len());
    assert!(wrong.is_empty(), "{} of {} differ: {wrong:?}", wrong.len(), checked.len());
    let hex = |bytes: &[u8]| {
        bytes.iter().fold(String::new(), |mut text, b| {
            let _ = write!(text, "{b:02x}");
            text
        })
    };
    let wrong_strings: Vec<String> = strings
        .iter()
        .zip(printed.lines().skip(checked.len()))
        .filter(|((_, bytes), gcc)| hex(bytes) != *gcc)
        .map(|((name, bytes), gcc)| format!("{name}: read {}, gcc {gcc}", hex(bytes)))
        .collect();
    assert!(wrong_strings.is_empty(), "{wrong_strings:?}");
}

/// A value as `long long` holds it.
fn as_long_long(value: i128) -> i128 {
    i128::from(value as i64)
}

/// Whether `gcc` takes `source` without an error, or what it said.
fn c_compiles(gcc: &ffiscope::layout::lab::verify::Compiler, source: &str) -> Result<(), String> {
    let output = std::process::Command::new(&gcc.program)
        .args(["-fsyntax-only", "-x", "c", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().expect("stdin").write_all(source.as_bytes())?;
            child.wait_with_output()
        })
        .expect("the compiler runs");
    if output.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&output.stderr).into_owned()) }
}

#[test]
fn constant_guards_hold_for_right_constants_and_stop_the_build_of_a_wrong_one() {
    use ffiscope::layout::mirror_check::guards::{c_guards, rust_guards};
    use ffiscope::layout::mirror_check::rustc::build_with;
    let Some(host) = Target::host() else { return };
    let header = "#define LEVEL_MAX 9\n#define ALL_BITS (-1)\n#define HUGE 0xFFFFFFFFFFFFFFFFull\n\
                  enum mode { MODE_A = 1, MODE_B };\nstruct record { int level; };\n";
    let Some((report, declarations)) = read_on_linux_targets("constant_guards.h", header) else { return };
    let guarded = |mirror: &str| {
        let rust = read_rust(mirror);
        let checked = check_mirror(&report, &declarations, &rust, "mirror.rs", false);
        let guards = rust_guards(&checked, &rust);
        (build_with(&rust, host, &guards), guards, c_guards(&checked))
    };
    let right = "#[repr(C)]\npub struct record { pub level: i32 }\npub const LEVEL_MAX: i32 = 9;\n\
                 pub const ALL_BITS: u32 = 0xFFFF_FFFF;\npub const HUGE: u64 = !0;\n\
                 #[repr(u32)]\npub enum mode { MODE_A = 1, MODE_B }\n";
    let (built, guards, c) = guarded(right);
    let Ok(printed) = built else { return }; // no rustc here
    assert_eq!(printed, "", "the right mirror builds with its guards:\n{guards}");
    assert!(guards.contains("const _: () = assert!(ALL_BITS as i128 == 4294967295);"), "C's -1 as a `u32`: {guards}");
    assert!(guards.contains("const _: () = assert!(mode::MODE_B as i128 == 2);"), "{guards}");
    // The C guards hold for the header on the host.
    if let Some(gcc) = find_compiler(host) {
        assert_eq!(c_compiles(&gcc, &format!("{header}{c}")), Ok(()), "{c}");
        assert!(c.contains("_Static_assert((ALL_BITS) == (-1LL), \"ALL_BITS: value\");"), "{c}");
        assert!(c.contains("_Static_assert((HUGE) == 18446744073709551615ULL, \"HUGE: value\");"), "{c}");
        let moved = format!("{}{c}", header.replace("LEVEL_MAX 9", "LEVEL_MAX 10"));
        assert!(
            c_compiles(&gcc, &moved).is_err_and(|said| said.contains("LEVEL_MAX: value")),
            "a moved macro stops it"
        );
    }
    // A variant numbered past C's enumerator stops the build.
    let (built, _, _) = guarded(&right.replace("MODE_A = 1, MODE_B", "MODE_A = 1, MODE_B = 3"));
    let printed = built.expect("rustc ran");
    assert!(printed.contains("mode::MODE_B as i128 == 2"), "{printed}");
}

/// A `macro_rules!` defined inside a `cfg_if!` branch (openssl-sys's
/// `ssl_op_type!`: `u64` for OpenSSL 3, `c_ulong` before) is in force where
/// the branch is: a constant and a field written with it are read with the
/// definition their target and cfgs put in force, and rustc's probe builds.
#[test]
fn a_type_macro_defined_in_a_cfg_if_branch_is_read_under_its_branch() {
    let header = "#define OP_ALL 0x80000000UL\nstruct options { unsigned long long op; };\n";
    let Some((report, declarations)) = read_on_linux_targets("ssl_options.h", header) else { return };
    let mirror = "use core::ffi::c_ulong;\n\
                  cfg_if! {\n\
                  if #[cfg(ossl300)] {\n\
                      macro_rules! op_type { () => { u64 }; }\n\
                  } else {\n\
                      macro_rules! op_type { () => { c_ulong }; }\n\
                  }\n\
                  }\n\
                  pub const OP_ALL: op_type!() = 0x8000_0000;\n\
                  #[repr(C)] pub struct options { pub op: op_type!() }\n";
    let checked = |set: &[&str]| {
        let mut rust = read_rust(mirror);
        assert_eq!(rust.errors, []);
        let set: Vec<_> = set.iter().map(|s| ffiscope::layout::mirror_check::cfg::Cfg::parse_set(s).unwrap()).collect();
        rust.set_cfgs(&set);
        check_mirror(&report, &declarations, &rust, "ssl.rs", true)
    };
    let with_3 = checked(&["ossl300"]);
    assert!(!with_3.has_mismatch(), "`u64` everywhere: {:?}", with_3.pairs[0].targets);
    let constant = with_3.constants.iter().find(|c| c.rust == "OP_ALL").expect("paired");
    assert!(constant.targets.iter().all(|t| t.standing == ConstantStanding::Matches), "{constant:?}");
    let rustc_said = with_3.pairs[0].targets[0].rust_checked.clone().unwrap_or_default();
    let rustc_here = std::process::Command::new("rustc").arg("--version").output().is_ok();
    assert!(!rustc_here || rustc_said.starts_with("checked by rustc"), "{rustc_said}");
    // Before OpenSSL 3, `c_ulong`: 4 bytes on 32-bit targets, where C's field has 8.
    let before = checked(&[]);
    let bits_32 = read_of_these(&declarations, &[Target::I686Linux, Target::Armv7Linux]);
    assert_eq!(wrong_on(&before.pairs[0]), bits_32);
}

#[test]
fn a_struct_holding_one_that_cannot_be_laid_out_is_not_laid_out_either() {
    // As yeslogic-fontconfig-sys writes `FcValue`'s union: `c_void`, which has no size.
    let header = "struct value { int type; union { const char *s; double d; } u; };\n\
                  struct holder { struct value values[2]; int count; };\n";
    let mirror = "use core::ffi::{c_int, c_void};\n\
                  #[repr(C)] pub struct value { pub type_: c_int, pub u: c_void }\n\
                  #[repr(C)] pub struct holder { pub values: [value; 2], pub count: c_int }\n";
    let targets = [Target::X86_64Linux];
    let (report, declarations) = typed_c_side("value.h", header, &targets, false);
    let rust = read_rust(mirror);
    let checked = check_mirror(&report, &declarations, &rust, "mirror.rs", false);
    let holder = checked.pairs.iter().find(|p| p.rust == "holder").expect("paired");
    let on = &holder.targets[0];
    assert_eq!(on.standing, Standing::Unreadable, "not laid out with `value` as nothing: {on:#?}");
    let why = on.why.as_deref().unwrap_or_default();
    assert!(why.contains("`values`: `value` cannot be laid out: `u`: `c_void` has no size"), "{why}");
}
