//! Generated bindings are real code: the Rust compiles with rustc and its
//! guards hold on this machine (and a wrong guard stops the build); the
//! ctypes classes have the C sizes under this machine's python3.

use std::fmt::Write as _;
use std::process::Command;

use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::bindings::{RUST_PRELUDE, bindings, reordered};
use ffiscope::layout::lab::engine::{lay_out, lay_out_variant};
use ffiscope::layout::lab::parser::parse;

const HEADER: &str = "#include <stdint.h>\n\
struct point { int16_t x; int16_t y; };\n\
struct shape { uint8_t kind; struct point corners[4]; double scale; void *user; long id; };\n\
#pragma pack(push, 1)\n\
struct wire { uint8_t flag; uint32_t value; uint64_t timestamp; };\n\
#pragma pack(pop)\n\
struct aligned_box { uint32_t id; float weights[3]; } __attribute__((aligned(16)));\n\
union number { uint32_t as_u32; float as_f32; uint8_t bytes[8]; };\n\
struct holder { union number n; size_t count; char tag; };\n\
struct wasteful { char a; double b; char c; struct point p; int d; char e; };\n\
struct event { uint32_t type; int32_t match; uint8_t self; uint16_t gen; };\n\
struct packet { int kind; union { int code; short small; }; union { char c[4]; int i; } u;\n\
    struct { short lo; short hi; } halves[2]; struct { char tag; union { int n; float f; }; };\n\
    union { struct { short lo; short hi; } parts; int whole; } split; };\n";

const TYPES: [&str; 7] = [
    "struct point",
    "struct shape",
    "struct wire",
    "struct aligned_box",
    "union number",
    "struct holder",
    "struct packet",
];

fn layouts() -> Vec<(Target, Vec<ffiscope::layout::Layout>)> {
    let declarations = parse(HEADER);
    Target::ALL
        .iter()
        .map(|&t| (t, lay_out(&declarations, t).into_iter().filter_map(|(_, l)| l.ok()).collect()))
        .collect()
}

fn rust_source() -> String {
    let declarations = parse(HEADER);
    let layouts = layouts();
    let mut source = RUST_PRELUDE.to_owned();
    let mut emitted = std::collections::HashSet::new();
    for name in ["struct shape", "struct wire", "struct aligned_box", "struct holder", "struct event", "struct packet"]
    {
        let generated = bindings(&declarations, name, &layouts).expect("bindings");
        // Dependencies are repeated per type; keep each declaration once.
        for block in generated.rust.split("\n\n") {
            if emitted.insert(block.to_owned()) {
                source.push_str(block);
                source.push_str("\n\n");
            }
        }
    }
    source
}

fn rustc_accepts(source: &str, tag: &str) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("ffiscope-bindings-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("bindings.rs");
    std::fs::write(&file, source).map_err(|e| e.to_string())?;
    let output = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--edition", "2024", "--crate-type", "lib", "--emit", "metadata", "-o"])
        .arg(dir.join("out.rmeta"))
        .arg(&file)
        .output()
        .map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&dir);
    if output.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&output.stderr).into_owned()) }
}

#[test]
fn generated_rust_compiles_and_its_guards_hold_here() {
    let source = rust_source();
    assert!(source.contains("#[repr(C, packed)]"), "{source}");
    assert!(source.contains("#[repr(C, align(16))]"), "{source}");
    assert!(source.contains("core::mem::offset_of!(wire, timestamp) == 5"), "{source}");
    // C members named as Rust keywords take a `_` after them, as bindgen writes them.
    assert!(source.contains("pub type_: u32,") && source.contains("offset_of!(event, match_) == 4"), "{source}");
    // C's unnamed types are named after what holds them, anonymous members as fields, and guarded.
    for declared in [
        "pub union packet_anon_1 {",
        "pub union packet_u {",
        "pub struct packet_halves {",
        "pub anon_2: packet_anon_2,",
    ] {
        assert!(source.contains(declared), "{declared}: {source}");
    }
    assert!(
        source.contains("offset_of!(packet, anon_1) == 4") && source.contains("pub union packet_anon_2_anon_1 {"),
        "{source}"
    );
    rustc_accepts(&source, "good").unwrap_or_else(|e| panic!("{e}\n{source}"));
}

/// cgo gives a C member named as a Go keyword a `_` before it.
#[test]
fn go_names_a_keyword_member_as_cgo_does() {
    let generated = bindings(&parse(HEADER), "struct event", &layouts()).expect("bindings");
    assert!(generated.go.contains("\t_type int32\n"), "{}", generated.go);
    assert!(generated.go.contains("\tmatch int32\n"), "not a Go keyword: {}", generated.go);
}

#[test]
fn a_wrong_guard_stops_the_build() {
    let host = Target::host().expect("a known host").triple();
    let layouts = layouts();
    let size = layouts
        .iter()
        .find(|(t, _)| t.triple() == host)
        .and_then(|(_, ls)| ls.iter().find(|l| l.name == "struct wire"))
        .expect("wire")
        .size;
    let broken =
        rust_source().replace(&format!("size_of::<wire>() == {size}"), &format!("size_of::<wire>() == {}", size + 1));
    assert!(rustc_accepts(&broken, "bad").is_err(), "a guard that is wrong on the host must fail the build");
}

#[test]
fn ctypes_classes_have_the_c_sizes() {
    let declarations = parse(HEADER);
    let layouts = layouts();
    let host = Target::host().expect("a known host");
    let mut script = String::new();
    let mut emitted = std::collections::HashSet::new();
    for name in TYPES {
        let generated = bindings(&declarations, name, &layouts).expect("bindings");
        for block in generated.ctypes.split("\n\n") {
            if emitted.insert(block.to_owned()) {
                script.push_str(block);
                script.push_str("\n\n");
            }
        }
    }
    let host_layouts = &layouts.iter().find(|(t, _)| *t == host).expect("host").1;
    for name in TYPES {
        let class = name.trim_start_matches("struct ").trim_start_matches("union ");
        let _ = writeln!(script, "print('{name}', ctypes.sizeof({class}))");
    }
    let output = Command::new("python3").arg("-c").arg(&script).output().expect("python3 runs");
    assert!(output.status.success(), "{}\n{script}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout);
    for name in TYPES {
        let expected = host_layouts.iter().find(|l| l.name == name).expect("laid out").size;
        assert!(
            printed.lines().any(|l| l == format!("{name} {expected}")),
            "{name}: C says {expected}, ctypes says:\n{printed}"
        );
    }
}

#[test]
fn the_reordered_struct_is_smaller_and_says_by_how_much() {
    let declarations = parse(HEADER);
    let wasteful = declarations.records.iter().find(|r| r.name == "struct wasteful").expect("wasteful");
    let better = reordered(&declarations, wasteful, Target::X86_64Linux).expect("a struct without bitfields can move");
    let before = lay_out(&declarations, Target::X86_64Linux)
        .into_iter()
        .find(|(n, _)| n == "struct wasteful")
        .and_then(|(_, l)| l.ok())
        .unwrap();
    let after = lay_out_variant(&declarations, &better, Target::X86_64Linux).unwrap();
    assert!(after.size < before.size, "{} -> {}", before.size, after.size);
    assert_eq!(
        after.padding_bytes() + (before.size - after.size),
        before.padding_bytes(),
        "the saving is exactly padding removed"
    );
    let order: Vec<&str> = better.members.iter().filter_map(|m| m.name.as_deref()).collect();
    assert_eq!(order, ["b", "d", "p", "a", "c", "e"], "by alignment, largest first, stable");
    assert_eq!((before.size, after.size), (32, 24), "b@0 d@8 p@12 a@16 c@17 e@18: 19 bytes, rounded to 24");
}

/// The Rust bindings Struct Lab writes for a header pass Mirror Check
/// against that header on every target: the two read C and Rust the same
/// way, unnamed types, anonymous members, packing and alignment included.
#[test]
fn the_rust_bindings_pass_mirror_check_against_their_own_header() {
    use ffiscope::layout::lab::report::analyze;
    use ffiscope::layout::mirror_check::rust_reader::read_rust;
    use ffiscope::layout::mirror_check::{Standing, check_mirror};
    let report = analyze("bindings.h", HEADER, &Target::ALL, false);
    let declarations: Vec<_> = Target::ALL.iter().map(|&t| (t, parse(HEADER))).collect();
    let rust = read_rust(&rust_source());
    assert_eq!(rust.errors, []);
    let checked = check_mirror(&report, &declarations, &rust, "bindings.rs", false);
    let paired: Vec<&str> = checked.pairs.iter().map(|p| p.c.as_str()).collect();
    for name in ["struct shape", "struct wire", "struct aligned_box", "union number", "struct holder", "struct packet"]
    {
        assert!(paired.contains(&name), "{name} in {paired:?}");
    }
    for pair in &checked.pairs {
        for on in &pair.targets {
            assert_eq!(
                on.standing,
                Standing::Matches,
                "{} on {}: {:#?}",
                pair.rust,
                on.target.triple(),
                on.differences
            );
        }
    }
    // The types of unnamed parts stand for them; the prelude's stand-in for
    // `long double` mirrors no C record.
    assert_eq!(checked.unpaired, ["LongDouble"]);
}

/// The same round trip through real headers, read by the host's compiler:
/// the Rust bindings of each type, read back by Mirror Check, match the
/// header's own layout on the host.
#[test]
fn the_rust_bindings_of_real_headers_pass_mirror_check_on_the_host() {
    use ffiscope::layout::lab::header::{HeaderOptions, analyze_header_per_target};
    use ffiscope::layout::lab::verify::find_compiler;
    use ffiscope::layout::mirror_check::rust_reader::read_rust;
    use ffiscope::layout::mirror_check::{Standing, check_mirror};
    let Some(host) = Target::host().filter(|&t| find_compiler(t).is_some()) else { return };
    let header = std::env::temp_dir().join(format!("ffiscope-bindings-real-{}.h", std::process::id()));
    let mut text = String::from(
        "#define _GNU_SOURCE\n#include <sys/stat.h>\n#include <sys/epoll.h>\n#include <signal.h>\n#include <netinet/in.h>\n",
    );
    let mut types = vec!["struct stat", "struct epoll_event", "siginfo_t", "struct sigaction", "struct sockaddr_in6"];
    for (file, name) in [
        ("zlib.h", "struct z_stream_s"),
        ("linux/io_uring.h", "struct io_uring_sqe"),
        ("SDL2/SDL.h", "union SDL_Event"),
    ] {
        if std::path::Path::new("/usr/include").join(file).exists() {
            writeln!(text, "#include <{file}>").expect("written");
            types.push(name);
        }
    }
    std::fs::write(&header, &text).expect("written");
    let (report, declarations) = analyze_header_per_target(&header, &[host], &HeaderOptions::default(), false);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let on_host: Vec<(Target, Vec<ffiscope::layout::Layout>)> =
        vec![(host, lay_out(&declarations[0].1, host).into_iter().filter_map(|(_, l)| l.ok()).collect())];
    let mut source = RUST_PRELUDE.to_owned();
    let mut emitted = std::collections::HashSet::new();
    for name in &types {
        let generated = bindings(&declarations[0].1, name, &on_host).unwrap_or_else(|| panic!("bindings of {name}"));
        for block in generated.rust.split("\n\n") {
            if emitted.insert(block.to_owned()) {
                source.push_str(block);
                source.push_str("\n\n");
            }
        }
    }
    let rust = read_rust(&source);
    assert_eq!(rust.errors, []);
    let checked = check_mirror(&report, &declarations, &rust, "bindings.rs", false);
    assert!(checked.pairs.len() >= types.len(), "{} pairs", checked.pairs.len());
    for pair in &checked.pairs {
        assert_eq!(pair.targets[0].standing, Standing::Matches, "{}: {:#?}", pair.rust, pair.targets[0]);
    }
    let _ = std::fs::remove_file(&header);
}
