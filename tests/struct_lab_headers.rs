//! Real installed headers, read as Struct Lab reads them: each target's own
//! compiler preprocesses the header, and every struct and union it brings is
//! laid out and then checked by that compiler's `sizeof`, `_Alignof` and
//! `offsetof` (never by the engine). No header may leave a parse error.
//!
//! The headers come from Debian's `-dev` packages, which `.ci/run` installs;
//! a header that is not installed is skipped with a note, unless
//! `FFISCOPE_REQUIRE_COMPILERS=1` (as CI sets it), which makes it required.

use std::path::PathBuf;

use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::header::{HeaderOptions, analyze_header};
use ffiscope::layout::lab::verify::find_compiler;

/// (header, what must come before it: jpeglib.h is not self-contained).
const CORPUS: &[(&str, &str)] = &[
    ("zlib.h", ""),
    ("bzlib.h", ""),
    ("lzma.h", ""),
    ("png.h", ""),
    ("jpeglib.h", "#include <stdio.h>\n"),
    ("expat.h", ""),
    ("sqlite3.h", ""),
    ("curl/curl.h", ""),
    ("openssl/ssl.h", ""),
    ("sys/stat.h", ""),
    ("time.h", ""),
    ("sys/epoll.h", ""),
    ("linux/if_ether.h", ""),
    ("SDL2/SDL.h", ""),
];

fn required() -> bool {
    std::env::var_os("FFISCOPE_REQUIRE_COMPILERS").is_some()
}

/// Whether the header at `path` is installed: a test without it is skipped,
/// unless CI requires it.
fn installed(path: &str) -> bool {
    let here = std::path::Path::new(path).exists();
    assert!(here || !required(), "{path} must be installed");
    here
}

/// `text` written as the header `name` in the tests' own folder (under `target/tmp`).
fn written(name: &str, text: &str) -> PathBuf {
    let directory = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("struct_lab_headers");
    std::fs::create_dir_all(&directory).expect("a temporary folder");
    let file = directory.join(name);
    std::fs::write(&file, text).expect("the header is written");
    file
}

/// A one-line header including `name`, as a user's own header would.
fn including(name: &str, before: &str) -> PathBuf {
    written(&format!("uses-{}", name.replace('/', "-")), &format!("{before}#include <{name}>\n"))
}

#[test]
fn every_struct_of_real_headers_agrees_with_each_targets_compiler() {
    let Some(_) = find_compiler(Target::X86_64Linux) else {
        assert!(!required(), "the host compiler is required");
        eprintln!("note: no host C compiler; the header corpus is skipped");
        return;
    };
    let mut checked = 0;
    for &(name, before) in CORPUS {
        let header = including(name, before);
        for target in Target::ALL {
            let report = analyze_header(&header, &[target], &HeaderOptions::default(), &[], true);
            let result = report.results.first();
            let Some(result) = result else {
                // Not preprocessed: the header, or the target's build of its
                // library, is not installed for this target.
                let why = report.errors.first().map_or("", |e| e.message.as_str());
                let host = target == Target::X86_64Linux;
                assert!(!(host && required()), "{name} on the host must be installed: {why}");
                eprintln!("note: {name} not read on {}: {why}", target.triple());
                continue;
            };
            assert!(report.errors.is_empty(), "{name} on {}: {:#?}", target.triple(), report.errors);
            assert!(
                result.verification_error.is_none(),
                "{name} on {}: {:?}",
                target.triple(),
                result.verification_error
            );
            assert!(!result.types.is_empty(), "{name} on {} brings types", target.triple());
            for ty in &result.types {
                let verified = ty.verified.as_ref().expect("checked by the compiler");
                assert!(verified.ok, "{name} on {}: `{}` {:?}", target.triple(), ty.name, verified.mismatches);
                let declared = ty.declared_in.as_ref().expect("every type says where it was declared");
                assert!(declared.line > 0 && !declared.file.is_empty(), "{declared:?}");
            }
            checked += result.types.len();
        }
    }
    eprintln!("{checked} types checked by the compilers");
    assert!(!required() || checked > 500, "only {checked} types checked");
}

/// A cross target that finds a library's configuration headers only in the
/// host's folder, and cannot use the host's (SDL's for x86-64 turns on x86
/// intrinsics on aarch64), says both errors and what would bring its own.
#[test]
fn a_cross_target_without_the_library_s_own_configuration_says_why() {
    let sdl = std::path::Path::new("/usr/include/SDL2/SDL.h");
    if find_compiler(Target::Aarch64Linux).is_none() || !sdl.exists() {
        return;
    }
    let report = analyze_header(sdl, &[Target::Aarch64Linux], &HeaderOptions::default(), &[], false);
    let Some(error) = report.errors.first() else { return }; // SDL's arm64 build is installed here
    for part in ["_real_SDL_config.h", "searched last: ", "development package for `arm64`"] {
        assert!(error.message.contains(part), "{part}: {}", error.message);
    }
}

/// A library that keeps its headers in a folder of its own (SDL's, as
/// `sdl2-config --cflags` says) is named with the folder to add.
#[test]
fn a_header_in_a_librarys_own_folder_says_which_folder_to_add() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    if !installed("/usr/include/SDL2/SDL.h") {
        return;
    }
    let header = written("uses-bare-sdl.h", "#include <SDL.h>\n");
    let report = analyze_header(&header, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    let error = report.errors.first().expect("SDL.h is not found without its folder");
    assert!(
        error.message.ends_with(
            "SDL.h: No such file or directory (it is in /usr/include/SDL2: add that folder to \
             the include folders, `-I /usr/include/SDL2`)"
        ),
        "{}",
        error.message
    );
    let options = HeaderOptions { includes: vec!["/usr/include/SDL2".into()], ..HeaderOptions::default() };
    let report = analyze_header(&header, &[Target::X86_64Linux], &options, &[], false);
    assert_eq!(report.errors.len(), 0, "{:?}", report.errors);
}

#[test]
fn a_type_says_which_header_declared_it() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    let header = including("zlib.h", "");
    let report = analyze_header(&header, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    if report.results.is_empty() {
        assert!(!required(), "zlib.h must be installed: {:?}", report.errors);
        return;
    }
    let stream = report.results[0].types.iter().find(|t| t.name == "struct z_stream_s").expect("z_stream_s");
    let declared = stream.declared_in.as_ref().expect("declared somewhere");
    assert!(declared.file.ends_with("zlib.h"), "{declared:?}");
    // zlib.h's own text: `typedef struct z_stream_s {` is a line of it.
    let text = std::fs::read_to_string(&declared.file).expect("zlib.h");
    let line = text.lines().nth(declared.line - 1).unwrap_or_default();
    assert!(line.contains("z_stream_s"), "line {}: {line}", declared.line);
}

#[test]
fn defines_reach_the_preprocessor_and_errors_name_their_file() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    let header = written("sized.h", "#include <stdint.h>\nstruct sized { uint8_t bytes[COUNT]; uint64_t after; };\n");
    let options = HeaderOptions { defines: vec!["COUNT=3".to_owned()], ..HeaderOptions::default() };
    let report = analyze_header(&header, &[Target::X86_64Linux, Target::I686Linux], &options, &[], false);
    for result in &report.results {
        let sized = result.types.iter().find(|t| t.name == "struct sized").expect("struct sized");
        let after = sized.fields.iter().find(|f| f.name == "after").expect("after");
        let expected = if result.target == Target::I686Linux { 4 } else { 8 };
        assert_eq!((sized.fields[0].size, after.offset), (3, expected), "{}", result.target.triple());
    }
    // Without the define, the array's size is an unknown name, said where it is.
    let report = analyze_header(&header, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    let error = report.errors.first().expect("an error");
    assert_eq!((error.line, error.message.contains("COUNT")), (2, true), "{error:?}");
    // An error in a header it includes names that file and shows its line.
    written("broken.h", "struct inner { int a; wat b; };\n");
    let outer = written("outer.h", "#include \"broken.h\"\nstruct outer { int c; };\n");
    let report = analyze_header(&outer, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    let error = report.errors.first().expect("an error");
    let lines: Vec<&str> = error.message.lines().collect();
    assert!(lines[0].contains("broken.h:1:23: "), "{error:?}");
    assert_eq!(&lines[1..], ["  struct inner { int a; wat b; };", &format!("  {}^", " ".repeat(22))], "{error:?}");
}

#[test]
fn pragma_pack_in_a_preprocessed_header_is_honoured() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    let header = written(
        "packed.h",
        "#include <stdint.h>\n#pragma pack(push, 1)\nstruct wire { uint8_t tag; uint32_t length; };\n\
         #pragma pack(push, 2)\nstruct half { uint8_t a; uint32_t b; };\n#pragma pack(pop)\n\
         struct still_one { uint8_t a; uint64_t b; };\n#pragma pack(pop)\nstruct natural { uint8_t a; uint32_t b; };\n",
    );
    let report = analyze_header(&header, &[Target::X86_64Linux], &HeaderOptions::default(), &[], true);
    let sizes: Vec<(&str, u64)> = report.results[0].types.iter().take(4).map(|t| (t.name.as_str(), t.size)).collect();
    assert_eq!(
        sizes,
        [("struct wire", 5), ("struct half", 6), ("struct still_one", 9), ("struct natural", 8)],
        "as written, in order"
    );
    assert!(report.results[0].types.iter().all(|t| t.verified.as_ref().is_some_and(|v| v.ok)), "the compiler agrees");
}

/// An attribute after a member's record body is the record's, as GCC reads
/// it: the anonymous struct is packed inside, not only placed at any byte.
#[test]
fn an_attribute_after_a_members_record_body_packs_the_record() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    let header = written(
        "packed-member.h",
        "#include <stdint.h>\nstruct anonymous { char c; struct { char a; int32_t b; } __attribute__((packed)); };\n\
         struct named { char c; struct { char a; int32_t b; } __attribute__((packed)) inner; };\n\
         struct before { char c; __attribute__((packed)) struct { char a; int32_t b; } inner; };\n",
    );
    let report = analyze_header(&header, &[Target::X86_64Linux], &HeaderOptions::default(), &[], true);
    let types = &report.results[0].types;
    let b = types[0].fields.iter().find(|f| f.name == "b").expect("b");
    assert_eq!((types[0].size, b.offset), (6, 2), "b follows a at once");
    assert_eq!((types[1].size, types[1].fields[1].size), (6, 5));
    assert!(types.iter().all(|t| t.verified.as_ref().is_some_and(|v| v.ok)), "the compiler agrees: {types:#?}");
}

/// `__attribute__ ( (packed) )`, its parentheses apart, is the attribute
/// gcc reads. So gcc emits it for a system header opened itself
/// (`ffiscope layout /usr/include/math.h`): line markers come inside glibc's
/// macros' expansions, between `__attribute__ (` and `(__const__)`.
#[test]
fn attributes_with_their_parentheses_apart_are_read() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    let header = written(
        "spaced-attribute.h",
        "struct __attribute__ ( ( packed ) ) p { char c; int i; };\n\
         struct q { char c; int i __attribute__ (\n(aligned(8))\n) ; };\n",
    );
    let report = analyze_header(&header, &[Target::X86_64Linux], &HeaderOptions::default(), &[], true);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let types = &report.results[0].types;
    let sizes: Vec<(&str, u64)> = types.iter().map(|t| (t.name.as_str(), t.size)).collect();
    assert_eq!(sizes, [("struct p", 5), ("struct q", 16)]);
    assert!(types.iter().all(|t| t.verified.as_ref().is_some_and(|v| v.ok)), "the compiler agrees: {types:#?}");
    for name in ["math.h", "zlib.h", "sqlite3.h", "SDL2/SDL.h"] {
        let path = format!("/usr/include/{name}");
        if !installed(&path) {
            continue;
        }
        let report =
            analyze_header(std::path::Path::new(&path), &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
        assert!(report.errors.is_empty(), "{name} opened itself: {:?}", report.errors);
        assert!(report.results.first().is_some_and(|r| !r.types.is_empty()), "{name} lays out its types");
    }
}

/// Attributes after `struct`, `union` or `enum` (before the tag or body)
/// are the type's, as after its body; a packed enum is the smallest integer
/// that holds its values, an enum past 32 bits is 8 bytes even where named
/// after its definition, and MSVC stores every enum in an int. Both readers
/// (`lang-c`'s, for a header that uses the preprocessor, and the lab's own)
/// agree with every compiler installed.
#[test]
fn attributes_before_a_types_tag_and_packed_enums_are_laid_out_as_compilers_do() {
    const PLACED: &str = "enum __attribute__((packed)) e { A, B };\n\
        enum f { C, D } __attribute__((packed));\n\
        enum g { G1 = -1, G2 = 200 } __attribute__((packed));\n\
        enum big { BIG = 0x100000000LL };\n\
        typedef enum __attribute__((packed)) { T1, T2 } t_e;\n\
        struct __attribute__((packed)) p { char c; int i; };\n\
        typedef struct __attribute__((packed)) { char c; int i; } P;\n\
        union __attribute__((aligned(16))) u { char c; };\n\
        struct s { enum e x; enum f y; char c; enum g z; enum big b; t_e t;\n\
        enum { M } __attribute__((packed)) m; struct __attribute__((packed)) { char a; int b; } in; };\n";
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    let targets: Vec<Target> = Target::ALL.into_iter().filter(|&t| find_compiler(t).is_some()).collect();
    for (reader, text) in [("lang-c", format!("#define PLACED_H 1\n{PLACED}")), ("the lab's own", PLACED.to_owned())] {
        let (report, declarations) = ffiscope::layout::lab::header::analyze_source(
            "placed.h",
            &text,
            None,
            &targets,
            &HeaderOptions::default(),
            true,
        );
        assert!(report.errors.is_empty(), "{reader}: {:?}", report.errors);
        let host = &report.results[0];
        let sizes: Vec<(&str, u64)> = host.types.iter().map(|t| (t.name.as_str(), t.size)).collect();
        assert_eq!(sizes, [("struct p", 5), ("P", 5), ("union u", 16), ("struct s", 24)], "{reader}");
        for result in &report.results {
            for laid in &result.types {
                let verified = laid.verified.as_ref().expect("checked by the compiler");
                assert!(verified.ok, "{reader} on {:?}: {laid:#?}", result.target);
            }
        }
        // The Rust binding takes each enum's integer, unsigned where no value is negative.
        let layouts: Vec<_> = targets.iter().map(|&t| (t, report.layouts(t))).collect();
        let bindings = ffiscope::layout::lab::bindings::bindings(&declarations[0].1, "struct s", &layouts)
            .expect("bindings of struct s");
        for field in ["pub x: u8,", "pub z: i16,", "pub b: u64,", "pub t: u8,"] {
            assert!(bindings.rust.contains(field), "{reader}: {field} in {}", bindings.rust);
        }
        assert!(bindings.rust.contains("MSVC stores every enum in a 4-byte int"), "{}", bindings.rust);
    }
}

#[test]
fn fixed_width_names_keep_their_rust_types_through_the_preprocessor() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    let text = "#include <stdint.h>\nstruct stamp { int64_t when; uint32_t id; };\n";
    let targets = [Target::X86_64Linux, Target::I686Linux];
    let (report, declarations) =
        ffiscope::layout::lab::header::analyze_source("lab.h", text, None, &targets, &HeaderOptions::default(), false);
    let declarations = &declarations[0].1;
    let layouts: Vec<_> = targets.iter().map(|&t| (t, report.layouts(t))).collect();
    let bindings = ffiscope::layout::lab::bindings::bindings(declarations, "struct stamp", &layouts).expect("bindings");
    // glibc spells int64_t as `long` on x86_64: the binding is still i64, right on every target.
    assert!(bindings.rust.contains("pub when: i64,") && bindings.rust.contains("pub id: u32,"), "{}", bindings.rust);
}

#[test]
fn msvc_integer_keywords_are_read_as_windows_reads_them() {
    let Some(_) = find_compiler(Target::X86_64Windows) else { return };
    // `__int64_t` is a different name, which must not be rewritten.
    let header = written(
        "wide.h",
        "typedef long long __int64_t;\nstruct wide { char tag; unsigned __int64 big; __int32 mid; __int16 small; __int64_t other; };\n",
    );
    let report = analyze_header(&header, &[Target::X86_64Windows], &HeaderOptions::default(), &[], true);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let wide = &report.results[0].types[0];
    let sizes: Vec<(&str, u64)> = wide.fields.iter().map(|f| (f.name.as_str(), f.size)).collect();
    assert_eq!(sizes, [("tag", 1), ("big", 8), ("mid", 4), ("small", 2), ("other", 8)]);
    assert!(wide.verified.as_ref().is_some_and(|v| v.ok), "clang agrees: {wide:?}");
}

#[test]
fn sqlite3_is_read_on_windows_from_the_library_folder() {
    let Some(_) = find_compiler(Target::X86_64Windows) else { return };
    if !installed("/usr/include/sqlite3.h") {
        return;
    }
    let header = including("sqlite3.h", "");
    let report = analyze_header(&header, &[Target::X86_64Windows], &HeaderOptions::default(), &[], true);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let result = &report.results[0];
    let vfs = result.types.iter().find(|t| t.name == "struct sqlite3_vfs").expect("sqlite3_vfs");
    assert!(vfs.verified.as_ref().is_some_and(|v| v.ok), "{vfs:?}");
}

#[test]
fn a_cross_target_reading_the_hosts_configuration_headers_says_so() {
    let (Some(_), Some(_)) = (find_compiler(Target::I686Linux), find_compiler(Target::X86_64Linux)) else { return };
    // Debian keeps curl's configuration header in the host's multiarch folder only.
    if !installed("/usr/include/x86_64-linux-gnu/curl/curl.h") {
        return;
    }
    let header = including("curl/curl.h", "");
    let report = analyze_header(&header, &[Target::I686Linux], &HeaderOptions::default(), &[], true);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let result = &report.results[0];
    let caveat = result.caveat.as_deref().expect("a caveat");
    assert!(caveat.contains("/usr/include/x86_64-linux-gnu"), "{caveat}");
    assert!(result.verified_by.as_deref().is_some_and(|by| by.contains("i686")), "checked by i686's own compiler");
}

#[test]
fn complex_numbers_and_glibc_int128_names_are_laid_out_as_compilers_do() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    // link.h brings glibc's `__int128_t` members; complex.h declares functions of `_Complex double`.
    let header = written(
        "complex-user.h",
        "#include <complex.h>\n#include <link.h>\n\
         struct cx { char c; float _Complex f; double _Complex d; long double _Complex l; };\n",
    );
    let targets: Vec<Target> = Target::ALL.into_iter().filter(|&t| find_compiler(t).is_some()).collect();
    let report = analyze_header(&header, &targets, &HeaderOptions::default(), &[], true);
    let linux_errors: Vec<_> = report.errors.iter().filter(|e| !e.message.starts_with("x86_64-windows")).collect();
    assert!(linux_errors.is_empty(), "{linux_errors:?}");
    for result in &report.results {
        let cx = result.types.iter().find(|t| t.name == "struct cx").expect("struct cx");
        assert_eq!(cx.fields[1].size, 8, "float _Complex on {}", result.target.triple());
        assert!(cx.verified.as_ref().is_some_and(|v| v.ok), "{}: {cx:?}", result.target.triple());
    }
    let x86_64 = report.results.iter().find(|r| r.target == Target::X86_64Linux).expect("the host");
    assert_eq!(x86_64.types.iter().find(|t| t.name == "struct cx").map(|t| (t.size, t.align)), Some((64, 16)));
}

#[test]
fn a_name_no_typedef_declared_is_called_an_unknown_type_name() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    let header = written("unknown.h", "#include <stdint.h>\nstruct late { uint8_t a;\n  widget_t b; };\n");
    let report = analyze_header(&header, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    let error = report.errors.first().expect("an error");
    assert_eq!((error.line, error.column), (3, 3), "{error:?}");
    assert!(error.message.starts_with("unknown type name `widget_t`"), "{error:?}");
    // In a parameter list, as libjpeg's jpegint.h reads without jpeglib.h first:
    // said of the type, not of the parameter's name after it.
    let header = written("parameter.h", "#include <stdint.h>\nstruct ops { void (*close)(int fd, handle_t h); };\n");
    let report = analyze_header(&header, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    let error = report.errors.first().expect("an error");
    assert_eq!((error.line, error.column), (2, 36), "{error:?}");
    assert!(error.message.starts_with("unknown type name `handle_t`"), "{error:?}");
    // An unnamed pointer parameter, as readline's rltypedefs.h reads without <stdio.h>.
    let header = written("pointer.h", "#include <stdint.h>\ntypedef int getc_func_t (FILE *);\n");
    let report = analyze_header(&header, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    let error = report.errors.first().expect("an error");
    assert_eq!((error.line, error.column), (2, 26), "{error:?}");
    assert!(error.message.starts_with("unknown type name `FILE`"), "{error:?}");
    assert!(error.message.contains("declared in <stdio.h>"), "{error:?}");
    // With no space before the star, as Xt's ThreadsI.h writes `Boolean*`.
    let header = written("tight.h", "#include <stdint.h>\ntypedef void (*push_t)(Boolean*, int);\n");
    let report = analyze_header(&header, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    let error = report.errors.first().expect("an error");
    assert!(error.message.starts_with("unknown type name `Boolean`"), "{error:?}");
}

/// The preprocessor's error is its error line, not a line of the include
/// chain before it that names a file with `error` in its name (SDL's
/// `SDL_error.h` on a target without SDL's configuration).
#[test]
fn a_preprocessor_error_is_said_by_its_error_line() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    written("chain_low.h", "#include \"chain_missing_conf.h\"\n");
    written("chain_error.h", "#include \"chain_low.h\"\n");
    let top = written("chain_top.h", "#include \"chain_error.h\"\nstruct s { int a; };\n");
    let report = analyze_header(&top, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    let error = report.errors.first().expect("an error");
    assert!(error.message.contains("fatal error: chain_missing_conf.h: No such file or directory"), "{error:?}");
}

/// A typedef's `aligned(N)` sets its alignment on GCC's targets, lower than
/// the type's own too, and a vector typedef's `aligned` overrides its size's
/// alignment (glibc's `link.h`: `La_x86_64_ymm`, 32 bytes aligned to 16,
/// made `La_x86_64_regs` 64-aligned where GCC says 16). Every number checked by each compiler.
const TYPEDEF_ALIGNMENTS: &str = "typedef int low __attribute__((aligned(2)));\n\
    typedef struct { int a; double d; } rec;\n\
    typedef rec lowrec __attribute__((aligned(4)));\n\
    typedef low low2;\n\
    typedef low highagain __attribute__((aligned(8)));\n\
    struct s { char c; low x; };\n\
    struct r { char c; lowrec x; };\n\
    struct s2 { char c; low2 x; };\n\
    struct h { char c; highagain x; };\n";

#[test]
fn a_typedef_s_alignment_is_gcc_s_lower_too() {
    let targets: Vec<Target> = Target::ALL.into_iter().filter(|&t| find_compiler(t).is_some()).collect();
    let vectors = "typedef float ymm __attribute__((__vector_size__(32), __aligned__(16)));\n\
        typedef float vbig __attribute__((__vector_size__(16), __aligned__(64)));\n\
        struct v { char c; ymm y; vbig w; };\n\
        typedef struct { int a; double d; } lowrec2 __attribute__((aligned(4)));\n\
        struct r2 { char c; lowrec2 x; };\n";
    let header = written("typedef_aligned.h", &format!("#include <stddef.h>\n{TYPEDEF_ALIGNMENTS}{vectors}"));
    let report = analyze_header(&header, &targets, &HeaderOptions::default(), &[], true);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    for result in &report.results {
        for ty in &result.types {
            // clang's Microsoft layout places `lowrec2` at 8 and says `_Alignof` 4: one number cannot be both.
            if result.target == Target::X86_64Windows && ty.name == "lowrec2" {
                continue;
            }
            assert!(
                ty.verified.as_ref().is_some_and(|v| v.ok),
                "{} on {}: {:?}",
                ty.name,
                result.target.triple(),
                ty.verified
            );
        }
    }
    if let Some(x86_64) = report.results.iter().find(|r| r.target == Target::X86_64Linux) {
        let size_align = |name: &str| x86_64.types.iter().find(|t| t.name == name).map(|t| (t.size, t.align));
        assert_eq!(size_align("struct s"), Some((6, 2)));
        assert_eq!(size_align("struct v"), Some((128, 64)));
    }
}

/// glibc declares functions of `_Float32x` and `_Float64x` under
/// `_GNU_SOURCE` (`<math.h>`, `<stdlib.h>`): GCC's `double` and `long double`.
#[test]
fn gcc_s_extended_float_types_are_read() {
    let targets: Vec<Target> = [Target::X86_64Linux, Target::I686Linux, Target::Aarch64Linux]
        .into_iter()
        .filter(|&t| find_compiler(t).is_some())
        .collect();
    let header = written(
        "extended.h",
        "#define _GNU_SOURCE\n#include <math.h>\n#include <stdlib.h>\nstruct wide { char c; _Float32x a; _Float64x b; };\n",
    );
    let report = analyze_header(&header, &targets, &HeaderOptions::default(), &[], true);
    assert!(report.errors.is_empty(), "{:?}", report.errors.first());
    assert_eq!(report.results.len(), targets.len(), "every target with a compiler read it");
    assert!(!targets.is_empty() || !required(), "the compilers are required");
    for result in &report.results {
        let wide = result.types.iter().find(|t| t.name == "struct wide").expect("laid out");
        assert!(wide.verified.as_ref().is_some_and(|v| v.ok), "{}: {wide:?}", result.target.triple());
    }
}

#[test]
fn a_standard_type_used_before_its_header_names_the_header_that_declares_it() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    // As libjpeg's jpeglib.h does: it expects <stddef.h> and <stdio.h> first.
    let header = written("needs_stddef.h", "struct source { const char *next; size_t left; };\n");
    let report = analyze_header(&header, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    let error = report.errors.first().expect("an error");
    assert_eq!((error.line, error.column), (1, 35), "{error:?}");
    assert!(error.message.ends_with("it is declared in <stddef.h>, which is not included before it"), "{error:?}");
    let wrapper = written("wrapper.h", &format!("#include <stddef.h>\n#include \"{}\"\n", header.display()));
    let report = analyze_header(&wrapper, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let x86_64 = &report.results[0];
    assert_eq!(x86_64.types.iter().find(|t| t.name == "struct source").map(|t| t.size), Some(16));
}

#[test]
fn bindings_of_a_real_header_keep_signedness_through_its_typedefs() {
    let Some(_) = find_compiler(Target::X86_64Linux) else { return };
    let text = "#include <sys/stat.h>\n";
    let targets = [Target::X86_64Linux];
    let (report, declarations) =
        ffiscope::layout::lab::header::analyze_source("lab.h", text, None, &targets, &HeaderOptions::default(), false);
    let layouts = vec![(Target::X86_64Linux, report.layouts(Target::X86_64Linux))];
    let bindings =
        ffiscope::layout::lab::bindings::bindings(&declarations[0].1, "struct stat", &layouts).expect("bindings");
    // `__dev_t` is `unsigned long int`, `__mode_t` `unsigned int`, `__off_t` `long int`.
    for line in ["pub st_dev: core::ffi::c_ulong,", "pub st_mode: u32,", "pub st_size: core::ffi::c_long,"] {
        assert!(bindings.rust.contains(line), "{line} in:\n{}", bindings.rust);
    }
}

/// `offsetof` in an array bound is evaluated on each target, through
/// anonymous members and array elements, and every compiler agrees; a
/// constant the reader cannot evaluate is said where it is written.
#[test]
fn offsetof_in_a_constant_is_laid_out_as_compilers_do() {
    let targets: Vec<Target> = Target::ALL.into_iter().filter(|&t| find_compiler(t).is_some()).collect();
    let header = written(
        "offsetof.h",
        "#include <stddef.h>\n\
         struct in { char x; struct { char y; long arr[4]; }; };\n\
         struct prefix { char head[offsetof(struct in, arr[2])]; char rest[sizeof(struct in) - offsetof(struct in, y)]; };\n",
    );
    let report = analyze_header(&header, &targets, &HeaderOptions::default(), &[], true);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    for result in &report.results {
        let prefix = result.types.iter().find(|t| t.name == "struct prefix").expect("struct prefix");
        assert!(prefix.verified.as_ref().is_some_and(|v| v.ok), "{}: {:?}", result.target.triple(), prefix.verified);
        if result.target == Target::X86_64Linux {
            assert_eq!(prefix.fields.iter().map(|f| f.size).collect::<Vec<_>>(), [32, 40]);
        }
    }
    let bad = written(
        "offsetof_bad.h",
        "#include <stddef.h>\nstruct in { int x; };\nstruct bad { char a[4]; char b[offsetof(struct in, nope)]; char c[1 << 70]; };\n",
    );
    let report = analyze_header(&bad, &[Target::X86_64Linux], &HeaderOptions::default(), &[], false);
    let said: Vec<(usize, &str)> = report.errors.iter().map(|e| (e.line, e.message.as_str())).collect();
    assert_eq!(said, [(3, "`struct in` has no member `nope`")]);
    // At `offsetof` (32), or where gcc -E writes its expansion, a column before.
    assert!((31..=32).contains(&report.errors[0].column), "{:?}", report.errors);
}

/// `_Alignas` (and `<stdalign.h>`'s `alignas`) on a member, of a number, a
/// constant, a type, a typedef and an expression, through the
/// preprocessor: every compiler agrees, and nothing else in the header is lost.
#[test]
fn alignas_on_a_member_is_laid_out_as_compilers_do() {
    let targets: Vec<Target> = Target::ALL.into_iter().filter(|&t| find_compiler(t).is_some()).collect();
    let header = written(
        "alignas.h",
        "#include <stdint.h>\n#include <stdalign.h>\n#include <stddef.h>\nenum { SIXTEEN = 16 };\n\
         struct al { _Alignas(16) uint8_t x; uint8_t y; _Alignas(SIXTEEN) uint8_t z; _Alignas(double) char w;\n\
         _Alignas(uint64_t) char v; alignas(max_align_t) char u; _Alignas(2 * 16) char t; };\n\
         struct after { char c; };\n",
    );
    let report = analyze_header(&header, &targets, &HeaderOptions::default(), &[], true);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    for result in &report.results {
        for name in ["struct al", "struct after"] {
            let ty = result.types.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("{name}"));
            assert!(
                ty.verified.as_ref().is_some_and(|v| v.ok),
                "{name} on {}: {:?}",
                result.target.triple(),
                ty.verified
            );
        }
        if result.target == Target::X86_64Linux {
            let al = result.types.iter().find(|t| t.name == "struct al").expect("struct al");
            assert_eq!(al.fields.iter().map(|f| f.offset).collect::<Vec<_>>(), [0, 1, 16, 24, 32, 48, 64]);
        }
    }
}
