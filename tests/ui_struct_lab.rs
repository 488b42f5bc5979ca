//! Drives Struct Lab headless: paste a declaration, pick targets, read the
//! sizes per target, and have the real compilers verify them.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use ffiscope::app::FfiscopeApp;
use support::{OnDisk, open_dropped};

mod support;

fn harness() -> Harness<'static, FfiscopeApp> {
    let mut harness = Harness::builder().with_size(egui::vec2(1500.0, 900.0)).build_eframe(|cc| FfiscopeApp::new(cc));
    harness.run();
    harness.get_by_label("Struct Lab").click();
    settle(&mut harness);
    harness
}

/// Struct Lab's C editor, or its Rust pane.
fn editor<'h>(harness: &'h Harness<'static, FfiscopeApp>, label: &'h str) -> egui_kittest::Node<'h> {
    harness.get(egui_kittest::kittest::by().role(Role::MultilineTextInput).label(label))
}

/// Replaces the text of the editor labelled `label`, as typing would.
fn replace_text(harness: &mut Harness<'static, FfiscopeApp>, label: &str, text: &str) {
    editor(harness, label).focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run();
    editor(harness, label).type_text(text);
    settle(harness);
}

fn paste(harness: &mut Harness<'static, FfiscopeApp>, text: &str) {
    replace_text(harness, "C declarations", text);
}

#[test]
fn a_pasted_declaration_is_laid_out_for_each_chosen_target() {
    let mut harness = harness();
    paste(&mut harness, "struct pasted { char a; long b; };");
    assert_eq!(harness.state().lab().text(), "struct pasted { char a; long b; };");
    harness.get_by_label("struct pasted");
    // The default targets: x86_64 Linux, i686 Linux, x86_64 Windows.
    harness.get_by_label("size 16 · align 8 · padding 7 B (44%)");
    assert_eq!(
        harness.query_all_by_label("size 8 · align 4 · padding 3 B (38%)").count(),
        2,
        "i686 and Windows: long is 4"
    );
    harness.get_by_label_contains("`b`: offset 8 on x86_64, 4 on i686, 4 on x86_64-windows");
    harness.get_by_label("armv7-linux-gnueabihf").click();
    settle(&mut harness);
    assert_eq!(harness.query_all_by_label("size 8 · align 4 · padding 3 B (38%)").count(), 3, "armv7 joins them");
}

#[test]
fn the_compilers_verify_it_in_the_background() {
    let mut harness = harness();
    paste(&mut harness, "struct pasted { char a; double d; short s[3]; };");
    harness.get_by_label("Verify with compilers").click();
    let deadline = Instant::now() + Duration::from_mins(1);
    while harness.query_all_by_label_contains("verified by").next().is_none() {
        assert!(Instant::now() < deadline, "no verdict from the compilers");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(2);
    // The host always has gcc; the cross compilers where installed (CI installs them).
    let by: Vec<Option<String>> =
        harness.state().lab().report().results.iter().map(|r| r.verified_by.clone()).collect();
    assert!(by[0].as_deref().is_some_and(|c| c.contains("gcc")), "{by:?}");
    let badge = format!("verified by {}", by[0].as_deref().unwrap_or_default());
    assert_eq!(harness.query_all_by_label(&badge).count(), 1, "the x86_64 column's badge");
    assert_eq!(harness.query_all_by_label_contains("mismatch").count(), 0);
}

#[test]
fn a_dropped_header_names_its_own_file_in_errors() {
    let mut harness = harness();
    let path = std::env::temp_dir().join(format!("ffiscope-dropped-{}.h", std::process::id()));
    std::fs::write(&path, "struct fine { int a; };\nstruct bad { int a; wat b; };\n").unwrap();
    harness.input_mut().dropped_files.push(std::sync::Arc::new(OnDisk(path.clone())));
    // The file is read on a worker thread; the window never waits for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.state().lab().source_name() != path.display().to_string() {
        assert!(Instant::now() < deadline, "the dropped header never opened");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(10));
    }
    // Text with an error is read by the compilers too: wait for them.
    settle(&mut harness);
    harness.get_by_label_contains(&format!("{}:2:21: unknown type `wat`", path.display()));
    harness.get_by_label("struct fine");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn errors_point_at_their_line_and_column() {
    let mut harness = harness();
    paste(&mut harness, "struct ok { int a; };\nstruct broken { int a; wat b; };");
    harness.get_by_label_contains("2:24: unknown type `wat`");
    harness.get_by_label("struct ok");
}

#[test]
fn reorder_and_bindings_are_offered() {
    let mut harness = harness();
    paste(&mut harness, "struct wasteful { char a; double b; char c; int d; };");
    harness.get_by_label("Reordered by alignment, largest first: 24 to 16 bytes on x86_64-linux-gnu, 8 saved");
    harness.get_by_label("order: b, d, a, c");
    harness.get_by_label_contains("#[repr(C)]");
    harness.get_by_label_contains("core::mem::offset_of!(wasteful, b) == 8");
    harness.get_by_label("Go").click();
    harness.run();
    harness.get_by_label_contains("_ [7]byte // padding");
    harness.get_by_label("Python ctypes").click();
    harness.run();
    harness.get_by_label_contains("(\"b\", ctypes.c_double),");
}

#[test]
fn a_type_exports_side_by_side_for_every_chosen_target() {
    let mut harness = harness();
    let folder = std::env::temp_dir().join(format!("ffiscope-lab-export-{}", std::process::id()));
    harness.state_mut().set_export_dir(&folder);
    paste(&mut harness, "struct pasted { char a; long b; };");
    harness.get_by_label("Export SVG, PNG and text").click();
    harness.run();
    let status = harness.state().status().unwrap_or_default().to_owned();
    assert!(status.starts_with("Wrote struct_pasted.svg"), "{status}");
    let svg = std::fs::read_to_string(folder.join("struct_pasted.svg")).expect("the SVG");
    roxmltree::Document::parse(&svg).expect("the SVG parses");
    for target in ["x86_64-linux-gnu", "i686-linux-gnu", "x86_64-windows-msvc"] {
        assert!(svg.contains(target), "a column for {target}");
    }
    let listing = std::fs::read_to_string(folder.join("struct_pasted.txt")).expect("the listing");
    assert_eq!(listing.matches("struct pasted {").count(), 3, "{listing}");
    assert!(std::fs::metadata(folder.join("struct_pasted.png")).expect("the PNG").len() > 0);
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn inputs_that_once_brought_the_app_down_give_a_result_or_an_error() {
    let mut harness = harness();
    // Two arrays of 10^18 bytes: laid out in constant time, drawn in part.
    paste(&mut harness, "struct b { char x[1000000000000000000]; char y[1000000000000000000]; };");
    harness.get_by_label("struct b");
    assert!(harness.query_all_by_label_contains("more bytes, not drawn").count() >= 1);
    // Too large for a 32-bit target: an error on that target, not an abort.
    assert!(harness.state().lab().report().errors.iter().any(|e| e.message.contains("largest object on i686")));
    // Ten thousand times a billion bytes, in an instant.
    paste(&mut harness, "struct a { int x[1000000000]; };\nstruct c { struct a q[1000]; };");
    harness.get_by_label("struct c");
    // More dimensions than a type may nest: an error that names the place.
    let deep = format!("struct d {{ int x{}; }};", "[2]".repeat(40));
    paste(&mut harness, &deep);
    harness.get_by_label_contains("an array of more than 32 dimensions");
}

#[test]
fn a_header_with_a_latin1_comment_opens() {
    let mut harness = harness();
    let path = std::env::temp_dir().join(format!("ffiscope-latin1-{}.h", std::process::id()));
    std::fs::write(&path, b"/* caf\xe9 */\nstruct latin { int a; };\n").unwrap();
    harness.input_mut().dropped_files.push(std::sync::Arc::new(OnDisk(path.clone())));
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.state().lab().source_name() != path.display().to_string() {
        assert!(Instant::now() < deadline, "the header never opened");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run();
    harness.get_by_label("struct latin");
    assert!(harness.state().lab().message().is_some_and(|m| m.contains("read as Latin-1")));
    assert!(harness.state().lab().text().starts_with("/* café */"), "é is Latin-1's 0xe9");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_real_header_lists_its_types_grouped_by_the_header_that_declared_them() {
    if ffiscope::layout::lab::verify::find_compiler(ffiscope::layout::lab::Target::X86_64Linux).is_none() {
        return; // no preprocessor to read it with
    }
    let mut harness = harness();
    let path = std::env::temp_dir().join(format!("ffiscope-real-{}.h", std::process::id()));
    std::fs::write(&path, "#include <time.h>\nstruct mine { struct timespec when; int after; };\n").unwrap();
    open_dropped(&mut harness, &path);
    // The file's own type first; what time.h brings is folded under its header.
    harness.get_by_label("struct mine");
    harness.get_by_label_contains("more from included headers");
    let folded = harness.query_all_by_label_contains("time.h (").count()
        + harness.query_all_by_label_contains("timespec.h (").count();
    assert!(folded > 0, "the included headers are listed");
    assert!(harness.query_by_label("struct timespec").is_none(), "folded until opened or searched");
    // Searching finds a type among all of them.
    let search = harness.get(egui_kittest::kittest::by().role(Role::TextInput).label_contains("find:"));
    search.focus();
    search.type_text("timespec");
    harness.run();
    harness.get_by_label("struct timespec");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn an_error_in_a_real_header_names_its_file_and_line() {
    if ffiscope::layout::lab::verify::find_compiler(ffiscope::layout::lab::Target::X86_64Linux).is_none() {
        return;
    }
    let mut harness = harness();
    let path = std::env::temp_dir().join(format!("ffiscope-real-bad-{}.h", std::process::id()));
    std::fs::write(&path, "#include <stdint.h>\n\nstruct sized { uint8_t bytes[COUNT]; };\n").unwrap();
    open_dropped(&mut harness, &path);
    harness.get_by_label_contains(&format!("{}:3:", path.display()));
    harness.get_by_label_contains("`COUNT` is not a constant this header declares");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn defines_typed_in_the_lab_reach_the_preprocessor() {
    if ffiscope::layout::lab::verify::find_compiler(ffiscope::layout::lab::Target::X86_64Linux).is_none() {
        return;
    }
    let mut harness = harness();
    let path = std::env::temp_dir().join(format!("ffiscope-defines-{}.h", std::process::id()));
    std::fs::write(&path, "#include <stdint.h>\nstruct sized { uint8_t bytes[COUNT]; };\n").unwrap();
    open_dropped(&mut harness, &path);
    harness.get_by_label_contains("`COUNT` is not a constant this header declares");
    // An opened, unedited header is what a restart opens again, not a copy of its text.
    assert_eq!(harness.state().lab().unedited_file(), Some(path.display().to_string().as_str()));
    let defines = harness.get(egui_kittest::kittest::by().role(Role::TextInput).label("Defines:"));
    defines.focus();
    defines.type_text("COUNT=3");
    harness.run();
    let deadline = Instant::now() + Duration::from_secs(20);
    while harness.state().lab().is_laying_out() || !harness.state().lab().report().errors.is_empty() {
        assert!(Instant::now() < deadline, "the define never took effect");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(10));
    }
    let size =
        harness.state().lab().report().results[0].types.iter().find(|t| t.name == "struct sized").map(|t| t.size);
    assert_eq!(size, Some(3));
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_real_header_too_deep_to_read_is_an_error_in_the_window() {
    if ffiscope::layout::lab::verify::find_compiler(ffiscope::layout::lab::Target::X86_64Linux).is_none() {
        return;
    }
    let mut harness = harness();
    let path = std::env::temp_dir().join(format!("ffiscope-deep-{}.h", std::process::id()));
    // Through the preprocessor, as a real header goes: once an abort on the stack.
    std::fs::write(&path, format!("#include <stddef.h>\nstruct a {{ int x{}; }};\n", "[2]".repeat(100_000))).unwrap();
    open_dropped(&mut harness, &path);
    harness.get_by_label_contains(&format!("{}:2:", path.display()));
    harness.get_by_label_contains("more than 256 array dimensions in a row");
    std::fs::write(
        &path,
        format!("#include <stddef.h>\nstruct b {{ int x[{}1{}]; }};\n", "(".repeat(50_000), ")".repeat(50_000)),
    )
    .unwrap();
    harness.get_by_label("Struct Lab").click();
    harness.input_mut().dropped_files.push(std::sync::Arc::new(OnDisk(path.clone())));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !harness.state().lab().report().errors.iter().any(|e| e.message.contains("brackets nested")) {
        assert!(Instant::now() < deadline, "the second header was never read");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run();
    harness.get_by_label_contains("more than 256 brackets nested");
    let _ = std::fs::remove_file(&path);
}

/// Waits until the lab has laid out the inputs as they are now: the frames
/// that take in a change start the layout on a worker, and a few quick ones
/// (a release build's) end before it answers.
fn settle(harness: &mut Harness<'static, FfiscopeApp>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    // Frames repaint while a layout is under way: stepping is enough.
    let _ = harness.run_ok();
    while harness.state().lab().is_laying_out() {
        assert!(Instant::now() < deadline, "never laid out");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run();
}

/// A harness whose lab has laid out `c` and checked `mirror` against it.
fn lab_with_mirror(c: &str, mirror: &str) -> Harness<'static, FfiscopeApp> {
    let mut harness = harness();
    paste(&mut harness, c);
    settle(&mut harness);
    replace_text(&mut harness, "Rust mirror", mirror);
    settle(&mut harness);
    harness
}

#[test]
fn a_pasted_mirror_names_its_differences() {
    let mut harness = lab_with_mirror(
        "struct record { long flags; char tag; int count; };",
        "#[repr(C)]\npub struct record { pub flags: i64, pub tag: core::ffi::c_char, pub count: i32 }\n",
    );
    // Windows and 32-bit Linux have a 4-byte long: the default targets include both.
    harness.get_by_label_contains("record (differs on i686, x86_64-windows)");
    harness.get_by_label("`flags`: 4 bytes in C on x86_64-windows-msvc (`long`), 8 in Rust (`i64`)");
    // C's grid beside Rust's on each of the two targets where they disagree.
    assert_eq!(harness.query_all_by_label_contains("outlined: the bytes that disagree").count(), 2);
    // Mended, it matches everywhere.
    replace_text(
        &mut harness,
        "Rust mirror",
        "#[repr(C)]\npub struct record { pub flags: core::ffi::c_long, pub tag: core::ffi::c_char, pub count: i32 }\n",
    );
    settle(&mut harness);
    harness.get_by_label_contains("record (matches)");
    assert!(harness.query_by_label_contains("in Rust (`i64`)").is_none());
}

#[test]
fn a_mirrors_constant_that_differs_from_c_is_named() {
    let mut harness = lab_with_mirror(
        "enum mode { MODE_A = 1, MODE_B };\nstruct record { int mode; };",
        "#[repr(C)]\npub struct record { pub mode: i32 }\n#[repr(u32)]\npub enum mode { MODE_A = 1, MODE_B = 3 }\n",
    );
    harness.get_by_label_contains("2 constants C also defines: 1 differs");
    harness.get_by_label("`mode::MODE_B` on every target: 3 in Rust (`u32`), 2 in C");
    replace_text(
        &mut harness,
        "Rust mirror",
        "#[repr(C)]\npub struct record { pub mode: i32 }\n#[repr(u32)]\npub enum mode { MODE_A = 1, MODE_B }\n",
    );
    settle(&mut harness);
    harness.get_by_label_contains("2 constants C also defines: every one agrees");
    assert!(harness.query_by_label_contains("in Rust (`u32`)").is_none());
}

#[test]
fn a_bindings_function_that_differs_from_cs_prototype_is_named() {
    let mut harness = lab_with_mirror(
        "struct record { int count; };\nlong total(const struct record *r, int n);",
        "#[repr(C)]\npub struct record { pub count: i32 }\n\
         extern \"C\" { pub fn total(r: *const record, n: i32) -> i32; }\n",
    );
    // `long` is 8 bytes on 64-bit Linux, 4 on the default targets besides.
    harness.get_by_label_contains("1 function C declares: 1 differs");
    harness.get_by_label("C:    long total(const struct record *r, int n)");
    harness.get_by_label_contains("`total` on x86_64: returns: C gives back `long`, signed 64-bit integer");
    replace_text(
        &mut harness,
        "Rust mirror",
        "#[repr(C)]\npub struct record { pub count: i32 }\n\
         extern \"C\" { pub fn total(r: *const record, n: i32) -> core::ffi::c_long; }\n",
    );
    settle(&mut harness);
    harness.get_by_label_contains("1 function C declares: every one agrees");
}

#[test]
fn a_mirror_that_does_not_parse_says_where() {
    let mut harness = harness();
    paste(&mut harness, "struct record { int a; };");
    settle(&mut harness);
    replace_text(&mut harness, "Rust mirror", "#[repr(C)]\nstruct record { a: i32,, }\n");
    settle(&mut harness);
    harness.get_by_label_contains("mirror.rs:2:");
}

#[test]
fn a_header_and_its_mirror_dropped_together_are_checked() {
    let mut harness = harness();
    let folder = std::env::temp_dir().join(format!("ffiscope-dropped-pair-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let (header, mirror) = (folder.join("wire.h"), folder.join("wire.rs"));
    std::fs::write(&header, "struct wire { unsigned char tag; unsigned int length; };\n").unwrap();
    std::fs::write(&mirror, "#[repr(C, packed)]\npub struct wire { pub tag: u8, pub length: u32 }\n").unwrap();
    harness.input_mut().dropped_files.push(std::sync::Arc::new(OnDisk(header.clone())));
    harness.input_mut().dropped_files.push(std::sync::Arc::new(OnDisk(mirror.clone())));
    let deadline = Instant::now() + Duration::from_secs(20);
    while harness.state().lab().mirror_text().is_empty()
        || harness.state().lab().source_name() != header.display().to_string()
        || harness.state().lab().is_busy()
    {
        assert!(Instant::now() < deadline, "the two files were never both read");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run();
    // Packed in Rust, not in C: `length` moves on every target.
    harness.get_by_label("`length`: at offset 4 in C on x86_64-linux-gnu, at 1 in Rust");
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn the_mirror_example_is_wrong_off_its_own_machine() {
    let mut harness = harness();
    harness.get_by_label("Load an example").click();
    settle(&mut harness);
    // Default targets: x86_64 and i686 Linux, and Windows.
    harness.get_by_label_contains("sample (differs on i686, x86_64-windows)");
    harness.get_by_label("`id`: 4 bytes in C on i686-linux-gnu (`long`), 8 in Rust (`i64`)");
    // Its function returns a `long` too, and the other takes pointers to `unsigned long`.
    harness.get_by_label_contains("2 functions C declares: 2 differ");
    harness
        .get_by_label_contains("`sample_total` on i686, x86_64-windows: returns: C gives back `long`, signed 32-bit");
    harness.get_by_label_contains(
        "`sample_range` on i686, x86_64-windows: parameter 3 `first`: C's `unsigned long *` points at an unsigned \
         32-bit integer; the binding's `*mut u64` at an unsigned 64-bit integer: a value there is 4 bytes to C and 8",
    );
    // ARM's unsigned `char` shows once its target is chosen.
    harness.get_by_label("aarch64-linux-gnu").click();
    settle(&mut harness);
    harness.get_by_label(
        "`tag`: unsigned 8-bit integer in C on aarch64-linux-gnu (`char`), signed 8-bit integer in Rust (`i8`)",
    );
}

/// A mirror's anonymous member is checked inside, where a learner's mistake
/// is; a type C never defines is a handle, said so beside the mirror.
#[test]
fn a_mirror_is_checked_inside_anonymous_members_and_handles_are_named() {
    let harness = lab_with_mirror(
        "struct session;\nstruct packet { int kind; union { int code; short small; }; };",
        "#[repr(C)]\npub struct session { _data: [u8; 0] }\n\
         #[repr(C)]\npub struct packet { pub kind: i32, pub body: packet_body }\n\
         #[repr(C)]\n#[derive(Clone, Copy)]\npub union packet_body { pub code: i32, pub small: i32 }\n",
    );
    harness.get_by_label_contains("packet (differs on");
    harness.get_by_label_contains(
        "in `body`, C's anonymous union at offset 4: `small`: 2 bytes in C on x86_64-linux-gnu (`short`), 4 in Rust (`i32`): widened",
    );
    harness.get_by_label_contains("`session` mirrors `struct session`, which C declares and never defines");
    assert!(harness.query_by_label_contains("`packet_body`: no C type").is_none(), "it stands for the union");
    harness.get_by_label("1 opaque handle");
}

/// A pointer C may write through, bound `*const`, agrees as the call passes
/// it: its note is under the functions' count, which says how many have one.
#[test]
fn a_functions_notes_are_listed_under_the_count() {
    let mut harness = lab_with_mirror(
        "int fill(char *buffer, int size);",
        "use core::ffi::{c_char, c_int};\nextern \"C\" {\n    pub fn fill(buffer: *const c_char, size: c_int) -> c_int;\n}\n",
    );
    harness.get_by_label("1 function C declares: every one agrees (1 with a note)").click();
    harness.run();
    harness.get_by_label_contains(
        "`fill` on every target: note: parameter 1 `buffer`: C's `char *` is not `const`, so C may write through it",
    );
}

/// A binding of an API without `const` may have a note on every function:
/// the first are listed, and the rest left to the command line.
#[test]
fn many_notes_are_listed_up_to_a_bound() {
    let (mut c, mut bound) = (String::new(), String::new());
    for i in 0..30 {
        let _ = writeln!(c, "int fill{i}(char *buffer);");
        let _ = writeln!(bound, "    pub fn fill{i}(buffer: *const c_char) -> c_int;");
    }
    let rust = format!("use core::ffi::{{c_char, c_int}};\nextern \"C\" {{\n{bound}}}\n");
    let mut harness = lab_with_mirror(&c, &rust);
    harness.get_by_label("30 functions C declares: every one agrees (30 with a note)").click();
    harness.run();
    let notes = harness.query_all_by_label_contains("note: parameter 1 `buffer`").count();
    assert_eq!(notes, 24, "the first 24");
    harness.get_by_label("More notes: `ffiscope mirror` lists every one.");
}

/// Many handles (openssl-sys's `pub enum SSL {}` and the like) are folded
/// beside the results under a count, one click from why an empty enum is an
/// unsound handle.
#[test]
fn many_handles_are_folded_under_their_count() {
    let c = "struct ssl;\nstruct ctx;\nstruct bio;\nstruct rsa;\nstruct x509;\nstruct used { int a; };";
    let rust = "pub enum ssl {}\npub enum ctx {}\npub enum bio {}\npub enum rsa {}\npub enum x509 {}\n\
                #[repr(C)]\npub struct used { pub a: i32 }\n";
    let mut harness = lab_with_mirror(c, rust);
    assert!(harness.query_by_label_contains("5 empty enums stand").is_none(), "folded");
    harness.get_by_label("5 opaque handles").click();
    harness.run();
    harness.get_by_label_contains("5 empty enums stand for types C declares and never defines");
}

/// Replaces the text of the one-line field labelled `label`, as typing would.
fn replace_line(harness: &mut Harness<'static, FfiscopeApp>, label: &str, text: &str) {
    let field = || egui_kittest::kittest::by().role(Role::TextInput).label(label);
    harness.get(field()).focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run();
    harness.get(field()).type_text(text);
    harness.run();
}

/// Cfgs typed beside the Rust mirror are taken as set in it, as the crate's
/// build script sets them; one that is not a cfg says why.
#[test]
fn cfgs_typed_beside_the_mirror_are_taken_as_set() {
    let mut harness = lab_with_mirror(
        "struct ctx { int flags; void *db; void *issuer_pkey; };",
        "#[repr(C)]\npub struct ctx { flags: i32, db: *mut u8, #[cfg(ossl300)] issuer_pkey: *mut u8 }\n",
    );
    harness.get_by_label_contains("ctx (differs on");
    replace_line(&mut harness, "cfgs", "ossl300");
    settle(&mut harness);
    harness.get_by_label_contains("ctx (matches)");
    replace_line(&mut harness, "cfgs", "any(ossl300)");
    settle(&mut harness);
    harness.get_by_label_contains("is a predicate: a cfg to set is a name");
    harness.get_by_label_contains("ctx (differs on");
}

/// A real header is long (zlib.h is 1,900 lines): each text scrolls within
/// its share of the column, so the errors under the C text and the Rust pane
/// stay inside the window, at the smallest screen too.
#[test]
fn a_long_header_keeps_the_rust_pane_in_sight() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-long-header.h");
    let comment = "/* a line of a long comment */\n".repeat(1_500);
    std::fs::write(&path, format!("{comment}struct late {{ int a; UNKNOWN_T b; }};\n")).unwrap();
    for size in [egui::vec2(1024.0, 640.0), egui::vec2(1280.0, 800.0)] {
        let mut harness = Harness::builder().with_size(size).build_eframe(|cc| FfiscopeApp::new(cc));
        harness.run();
        harness.get_by_label("Struct Lab").click();
        settle(&mut harness);
        open_dropped(&mut harness, &path);
        let window = harness.ctx.content_rect();
        let error = harness.get_by_label_contains("unknown type `UNKNOWN_T`").rect();
        assert!(window.contains_rect(error), "at {size:?}: the error at {error:?} is outside {window:?}");
        let rust_pane = editor(&harness, "Rust mirror").rect();
        assert!(
            rust_pane.top() < window.bottom() - 40.0,
            "at {size:?}: the Rust pane at {rust_pane:?} is out of sight"
        );
    }
}

/// A window that shrinks keeps the editors' column to its share of the
/// tab: the width it had in the wide window (420 points, two thirds of a
/// projector's 1024 pixels once presenting had zoomed in) left the results
/// a sliver.
#[test]
fn the_editors_keep_to_their_share_when_the_window_shrinks() {
    let mut harness = harness();
    harness.get_by_label("Load an example").click();
    settle(&mut harness);
    harness.set_size(egui::vec2(640.0, 600.0));
    harness.run();
    let results = harness.get_by_label_contains("Type:").rect();
    assert!(results.left() < 640.0 * 0.6, "the results begin at {results:?}");
}
