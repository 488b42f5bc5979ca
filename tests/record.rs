//! `ffiscope record` on real processes: programs this test compiles (C and
//! Rust, one thread and four, a constructor that allocates before `main`),
//! programs nobody here wrote, and programs that cannot be recorded.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod support;

fn scratch() -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("record");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// Compiles C text with the system's compiler, with debug information.
fn compile_c(name: &str, text: &str, extra: &[&str]) -> PathBuf {
    let dir = scratch();
    let source = dir.join(format!("{name}.c"));
    let program = dir.join(name);
    std::fs::write(&source, text).expect("the source is written");
    let status = Command::new("cc")
        .args(["-g", "-O1", "-pthread", "-o"])
        .arg(&program)
        .arg(&source)
        .args(extra)
        .status()
        .expect("cc runs");
    assert!(status.success(), "{name} compiles");
    program
}

/// Compiles Rust text optimised, with debug information.
fn compile_rust(name: &str, text: &str) -> PathBuf {
    compile_rust_with(name, text, &["-g", "-O"])
}

/// Compiles Rust text with rustc's `flags`.
fn compile_rust_with(name: &str, text: &str, flags: &[&str]) -> PathBuf {
    let dir = scratch();
    let source = dir.join(format!("{name}.rs"));
    let program = dir.join(name);
    std::fs::write(&source, text).expect("the source is written");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let status = Command::new(rustc)
        .args(flags)
        .args(["--edition", "2021", "-o"])
        .arg(&program)
        .arg(&source)
        .status()
        .expect("rustc runs");
    assert!(status.success(), "{name} compiles");
    program
}

fn record(args: &[&str], program: &Path, program_args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ffiscope"))
        .arg("record")
        .args(args)
        .arg("--")
        .arg(program)
        .args(program_args)
        .output()
        .expect("ffiscope runs")
}

/// `ffiscope open` with `args`.
fn open(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ffiscope")).arg("open").args(args).output().expect("ffiscope runs")
}

fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    })
}

/// The report's leaks, each as (site, bytes), in its order.
fn leaks_of(report: &Value) -> Vec<(&str, u64)> {
    report["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .filter(|a| a["kind"] == "leak")
        .map(|a| (a["site"].as_str().unwrap_or(""), a["bytes"].as_u64().unwrap_or(0)))
        .collect()
}

/// Whether a leak is reachable only through other leaked blocks
/// (memcheck's "indirectly lost").
fn goes_with_another(leak: &Value) -> bool {
    leak["message"].as_str().unwrap_or("").contains("only through other leaked blocks")
}

fn kinds(report: &Value) -> Vec<String> {
    report["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .map(|a| a["kind"].as_str().unwrap_or("").to_owned())
        .collect()
}

const C_PROGRAM: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *copy(const char *text) {
    char *block = malloc(strlen(text) + 1);
    strcpy(block, text);
    return block;
}

int main(void) {
    char *kept = copy("kept");
    char *gone = copy("gone");
    free(gone);
    for (int i = 0; i < 10000; i++) {
        volatile char *block = malloc(16 + i % 300);
        block[0] = (char)i;
        free((void *)block);
    }
    void *aligned = NULL;
    if (posix_memalign(&aligned, 64, 100) != 0) return 1;
    free(aligned);
    char *grown = realloc(calloc(4, 4), 4000);
    free(grown);
    free(gone);
    printf("%s\n", kept);
    return 7;
}
"#;

#[test]
fn a_c_program_is_counted_exactly_its_double_free_refused_and_its_leak_named() {
    let program = compile_c("plain", C_PROGRAM, &[]);
    let output = record(&["--json"], &program, &[]);
    let report = report(&output);
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "kept",
        "the program's stdout goes to stderr with --json"
    );
    let heap = &report["c_heap"];
    // copy ×2, 10,000 pairs, posix_memalign, calloc (realloc moves it),
    // and what printf allocates inside the C library.
    let allocations = heap["allocations"].as_u64().unwrap();
    assert!((10_004..10_010).contains(&allocations), "{heap}");
    assert_eq!(heap["reallocs"], 1);
    assert!(heap["frees"].as_u64().unwrap() >= 10_003, "{heap}");
    // `kept`, and whatever the C library keeps for itself (stdout's buffer):
    // that is not reported as a leak.
    let live = heap["live_blocks"].as_u64().unwrap();
    assert_eq!(heap["allocations"].as_u64().unwrap() - heap["frees"].as_u64().unwrap(), live);
    assert_eq!(report["dropped_events"], 0);
    assert_eq!(kinds(&report), ["double_free", "leak"]);
    let leak = &report["anomalies"][1];
    assert!(leak["site"].as_str().unwrap().starts_with("copy (plain.c:"), "{leak}");
    assert_eq!(output.status.code(), Some(7), "the program's exit code");
    let checked = record(&["--json", "--check"], &program, &[]);
    assert_eq!(checked.status.code(), Some(1), "--check exits 1 on findings");
}

/// A program that builds a large structure: 300,000 blocks live at once at
/// rising addresses, freed in a scrambled order, the last of them twice,
/// and three left behind. Both sides' tables of live blocks grow far past
/// the point where they keep neighbouring blocks together.
const MANY_LIVE_BLOCKS: &str = r"
#include <stdlib.h>

enum { BLOCKS = 300000 };

int main(void) {
    void **blocks = malloc(BLOCKS * sizeof *blocks);
    for (int i = 0; i < BLOCKS; i++) {
        blocks[i] = malloc(16 + (i * 7) % 90);
    }
    void *last = NULL;
    for (long j = 0; j < BLOCKS; j++) {
        long i = (long)((unsigned long)j * 2654435761ul % BLOCKS);
        if (i < 3) {
            continue; /* left behind */
        }
        last = blocks[i];
        free(last);
    }
    free(last);
    free(blocks);
    return 0;
}
";

#[test]
fn a_program_holding_many_blocks_at_once_is_counted_exactly() {
    let program = compile_c("many", MANY_LIVE_BLOCKS, &[]);
    let output = record(&["--json"], &program, &[]);
    let report = report(&output);
    let heap = &report["c_heap"];
    assert_eq!(heap["allocations"], 300_001, "{heap}");
    assert_eq!(heap["frees"], 299_998, "{heap}");
    assert_eq!(heap["live_blocks"], 3, "{heap}");
    assert_eq!(report["dropped_events"], 0);
    assert_eq!(kinds(&report), ["double_free", "leak"], "{report}");
    assert!(report["anomalies"][1]["message"].as_str().unwrap().starts_with("Leaked 3 blocks"), "{report}");
    assert_eq!(output.status.code(), Some(0));
}

/// A million blocks held at once: ffiscope's model stops to grow its tables
/// of them for longer than a moment, and the program waits for it rather
/// than dropping events (it dropped a few when it waited 50 ms at most).
#[test]
fn a_reader_that_stops_a_moment_to_grow_its_tables_loses_no_event() {
    let program = compile_c(
        "million",
        "#include <stdlib.h>\n\
         int main(void) {\n\
             enum { N = 1000000 };\n\
             void **kept = malloc(N * sizeof *kept);\n\
             for (long i = 0; i < N; i++) kept[i] = malloc(16 + (size_t)(i % 48));\n\
             for (long i = 0; i < N; i++) free(kept[i]);\n\
             free(kept);\n\
             return 0;\n\
         }\n",
        &[],
    );
    let report = report(&record(&["--json"], &program, &[]));
    assert_eq!(report["dropped_events"], 0, "{report}");
    let heap = &report["c_heap"];
    assert_eq!((heap["allocations"].as_u64(), heap["frees"].as_u64()), (Some(1_000_001), Some(1_000_001)), "{heap}");
}

#[test]
fn a_constructor_allocates_before_main_and_a_destructor_frees_after() {
    let program = compile_c(
        "constructor",
        "
        #include <stdlib.h>
        static void *early;
        __attribute__((constructor)) static void before(void) { early = malloc(1234); }
        __attribute__((destructor)) static void after(void) { free(early); }
        int main(void) { return 0; }
        ",
        &[],
    );
    let report = report(&record(&["--json"], &program, &[]));
    let heap = &report["c_heap"];
    assert_eq!((heap["allocations"].as_u64(), heap["frees"].as_u64()), (Some(1), Some(1)), "{heap}");
    assert_eq!(heap["peak_bytes"], 1234);
    assert!(kinds(&report).is_empty(), "{report}");
}

/// Frees glibc would abort on, or accept and corrupt its heap with: a
/// pointer into a block, a pointer to the stack (freed, then reallocated),
/// and a block freed again after 5,000 other frees.
const BAD_FREES: &str = r#"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Called through volatile pointers: the compiler may not pair a malloc
 * with its free and drop both. */
static void *(*volatile allocate)(size_t) = malloc;
static void (*volatile release)(void *) = free;

int main(void) {
    char *block = allocate(32);
    int local = 0;
    release(block + 8);
    release(&local);
    errno = 0;
    void *moved = realloc(&local, 64);
    int refused = moved == NULL && errno == EINVAL;
    char *first = allocate(48);
    release(first);
    for (int i = 0; i < 5000; i++) {
        release(allocate(24));
    }
    release(first);
    release(block);
    printf("ran on, realloc refused: %d\n", refused);
    return 0;
}
"#;

#[test]
fn invalid_and_double_frees_are_refused_before_glibc_and_the_program_runs_on() {
    let program = compile_c("bad_frees", BAD_FREES, &[]);
    for guard in [&[][..], &["--guard"]] {
        let output = record(&[&["--json"], guard].concat(), &program, &[]);
        let report = report(&output);
        assert_eq!(output.status.code(), Some(0), "{guard:?}: glibc would have aborted: {report}");
        assert_eq!(String::from_utf8_lossy(&output.stderr).trim(), "ran on, realloc refused: 1", "{guard:?}");
        let anomalies = report["anomalies"].as_array().expect("anomalies");
        let at = |line: u32| {
            anomalies
                .iter()
                .find(|a| a["site"].as_str().unwrap_or("").ends_with(&format!("(bad_frees.c:{line})")))
                .unwrap_or_else(|| panic!("{guard:?}: nothing reported at line {line}: {report}"))
        };
        let interior = at(14);
        assert_eq!(interior["kind"], "invalid_free");
        let message = interior["message"].as_str().unwrap();
        assert!(message.contains("points 8 B into a 32 B block from `main (bad_frees.c:12)`"), "{interior}");
        assert_eq!(at(15)["kind"], "invalid_free", "the stack");
        assert_eq!(at(17)["kind"], "invalid_free", "realloc of the stack");
        if guard.is_empty() {
            // glibc hands the 24 B blocks back at one address: the history
            // keeps one entry for it, and still has the 48 B block's free.
            let double = at(24);
            assert_eq!(double["kind"], "double_free", "{double}");
            assert!(
                double["message"].as_str().unwrap().contains("`main (bad_frees.c:20)` had already freed it"),
                "{double}"
            );
        }
        let heap = &report["c_heap"];
        assert_eq!(
            heap["allocations"].as_u64().unwrap() - heap["frees"].as_u64().unwrap(),
            heap["live_blocks"].as_u64().unwrap()
        );
    }
}

#[test]
fn blocks_made_before_recording_began_go_back_to_glibc_untouched() {
    // A library the program links against is started before the preloaded
    // one: what its constructor allocates is glibc's alone.
    let dir = scratch();
    let library = dir.join("libearly.so");
    let source = dir.join("early.c");
    std::fs::write(
        &source,
        "#include <stdlib.h>\n#include <string.h>\n\
         char *early_block;\nchar *early_moved;\n\
         __attribute__((constructor)) static void early(void) {\n\
             early_block = malloc(40);\n strcpy(early_block, \"made before recording began\");\n\
             early_moved = malloc(8);\n}\n",
    )
    .expect("written");
    let status =
        Command::new("cc").args(["-g", "-shared", "-fPIC", "-o"]).arg(&library).arg(&source).status().expect("cc runs");
    assert!(status.success(), "the library compiles");
    let rpath = format!("-Wl,-rpath,{}", dir.display());
    let program = compile_c(
        "early_main",
        r"
        #include <stdio.h>
        #include <stdlib.h>
        extern char *early_block;
        extern char *early_moved;
        int main(void) {
            puts(early_block);
            free(early_block);
            early_moved = realloc(early_moved, 100000);
            free(early_moved);
            return 0;
        }
        ",
        &[&format!("-L{}", dir.display()), "-learly", &rpath],
    );
    let output = record(&["--json"], &program, &[]);
    let report = report(&output);
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert_eq!(String::from_utf8_lossy(&output.stderr).trim(), "made before recording began");
    assert!(kinds(&report).is_empty(), "neither free is refused: {report}");
}

#[test]
fn four_rust_threads_balance_to_the_block_and_a_cross_heap_free_is_flagged() {
    let program = compile_rust(
        "threads",
        r#"
        extern "C" { fn free(p: *mut std::ffi::c_void); fn malloc(n: usize) -> *mut std::ffi::c_void; }
        fn main() {
            let workers: Vec<_> = (0..4)
                .map(|t| std::thread::spawn(move || {
                    let mut kept = Vec::new();
                    for i in 0..20_000usize {
                        kept.push(vec![t as u8; 8 + i % 64]);
                        if i % 2 == 0 { kept.swap_remove(i % kept.len()); }
                    }
                    kept.len()
                }))
                .collect();
            let total: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
            let text = std::ffi::CString::new("from rust").unwrap().into_raw();
            unsafe { free(text.cast()) };
            let c_block = unsafe { malloc(24) };
            unsafe { free(c_block) };
            println!("{total}");
        }
        "#,
    );
    let report = report(&record(&["--json"], &program, &[]));
    assert_eq!(report["dropped_events"], 0);
    for heap in ["c_heap", "rust_heap"] {
        let h = &report[heap];
        let (allocations, frees, live) =
            (h["allocations"].as_u64().unwrap(), h["frees"].as_u64().unwrap(), h["live_blocks"].as_u64().unwrap());
        assert_eq!(allocations - frees, live, "{heap}: {h}");
    }
    assert!(report["rust_heap"]["allocations"].as_u64().unwrap() >= 80_000, "{}", report["rust_heap"]);
    let foreign: Vec<&Value> =
        report["anomalies"].as_array().unwrap().iter().filter(|a| a["kind"] == "foreign_free").collect();
    assert_eq!(foreign.len(), 1, "exactly the CString freed by C's free: {report}");
    assert!(foreign[0]["site"].as_str().unwrap().starts_with("threads::main (threads.rs:"), "{}", foreign[0]);
    assert_eq!(foreign[0]["domain"], "rust");
}

#[test]
fn programs_nobody_here_wrote_run_to_the_end_with_their_own_output_and_exit_code() {
    // Inputs of their own, so the test needs nothing a fresh machine may lack.
    let tree = scratch().join("tree");
    for i in 0..200 {
        let folder = tree.join(format!("d{}", i % 17));
        std::fs::create_dir_all(&folder).expect("a folder");
        std::fs::write(folder.join(format!("f{i}")), "x").expect("a file");
    }
    let lines = scratch().join("lines.txt");
    let text = (0..5000).map(|i| ((i * 7919) % 5003).to_string()).collect::<Vec<_>>().join("\n");
    std::fs::write(&lines, text).expect("written");
    let (tree, lines) = (tree.to_str().unwrap(), lines.to_str().unwrap());
    let cases: [(&str, &[&str]); 3] = [("ls", &["-R", tree]), ("sort", &["-n", lines]), ("ls", &["/no/such/folder"])];
    for (program, args) in cases {
        let plain = Command::new(program).args(args).output().expect("the program runs");
        for guard in [&[][..], &["--guard"]] {
            let recorded = record(guard, Path::new(program), args);
            assert_eq!(recorded.stdout, plain.stdout, "{program} {args:?} {guard:?}: the same output");
            assert_eq!(recorded.status.code(), plain.status.code(), "{program} {args:?}: the same exit code");
            let text = String::from_utf8_lossy(&recorded.stderr);
            assert!(text.contains(": recorded, completed"), "{text}");
            assert!(!text.contains("[heap overflow]") && !text.contains("[use after free]"), "{text}");
        }
    }
    if let Ok(plain) = Command::new("python3").args(["-c", "print(sum(len(str(i)) for i in range(100000)))"]).output() {
        for guard in [&[][..], &["--guard"]] {
            let recorded =
                record(guard, Path::new("python3"), &["-c", "print(sum(len(str(i)) for i in range(100000)))"]);
            assert_eq!(
                (recorded.stdout, recorded.status.code()),
                (plain.stdout.clone(), plain.status.code()),
                "{guard:?}"
            );
        }
    }
}

#[test]
fn a_crashing_program_exits_3_with_its_signal() {
    let program = compile_c(
        "crash",
        "#include <stdlib.h>\nint main(void) { volatile char *p = malloc(8); p[0] = 1; free((void *)p); abort(); }\n",
        &[],
    );
    let output = record(&["--json"], &program, &[]);
    assert_eq!(output.status.code(), Some(3));
    let report = report(&output);
    assert_eq!((report["outcome"].as_str(), report["signal"].as_str()), (Some("crashed"), Some("SIGABRT")));
    assert_eq!(report["c_heap"]["frees"], 1, "what it did before it died is kept");
}

/// A stack overflow, in C and in Rust, on the main thread and on one the
/// program started: reported where it recursed, once, and the program ends
/// as it does natively (Rust says so and aborts; C dies of SIGSEGV).
#[test]
fn a_stack_overflow_is_reported_where_it_recursed_and_the_program_ends_as_it_would() {
    let c = compile_c(
        "overflow_c",
        r#"
        #include <pthread.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        __attribute__((noinline)) static int dive(int depth) {
            volatile char frame[512];
            frame[0] = (char)depth;
            return dive(depth + 1) + frame[0];
        }
        static void *in_thread(void *unused) { (void)unused; printf("%d\n", dive(0)); return NULL; }
        int main(int argc, char **argv) {
            char *kept = malloc(32);
            if (argc > 1 && strcmp(argv[1], "thread") == 0) {
                pthread_t thread;
                pthread_create(&thread, NULL, in_thread, NULL);
                pthread_join(thread, NULL);
            } else {
                printf("%d\n", dive(0));
            }
            free(kept);
            return 0;
        }
        "#,
        &["-O0"],
    );
    let rust = compile_rust(
        "overflow_rs",
        r#"
        #[inline(never)]
        fn dive(depth: u64) -> u64 {
            let frame = [depth; 64];
            std::hint::black_box(&frame);
            dive(depth + 1) + frame[3]
        }
        fn main() {
            let kept = vec![1u8; 32];
            if std::env::args().nth(1).as_deref() == Some("thread") {
                println!("{:?}", std::thread::spawn(|| dive(0)).join().is_ok());
            } else {
                println!("{}", dive(0));
            }
            drop(kept);
        }
        "#,
    );
    let cases = [
        (&c, "main", "SIGSEGV", "dive (overflow_c.c:"),
        (&rust, "main", "SIGABRT", "overflow_rs::dive (overflow_rs.rs:"),
    ];
    let threads = [
        (&c, "thread", "SIGSEGV", "dive (overflow_c.c:"),
        (&rust, "thread", "SIGABRT", "overflow_rs::dive (overflow_rs.rs:"),
    ];
    for (program, how, signal, site) in cases.into_iter().chain(threads) {
        let native = Command::new(program).arg(how).output().expect("the program runs");
        let recorded = record(&["--json"], program, &[how]);
        let label = format!("{} {how}", program.display());
        assert_eq!(recorded.status.code(), Some(3), "{label}");
        // Rust names the thread by its id, which differs from run to run.
        let words = |stderr: &[u8]| String::from_utf8_lossy(stderr).replace(|c: char| c.is_ascii_digit(), "");
        assert_eq!(words(&recorded.stderr), words(&native.stderr), "{label}: the program's own words, as natively");
        let report = report(&recorded);
        assert_eq!(report["signal"].as_str(), Some(signal), "{label}: it dies as natively");
        let crashes: Vec<&Value> =
            report["anomalies"].as_array().unwrap().iter().filter(|a| a["kind"] == "crash").collect();
        assert_eq!(crashes.len(), 1, "{label}: one crash, not the abort after it: {crashes:?}");
        let message = crashes[0]["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("The program overflowed its stack in `{site}")), "{label}: {message}");
        assert!(message.contains(" (× "), "{label}: the recursion is one line: {message}");
    }
}

/// A forked child records nothing, but may free, resize and measure blocks
/// its parent made before the fork (which came from the recorder's slabs,
/// not glibc): each is handled, and the parent's recording is untouched.
#[test]
fn a_forked_child_frees_and_resizes_its_parents_blocks_and_the_parent_records_on() {
    let program = compile_c(
        "fork_frees",
        r#"
        #include <malloc.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/wait.h>
        #include <unistd.h>
        int main(void) {
            char *kept = malloc(24);
            char *gone = malloc(40);
            char *grown = malloc(30);
            strcpy(gone, "gone");
            strcpy(grown, "from the parent");
            pid_t pid = fork();
            if (pid == 0) {
                free(gone);
                grown = realloc(grown, 5000);
                printf("child: %s %zu\n", grown, malloc_usable_size(kept));
                free(grown);
                free(malloc(100));
                return 0;
            }
            int status = 0;
            waitpid(pid, &status, 0);
            printf("parent: %s, child exited %d\n", gone, WEXITSTATUS(status));
            free(gone);
            free(grown);
            free(kept);
            return 0;
        }
        "#,
        &[],
    );
    let native = Command::new(&program).output().expect("the program runs");
    let output = record(&["--json"], &program, &[]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stderr, native.stdout, "the child's and the parent's words, as natively");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "child: from the parent 24\nparent: gone, child exited 0\n");
    let report = report(&output);
    assert!(kinds(&report).is_empty(), "{report}");
    let c = &report["c_heap"];
    assert_eq!(
        (c["allocations"].as_u64(), c["frees"].as_u64()),
        (Some(4), Some(3)),
        "the parent's three and stdout's: {c}"
    );
}

/// A library loaded while the program runs (dlopen) is named like any
/// other: the block its constructor makes during the dlopen, and those its
/// functions make later, by their own lines (the program's threads write
/// their events where ffiscope reads them, so a module must be in the
/// table before the first event from its code).
#[test]
fn a_library_loaded_at_run_time_names_its_allocations_from_its_constructor_on() {
    let plugin = compile_c(
        "plugin",
        "#include <stdlib.h>\n\
         void *made_at_load;\n\
         __attribute__((constructor)) static void loaded(void) { made_at_load = malloc(33); }\n\
         void *plugin_make(void) { return malloc(77); }\n",
        &["-shared", "-fPIC"],
    );
    let host = compile_c(
        "host",
        "#include <dlfcn.h>\n\
         #include <stdio.h>\n\
         int main(int argc, char **argv) {\n\
             void *lib = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;\n\
             if (!lib) return 1;\n\
             void *(*make)(void) = (void *(*)(void))dlsym(lib, \"plugin_make\");\n\
             printf(\"%d\\n\", make() != NULL);\n\
             return 0;\n\
         }\n",
        &["-ldl"],
    );
    let trace = scratch().join("plugin.fsrec");
    let output = record(&["--out", trace.to_str().unwrap()], &host, &[plugin.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let sites: Vec<(u64, String)> = std::fs::read_to_string(&trace)
        .expect("the trace")
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|line| {
            let event = line.get("event").cloned().unwrap_or(line);
            Some((event.get("size")?.as_u64()?, event.get("site")?.as_str()?.to_owned()))
        })
        .filter(|(size, _)| [33, 77].contains(size))
        .collect();
    assert_eq!(sites, [(33, "loaded (plugin.c:3)".to_owned()), (77, "plugin_make (plugin.c:4)".to_owned())]);
}

/// A program whose thread holds the loader's lock (a `dl_iterate_phdr`
/// callback) while it waits for a lock of the program's, which another
/// thread holds while it allocates from a library's code nothing allocated
/// from before. The recorder looks that code's module up without the
/// loader's lock, so the program ends as it does natively.
const LOADER_LOCK_HELD: &str = r#"#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static atomic_int in_callback;
static void *(*plugin_alloc)(void);

/* A callback that takes a lock of the program's own, inside dl_iterate_phdr. */
static int take_held(struct dl_phdr_info *info, size_t size, void *data) {
    (void)info; (void)size; (void)data;
    atomic_store(&in_callback, 1);
    pthread_mutex_lock(&held);
    pthread_mutex_unlock(&held);
    return 1;
}

static void *iterate(void *unused) {
    (void)unused;
    dl_iterate_phdr(take_held, NULL);
    return NULL;
}

int main(int argc, char **argv) {
    void *lib = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
    if (!lib) return 2;
    plugin_alloc = (void *(*)(void))dlsym(lib, "plugin_alloc");
    pthread_mutex_lock(&held);
    pthread_t thread;
    pthread_create(&thread, NULL, iterate, NULL);
    while (!atomic_load(&in_callback)) {
    }
    /* The other thread holds the loader's lock and waits for `held`: this
     * allocation, from code no allocation came from before, must not wait
     * for the loader. */
    void *block = plugin_alloc();
    pthread_mutex_unlock(&held);
    pthread_join(thread, NULL);
    printf("%d\n", block != NULL);
    free(block);
    return 0;
}
"#;

#[test]
fn a_first_allocation_from_new_code_does_not_wait_for_the_loaders_lock() {
    let plugin = compile_c(
        "first_alloc_plugin",
        "#include <stdlib.h>\nvoid *plugin_alloc(void) { return malloc(24); }\n",
        &["-shared", "-fPIC"],
    );
    let host = compile_c("loader_lock_held", LOADER_LOCK_HELD, &["-ldl"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ffiscope"))
        .args(["record", "--json", "--"])
        .arg(&host)
        .arg(&plugin)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ffiscope runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while child.try_wait().expect("the recording is waited for").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = Command::new("pkill").arg("-f").arg(host.to_str().unwrap()).status();
            panic!("the recorded program is still waiting after a minute");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("its output");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let report = report(&output);
    assert!(kinds(&report).is_empty(), "{report}");
}

/// A program that execs another just after a burst of allocations: the
/// new program names its sites in the same shared table while events of
/// the old one are still unread in the rings. Those keep their own names
/// (the new program's ids start after the old one's).
#[test]
fn events_still_unread_when_the_program_execs_keep_their_own_sites() {
    let first = compile_c(
        "burst_then_exec",
        "#include <stdlib.h>\n\
         #include <unistd.h>\n\
         int main(int argc, char **argv) {\n\
             (void)argc;\n\
             for (int i = 0; i < 300000; i++) { volatile char *b = malloc(24); b[0] = 1; free((void *)b); }\n\
             execv(argv[1], argv + 1);\n\
             return 1;\n\
         }\n",
        &[],
    );
    let second = compile_c(
        "after_exec",
        "#include <stdlib.h>\n\
         int main(void) {\n\
             for (int i = 0; i < 1000; i++) { volatile char *b = malloc(40); b[0] = 1; free((void *)b); }\n\
             return 0;\n\
         }\n",
        &[],
    );
    let trace = scratch().join("exec_burst.fsrec");
    let output = record(&["--out", trace.to_str().unwrap()], &first, &[second.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let mut named = std::collections::BTreeMap::<String, u64>::new();
    for line in std::fs::read_to_string(&trace).expect("the trace").lines() {
        let line: Value = serde_json::from_str(line).expect("a JSON line");
        let event = &line["event"];
        if event["size"] == 24 || event["size"] == 40 {
            let site = event["site"].as_str().unwrap_or("(none)");
            *named.entry(format!("{} {}", event["size"], site.rsplit(' ').next().unwrap_or(site))).or_default() += 1;
        }
    }
    let expected: std::collections::BTreeMap<String, u64> =
        [("24 (burst_then_exec.c:5)".to_owned(), 600_000), ("40 (after_exec.c:3)".to_owned(), 2000)].into();
    assert_eq!(named, expected, "every event named by its own program's line");
    let _ = std::fs::remove_file(&trace); // 150 MB of JSON lines
}

/// A process that execs twice within milliseconds, as a wrapper script
/// that execs another that execs the program does (pyenv's shims): each
/// program's modules are read before the next one's take the table's
/// place, so every event is named by its own program's line. (The middle
/// program's events were named by bare addresses in some runs.)
#[test]
fn a_program_two_execs_away_and_each_before_it_keep_their_own_sites() {
    let program = |name: &str, size: usize, then_exec: bool| {
        let exec = if then_exec { "execv(argv[1], argv + 1);\n return 1;\n" } else { "(void)argv;\n" };
        compile_c(
            name,
            &format!(
                "#include <stdlib.h>\n\
                 #include <unistd.h>\n\
                 int main(int argc, char **argv) {{\n\
                     (void)argc; for (int i = 0; i < 100; i++) {{ volatile char *b = malloc({size}); b[0] = 1; free((void *)b); }}\n\
                     {exec}\
                     return 0;\n\
                 }}\n"
            ),
            &[],
        )
    };
    let first = program("exec_first", 24, true);
    let second = program("exec_second", 40, true);
    let third = program("exec_third", 56, false);
    for round in 0..5 {
        let trace = scratch().join(format!("exec_twice_{round}.fsrec"));
        let output =
            record(&["--out", trace.to_str().unwrap()], &first, &[second.to_str().unwrap(), third.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        let mut named = std::collections::BTreeMap::<String, u64>::new();
        for line in std::fs::read_to_string(&trace).expect("the trace").lines() {
            let line: Value = serde_json::from_str(line).expect("a JSON line");
            let event = &line["event"];
            if [24, 40, 56].iter().any(|&size| event["size"] == size) {
                let site = event["site"].as_str().unwrap_or("(none)");
                *named.entry(format!("{} {}", event["size"], site.rsplit(' ').next().unwrap_or(site))).or_default() +=
                    1;
            }
        }
        let expected: std::collections::BTreeMap<String, u64> = [
            ("24 (exec_first.c:4)".to_owned(), 200),
            ("40 (exec_second.c:4)".to_owned(), 200),
            ("56 (exec_third.c:4)".to_owned(), 200),
        ]
        .into();
        assert_eq!(named, expected, "round {round}: every event named by its own program's line");
        let _ = std::fs::remove_file(&trace);
    }
}

/// A fault inside the C library (`strlen` of NULL): the crash names where
/// it died, the library's code (by offset: Debian's libc has no symbols
/// for its string routines, and the nearest exported one is some other
/// function), and the program's line that called it, with the stack from
/// there, never a name borrowed from a neighbour.
#[test]
fn a_fault_inside_the_c_library_names_the_library_and_the_line_that_called_it() {
    let program = compile_c(
        "strlen_null",
        r#"
        #include <stdio.h>
        #include <string.h>
        __attribute__((noinline)) static size_t measure(const char *text) { return strlen(text); }
        int main(int argc, char **argv) {
            (void)argv;
            printf("%zu\n", measure(argc > 5 ? "x" : NULL));
            return 0;
        }
        "#,
        &["-O0"],
    );
    let output = record(&["--json"], &program, &[]);
    assert_eq!(output.status.code(), Some(3));
    let report = report(&output);
    let crash = report["anomalies"].as_array().unwrap().iter().find(|a| a["kind"] == "crash").expect("a crash");
    let message = crash["message"].as_str().unwrap();
    assert!(message.contains("killed by SIGSEGV in `libc.so.6+0x"), "{message}");
    assert!(message.contains("called from `measure (strlen_null.c:4)`"), "{message}");
    assert!(!message.contains("near "), "no borrowed name: {message}");
    let stack: Vec<&str> =
        message.lines().skip_while(|line| !line.trim().starts_with("stack:")).skip(1).map(str::trim).collect();
    assert!(stack[0].starts_with("libc.so.6+0x"), "{stack:?}");
    assert_eq!(stack[1..], ["measure (strlen_null.c:4)", "main (strlen_null.c:7)"], "and the start-up code left out");
}

/// A program with a SIGSEGV handler of its own: under --guard the guard
/// still takes the overflow (reported at its line; the program runs on),
/// and the program's handler still takes its own fault, exiting as it does
/// natively; `sigaction` answers with the program's handler.
#[test]
fn a_program_handling_its_own_faults_keeps_its_handler_and_the_guard_keeps_its_faults() {
    let program = compile_c(
        "own_handler",
        r#"
        #include <signal.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        static void caught(int signal) {
            (void)signal;
            static const char said[] = "caught a segfault\n";
            write(1, said, sizeof said - 1);
            _exit(4);
        }
        int main(void) {
            struct sigaction action;
            memset(&action, 0, sizeof action);
            action.sa_handler = caught;
            sigaction(SIGSEGV, &action, NULL);
            struct sigaction back;
            sigaction(SIGSEGV, NULL, &back);
            printf("handler kept: %d\n", back.sa_handler == caught);
            fflush(stdout);
            char *volatile block = malloc(48);
            block[48] = 1;
            free(block);
            volatile int *nothing = NULL;
            return *nothing;
        }
        "#,
        &["-O0"],
    );
    let native = Command::new(&program).output().expect("runs");
    assert_eq!(native.status.code(), Some(4));
    let output = record(&["--json", "--guard"], &program, &[]);
    assert_eq!(output.status.code(), Some(4), "the program's own exit, from its own handler");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "handler kept: 1\ncaught a segfault\n");
    let report = report(&output);
    let overflow = report["anomalies"].as_array().unwrap().iter().find(|a| a["kind"] == "heap_overflow");
    let overflow = overflow.unwrap_or_else(|| panic!("the guard took the overflow: {report}"));
    assert_eq!(overflow["site"], "main (own_handler.c:23)", "{overflow}");
    assert!(!kinds(&report).contains(&"crash".to_owned()), "the program handled its fault: {report}");
}

/// A program that leaves through `_exit` runs no exit handler, the
/// recorder's included: what it did since the last hand-over is handed over
/// by `_exit` itself, counted to the block, the events after a vfork child's
/// own `_exit` (which shares the program's memory) among them, and its leaks
/// are looked for there, as memcheck looks for them: what the frames it
/// leaves from hold is reachable, what nothing holds is lost.
#[test]
fn a_program_leaving_through_exit_hands_over_every_event_and_is_checked_for_leaks() {
    let program = compile_c(
        "quick_exit",
        r#"
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        static void *(*volatile allocate)(size_t) = malloc;
        static void (*volatile release)(void *) = free;
        void *kept_in_a_global;
        __attribute__((noinline)) static void leave(int status) {
            void *volatile held_by_this_frame = allocate(48);
            (void)held_by_this_frame;
            _exit(status);
        }
        int main(void) {
            for (int i = 0; i < 1000; i++) release(allocate(32));
            kept_in_a_global = allocate(100);
            char *volatile lost = strdup("nothing points here any more");
            lost = NULL;
            if (vfork() == 0) _exit(9);
            release(allocate(64));
            leave(5);
        }
        "#,
        &[],
    );
    let output = record(&["--json"], &program, &[]);
    assert_eq!(output.status.code(), Some(5));
    let report = report(&output);
    let heap = &report["c_heap"];
    assert_eq!((heap["allocations"].as_u64(), heap["frees"].as_u64()), (Some(1004), Some(1001)), "{heap}");
    assert_eq!(heap["live_bytes"], 100 + 29 + 48);
    assert_eq!(leaks_of(&report), [("main (quick_exit.c:16)", 29)], "{report}");
    let tallies = &report["tallies"];
    assert_eq!(
        (tallies["still_reachable_blocks"].as_u64(), tallies["still_reachable_bytes"].as_u64()),
        (Some(2), Some(148))
    );
    let notes = report["notes"].to_string();
    assert!(notes.contains("it left through `_exit`, which runs no exit handler"), "{notes}");
    assert!(notes.contains("still reachable as it left (from its stack, globals"), "{notes}");
}

/// A thread that ends the program, through `exit` or `_exit`, leaves the
/// main thread running: its stack, a mapping apart from its TLS, is a root,
/// and what the leaving thread's frames hold is reachable; what it dropped
/// is its leak, not hidden by what the leak check itself leaves on the
/// leaving thread's stack (just below its TLS), as memcheck counts them.
#[test]
fn a_thread_ending_the_program_leaves_the_main_threads_stack_a_root() {
    let program = compile_c(
        "thread_exits",
        r#"
        #include <pthread.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        static int quick;
        static void *work(void *unused) {
            char *volatile in_hand = malloc(33);
            char *volatile lost = strdup("lost by the thread");
            lost = NULL;
            (void)unused; (void)in_hand;
            if (quick) _exit(0); else exit(0);
        }
        int main(int argc, char **argv) {
            quick = argc > 1 && strcmp(argv[1], "quick") == 0;
            char *volatile held_by_main = malloc(77);
            pthread_t thread;
            pthread_create(&thread, NULL, work, NULL);
            pthread_join(thread, NULL);
            (void)held_by_main;
            return 1;
        }
        "#,
        &[],
    );
    for way in ["exit", "quick"] {
        let report = report(&record(&["--json"], &program, &[way]));
        assert_eq!(leaks_of(&report), [("work (thread_exits.c:9)", 19)], "{way}: {report}");
        let reachable = report["tallies"]["still_reachable_bytes"].as_u64().unwrap_or(0);
        assert!(reachable >= 77 + 33, "{way}: main's block and the thread's in hand: {report}");
    }
}

/// A block the program holds only in a register a call keeps for its
/// caller (`r12`) as it calls `_exit` is reachable: the caller's registers
/// are read as it left them.
#[cfg(target_arch = "x86_64")]
#[test]
fn a_block_held_in_a_register_as_the_program_leaves_through_exit_is_reachable() {
    let program = compile_c(
        "register_held",
        r#"
        #include <stdlib.h>
        #include <unistd.h>
        int main(void) {
            void *held = malloc(40);
            __asm__ volatile("mov %0, %%r12" : : "r"(held) : "r12");
            _exit(0);
        }
        "#,
        &["-O1"],
    );
    let report = report(&record(&["--json"], &program, &[]));
    assert!(leaks_of(&report).is_empty(), "{report}");
    assert_eq!(report["tallies"]["still_reachable_bytes"], 40, "{report}");
}

/// A program that calls `exit` from inside its own frames (a fatal error's
/// `die()`, glibc's `error()`, which calls exit for it, a `--version`)
/// leaves them on the stack while exit runs its handlers below them: what
/// they hold, in their slots or in a register a call keeps for its caller,
/// is still reachable, as memcheck reads it, and what nothing holds is a
/// leak all the same. `ssh -V` reported 11 leaks, 8.5 KB its `main` held.
/// One that returns from `main` has no frame left: what `main` held is leaked.
#[test]
fn a_program_calling_exit_from_inside_its_frames_keeps_what_they_hold() {
    let program = compile_c(
        "exit_inside",
        r#"
        #include <error.h>
        #include <stdlib.h>
        #include <string.h>
        static void *(*volatile allocate)(size_t) = malloc;
        static const char *how;
        __attribute__((noinline)) static void drop_one(void) {
            char *volatile lost = strdup("nothing points here any more");
            lost = NULL;
        }
        /* drop_one's frame lies deeper than die's will: no slot of a frame
           still live when exit is called keeps its stale pointer. */
        __attribute__((noinline)) static void deep(void) {
            volatile char room[512];
            room[0] = 0;
            drop_one();
            (void)room[0];
        }
        __attribute__((noinline)) static void die(void) {
            char *volatile held_by_die = allocate(48);
            (void)held_by_die;
            if (strcmp(how, "error") == 0) error(3, 0, "giving up");
            exit(3);
        }
        int main(int argc, char **argv) {
            how = argc > 1 ? argv[1] : "exit";
            char *volatile held_by_main = allocate(100);
            deep();
            if (strcmp(how, "return") == 0) return 0;
        #ifdef __x86_64__
            if (strcmp(how, "register") == 0) {
                void *held = allocate(40);
                __asm__ volatile("mov %0, %%r12" : : "r"(held) : "r12");
                exit(3);
            }
        #endif
            die();
            return (int)held_by_main[0];
        }
        "#,
        &[],
    );
    let lost = ("drop_one (exit_inside.c:8)", 29);
    let mut ways = vec![("exit", 148), ("error", 148)];
    if cfg!(target_arch = "x86_64") {
        ways.push(("register", 140));
    }
    for (way, reachable) in ways {
        let output = record(&["--json"], &program, &[way]);
        assert_eq!(output.status.code(), Some(3), "{way}");
        let report = report(&output);
        assert_eq!(leaks_of(&report), [lost], "{way}: {report}");
        let tallies = &report["tallies"];
        assert_eq!(tallies["still_reachable_bytes"].as_u64(), Some(reachable), "{way}: {report}");
        let notes = report["notes"].to_string();
        assert!(notes.contains("still reachable at exit (from the frames that called `exit`, globals"), "{notes}");
    }
    let returned = report(&record(&["--json"], &program, &["return"]));
    let mut leaks = leaks_of(&returned);
    leaks.sort_unstable();
    assert_eq!(leaks, [lost, ("main (exit_inside.c:27)", 100)], "{returned}");
    assert!(!returned["notes"].to_string().contains("the frames that called"), "{returned}");
}

/// Rust's `process::exit` is a call to `exit` from inside the program's
/// frames: the `Vec` `main` still holds, and the strings in it, are not
/// leaked.
#[test]
fn a_rust_program_calling_process_exit_keeps_what_main_holds() {
    let program = compile_rust(
        "process_exit",
        r#"
        fn main() {
            let kept: Vec<String> = (0..10).map(|i| format!("line {i}")).collect();
            if kept.len() == 10 {
                std::process::exit(4);
            }
            println!("{}", kept.len());
        }
        "#,
    );
    let output = record(&["--json"], &program, &[]);
    assert_eq!(output.status.code(), Some(4));
    let report = report(&output);
    assert!(leaks_of(&report).is_empty(), "{report}");
    let reachable = report["tallies"]["still_reachable_blocks"].as_u64().unwrap_or(0);
    assert!(reachable >= 11, "the Vec and its ten strings: {report}");
}

/// `_exit` from a signal handler on a stack of the program's own, too small
/// for the leak check, hands every event over without one, and says why.
#[test]
fn a_program_leaving_through_exit_from_a_handler_on_a_small_stack_is_not_checked() {
    let program = compile_c(
        "handler_exit",
        r"
        #include <signal.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        static char small_stack[16384];
        static void leave(int signal) { _exit(signal); }
        int main(void) {
            stack_t stack = {.ss_sp = small_stack, .ss_size = sizeof small_stack};
            sigaltstack(&stack, NULL);
            struct sigaction action;
            memset(&action, 0, sizeof action);
            action.sa_handler = leave;
            action.sa_flags = SA_ONSTACK;
            sigaction(SIGUSR1, &action, NULL);
            char *volatile lost = malloc(12);
            lost = NULL;
            raise(SIGUSR1);
            return 0;
        }
        ",
        &[],
    );
    let output = record(&["--json"], &program, &[]);
    assert_eq!(output.status.code(), Some(libc::SIGUSR1));
    let report = report(&output);
    assert_eq!(report["c_heap"]["allocations"], 1, "{report}");
    assert!(leaks_of(&report).is_empty(), "no leak is claimed where none was looked for: {report}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("it left through `_exit` from a signal handler, where its leaks could not be looked for"),
        "{notes}"
    );
    assert!(notes.contains("it did not reach its exit, so what it still held is not counted as leaked"), "{notes}");
}

#[test]
fn what_cannot_be_recorded_is_refused_with_the_reason() {
    let missing = record(&[], Path::new("no-such-program-anywhere"), &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found on PATH"));
    let statically = compile_c("static", "int main(void) { return 0; }\n", &["-static"]);
    let refused = record(&[], &statically, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("statically linked"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let setuid = compile_c("setuid", "int main(void) { return 0; }\n", &[]);
    std::fs::set_permissions(&setuid, std::os::unix::fs::PermissionsExt::from_mode(0o4755)).expect("chmod");
    let refused = record(&[], &setuid, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("setuid"));
}

/// A program with a `malloc` of its own (jemalloc linked into it, rustc's):
/// the loader finds it before ffiscope's, so nothing it allocates reaches
/// the recording. The report says so, and which functions, rather than
/// passing it as clean; `--check` refuses to call it clean.
const OWN_ALLOCATOR_MAIN: &str = r#"
#include <stdio.h>
int main(void) {
    for (int i = 0; i < 10; i++) {
        char *leaked = malloc(40);
        snprintf(leaked, 40, "block %d", i);
    }
    puts("own allocator");
    return 0;
}
"#;

#[test]
fn a_program_with_an_allocator_of_its_own_is_told_not_recorded() {
    let program = compile_c("own_allocator", &format!("{}{OWN_ALLOCATOR_MAIN}", support::OWN_MALLOC), &[]);
    let output = record(&["--json"], &program, &[]);
    assert_eq!(output.status.code(), Some(0));
    let found = report(&output);
    let own = &found["own_allocator"];
    assert_eq!(own["functions"], serde_json::json!(["malloc", "free", "calloc", "realloc"]), "{found}");
    assert_eq!(own["defined_in"], program.to_str().unwrap());
    assert_eq!(found["c_heap"]["allocations"], 0, "its ten blocks never reached ffiscope: {found}");
    let text = record(&[], &program, &[]);
    let text = String::from_utf8_lossy(&text.stderr);
    assert!(text.contains("not recorded: `malloc`, `free`, `calloc` and `realloc` are the program's own"), "{text}");
    let checked = record(&["--check"], &program, &[]);
    assert_eq!(checked.status.code(), Some(2), "nothing was looked at, so nothing is clean");
    assert!(String::from_utf8_lossy(&checked.stderr).contains("error: nothing to check"));
    // Followed, it is no clean bill among those with no findings.
    let script = format!("{} > /dev/null; true", program.display());
    let followed = record(&["--follow-children"], Path::new("sh"), &["-c", &script]);
    let followed = String::from_utf8_lossy(&followed.stderr);
    assert!(
        followed.contains("with an allocator of its own, which ffiscope does not see: own_allocator"),
        "{followed}"
    );
    // A program with the C library's malloc says nothing of the kind.
    let plain =
        compile_c("plain_allocator", "#include <stdlib.h>\nint main(void) { free(malloc(8)); return 0; }\n", &[]);
    assert!(report(&record(&["--json"], &plain, &[])).get("own_allocator").is_none());
}

/// Python (`CPython`) keeps its objects in pymalloc's arenas, out of `malloc`'s sight:
/// the report says so, and that `PYTHONMALLOC=malloc` shows them.
#[test]
fn cpythons_objects_kept_apart_by_pymalloc_are_told() {
    let found = Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output().expect("python3");
    let python = String::from_utf8_lossy(&found.stdout).trim().to_owned();
    let script = "names = [str(i) * 3 for i in range(20000)]; print(len(names))";
    let run = |malloc_for_objects: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ffiscope"));
        command.args(["record", "--json", "--", &python, "-c", script]);
        if malloc_for_objects {
            command.env("PYTHONMALLOC", "malloc");
        } else {
            command.env_remove("PYTHONMALLOC");
        }
        report(&command.output().expect("ffiscope runs"))
    };
    let apart = run(false);
    let notes = apart["notes"].to_string();
    assert!(notes.contains("CPython's objects are not in this report"), "{notes}");
    assert!(notes.contains("`PYTHONMALLOC=malloc` makes every object a block"), "{notes}");
    let all = run(true);
    assert!(!all["notes"].to_string().contains("CPython's objects"), "{all}");
    let allocations = |report: &Value| report["c_heap"]["allocations"].as_u64().unwrap_or(0);
    assert!(
        allocations(&all) > allocations(&apart) + 20_000,
        "every string a block: {} and {}",
        allocations(&all),
        allocations(&apart)
    );
}

/// A program built without -pie whose code takes `malloc`'s address has its
/// PLT entry stand for `malloc` everywhere (Debian's python3.11 does): the
/// loader finds `malloc` in the program, where only a stub that jumps on to
/// ffiscope's is. Recorded and checked as ever; an allocator the program
/// defines is still told.
const TAKES_MALLOCS_ADDRESS: &str = r#"#include <stdio.h>
#include <stdlib.h>
void *(*volatile allocate)(size_t);
void (*volatile release)(void *);
int main(void) {
    allocate = malloc;
    release = free;
    release(allocate(10));
    char *volatile lost = malloc(24);
    lost = NULL;
    puts("done");
    return 0;
}
"#;

#[test]
fn a_program_built_without_pie_that_takes_mallocs_address_is_recorded_and_checked() {
    let program = compile_c("no_pie", TAKES_MALLOCS_ADDRESS, &["-fno-pie", "-no-pie"]);
    let found = report(&record(&["--json"], &program, &[]));
    assert!(found.get("own_allocator").is_none(), "{found}");
    assert_eq!(leaks_of(&found), [("main (no_pie.c:9)", 24)], "{found}");
    assert_eq!(record(&["--check"], &program, &[]).status.code(), Some(1));
    let own = compile_c(
        "own_allocator_no_pie",
        &format!("{}{OWN_ALLOCATOR_MAIN}", support::OWN_MALLOC),
        &["-fno-pie", "-no-pie"],
    );
    let told = report(&record(&["--json"], &own, &[]));
    assert_eq!(told["own_allocator"]["functions"][0], "malloc", "{told}");
}

/// An allocator linked in under names of its own (mimalloc as Rust's
/// `#[global_allocator]`, which calls `mi_malloc_aligned`): its blocks never
/// reach `malloc`, and the report says so, while the C library's blocks
/// are recorded and checked as ever.
#[test]
fn an_allocator_linked_in_under_names_of_its_own_is_told_not_recorded() {
    let program = compile_c(
        "named_allocator",
        r"
        #include <stdlib.h>
        static _Alignas(16) unsigned char arena[1 << 16];
        static size_t used;
        __attribute__((noinline)) void *mi_malloc(size_t size) {
            size = (size + 15) & ~(size_t)15;
            if (size > sizeof arena - used) return NULL;
            used += size;
            return arena + used - size;
        }
        __attribute__((noinline)) void mi_free(void *ptr) { (void)ptr; }
        static void *(*volatile allocate)(size_t) = malloc;
        int main(void) {
            for (int i = 0; i < 100; i++) ((char *)mi_malloc(32))[0] = 1;
            free(allocate(24));
            return 0;
        }
        ",
        &[],
    );
    let output = record(&["--json", "--check"], &program, &[]);
    assert_eq!(output.status.code(), Some(0), "the C library's heap was checked, and is clean");
    let found = report(&output);
    let own = &found["own_allocator"];
    assert_eq!(own["library"], "mimalloc", "{found}");
    assert_eq!(own["functions"], serde_json::json!(["mi_malloc", "mi_free"]));
    assert_eq!(own["defined_in"], program.to_str().unwrap());
    assert_eq!(found["c_heap"]["allocations"], 1, "{found}");
    let text = record(&[], &program, &[]);
    let text = String::from_utf8_lossy(&text.stderr);
    assert!(text.contains("not recorded: mimalloc is linked into the program (`mi_malloc` and `mi_free` in"), "{text}");
}

/// A library after ffiscope's in the loader's search that defines the
/// allocator too (jemalloc or tcmalloc linked as a shared library) is
/// passed over: its `malloc_usable_size` knows nothing of the C library's
/// blocks, which the leak check measures (it faulted there on every
/// program linked with jemalloc, at exit). The program's own calls of it
/// reach ffiscope's, which answers for its blocks.
#[test]
fn a_program_linked_with_another_allocator_library_records_to_its_end() {
    let library = scratch().join("libother_allocator.so");
    let source = scratch().join("other_allocator.c");
    std::fs::write(
        &source,
        "#include <stdlib.h>\nsize_t malloc_usable_size(void *ptr) { (void)ptr; abort(); }\n\
         static void *kept;\n__attribute__((constructor)) static void setup(void) { kept = malloc(24); }\n",
    )
    .expect("the source is written");
    let built = Command::new("cc").args(["-shared", "-fPIC", "-o"]).arg(&library).arg(&source).status();
    assert!(built.expect("cc runs").success(), "the library compiles");
    let program = compile_c(
        "linked_with_other_allocator",
        r#"
        #include <malloc.h>
        #include <stdio.h>
        #include <stdlib.h>
        int main(void) {
            void *lost = malloc(100);
            printf("%zu\n", malloc_usable_size(lost));
            lost = NULL;
            return 7;
        }
        "#,
        &[
            &format!("-L{}", scratch().display()),
            "-Wl,--no-as-needed",
            "-lother_allocator",
            &format!("-Wl,-rpath,{}", scratch().display()),
        ],
    );
    let output = record(&["--json"], &program, &[]);
    assert_eq!(output.status.code(), Some(7), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).lines().next(),
        Some("100"),
        "ffiscope's answered for its block"
    );
    let report = report(&output);
    assert_eq!(report["outcome"], "completed", "{report}");
    assert!(leaks_of(&report).iter().any(|&(_, bytes)| bytes == 100), "{report}");
    assert!(report.get("own_allocator").is_none(), "the program's calls reach ffiscope's: {report}");
}

#[test]
fn leaks_are_suppressed_in_leak_sanitizers_syntax() {
    let program = compile_c(
        "leaky",
        "#include <stdlib.h>\nvoid *keep_forever(void) { return malloc(10); }\nint main(void) { return keep_forever() == 0; }\n",
        &[],
    );
    let found = report(&record(&["--json"], &program, &[]));
    assert_eq!(kinds(&found), ["leak"]);
    let suppressions = scratch().join("leaky.supp");
    std::fs::write(&suppressions, "# known\nleak:keep_forever\n").expect("written");
    let suppressed = record(&["--json", "--check", "--suppress", suppressions.to_str().unwrap()], &program, &[]);
    let suppressed_report = report(&suppressed);
    assert!(kinds(&suppressed_report).is_empty());
    assert_eq!(suppressed.status.code(), Some(0));
    // As a script reads it: counted in the tallies, said in the notes.
    let tallies = &suppressed_report["tallies"];
    assert_eq!((tallies["suppressed_blocks"].as_u64(), tallies["suppressed_bytes"].as_u64()), (Some(1), Some(10)));
    let notes = suppressed_report["notes"].to_string();
    assert!(notes.contains("1 block(s), 10 B, suppressed by `leak:keep_forever`"), "{notes}");
    // The text report says what each pattern set aside, as LeakSanitizer's "Suppressions used".
    let text = record(&["--suppress", suppressions.to_str().unwrap()], &program, &[]);
    let text = String::from_utf8_lossy(&text.stderr);
    assert!(text.contains("1 block(s), 10 B, suppressed by `leak:keep_forever`"), "{text}");
}

/// With `--stack`, a suppression names a leak by any frame of its stack, as
/// `LeakSanitizer`'s do: a library's setup that leaks through a helper.
#[test]
fn with_stacks_a_suppression_matches_any_frame() {
    let program = compile_c(
        "leaky_setup",
        r"
        #include <stdlib.h>
        __attribute__((noinline)) void *keep_forever(size_t size) { return malloc(size); }
        __attribute__((noinline)) void *setup_library(void) { return keep_forever(24); }
        __attribute__((noinline)) void *own_work(void) { return keep_forever(40); }
        int main(void) { return setup_library() == 0 || own_work() == 0; }
        ",
        &["-O0"],
    );
    let suppressions = scratch().join("setup.supp");
    std::fs::write(&suppressions, "leak:setup_library\n").expect("written");
    let path = suppressions.to_str().unwrap();
    let with_stacks = report(&record(&["--json", "--stack", "8", "--suppress", path], &program, &[]));
    assert_eq!(leaks_of(&with_stacks).iter().map(|(_, bytes)| *bytes).collect::<Vec<_>>(), [40], "{with_stacks}");
    // Without stacks a block knows only the call that made it.
    let without = report(&record(&["--json", "--suppress", path], &program, &[]));
    assert_eq!(leaks_of(&without).iter().map(|(_, bytes)| *bytes).sum::<u64>(), 64, "{without}");
}

/// A thread started and joined leaves its stack in the C library's cache,
/// with the block the loader made for its thread-local storage: live at
/// exit, not the program's leak, and said so, so that every live block in
/// the report is accounted for.
#[test]
fn what_the_c_library_keeps_for_itself_at_exit_is_counted_not_leaked() {
    let program = compile_c(
        "joined_thread",
        r"
        #include <pthread.h>
        static void *work(void *unused) { return unused; }
        int main(void) {
            pthread_t thread;
            if (pthread_create(&thread, NULL, work, NULL) != 0) return 1;
            return pthread_join(thread, NULL);
        }
        ",
        &[],
    );
    let found = report(&record(&["--json"], &program, &[]));
    assert!(kinds(&found).is_empty(), "{found}");
    let live = found["c_heap"]["live_blocks"].as_u64().expect("live blocks");
    let bytes = found["c_heap"]["live_bytes"].as_u64().expect("live bytes");
    assert!(live > 0, "the thread's cached stack keeps its TLS block: {found}");
    let text = record(&[], &program, &[]);
    let text = String::from_utf8_lossy(&text.stderr);
    let note = format!("{live} block(s), {bytes} B, the C library made for itself and still held at exit");
    assert!(text.contains(&note), "{text}");
    let tallies = &found["tallies"];
    assert_eq!(
        (tallies["c_library_own_blocks"].as_u64(), tallies["c_library_own_bytes"].as_u64()),
        (Some(live), Some(bytes))
    );
    assert!(found["notes"].to_string().contains(&note), "{found}");
}

/// A block the C library makes for itself (the thread's TLS, kept with its
/// cached stack) from the program's line is told apart from the program's
/// own block made on the same line, with a stack as without.
#[test]
fn the_c_librarys_own_block_and_the_programs_on_one_line_are_told_apart() {
    let program = compile_c(
        "one_line",
        r#"#include <pthread.h>
#include <string.h>
static void *work(void *name) { return name ? NULL : NULL; }
int main(void) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, work, strdup("a name nobody frees")) != 0) return 1;
    return pthread_join(thread, NULL);
}
"#,
        &["-pthread"],
    );
    for stack in [&[][..], &["--stack", "16"]] {
        let args: Vec<&str> = ["--json"].iter().chain(stack).copied().collect();
        let found = report(&record(&args, &program, &[]));
        assert_eq!(leaks_of(&found), [("main (one_line.c:6)", 20)], "{stack:?}: {found}");
        assert!(found["tallies"]["c_library_own_blocks"].as_u64() >= Some(1), "{stack:?}: {found}");
    }
}

/// A recording says what each heap held at its peak, by the sites that held
/// the most then: not each site's own largest, nor what is left at the end.
#[test]
fn a_recording_names_what_held_the_heap_at_its_peak() {
    let program = compile_c(
        "peaks",
        r"
        #include <stdlib.h>
        static void *(*volatile allocate)(size_t) = malloc;
        static void (*volatile release)(void *) = free;
        int main(void) {
            void *rows[10], *grown[3];
            for (int i = 0; i < 10; i++) rows[i] = allocate(1000);
            void *scratch = allocate(5000);
            release(scratch);
            for (int i = 0; i < 3; i++) grown[i] = allocate(4000);
            for (int i = 0; i < 3; i++) release(grown[i]);
            for (int i = 0; i < 10; i++) release(rows[i]);
            release(allocate(30000 - 29900));
            return 0;
        }
        ",
        &[],
    );
    let report = report(&record(&["--json"], &program, &[]));
    let peak = &report["peaks"][0];
    assert_eq!(
        (peak["heap"].as_str(), peak["bytes"].as_u64(), peak["blocks"].as_u64()),
        (Some("c"), Some(22_000), Some(13))
    );
    let sites: Vec<(&str, u64, u64)> = peak["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|site| (site["site"].as_str().unwrap(), site["bytes"].as_u64().unwrap(), site["blocks"].as_u64().unwrap()))
        .collect();
    // `scratch`'s 5,000 bytes had gone, the last 100 were yet to come.
    assert_eq!(sites, [("main (peaks.c:10)", 12_000, 3), ("main (peaks.c:7)", 10_000, 10)], "{peak}");
    assert!(report["peaks"].as_array().unwrap().iter().all(|peak| peak["heap"] != "rust"), "no Rust heap here");
    let text = String::from_utf8_lossy(&record(&["--top", "1"], &program, &[]).stderr).into_owned();
    assert!(text.contains("at the C heap's peak, 22000 B in 13 blocks, "), "{text}");
    assert!(text.contains("    12000 B in 3 blocks  main (peaks.c:10)\n    and 1 other site(s), 10000 B\n"), "{text}");
    let none = String::from_utf8_lossy(&record(&["--top", "0"], &program, &[]).stderr).into_owned();
    assert!(!none.contains("peak, 22000 B"), "{none}");
}

/// A block the program reaches only through a pointer into a block's
/// middle is told apart from what it surely kept, as memcheck's "possibly
/// lost": not a leak, but not a clean bill either. A pointer just past a
/// `new[]` array's count is as good as its start, as memcheck's heuristic
/// has it; and a block reached through a middle before its start is
/// reached by a start pointer in the end.
#[test]
fn a_block_reached_only_through_its_middle_is_told_apart() {
    let program = compile_c(
        "possibly_lost",
        r"
        #include <stdlib.h>
        static void *(*volatile allocate)(size_t) = malloc;
        char *middle;
        size_t *past_count;
        void **holder;
        struct { void **w; char *middle_of_x; } roots;
        char *through_middle;
        int main(void) {
            char *a = allocate(100); middle = a + 40;
            size_t *array = allocate(8 + 4 * 16); array[0] = 4; past_count = array + 1;
            holder = allocate(64); holder[0] = allocate(24);
            void **x = allocate(48); x[0] = allocate(40);
            void **y = allocate(56); y[0] = x;
            roots.w = allocate(88); roots.w[0] = y; roots.middle_of_x = (char *)x + 8;
            void **inner = allocate(200); inner[3] = allocate(300); through_middle = (char *)inner + 16;
            return 0;
        }
        ",
        &[],
    );
    let report = report(&record(&["--json"], &program, &[]));
    assert!(kinds(&report).is_empty(), "no leaks: {report}");
    let tallies = &report["tallies"];
    // `a`, `inner` and what `inner` holds by its start: 100 + 200 + 300 B,
    // the same as memcheck's "possibly lost: 600 bytes in 3 blocks".
    assert_eq!(
        (tallies["possibly_lost_blocks"].as_u64(), tallies["possibly_lost_bytes"].as_u64()),
        (Some(3), Some(600))
    );
    // The array, `holder` and its block, `x` and its block, `y`, `w`.
    assert_eq!(
        (tallies["still_reachable_blocks"].as_u64(), tallies["still_reachable_bytes"].as_u64()),
        (Some(7), Some(392)),
        "{tallies}"
    );
    let text = String::from_utf8_lossy(&record(&[], &program, &[]).stderr).into_owned();
    assert!(
        text.contains("3 block(s), 600 B, reachable at exit only through a pointer into a block's middle"),
        "{text}"
    );
}

/// C++ objects held as they commonly are: by a second base (a pointer to
/// its vtable pointer, inside the object), as a `new[]` array of objects
/// with destructors (past the count), and by a string and a vector on the
/// heap. Still reachable, all, as memcheck's heuristics have them; and the
/// TLS block of a thread still running, which glibc keeps by a pointer past
/// its header, is the C library's, not "possibly lost" as memcheck has it.
#[test]
fn cxx_objects_held_by_a_second_base_or_as_arrays_are_still_reachable() {
    let program = compile_cxx(
        "cxx_held",
        "#include <pthread.h>\n#include <sched.h>\n#include <stdlib.h>\n#include <unistd.h>\n\
         #include <atomic>\n#include <string>\n#include <vector>\n\
         struct A { virtual ~A() {} long a = 1; };\n\
         struct B { virtual ~B() {} long b = 2; };\n\
         struct C : A, B { long c = 3; };\n\
         struct D { ~D() {} long d = 4; };\n\
         B *second_base;\nD *array_of_d;\nstd::string *text;\nstd::vector<int> *numbers;\n\
         static std::atomic<bool> allocated;\n\
         static void *work(void *unused) {\n\
             void *volatile once = malloc(8);\n\
             free(once);\n\
             allocated = true;\n\
             for (;;) pause();\n\
             return unused;\n\
         }\n\
         int main() {\n\
             second_base = new C;\n\
             array_of_d = new D[10];\n\
             text = new std::string(100, 'x');\n\
             numbers = new std::vector<int>(50);\n\
             pthread_t thread;\n\
             if (pthread_create(&thread, nullptr, work, nullptr) != 0) return 1;\n\
             while (!allocated) sched_yield();\n\
             return 0;\n\
         }\n",
        &["-g", "-O1", "-pthread"],
    );
    let Some(program) = program else { return };
    let report = report(&record(&["--json"], &program, &[]));
    assert!(kinds(&report).is_empty(), "no leaks: {report}");
    let tallies = &report["tallies"];
    assert_eq!(tallies["possibly_lost_blocks"], serde_json::Value::Null, "none: {tallies}");
    // The C object (40 B), the array (8 + 80 B), the string and its
    // buffer (32 + 101 B), the vector and its elements (24 + 200 B), and
    // the thread's TLS block (its size is the loader's).
    assert_eq!(tallies["still_reachable_blocks"], 7, "{tallies}");
    let bytes = tallies["still_reachable_bytes"].as_u64().unwrap();
    assert!(bytes > 40 + 88 + 133 + 224, "{tallies}");
}

/// A block freed before its thread allocates again is temporary, as
/// heaptrack counts it, but per thread: two threads making and freeing
/// blocks side by side do not hide each other's.
#[test]
fn a_recording_counts_each_threads_temporary_allocations() {
    let program = compile_c(
        "temporaries",
        r"
        #include <pthread.h>
        #include <stdlib.h>
        static void *(*volatile allocate)(size_t) = malloc;
        static void (*volatile release)(void *) = free;
        static pthread_barrier_t together;
        static void churn(void) {
            for (int i = 0; i < 20000; i++) release(allocate(24));
        }
        static void *worker(void *unused) { pthread_barrier_wait(&together); churn(); return unused; }
        int main(void) {
            void *kept[50];
            for (int i = 0; i < 50; i++) kept[i] = allocate(16);
            pthread_t thread;
            pthread_barrier_init(&together, NULL, 2);
            if (pthread_create(&thread, NULL, worker, NULL) != 0) return 1;
            pthread_barrier_wait(&together);
            churn();
            pthread_join(thread, NULL);
            for (int i = 0; i < 50; i++) release(kept[i]);
            return 0;
        }
        ",
        &["-pthread"],
    );
    let report = report(&record(&["--json"], &program, &[]));
    let temporary = &report["temporary"][0];
    assert_eq!(temporary["heap"], "c", "{report}");
    let sites: Vec<(&str, u64, u64)> = temporary["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|site| {
            (site["site"].as_str().unwrap(), site["temporary"].as_u64().unwrap(), site["allocations"].as_u64().unwrap())
        })
        .collect();
    // Both threads' 20,000 each, in whatever order they ran; not one of
    // the blocks `main` kept, freed after others were made.
    assert_eq!(sites[0], ("churn (temporaries.c:8)", 40_000, 40_000), "{temporary}");
    assert!(sites.iter().all(|(site, ..)| !site.contains("temporaries.c:13")), "{temporary}");
    assert_eq!(report["c_heap"]["temporary"], temporary["temporary"]);
    let text = String::from_utf8_lossy(&record(&["--top", "1"], &program, &[]).stderr).into_owned();
    assert!(text.contains(" allocations were temporary ("), "{text}");
    assert!(text.contains("    40000 of 40000  churn (temporaries.c:8)\n"), "{text}");
}

#[test]
fn a_recording_written_with_out_reopens_with_the_same_report() {
    let program = compile_c("reopened", C_PROGRAM, &[]);
    let file = scratch().join("reopened.fsrec");
    let live = report(&record(&["--json", "--out", file.to_str().unwrap()], &program, &[]));
    let opened =
        Command::new(env!("CARGO_BIN_EXE_ffiscope")).arg("open").arg(&file).arg("--json").output().expect("runs");
    assert_eq!(opened.status.code(), Some(0));
    assert_eq!(report(&opened), live, "the report it was written with");
    // Its notes with it, in the text as in the JSON.
    assert!(live["notes"].to_string().contains("still reachable at exit"), "{live}");
    let text = Command::new(env!("CARGO_BIN_EXE_ffiscope")).arg("open").arg(&file).output().expect("runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("still reachable at exit (from globals"), "{text}");
    // Cut off before its report: rebuilt from the events it has, no leaks guessed.
    let text = std::fs::read_to_string(&file).expect("read");
    let cut = scratch().join("cut.fsrec");
    std::fs::write(&cut, text.lines().take(100).collect::<Vec<_>>().join("\n")).expect("written");
    let rebuilt =
        Command::new(env!("CARGO_BIN_EXE_ffiscope")).arg("open").arg(&cut).arg("--json").output().expect("runs");
    let rebuilt = report(&rebuilt);
    assert_eq!(rebuilt["outcome"], "crashed");
    let heap = &rebuilt["c_heap"];
    assert_eq!(heap["allocations"].as_u64().unwrap() + heap["frees"].as_u64().unwrap(), 100, "{heap}");
    assert!(kinds(&rebuilt).is_empty());
    assert_eq!(rebuilt["peaks"][0]["heap"], "c", "its peak, from the events it has: {rebuilt}");
    // A line that is not one is placed.
    std::fs::write(&cut, format!("{}\nnot json\n", text.lines().next().unwrap())).expect("written");
    let bad = Command::new(env!("CARGO_BIN_EXE_ffiscope")).arg("open").arg(&cut).output().expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    let error = String::from_utf8_lossy(&bad.stderr);
    assert!(error.contains("cut.fsrec:2:"), "{error}");
}

/// Two recordings of a program, before and after a change, set side by
/// side as heaptrack's "compare to" sets them: each heap's peak,
/// allocations and leaks before and after, the findings that are new (what
/// `--check` fails on, so a leak the program always had does not fail a
/// build) and those gone, the places whose blocks changed most, and a
/// differential flame graph, each stack with what it weighed in both. Both
/// are recorded with the same stacks (`--stack 8`), so that they compare.
#[test]
fn two_recordings_compared_say_what_moved_and_what_was_found_anew() {
    let program = compile_c(
        "rows",
        r#"
        #include <stdlib.h>
        #include <string.h>
        static char *make_row(int n) { char *row = malloc(64 + n); memset(row, 'x', 64); return row; }
        static char *cache_name(void) { return strdup("cached"); }
        int main(int argc, char **argv) {
            int rows = atoi(argv[1]);
            char **table = malloc(rows * sizeof *table);
            for (int i = 0; i < rows; i++) table[i] = make_row(i % 8);
            char *volatile lost = malloc(argc > 2 ? 10 : 20);
            lost = NULL;
            if (argc > 2) cache_name();
            for (int i = 0; i < rows; i++) free(table[i]);
            free(table);
            return 0;
        }
        "#,
        &[],
    );
    let (before, after) = (scratch().join("rows-before.fsrec"), scratch().join("rows-after.fsrec"));
    record(&["--stack", "8", "--out", before.to_str().unwrap()], &program, &["100"]);
    record(&["--stack", "8", "--out", after.to_str().unwrap()], &program, &["300", "changed"]);
    let (before, after) = (before.to_str().unwrap(), after.to_str().unwrap());
    let compared = open(&[after, "--compare", before, "--json"]);
    assert_eq!(compared.status.code(), Some(0), "no --check: {compared:?}");
    let comparison = report(&compared);
    let c_heap = &comparison["heaps"][0];
    assert_eq!(c_heap["heap"], "c");
    assert_eq!(
        (c_heap["allocations"]["before"].as_u64(), c_heap["allocations"]["after"].as_u64()),
        (Some(102), Some(303))
    );
    assert_eq!(
        (c_heap["leaked_bytes"]["before"].as_u64(), c_heap["leaked_bytes"]["after"].as_u64()),
        (Some(20), Some(17))
    );
    let sites = |key: &str| -> Vec<String> {
        comparison[key]
            .as_array()
            .expect(key)
            .iter()
            .map(|f| format!("{} {}", f["kind"].as_str().unwrap(), f["site"].as_str().unwrap()))
            .collect()
    };
    assert_eq!(
        sites("new_findings"),
        ["leak cache_name (rows.c:5)"],
        "the leak at main's line is in both: {comparison}"
    );
    assert!(sites("gone_findings").is_empty(), "{comparison}");
    let first = &comparison["functions"][0];
    assert_eq!(first["function"], "make_row (rows.c:4)", "the largest change at the peak first: {comparison}");
    assert_eq!(first["called_from"], "main (rows.c:9)", "{comparison}");
    assert_eq!(
        (first["before"]["peak_bytes"].as_u64(), first["after"]["peak_bytes"].as_u64()),
        (Some(6742), Some(20242))
    );

    let text = open(&[after, "--compare", before]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("peak 7562 B → 22659 B (+15097 B, +199.6%)"), "{text}");
    assert!(text.contains("+13500 B  make_row (rows.c:4) from main (rows.c:9), C heap: 6742 B → 20242 B"), "{text}");
    assert!(text.contains("+7 B  strdup (libc.so.6) from cache_name (rows.c:5), C heap: 0 B → 7 B"), "{text}");
    assert!(!text.contains("note:"), "recorded alike: {text}");
    assert!(
        text.contains("1 finding(s) new, not in the recording compared with:\n    [leak] cache_name (rows.c:5)"),
        "{text}"
    );

    assert_eq!(open(&[after, "--compare", before, "--check"]).status.code(), Some(1), "a new leak fails it");
    assert_eq!(open(&[before, "--compare", after, "--check"]).status.code(), Some(0), "one gone does not");
    assert_eq!(open(&[before, "--check"]).status.code(), Some(1), "alone, any finding fails it");

    // Compared as it is recorded: only what the earlier recording lacks fails it.
    let leaking = record(&["--compare", before, "--check"], &program, &["300", "changed"]);
    assert_eq!(leaking.status.code(), Some(1), "{}", String::from_utf8_lossy(&leaking.stderr));
    assert!(String::from_utf8_lossy(&leaking.stderr).contains("1 finding(s) new, not in the recording compared with"));
    let recorded_folded = scratch().join("rows-recorded-diff.txt");
    let fewer =
        record(&["--compare", before, "--check", "--folded", recorded_folded.to_str().unwrap()], &program, &["50"]);
    let said = String::from_utf8_lossy(&fewer.stderr);
    assert_eq!(fewer.status.code(), Some(0), "{said}");
    let depths = "rows-before.fsrec kept 8 frames of each stack and";
    assert!(said.contains(depths) && said.contains("32 frames of each stack: a stack or a place is matched"), "{said}");
    let lines = std::fs::read_to_string(&recorded_folded).expect("folded");
    assert!(lines.lines().any(|line| line == "C heap;main (rows.c:9);make_row (rows.c:4) 6742 3369"), "{lines}");
    let both = report(&record(&["--compare", before, "--json"], &program, &["300", "changed"]));
    assert_eq!(both["report"]["c_heap"]["allocations"], 303, "{both}");
    assert_eq!(both["comparison"]["new_findings"][0]["site"], "cache_name (rows.c:5)", "{both}");

    the_difference_is_drawn(before, after);
}

/// `open --compare`'s flame graph and collapsed stacks of the rows program's
/// two recordings: each stack with what it weighed before and after.
fn the_difference_is_drawn(before: &str, after: &str) {
    let (svg, folded) = (scratch().join("rows-diff.svg"), scratch().join("rows-diff.txt"));
    let drawn = open(&[
        after,
        "--compare",
        before,
        "--flamegraph",
        svg.to_str().unwrap(),
        "--folded",
        folded.to_str().unwrap(),
    ]);
    assert_eq!(drawn.status.code(), Some(0), "{drawn:?}");
    let lines = std::fs::read_to_string(&folded).expect("folded");
    assert!(lines.lines().any(|line| line == "C heap;main (rows.c:9);make_row (rows.c:4) 6742 20242"), "{lines}");
    assert!(lines.lines().any(|line| line.ends_with(";cache_name (rows.c:5);strdup (libc.so.6) 0 7")), "{lines}");
    let svg = std::fs::read_to_string(&svg).expect("svg");
    assert!(svg.contains("compared with") && svg.contains("red where it grew"), "titled as a comparison");
}

#[test]
fn a_wrapper_script_that_execs_the_program_hands_the_recording_over() {
    use std::os::unix::fs::PermissionsExt as _;
    let program = compile_c("wrapped", C_PROGRAM, &[]);
    let script = scratch().join("wrapper.sh");
    std::fs::write(&script, format!("#!/bin/sh\nexec {} \"$@\"\n", program.display())).expect("written");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let output = record(&["--json"], &script, &[]);
    assert_eq!(output.status.code(), Some(7), "the program's exit code, through the exec");
    let report = report(&output);
    assert!(report["c_heap"]["allocations"].as_u64().unwrap() >= 10_004, "{}", report["c_heap"]);
    assert!(kinds(&report).contains(&"double_free".to_owned()), "{report}");
    let leaks: Vec<&Value> = report["anomalies"].as_array().unwrap().iter().filter(|a| a["kind"] == "leak").collect();
    assert!(leaks.iter().any(|leak| leak["site"].as_str().unwrap().starts_with("copy (wrapped.c:")), "{report}");
}

const GUARDED_PROGRAM: &str = r#"
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t measure(const char *text) { return strlen(text); }

int main(void) {
    char *name = malloc(20);
    strcpy(name, "freed");
    free(name);
    printf("%zu\n", measure(name)); /* line 13: reads a freed block, inside strlen */
    int *values = malloc(4 * sizeof *values);
    int sum = 0;
    for (int i = 0; i <= 4; i++) {
        sum += values[i]; /* line 17: reads one past the end */
    }
    printf("%d %zu\n", sum, malloc_usable_size(values));
    char *word = malloc(13);
    word[13] = 'x'; /* line 21: writes one past the end */
    free(word);     /* line 22: where that is found */
    char *grown = realloc(calloc(3, 100), 5000);
    grown[4999] = grown[0];
    free(grown);
    free(values);
    return 0;
}
"#;

/// More blocks live than the guard may keep under the kernel's map count
/// (about 24,500): the next come from glibc, which hands back the block
/// just freed.
const PAST_THE_GUARD: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static void *held[30000];
int main(void) {
    for (int i = 0; i < 30000; i++) held[i] = malloc(16);
    for (size_t size = 32; size <= 1024; size += 16) {
        unsigned char *dirty = malloc(size);
        memset(dirty, 0xAA, size);
        free(dirty);
        unsigned char *clean = calloc(1, size);
        for (size_t i = 0; i < size; i++) {
            if (clean[i]) {
                printf("calloc(1, %zu) gave byte %zu = %#x\n", size, i, clean[i]);
                return 1;
            }
        }
        free(clean);
    }
    for (int i = 0; i < 30000; i++) free(held[i]);
    puts("zeroed");
    return 0;
}
"#;

#[test]
fn calloc_zeroes_a_block_the_guard_had_no_room_for() {
    let program = compile_c("past_the_guard", PAST_THE_GUARD, &[]);
    let output = record(&["--guard"], &program, &[]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "zeroed\n", "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("block(s) unguarded"), "the guard ran out of room");
}

#[test]
fn guarded_blocks_catch_overflows_and_uses_after_free_where_they_happen_and_the_program_runs_on() {
    let program = compile_c("guarded", GUARDED_PROGRAM, &["-O0"]);
    // Without --guard only the write past a small block's end is seen, from
    // the canary after it, when the block is freed.
    let unguarded = report(&record(&["--json"], &program, &[]));
    assert_eq!(kinds(&unguarded), ["heap_overflow"], "{unguarded}");
    let overflow = &unguarded["anomalies"][0];
    assert_eq!(overflow["site"], "main (guarded.c:22)", "{overflow}");
    assert!(overflow["message"].as_str().unwrap().contains("13 B block from `main (guarded.c:20)`"), "{overflow}");
    let output = record(&["--json", "--guard"], &program, &[]);
    assert_eq!(output.status.code(), Some(0), "the program ran on to its end");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "0\n0 16\n", "what it read, and the usable size it was told");
    let report = report(&output);
    let found: Vec<(String, String)> = report["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .map(|a| (a["kind"].as_str().unwrap().to_owned(), a["site"].as_str().unwrap().to_owned()))
        .collect();
    let expected = [
        ("use_after_free", "measure (guarded.c:7)"),
        ("heap_overflow", "main (guarded.c:17)"),
        ("heap_overflow", "main (guarded.c:22)"),
    ];
    assert_eq!(found.len(), expected.len(), "{found:?}");
    for ((kind, site), (want_kind, want_site)) in found.iter().zip(expected) {
        assert_eq!((kind.as_str(), site.as_str()), (want_kind, want_site), "{found:?}");
    }
    assert_eq!(report["c_heap"]["frees"], report["c_heap"]["allocations"].as_u64().unwrap() - 1, "{report}");
}

const KEPT_AND_LOST: &str = r#"
#include <stdlib.h>
#include <string.h>

static char *kept_in_a_global;
static _Thread_local char *kept_in_tls;

static char *copy_of(const char *text) { return strdup(text); }

int main(void) {
    kept_in_a_global = malloc(100);
    kept_in_tls = malloc(200);
    char **chain = malloc(sizeof *chain); /* reachable only through the global's block */
    *chain = malloc(300);
    memcpy(kept_in_a_global, &chain, sizeof chain);
    volatile char *lost = copy_of("nobody frees me"); /* line 17 */
    lost = NULL;
    (void)lost;
    char **list = malloc(2 * sizeof *list); /* lost, and with it what it holds */
    list[0] = malloc(7);
    list[1] = malloc(9);
    list = NULL;
    return 0;
}
"#;

#[test]
fn a_leak_is_what_the_program_can_no_longer_reach_and_strdup_names_its_releaser() {
    let program = compile_c("kept", KEPT_AND_LOST, &["-O0"]);
    let output = record(&["--json"], &program, &[]);
    let plain = report(&output);
    let leaks: Vec<&Value> = plain["anomalies"].as_array().unwrap().iter().filter(|a| a["kind"] == "leak").collect();
    let summary: Vec<(u64, bool)> =
        leaks.iter().map(|l| (l["bytes"].as_u64().unwrap(), goes_with_another(l))).collect();
    // The strdup'd string and the list are lost; the list's two strings go with it.
    assert_eq!(summary, [(16, false), (16, false), (7, true), (9, true)], "{plain}");
    // Named by the program's own call to strdup, without --stack as with it.
    let stacked = report(&record(&["--json", "--stack", "8"], &program, &[]));
    for report in [&plain, &stacked] {
        let anomalies = report["anomalies"].as_array().unwrap();
        let strdup = anomalies.iter().find(|l| l["site"] == "copy_of (kept.c:8)").expect("strdup's");
        let message = strdup["message"].as_str().unwrap();
        assert!(message.contains("must release it with `free`"), "{report}");
        assert!(
            message.contains("allocated at:\n      near ") && message.contains("strdup (libc.so.6+0x"),
            "{message}"
        );
        assert!(!report.to_string().contains("--stack 8"), "{report}");
    }
    let text = String::from_utf8_lossy(&record(&[], &program, &[]).stderr).into_owned();
    assert!(text.contains("4 block(s), 608 B, still reachable at exit"), "{text}");
}

/// Lost blocks that point into themselves or at each other, as memcheck
/// tells them: a block whose only pointer is its own (a node linked to
/// itself) is a leak, not one that goes with another, and of a cycle of
/// two lost blocks one is the leak and the other goes with it.
const SELF_AND_CYCLE: &str = r"
#include <stdlib.h>
struct node { struct node *next; char payload[24]; };
__attribute__((noinline)) static void lose_self(void) {
    struct node *alone = malloc(sizeof *alone);
    alone->next = alone;
}
__attribute__((noinline)) static void lose_cycle(void) {
    struct node *first = malloc(sizeof *first);
    struct node *second = malloc(sizeof *second);
    first->next = second;
    second->next = first;
}
int main(void) {
    lose_self();
    lose_cycle();
    return 0;
}
";

#[test]
fn a_lost_block_pointing_at_itself_is_a_leak_and_a_lost_cycle_is_one() {
    let program = compile_c("self_and_cycle", SELF_AND_CYCLE, &["-O0"]);
    let plain = report(&record(&["--json"], &program, &[]));
    let mut leaks: Vec<(String, bool)> = plain["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "leak")
        .map(|l| (l["site"].as_str().unwrap().to_owned(), goes_with_another(l)))
        .collect();
    leaks.sort();
    let alone = leaks.iter().find(|(site, _)| site.starts_with("lose_self")).expect("the self-linked node's");
    assert!(!alone.1, "{plain}");
    let cycle: Vec<bool> =
        leaks.iter().filter(|(site, _)| site.starts_with("lose_cycle")).map(|(_, with)| *with).collect();
    assert_eq!(cycle.iter().filter(|with| !**with).count(), 1, "one of the cycle leads: {plain}");
    assert_eq!(cycle.len(), 2, "{plain}");
}

/// Memory a program maps for itself, as an interpreter keeps its objects in
/// arenas of its own: a block only such memory points to is reachable, as
/// memcheck counts it, wherever the mapping moved; a block whose only
/// pointer was unmapped with its page is lost.
const MAPPED_ROOTS: &str = r#"
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGE 4096
#define WORDS_A_PAGE (PAGE / sizeof(void *))

static void **anonymous(size_t pages) {
    return mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

int main(void) {
    void **arena = anonymous(16);
    arena[3] = malloc(1000);
    arena[8 * WORDS_A_PAGE] = malloc(4000);
    munmap((char *)arena + 8 * PAGE, PAGE); /* a hole in the arena: its block is lost */

    void **moving = anonymous(1);
    moving[1] = malloc(2000);
    /* Moved onto a file's mapping: kept where it went. */
    void *file = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, open("/proc/self/exe", O_RDONLY), 0);
    moving = mremap(moving, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, file);

    void **gone = anonymous(1);
    gone[0] = malloc(3000);
    munmap(gone, PAGE);
    return moving == MAP_FAILED || arena == MAP_FAILED;
}
"#;

#[test]
fn a_block_the_programs_own_mapping_points_to_is_reachable_wherever_the_mapping_went() {
    let program = compile_c("mapped_roots", MAPPED_ROOTS, &["-O0"]);
    let output = record(&["--json"], &program, &[]);
    let plain = report(&output);
    let mut leaked: Vec<u64> = leaks_of(&plain).into_iter().map(|(_, bytes)| bytes).collect();
    leaked.sort_unstable();
    assert_eq!(leaked, [3000, 4000], "{plain}");
    let text = String::from_utf8_lossy(&record(&[], &program, &[]).stderr).into_owned();
    assert!(text.contains("2 block(s), 3000 B, still reachable at exit"), "{text}");
}

/// Walks stacks with `csrc/record/unwind.c` and with the C library's
/// `backtrace` at the same places: recursion, frames sized at run time
/// (`alloca`: a frame-pointer CFA), a callback from inside `qsort`, a started
/// thread, two libraries loaded one after the other at the same addresses
/// with frames of different sizes (the walker forgets its rules when one is
/// unloaded), and a signal handler, where the walker gives up and the
/// recorder takes a `backtrace` instead.
const UNWIND_AGREES: &str = r#"#define _GNU_SOURCE
#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <alloca.h>
#include <signal.h>
#include <dlfcn.h>
#include "unwind.h"

static int mismatches, checks, fallbacks;

__attribute__((noinline)) static void compare(void) {
    void *mine[64], *theirs[64];
    int m = unwind_stack(mine, 64);
    int t = backtrace(theirs, 64);
    checks++;
    if (m < 0) { fallbacks++; return; }
    /* theirs[0] is in compare, as mine[0] */
    if (m != t || m < 2 || memcmp(mine + 1, theirs + 1, (size_t)(m - 1) * sizeof(void *)) != 0) {
        mismatches++;
        if (mismatches < 4) {
            fprintf(stderr, "mismatch: mine %d theirs %d\n", m, t);
            for (int i = 0; i < (m > t ? m : t); i++) fprintf(stderr, "  %2d %p %p\n", i, i < m ? mine[i] : 0, i < t ? theirs[i] : 0);
        }
    }
}

__attribute__((noinline)) static int recurse(int n) {
    if (n == 0) { compare(); return 0; }
    volatile char buf[64]; buf[0] = (char)n;
    return recurse(n - 1) + buf[0];
}

__attribute__((noinline)) static int with_vla(int n) {
    char *p = alloca((size_t)n * 16 + 1);
    p[0] = 1;
    if (n > 0) return with_vla(n - 1) + p[0];
    compare();
    return p[0];
}

static int cmp(const void *a, const void *b) {
    compare();
    return *(const int *)a - *(const int *)b;
}

__attribute__((noinline)) static void through_libc(void) {
    int v[8] = {5, 3, 1, 4, 2, 8, 7, 6};
    qsort(v, 8, sizeof v[0], cmp);
}

static void *thread_main(void *arg) {
    (void)arg;
    recurse(5);
    with_vla(3);
    through_libc();
    return NULL;
}

static void on_signal(int signal) {
    (void)signal;
    recurse(2);
}

/* Each library's `make(walk)` calls `walk` from a frame of its own size,
 * at the same addresses as the other's once the first is unloaded. */
static void through_libraries(int count, char **paths) {
    void *first_make = NULL;
    for (int i = 0; i < count; i++) {
        void *library = dlopen(paths[i], RTLD_NOW);
        void (*make)(void (*)(void)) = library ? (void (*)(void (*)(void)))dlsym(library, "make") : NULL;
        if (!make) {
            fprintf(stderr, "%s: %s\n", paths[i], dlerror());
            exit(2);
        }
        make(compare);
        dlclose(library);
        unwind_forget();
        if (i == 0) {
            first_make = (void *)make;
        } else {
            printf("same addresses %d\n", (void *)make == first_make);
        }
    }
}

int main(int argc, char **argv) {
    through_libraries(argc - 1, argv + 1);
    compare();
    signal(SIGUSR1, on_signal);
    raise(SIGUSR1);
    int in_handler_fallbacks = fallbacks;
    recurse(10);
    with_vla(5);
    through_libc();
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_join(th, NULL);
    printf("checks %d mismatches %d fallbacks %d (in a handler %d)\n", checks, mismatches, fallbacks, in_handler_fallbacks);
    return mismatches != 0 || fallbacks != in_handler_fallbacks;
}
"#;

/// A library whose `make(walk)` calls `walk` from a frame of `frame` bytes.
const FRAMED_CALL: &str = "void make(void (*walk)(void)) {\n\
    volatile char pad[FRAME];\n\
    pad[0] = 1;\n\
    walk();\n\
    pad[1] = 2;\n\
}\n";

/// The same comparison from Rust's own frames: iterators, closures, a
/// generic, `catch_unwind`'s landing pads, a thread, `sort_by`'s callback.
const UNWIND_AGREES_IN_RUST: &str = r#"use std::ffi::c_void;

unsafe extern "C" {
    fn unwind_stack(out: *mut *mut c_void, max: i32) -> i32;
    fn backtrace(out: *mut *mut c_void, max: i32) -> i32;
}

static mut CHECKS: u32 = 0;
static mut MISMATCHES: u32 = 0;

#[inline(never)]
fn compare() {
    let mut mine = [std::ptr::null_mut(); 64];
    let mut theirs = [std::ptr::null_mut(); 64];
    // SAFETY: both fill at most 64 entries of arrays of 64.
    let (m, t) = unsafe { (unwind_stack(mine.as_mut_ptr(), 64), backtrace(theirs.as_mut_ptr(), 64)) };
    // SAFETY: one thread at a time touches the counts (threads are joined in turn).
    unsafe {
        CHECKS += 1;
        if m != t || m < 2 || mine[1..m as usize] != theirs[1..t as usize] {
            MISMATCHES += 1;
            eprintln!("mismatch: mine {m} theirs {t}");
        }
    }
}

#[inline(never)]
fn recurse(n: u32) -> u32 {
    if n == 0 {
        compare();
        return 0;
    }
    let v: Vec<u32> = (0..n).collect();
    recurse(n - 1) + v.iter().sum::<u32>()
}

#[inline(never)]
fn generic<T: Fn() -> u32>(f: T) -> u32 {
    f() + 1
}

fn main() {
    compare();
    recurse(8);
    generic(|| recurse(3));
    let _ = std::panic::catch_unwind(|| recurse(2));
    (0..3).map(|i| recurse(i)).for_each(drop);
    std::thread::spawn(|| recurse(4)).join().unwrap();
    let mut sorted = vec![3, 1, 2];
    sorted.sort_by(|a, b| {
        compare();
        a.cmp(b)
    });
    // SAFETY: every thread has been joined.
    unsafe {
        let (checks, mismatches) = (CHECKS, MISMATCHES);
        println!("checks {checks} mismatches {mismatches}");
    }
}
"#;

#[test]
fn the_stack_walker_finds_the_frames_backtrace_finds_in_rust() {
    let dir = scratch();
    let walker = dir.join("unwind.o");
    let status = Command::new("cc")
        .args(["-O2", "-fPIC", "-c", "-o"])
        .arg(&walker)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("csrc/record/unwind.c"))
        .status()
        .expect("cc runs");
    assert!(status.success(), "unwind.c compiles");
    let source = dir.join("walk_rust.rs");
    std::fs::write(&source, UNWIND_AGREES_IN_RUST).expect("the source is written");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    for (name, optimisation) in [("walk_rust_debug", "-Copt-level=0"), ("walk_rust_release", "-Copt-level=3")] {
        let program = dir.join(name);
        let status = Command::new(&rustc)
            .args(["-g", optimisation, "--edition", "2024", "-o"])
            .arg(&program)
            .arg(&source)
            .arg(format!("-Clink-arg={}", walker.display()))
            .status()
            .expect("rustc runs");
        assert!(status.success(), "{name} compiles");
        let output = Command::new(&program).output().expect("the walk runs");
        let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success() && text.contains("checks 11 mismatches 0"), "{optimisation}: {text}");
    }
}

#[test]
fn the_stack_walker_finds_the_frames_backtrace_finds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let walker = root.join("csrc/record/unwind.c");
    let include = format!("-I{}", root.join("csrc/record").display());
    // Both frames need a 4-byte immediate, so the two libraries' code lines up.
    let libraries = [("wide_frame", 4000), ("narrow_frame", 2000)]
        .map(|(name, frame)| compile_c(name, FRAMED_CALL, &["-shared", "-fPIC", "-O2", &format!("-DFRAME={frame}")]));
    for (name, optimisation) in [("walk_o0", "-O0"), ("walk_o2", "-O2"), ("walk_fp", "-fno-omit-frame-pointer")] {
        let program = compile_c(name, UNWIND_AGREES, &[optimisation, &include, walker.to_str().unwrap(), "-ldl"]);
        let output = Command::new(&program).args(&libraries).output().expect("the walk runs");
        let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{optimisation}: {text}");
        assert!(text.contains("checks 38 mismatches 0 fallbacks 1 (in a handler 1)"), "{optimisation}: {text}");
        assert!(text.contains("same addresses 1"), "the second library took the first one's place: {text}");
    }
}

/// Reads through `csrc/record/fault_guard.c`: one that faults is given up
/// and says so, one that does not runs to its end, an inner guard's fault
/// leaves the outer read going, a second fault is caught as the first was
/// (nothing is left blocked), and outside any guard the handler goes on to
/// what it would have done.
const FAULT_GUARDED: &str = r#"#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include "fault_guard.h"

static volatile int sink;

static void on_fault(int signal, siginfo_t *info, void *context) {
    (void)signal;
    (void)info;
    (void)context;
    fault_guard_recover();
    _exit(9);
}

static void read_at(void *address) { sink = *(volatile int *)address; }

static void read_inside(void *address) { sink = fault_guard_run(read_at, address) ? 1 : 2; }

int main(void) {
    struct sigaction action = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_NODEFER};
    sigaction(SIGSEGV, &action, NULL);
    int here = 7;
    int bad = fault_guard_run(read_at, (void *)16);
    int good = fault_guard_run(read_at, &here);
    int outer = fault_guard_run(read_inside, (void *)16);
    int inner = sink;
    int again = fault_guard_run(read_at, (void *)16);
    printf("bad %d good %d outer %d inner %d again %d\n", bad, good, outer, inner, again);
    fflush(stdout);
    read_at((void *)16);
    return 0;
}
"#;

#[test]
fn a_guarded_read_that_faults_is_given_up_and_the_program_goes_on() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let include = format!("-I{}", root.join("csrc/record").display());
    let guard = root.join("csrc/record/fault_guard.c");
    let program = compile_c("fault_guarded", FAULT_GUARDED, &[&include, guard.to_str().unwrap()]);
    let output = Command::new(&program).output().expect("the reads run");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(text, "bad 0 good 1 outer 1 inner 2 again 0\n");
    assert_eq!(output.status.code(), Some(9), "a fault outside any guard goes on to the handler's own end");
}

/// A Rust program built as Cargo's release profile builds it, with no debug
/// information, frees its blocks through the Rust allocator reached from a
/// register (`call *%rbp` holding `__rust_dealloc`, in a drop's loop): no
/// free crosses heaps. Its code is known by Rust's mangling alone, and such a
/// call says nothing of which allocator it reaches; it read as C's code
/// calling `free` on Rust blocks, 250 foreign frees in this program.
#[test]
fn a_release_build_without_debug_information_frees_on_its_own_heap_and_runs_guarded() {
    let program = compile_rust_with(
        "release_map",
        "use std::collections::HashMap;\n\
         fn main() {\n\
             let mut m: HashMap<String, String> = HashMap::new();\n\
             for i in 0..100 { m.insert(format!(\"k{i}\"), format!(\"v{i}\")); }\n\
             let v: Vec<Box<[u8]>> = (0..50).map(|i| vec![0u8; i + 1].into_boxed_slice()).collect();\n\
             println!(\"{} {}\", m.len(), v.len());\n\
         }\n",
        &["-O", "-C", "debuginfo=0"],
    );
    let output = record(&["--json"], &program, &[]);
    let recorded = report(&output);
    assert_eq!(kinds(&recorded), Vec::<String>::new(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(recorded["rust_heap"]["allocations"].as_u64().unwrap_or(0) >= 200, "{recorded:#}");
    // Guarded, its hash tables are 16-aligned as malloc promises (hashbrown
    // reads them with aligned SSE loads: at 8, the program faulted).
    let output = record(&["--json", "--guard"], &program, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(kinds(&report(&output)), Vec::<String>::new());
}

/// Under LTO the Rust allocator is inlined into the standard library's own
/// code, whose prebuilt copy keeps too little debug information to say so:
/// `Backtrace::capture` drops the `String` of `RUST_LIB_BACKTRACE` with a
/// direct call to `free`, which read as C's free of a Rust block. The
/// program's own code, with its full debug information, still names the
/// allocator, and a Rust block it hands to `libc::free` is still foreign.
#[test]
fn the_standard_librarys_code_under_lto_frees_on_its_own_heap() {
    let program = compile_rust_with(
        "lto_backtrace",
        "unsafe extern \"C\" { fn free(ptr: *mut u8); }\n\
         fn main() {\n\
             let trace = std::backtrace::Backtrace::capture();\n\
             let here = std::fs::canonicalize(\".\").unwrap();\n\
             let words: Vec<String> = (0..100).map(|i| i.to_string()).collect();\n\
             println!(\"{:?} {} {}\", trace.status(), here.display(), words.len());\n\
             if std::env::args().count() > 1 {\n\
                 let block = std::hint::black_box(Box::into_raw(Box::new([7u8; 24]))) as *mut u8;\n\
                 unsafe { free(block) };\n\
             }\n\
         }\n",
        &["-O", "-g", "-C", "lto=fat"],
    );
    let output = record(&["--json"], &program, &[]);
    assert_eq!(kinds(&report(&output)), Vec::<String>::new(), "{}", String::from_utf8_lossy(&output.stderr));
    let output = record(&["--json"], &program, &["foreign"]);
    assert_eq!(kinds(&report(&output)), ["foreign_free"], "{}", String::from_utf8_lossy(&output.stderr));
}

/// A C++ program's containers' code is the standard library's templates
/// inlined into the program: with stacks, a block is named by the
/// program's own frame above these (and above the recorder's own
/// `pthread_create`), and its leak says how to give it back, as a Rust
/// block is named above Rust's allocator.
const CXX_LEAK: &str = r"#include <map>
#include <string>
#include <thread>
#include <vector>
static std::vector<int> *kept;
static int *make_numbers() { return new int[10]; }
int main() {
    std::map<std::string, std::vector<int>> numbers;
    for (int i = 0; i < 100; i++) numbers[std::to_string(i)].push_back(i);
    std::thread([] { kept = new std::vector<int>(100); }).join();
    int *lost = make_numbers();
    lost[0] = 1;
    return numbers.size() == 100 ? 0 : 1;
}
";

#[test]
fn a_c_plus_plus_block_is_named_by_the_programs_own_frame_above_the_runtime() {
    let dir = scratch();
    let Some(program) = compile_cxx("cxx_leak", CXX_LEAK, &["-g", "-O0", "-pthread"]) else {
        return;
    };
    let allocation_sites = |frames: &str| {
        let file = dir.join(format!("cxx_leak_{frames}.fsrec"));
        let output = record(&["--json", "--stack", frames, "--out", file.to_str().unwrap()], &program, &[]);
        let text = std::fs::read_to_string(&file).expect("the recording");
        let mut sites: Vec<String> = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["type"] == "event" && line["event"]["kind"] == 0)
            .map(|line| line["event"]["site"].as_str().unwrap_or("").to_owned())
            .collect();
        sites.sort();
        sites.dedup();
        (report(&output), sites)
    };
    let (stacked, sites) = allocation_sites("16");
    assert_eq!(leaks_of(&stacked), [("make_numbers (cxx_leak.cc:6)", 40)], "{stacked}");
    let message = stacked["anomalies"][0]["message"].as_str().unwrap();
    assert!(message.contains("must release it with `delete[]`."), "{message}");
    // Every allocation, the map's nodes, the vectors' arrays, the thread's
    // state and its thread-local storage, by a line of the program's own.
    assert!(sites.iter().all(|site| site.contains("(cxx_leak.cc:")), "{sites:#?}");
    for line in ["main (cxx_leak.cc:9)", "main (cxx_leak.cc:10)", "make_numbers (cxx_leak.cc:6)"] {
        assert!(sites.iter().any(|site| site == line), "{line}: {sites:#?}");
    }
    // `new` is recorded where it is said: the map's node, seven frames
    // deep at -O0, reaches the program's line within eight.
    let (_, sites) = allocation_sites("8");
    assert!(sites.iter().all(|site| site.contains("(cxx_leak.cc:")), "{sites:#?}");
    // A stack that ends before the program's code is named by the library
    // frame nearest it.
    let (_, sites) = allocation_sites("5");
    assert!(sites.iter().any(|site| site.starts_with("std::vector<int") && site.contains("::push_back")), "{sites:#?}");
    assert!(!sites.iter().any(|site| site.contains("operator new")), "{sites:#?}");
    // Without stacks, the call's own site: `new` is recorded where the
    // program said it, not in libstdc++'s operator new.
    let plain = report(&record(&["--json"], &program, &[]));
    assert_eq!(leaks_of(&plain), [("make_numbers (cxx_leak.cc:6)", 40)], "{plain}");
}

/// Every pairing of `new`, `new[]` and `malloc` with a release of another
/// form, between releases that match (aligned, sized, nothrow).
const CXX_MISMATCHES: &str = r"#include <cstdlib>
#include <new>
struct alignas(64) Wide { char bytes[64]; };
int main() {
    int *array = new int[10];
    delete array;
    int *one = new int(3);
    delete[] one;
    char *raw = static_cast<char *>(std::malloc(8));
    delete raw;
    int *made = new int(4);
    std::free(made);
    delete new Wide;
    delete[] new Wide[3];
    delete new (std::nothrow) int(5);
    int *sized = new int[4];
    ::operator delete[](sized, 4 * sizeof(int));
    return 0;
}
";

/// An array of elements with a destructor keeps their count in front of
/// them: `delete` of it frees an address inside the block, `delete[]` of
/// a `new` block one before it. Both are refused, as mismatched frees.
const CXX_ARRAY_COUNTS: &str = r"#include <string>
struct Named { std::string name; ~Named() {} };
int main() {
    Named *many = new Named[3];
    delete many;
    Named *one = new Named;
    delete[] one;
    return 0;
}
";

#[test]
fn a_delete_that_misses_an_arrays_count_is_a_mismatched_free_and_refused() {
    let flags = ["-g", "-O0", "-Wno-mismatched-new-delete"];
    let Some(program) = compile_cxx("cxx_array_counts", CXX_ARRAY_COUNTS, &flags) else {
        return;
    };
    let report = report(&record(&["--json"], &program, &[]));
    assert_eq!(kinds(&report), ["mismatched_free", "mismatched_free", "leak", "leak"], "{report}");
    let message = |i: usize| report["anomalies"][i]["message"].as_str().unwrap().to_owned();
    assert!(message(0).starts_with("`main (cxx_array_counts.cc:5)` released with `delete` a pointer 8 B into the 104 B block that `main (cxx_array_counts.cc:4)` made with `new[]`"), "{report}");
    assert!(message(1).starts_with("`main (cxx_array_counts.cc:7)` released with `delete[]` an address 8 B before the 32 B block that `main (cxx_array_counts.cc:6)` made with `new`"), "{report}");
    assert!(message(0).ends_with("Refused, where glibc would abort the program."), "{report}");
}

/// A C++ library hands a Rust program a `new[]` block: freed with C's
/// `free`, a mismatched free; taken back by `CString::from_raw`, the Rust
/// allocator frees it, and the one anomaly is a foreign free that names
/// the releaser.
const CXX_NAMES: &str = r#"#include <cstring>
extern "C" char *make_name(void) { char *p = new char[16]; std::strcpy(p, "hello"); return p; }
extern "C" void drop_name(char *p) { delete[] p; }
"#;

const RUST_NAMES_USER: &str = r#"use std::ffi::{c_char, c_void, CString};
#[link(name = "cxx_names")]
extern "C" {
    fn make_name() -> *mut c_char;
    fn drop_name(p: *mut c_char);
}
extern "C" {
    fn free(p: *mut c_void);
}
fn main() {
    unsafe {
        drop_name(make_name());
        free(make_name().cast());
        let owned = CString::from_raw(make_name());
        println!("{owned:?}");
    }
}
"#;

#[test]
fn a_c_plus_plus_block_freed_by_rust_is_a_foreign_free_that_names_delete() {
    let dir = scratch();
    if compile_cxx("libcxx_names.so", CXX_NAMES, &["-g", "-O1", "-shared", "-fPIC"]).is_none() {
        return;
    }
    let search = format!("-L{}", dir.display());
    let rpath = format!("link-args=-Wl,-rpath,{}", dir.display());
    let program = compile_rust_with("rust_names_user", RUST_NAMES_USER, &["-g", "-O", &search, "-C", &rpath]);
    let report = report(&record(&["--json"], &program, &[]));
    assert_eq!(kinds(&report), ["mismatched_free", "foreign_free"], "{report}");
    let message = |i: usize| report["anomalies"][i]["message"].as_str().unwrap().to_owned();
    assert!(
        message(0).contains(
            "released with `free` (or `realloc`) the 16 B block that `make_name (libcxx_names.so.cc:2)` made with `new[]`"
        ),
        "{report}"
    );
    assert!(message(1).ends_with("Whoever allocates must free: this block is released with `delete[]`."), "{report}");
}

/// A library whose static object frees its blocks at exit, in the
/// library's destructor, which runs after the recorder's own; and a root
/// its constructor made before the recording began, holding blocks made
/// after.
const CXX_LIBRARY: &str = r"#include <string>
#include <vector>
struct Holder {
    std::vector<std::string *> items;
    ~Holder() { for (std::string *item : items) delete item; }
};
static Holder holder;
struct Registry { std::vector<int *> kept; };
static Registry *registry = new Registry;
void hold(const char *text) { holder.items.push_back(new std::string(text, 40)); }
void keep(int count) { registry->kept.push_back(new int[count]); }
";

const CXX_LIBRARY_USER: &str = r#"void hold(const char *text);
void keep(int count);
int main() {
    for (int i = 0; i < 20; i++) hold("a text longer than the small-string buffer");
    for (int i = 0; i < 3; i++) keep(100);
    return 0;
}
"#;

/// Compiles C++ text with `c++` and `flags`; None (skipped) where there is
/// no C++ compiler. CI installs g++ and sets `FFISCOPE_REQUIRE_COMPILERS`.
fn compile_cxx(name: &str, text: &str, flags: &[&str]) -> Option<PathBuf> {
    let dir = scratch();
    let source = dir.join(format!("{name}.cc"));
    let output = dir.join(name);
    std::fs::write(&source, text).expect("the source is written");
    // The flags after the source: a library named before it is dropped as
    // not needed (`--as-needed`) before its symbols are asked for.
    let compiled = Command::new("c++").arg("-o").arg(&output).arg(&source).args(flags).status();
    if !compiled.is_ok_and(|status| status.success()) {
        assert!(std::env::var_os("FFISCOPE_REQUIRE_COMPILERS").is_none(), "c++ is required");
        eprintln!("skipped: no C++ compiler");
        return None;
    }
    Some(output)
}

/// A library with a C++ runtime of its own (libstdc++ linked in, as LLVM's
/// are): its `operator new` calls `malloc` and is called from within it,
/// while the program's `delete` resolves to the recorder's. Each side is
/// C++'s: no mismatched free, where rust-lld had 2,664 in one `cargo test`.
#[test]
fn a_block_a_librarys_own_operator_new_made_is_deleted_without_a_mismatch() {
    let dir = scratch();
    let library = dir.join("libown_new.so");
    let made = compile_cxx(
        "libown_new.so",
        "#include <cstdlib>\n#include <new>\n\
         void *operator new(std::size_t n) { void *p = std::malloc(n); if (!p) throw std::bad_alloc(); return p; }\n\
         void *operator new[](std::size_t n) { return operator new(n); }\n\
         extern \"C\" int *make_one() { return new int(7); }\n\
         extern \"C\" int *make_four() { return new int[4](); }\n",
        &["-g", "-shared", "-fPIC", "-Wl,-Bsymbolic"],
    );
    let Some(made) = made else { return };
    assert_eq!(made, library);
    let rpath = format!("-Wl,-rpath,{}", dir.display());
    let Some(program) = compile_cxx(
        "own_new_user",
        "extern \"C\" int *make_one();\nextern \"C\" int *make_four();\n\
         int main() {\n  int *one = make_one();\n  delete one;\n  int *four = make_four();\n  delete[] four;\n  return 0;\n}\n",
        &["-g", "-L", dir.to_str().unwrap(), "-lown_new", &rpath],
    ) else {
        return;
    };
    let report = report(&record(&["--json"], &program, &[]));
    assert!(kinds(&report).is_empty(), "{report}");
    assert_eq!(report["c_heap"]["allocations"], 2, "{report}");
    assert_eq!(report["c_heap"]["frees"], 2, "{report}");
}

#[test]
fn a_c_plus_plus_block_released_by_another_form_is_a_mismatched_free() {
    let Some(program) = compile_cxx("cxx_mismatches", CXX_MISMATCHES, &["-g", "-O0", "-Wno-mismatched-new-delete"])
    else {
        return;
    };
    for args in [&["--json"][..], &["--json", "--stack", "8"], &["--json", "--guard"]] {
        let report = report(&record(args, &program, &[]));
        assert_eq!(kinds(&report), ["mismatched_free"; 4], "{args:?}: {report}");
        let found: Vec<(&str, &str)> = report["anomalies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["site"].as_str().unwrap(), a["message"].as_str().unwrap()))
            .collect();
        let expected = [
            (
                "main (cxx_mismatches.cc:6)",
                "released with `delete` the 40 B block that `main (cxx_mismatches.cc:5)` made with `new[]`, which pairs with `delete[]`",
            ),
            (
                "main (cxx_mismatches.cc:8)",
                "released with `delete[]` the 4 B block that `main (cxx_mismatches.cc:7)` made with `new`, which pairs with `delete`",
            ),
            (
                "main (cxx_mismatches.cc:10)",
                "released with `delete` the 8 B block that `main (cxx_mismatches.cc:9)` made with `malloc`",
            ),
            (
                "main (cxx_mismatches.cc:12)",
                "released with `free` (or `realloc`) the 4 B block that `main (cxx_mismatches.cc:11)` made with `new`",
            ),
        ];
        for ((site, message), (want_site, want_message)) in found.iter().zip(expected) {
            assert_eq!(*site, want_site, "{args:?}: {message}");
            assert!(message.contains(want_message), "{args:?}: {message}");
        }
        // Released all the same: nothing is left.
        assert_eq!(report["c_heap"]["live_blocks"], 0, "{args:?}: {report}");
    }
}

#[test]
fn what_a_librarys_static_objects_free_at_exit_and_what_its_constructor_holds_are_not_leaks() {
    let dir = scratch();
    let library = dir.join("libcxx_holder.so");
    if compile_cxx("libcxx_holder.so", CXX_LIBRARY, &["-g", "-O1", "-shared", "-fPIC"]).is_none() {
        return;
    }
    let rpath = format!("-Wl,-rpath,{}", dir.display());
    let link = ["-g", "-O1", library.to_str().unwrap(), &rpath];
    let Some(program) = compile_cxx("cxx_holder_user", CXX_LIBRARY_USER, &link) else {
        return;
    };
    let report = report(&record(&["--json"], &program, &[]));
    assert!(kinds(&report).is_empty(), "{report}");
    // The 20 strings went at exit, after the recorder's destructor: only
    // the registry's three arrays and its vector's storage stay, reachable
    // through the registry glibc made before the recording began.
    let heap = &report["c_heap"];
    assert_eq!((heap["live_blocks"].as_u64(), heap["live_bytes"].as_u64()), (Some(4), Some(3 * 400 + 32)), "{heap}");
}

/// An allocation wrapper's `malloc` is one line for every block the program
/// makes through it: `xmalloc` by its name, `grab` as the user names it, and
/// what `grab` calls on its way (`obtain`) is its own.
const WRAPPED: &str = r"#include <stdlib.h>
void *kept;
__attribute__((noinline)) static void *xmalloc(size_t n) { return malloc(n); }
__attribute__((noinline)) static void *obtain(size_t n) { return xmalloc(n); }
__attribute__((noinline)) static void *grab(size_t n) { return obtain(n); }
__attribute__((noinline)) static void keep(void) { kept = xmalloc(100); }
__attribute__((noinline)) static void lose(void) { volatile void *lost = xmalloc(7); (void)lost; }
__attribute__((noinline)) static void lose_more(void) { volatile void *lost = grab(9); (void)lost; }
int main(void) {
    keep();
    lose();
    lose_more();
    return 0;
}
";

#[test]
fn a_block_made_in_an_allocation_wrapper_is_named_by_the_wrappers_caller() {
    let program = compile_c("shared_wrapper", WRAPPED, &["-O1"]);
    // With a stack, by the caller, the stack from the wrapper on: the
    // block's own stack, not the first one through the wrapper.
    let stacked = report(&record(&["--json", "--stack", "8"], &program, &[]));
    let mut leaks = leaks_of(&stacked);
    leaks.sort_unstable();
    assert_eq!(leaks, [("lose (shared_wrapper.c:7)", 7), ("obtain (shared_wrapper.c:4)", 9)], "{stacked}");
    let lose = stacked["anomalies"].as_array().unwrap().iter().find(|a| a["bytes"] == 7).unwrap();
    let message = lose["message"].as_str().unwrap();
    assert!(
        message.contains("allocated at:\n      xmalloc (shared_wrapper.c:3)\n      lose (shared_wrapper.c:7)"),
        "{message}"
    );
    assert!(message.contains("release it with `free`") && !message.contains("keep (shared_wrapper.c"), "{message}");
    // A wrapper the user names (`--alloc-fn`) too.
    let named = report(&record(&["--json", "--stack", "8", "--alloc-fn", "gr*,pool_get"], &program, &[]));
    let mut leaks = leaks_of(&named);
    leaks.sort_unstable();
    assert_eq!(leaks, [("lose (shared_wrapper.c:7)", 7), ("lose_more (shared_wrapper.c:8)", 9)], "{named}");
    // Without a stack, by the wrapper, and the report says what names the caller.
    let plain = report(&record(&["--json"], &program, &[]));
    assert_eq!(leaks_of(&plain), [("xmalloc (shared_wrapper.c:3)", 16)], "{plain}");
    assert!(plain["anomalies"][0]["message"].as_str().unwrap().contains("Record with `--stack 8`"), "{plain}");
    let text = String::from_utf8_lossy(&record(&[], &program, &[]).stderr).into_owned();
    assert!(
        text.contains("1 leak(s) named by an allocation wrapper, which allocates for its caller (`xmalloc`)"),
        "{text}"
    );
    // A pattern no function could match is refused.
    let refused = record(&["--alloc-fn", "my alloc"], &program, &[]);
    assert_eq!(refused.status.code(), Some(2));
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(error.contains("error: --alloc-fn `my alloc`: ` ` is in no function's name"), "{error}");
}

/// Blocks the C library makes for the program: `asprintf`'s is made in a
/// function the library does not export, to which `vasprintf` jumps.
const MADE_BY_THE_C_LIBRARY: &str = r#"#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static char *format(const char *f, ...) {
    va_list ap;
    va_start(ap, f);
    char *out = NULL;
    if (vasprintf(&out, f, ap) < 0) out = NULL;
    va_end(ap);
    return out;
}
int main(void) {
    char *short_one, *long_one;
    if (asprintf(&short_one, "item %d", 1) < 0) return 1;
    if (asprintf(&long_one, "%0300d", 2) < 0) return 1;
    char *formatted = format("item %d", 3);
    char *folder = getcwd(NULL, 0);
    printf("%s %zu %s %s\n", short_one, sizeof long_one, formatted, folder ? "" : "");
    return 0;
}
"#;

#[test]
fn a_block_the_c_library_makes_for_the_program_is_named_by_the_programs_call() {
    for optimization in ["-O0", "-O2"] {
        let program = compile_c("made_by_libc", MADE_BY_THE_C_LIBRARY, &[optimization]);
        let plain = report(&record(&["--json"], &program, &[]));
        let mut leaks = leaks_of(&plain);
        leaks.sort_unstable();
        // Each its own leak, where two were "the C library made for itself"
        // and one was named by an address in the library.
        let folder = std::env::current_dir().unwrap().as_os_str().len() as u64 + 1;
        assert_eq!(
            leaks,
            [
                ("format (made_by_libc.c:10)", 7),
                ("main (made_by_libc.c:16)", 7),
                ("main (made_by_libc.c:17)", 301),
                ("main (made_by_libc.c:19)", folder),
            ],
            "{optimization}: {plain}"
        );
        for leak in plain["anomalies"].as_array().unwrap() {
            assert!(leak["message"].as_str().unwrap().contains("release it with `free`"), "{leak}");
        }
        // The C library's own calls are the C heap's, its symbols or none.
        assert!(!plain["notes"].to_string().contains("their heap uncertain"), "{optimization}: {plain}");
    }
}

/// glibc's bins point at a freed chunk's header, which lies in the last
/// bytes of the block before it: a lost block just before a freed one is
/// still lost (memcheck: 20,472 bytes definitely lost).
const BEFORE_A_FREED_CHUNK: &str = r"#include <stdlib.h>
#include <string.h>
int main(void) {
    volatile char *lost = malloc(20472);
    char *freed = malloc(20472);
    char *last = malloc(20472);
    memset((char *)lost, 1, 20472);
    free(freed);
    lost = NULL;
    (void)lost;
    free(last);
    return 0;
}
";

#[test]
fn a_lost_block_before_a_freed_chunk_is_lost_whatever_the_c_librarys_bins_point_at() {
    let program = compile_c("before_freed", BEFORE_A_FREED_CHUNK, &["-O0"]);
    let recorded = report(&record(&["--json"], &program, &[]));
    assert_eq!(leaks_of(&recorded), [("main (before_freed.c:4)", 20472)], "{recorded}");
}

/// C's code in a static library linked into a Rust program.
fn compile_rust_with_c(name: &str, rust: &str, c: &str) -> PathBuf {
    let dir = scratch();
    let source = dir.join(format!("{name}_c.c"));
    let object = dir.join(format!("{name}_c.o"));
    std::fs::write(&source, c).expect("the C source is written");
    let compiled = Command::new("cc").args(["-c", "-g", "-O2", "-o"]).arg(&object).arg(&source).status();
    assert!(compiled.expect("cc runs").success(), "{name}'s C compiles");
    let archive = dir.join(format!("lib{name}_c.a"));
    let _ = std::fs::remove_file(&archive);
    let archived = Command::new("ar").arg("rcs").arg(&archive).arg(&object).status();
    assert!(archived.expect("ar runs").success(), "{name}'s C is archived");
    let search = format!("-Lnative={}", dir.display());
    let link = format!("-lstatic={name}_c");
    compile_rust_with(name, rust, &["-g", "-C", "opt-level=2", &search, &link])
}

/// C calls a Rust callback through a pointer, and the callback's last act,
/// dropping its `Box`, is a jump to `free` (a release build), so `free`
/// returns straight into the C that called the callback: the free is still
/// Rust's own, not C's. So are allocator hooks C calls (`zalloc`/`zfree`,
/// `bzalloc`): Rust's allocator's blocks on both sides, or `libc::malloc`'s.
/// C that calls `free` itself through a pointer on a Rust block is still a
/// foreign free.
#[test]
fn a_rust_callback_that_ends_in_a_tail_call_to_free_frees_on_its_own_heap() {
    let c = "#include <stdlib.h>\n\
        typedef void (*destroy_fn)(void *);\n\
        struct holder { void *object; destroy_fn destroy; };\n\
        struct holder *holder_adopt(void *object, destroy_fn destroy) {\n\
          struct holder *h = malloc(sizeof *h);\n  h->object = object;\n  h->destroy = destroy;\n  return h;\n}\n\
        void holder_release(struct holder *h) {\n  h->destroy(h->object);\n  free(h);\n}\n\
        struct hooks { void *(*alloc)(size_t); void (*release)(void *); int released; };\n\
        void *hooks_block(struct hooks *h, size_t size) {\n  char *block = h->alloc(size);\n  if (block) block[0] = 1;\n  return block;\n}\n\
        void hooks_release(struct hooks *h, void *block) {\n  h->release(block);\n  h->released++;\n}\n";
    let rust = "use std::ffi::c_void;\n\
        #[repr(C)] struct Holder { _private: [u8; 0] }\n\
        extern \"C\" {\n\
            fn holder_adopt(object: *mut c_void, destroy: unsafe extern \"C\" fn(*mut c_void)) -> *mut Holder;\n\
            fn holder_release(holder: *mut Holder);\n\
            fn free(block: *mut c_void);\n\
        }\n\
        unsafe extern \"C\" fn destroy(object: *mut c_void) {\n\
            drop(unsafe { Box::from_raw(object.cast::<[u64; 5]>()) });\n\
        }\n\
        #[repr(C)] struct Hooks {\n\
            alloc: unsafe extern \"C\" fn(usize) -> *mut c_void,\n\
            release: unsafe extern \"C\" fn(*mut c_void),\n\
            released: i32,\n\
        }\n\
        extern \"C\" {\n\
            fn hooks_block(hooks: *mut Hooks, size: usize) -> *mut c_void;\n\
            fn hooks_release(hooks: *mut Hooks, block: *mut c_void);\n\
            fn malloc(size: usize) -> *mut c_void;\n\
        }\n\
        const LAYOUT: std::alloc::Layout = std::alloc::Layout::new::<[u64; 4]>();\n\
        unsafe extern \"C\" fn rust_alloc(_: usize) -> *mut c_void { unsafe { std::alloc::alloc(LAYOUT).cast() } }\n\
        unsafe extern \"C\" fn rust_release(block: *mut c_void) { unsafe { std::alloc::dealloc(block.cast(), LAYOUT) } }\n\
        unsafe extern \"C\" fn c_alloc(size: usize) -> *mut c_void { unsafe { malloc(size) } }\n\
        unsafe extern \"C\" fn c_release(block: *mut c_void) { unsafe { free(block) } }\n\
        fn main() {\n\
            for (alloc, release) in [(rust_alloc as unsafe extern \"C\" fn(usize) -> *mut c_void, rust_release as unsafe extern \"C\" fn(*mut c_void)), (c_alloc, c_release)] {\n\
                let mut hooks = Hooks { alloc, release, released: 0 };\n\
                for _ in 0..3 { unsafe { hooks_release(&mut hooks, hooks_block(&mut hooks, 32)) } }\n\
            }\n\
            let wrong = std::env::args().nth(1).as_deref() == Some(\"wrong\");\n\
            for round in 0..3u64 {\n\
                let object = Box::into_raw(Box::new([round; 5])).cast::<c_void>();\n\
                let release: unsafe extern \"C\" fn(*mut c_void) = if wrong { free } else { destroy };\n\
                unsafe { holder_release(holder_adopt(object, release)) };\n\
            }\n\
        }\n";
    let program = compile_rust_with_c("tail_freed", rust, c);
    let right = report(&record(&["--json"], &program, &[]));
    assert_eq!(kinds(&right), Vec::<String>::new(), "{right}");
    let wrong = report(&record(&["--json"], &program, &["wrong"]));
    assert_eq!(kinds(&wrong), ["foreign_free"; 3], "{wrong}");
}

/// `libsqlite3` keeps an 8-byte header before each block it hands out, and
/// `sqlite3_free` frees 8 bytes before the pointer it is given: a block of
/// malloc's handed to it is freed 8 bytes before its start. The free is
/// refused and said of that block; the function that made it, a static one
/// of a library without debug information, is not named after the exported
/// symbol before it.
const FOREIGN_HEADER: &str = r#"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    sqlite3_initialize();
    char *mine = malloc(24);
    sqlite3_free(mine);
    char *theirs = sqlite3_mprintf("%d", 42);
    sqlite3_free(theirs);
    free(mine);
    puts("ran on");
    return 0;
}
"#;

#[test]
fn a_block_freed_through_a_library_header_is_said_of_the_block_after() {
    if !Path::new("/usr/include/sqlite3.h").exists() {
        assert!(std::env::var_os("FFISCOPE_REQUIRE_COMPILERS").is_none(), "libsqlite3-dev is required");
        return;
    }
    let program = compile_c("foreign_header", FOREIGN_HEADER, &["-lsqlite3"]);
    let output = record(&["--json"], &program, &[]);
    let report = report(&output);
    assert_eq!(output.status.code(), Some(0), "glibc would have aborted: {report}");
    let anomalies = report["anomalies"].as_array().expect("anomalies");
    assert_eq!(anomalies.len(), 1, "{report}");
    let refused = &anomalies[0];
    assert_eq!(refused["kind"], "invalid_free");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("8 B before the start of a C-heap block (24 B, from `main (foreign_header.c:8)`)"),
        "{refused}"
    );
    let site = refused["site"].as_str().unwrap();
    let named_right = ["sqlite3_free", "sqlite3MemFree", "libsqlite3.so.0+0x"].iter().any(|n| site.contains(n));
    assert!(named_right, "named by a function that reaches the call, or by its offset: {site}");
}

/// One process records; the programs it starts run unrecorded, and the
/// report counts and names them, so a user knows what to record by itself.
#[test]
fn programs_the_recorded_one_starts_are_counted_and_named_as_unrecorded() {
    let program = compile_c("starts_others", C_PROGRAM, &[]);
    let starter = compile_c("starter", STARTER, &[]);
    let true_program = std::fs::canonicalize("/bin/true").expect("true");
    let args = [program.to_str().unwrap(), program.to_str().unwrap(), true_program.to_str().unwrap()];
    let output = record(&["--json"], &starter, &args);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let report = report(&output);
    assert_eq!(report["tallies"]["processes_started_unrecorded"], 3, "{report}");
    // Only the starter's own block: the children's thousands are not in it.
    assert_eq!(report["c_heap"]["allocations"], 1, "{}", report["c_heap"]);

    let output = record(&[], &starter, &args);
    let text = String::from_utf8_lossy(&output.stderr);
    let said = format!(
        "3 process(es) it started ran unrecorded, their heaps not in this report: `{}` (2), `{}` (1); \
         `--follow-children` records each on its own, or record one by itself to see its own (`ffiscope record -- \
         {} …`)",
        program.display(),
        true_program.display(),
        program.display()
    );
    assert!(text.contains(&said), "{text}");
}

/// A program that starts others (fork and exec), for the tests of
/// `--follow-children`: it starts each of its arguments in turn, and frees
/// the one block of its own.
const STARTER: &str = "#include <stdlib.h>\n#include <sys/wait.h>\n#include <unistd.h>\n\
     static void start(const char *program) {\n\
         pid_t child = fork();\n\
         if (child == 0) { execl(program, program, (char *)0); _exit(127); }\n\
         waitpid(child, NULL, 0);\n\
     }\n\
     static void *volatile mine;\n\
     int main(int argc, char **argv) {\n\
         mine = malloc(24);\n\
         for (int i = 1; i < argc; i++) start(argv[i]);\n\
         free(mine);\n\
         return 0;\n\
     }\n";

/// (kind, site) of each anomaly of a report, in its order.
fn findings_of(report: &Value) -> Vec<(String, String)> {
    let anomalies = report["anomalies"].as_array().expect("anomalies");
    anomalies.iter().map(|a| (a["kind"].as_str().unwrap().to_owned(), a["site"].as_str().unwrap().to_owned())).collect()
}

/// With `--follow-children` each program the recorded one starts is
/// recorded on its own channel: its heap, findings and leaks are what
/// recording it by itself finds, under its own name and pid; and
/// `--check` fails on a finding in any of them.
#[test]
fn with_follow_children_each_started_program_is_recorded_as_it_is_by_itself() {
    let program = compile_c("followed", C_PROGRAM, &[]);
    let starter = compile_c("follower", STARTER, &[]);
    let alone = report(&record(&["--json"], &program, &[]));
    let true_program = std::fs::canonicalize("/bin/true").expect("true");
    let args = [program.to_str().unwrap(), true_program.to_str().unwrap(), program.to_str().unwrap()];
    let output = record(&["--json", "--follow-children", "--check"], &starter, &args);
    let report = report(&output);
    assert_eq!(output.status.code(), Some(1), "the children's findings fail the check: {report}");
    assert!(report["anomalies"].as_array().unwrap().is_empty(), "the starter freed its block: {report}");
    assert_eq!(report["c_heap"]["allocations"], 1, "only the starter's own: {}", report["c_heap"]);
    assert_eq!(report["tallies"]["processes_followed"], 3, "{report}");
    assert!(report["tallies"].get("processes_started_unrecorded").is_none(), "{report}");
    let processes = report["processes"].as_array().expect("the processes");
    let programs: Vec<&str> = processes.iter().map(|p| p["report"]["scenario"].as_str().unwrap()).collect();
    assert_eq!(programs, [program.to_str().unwrap(), true_program.to_str().unwrap(), program.to_str().unwrap()]);
    assert_eq!(processes[0]["command"], program.to_str().unwrap());
    for followed in [&processes[0], &processes[2]] {
        let own = &followed["report"];
        assert_eq!(findings_of(own), findings_of(&alone), "as recorded by itself: {own}");
        for heap in ["c_heap", "rust_heap"] {
            assert_eq!(own[heap], alone[heap], "{heap}");
        }
        assert!(followed["pid"].as_i64().unwrap() > 0);
    }
    assert_ne!(processes[0]["pid"], processes[2]["pid"]);
    assert!(findings_of(&processes[1]["report"]).is_empty(), "{}", processes[1]);

    let output = record(&["--follow-children"], &starter, &args);
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("3 process(es) it started, each recorded on its own:"), "{text}");
    let heading = format!("`{}`: completed", program.display());
    assert_eq!(text.matches(&heading).count(), 2, "each run of the program under its pid: {text}");
    assert!(text.contains("1 with no findings: true (1)"), "{text}");
}

/// `--follow-skip` names programs not to follow, by their path, the name
/// they were started by (a link's, `as` for `x86_64-linux-gnu-as`) or
/// their file names: they run unrecorded, counted as skipped, and take no
/// channel.
#[test]
fn programs_follow_skip_names_are_counted_not_followed() {
    let program = compile_c("followed_not_skipped", C_PROGRAM, &[]);
    let starter = compile_c("skipping_starter", STARTER, &[]);
    let link = scratch().join("skipped_by_its_link_name");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&program, &link).expect("a link");
    let args = [program.to_str().unwrap(), "/bin/true", link.to_str().unwrap()];
    let asked = ["--json", "--follow-children", "--follow-skip", "tr*,skipped_by_*"];
    let report = report(&record(&asked, &starter, &args));
    assert_eq!(report["tallies"]["processes_followed"], 1, "{report}");
    assert_eq!(report["tallies"]["processes_skipped"], 2, "{report}");
    assert_eq!(report["tallies"]["processes_started_unrecorded"], 2, "{report}");
    assert_eq!(report["processes"][0]["report"]["scenario"], program.to_str().unwrap());

    let text = String::from_utf8_lossy(&record(&asked[1..], &starter, &args).stderr).into_owned();
    assert!(text.contains("2 skipped by `--follow-skip`; record one by itself"), "{text}");
}

/// A program between that closes every descriptor it did not open before
/// it execs (Python's `subprocess` does by default) does not hide the one
/// it starts: the channel is opened again through ffiscope's own.
#[test]
fn a_program_started_with_its_descriptors_closed_is_followed_all_the_same() {
    let program = compile_c("followed_closed", C_PROGRAM, &[]);
    let closing = STARTER.replace("if (child == 0) {", "if (child == 0) { closefrom(3);");
    assert_ne!(closing, STARTER);
    let starter = compile_c("closing_starter", &format!("#define _GNU_SOURCE\n{closing}"), &[]);
    let report = report(&record(&["--json", "--follow-children"], &starter, &[program.to_str().unwrap()]));
    assert_eq!(report["tallies"]["processes_followed"], 1, "{report}");
    let followed = &report["processes"][0]["report"];
    assert_eq!(followed["scenario"], program.to_str().unwrap());
    assert_eq!(findings_of(followed).len(), 2, "its double free and leak: {followed}");
}

/// With `--out`, each followed process's events go to a file of its own
/// beside the program's, named with its pid, which `open` reads back to the
/// same findings.
#[test]
fn with_out_each_followed_process_is_kept_in_a_file_named_with_its_pid() {
    let program = compile_c("followed_kept", C_PROGRAM, &[]);
    let starter = compile_c("keeping_starter", STARTER, &[]);
    let out = scratch().join("followed_kept.fsrec");
    let asked = ["--json", "--follow-children", "--out", out.to_str().unwrap()];
    let report = report(&record(&asked, &starter, &[program.to_str().unwrap()]));
    let followed = &report["processes"][0];
    let pid = followed["pid"].as_i64().expect("its pid");
    let file = scratch().join(format!("followed_kept.{pid}.fsrec"));
    assert_eq!(followed["recording"], file.to_str().unwrap(), "{followed}");
    let opened =
        Command::new(env!("CARGO_BIN_EXE_ffiscope")).arg("open").arg(&file).arg("--json").output().expect("open");
    let reopened = self::report(&opened);
    assert_eq!(findings_of(&reopened), findings_of(&followed["report"]));
    assert_eq!(reopened["c_heap"], followed["report"]["c_heap"]);
}

/// A followed process that execs another program keeps its channel (the
/// report names the program it became); once every channel is taken by
/// processes running at once, those started then are counted as
/// unrecorded, and the note says why.
#[test]
fn a_followed_process_that_execs_keeps_its_channel_and_the_rest_are_counted_once_all_are_taken() {
    let program = compile_c("followed_exec", C_PROGRAM, &[]);
    let script = format!("sh -c 'exec {}'; for i in $(seq 34); do sleep 1 & done; wait", program.display());
    let output = record(&["--json", "--follow-children"], Path::new("sh"), &["-c", &script]);
    let report = report(&output);
    let channels = ffiscope::record::FOLLOWED_PROCESSES as u64;
    let followed = report["tallies"]["processes_followed"].as_u64().expect("followed");
    let unrecorded = report["tallies"]["processes_started_unrecorded"].as_u64().expect("some unrecorded");
    // 36 started: the one that exec'd the program, seq, then 34 sleeps at once.
    assert_eq!(followed + unrecorded, 36, "{report}");
    assert!(unrecorded >= 34 - channels, "no more than {channels} sleeps at once: {report}");
    let first = &report["processes"][0];
    assert_eq!(first["report"]["scenario"], program.to_str().unwrap(), "{first}");
    assert_eq!(first["command"], program.to_str().unwrap(), "the command it became: {first}");
    let alone = self::report(&record(&["--json"], &program, &[]));
    assert_eq!(findings_of(&first["report"]), findings_of(&alone), "{first}");
    // Its counts run on from the shell's, as a recording that execs does;
    // what is live at the end is the program's.
    let (own, alone) = (&first["report"]["c_heap"], &alone["c_heap"]);
    assert_eq!((&own["live_blocks"], &own["live_bytes"]), (&alone["live_blocks"], &alone["live_bytes"]), "{first}");
    assert!(own["allocations"].as_u64() > alone["allocations"].as_u64(), "{first}");

    let output = record(&["--follow-children"], Path::new("sh"), &["-c", &script]);
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains(&format!("the {channels} channels for followed processes were all taken")), "{text}");

    // As many at once as asked for: of five sleeps at once, three at most.
    let script = "seq 2 >/dev/null; for i in 1 2 3 4 5; do sleep 1 & done; wait";
    let report = self::report(&record(&["--json", "--follow-children=3"], Path::new("sh"), &["-c", script]));
    let followed = report["tallies"]["processes_followed"].as_u64().expect("followed");
    let unrecorded = report["tallies"]["processes_started_unrecorded"].as_u64().expect("some unrecorded");
    assert_eq!(followed + unrecorded, 6, "{report}");
    assert!(unrecorded >= 2, "{report}");
}

/// A followed process's channel is made free again once it has gone:
/// channels bound how many are followed at once, not in all.
#[test]
fn a_channel_is_made_free_again_once_its_process_has_gone() {
    let slow = compile_c(
        "slow_leaker",
        "#include <stdlib.h>\n#include <unistd.h>\n\
         int main(void) { *(char *volatile *)malloc(12) = 0; usleep(100000); return 0; }\n",
        &[],
    );
    let script = format!("for i in 1 2 3 4 5 6; do {}; done", slow.display());
    let report = report(&record(&["--json", "--follow-children=2"], Path::new("sh"), &["-c", &script]));
    assert_eq!(report["tallies"]["processes_followed"], 6, "two channels, six processes one after another: {report}");
    assert!(report["tallies"].get("processes_started_unrecorded").is_none(), "{report}");
    let processes = report["processes"].as_array().expect("the processes");
    let mut pids: Vec<i64> = processes.iter().map(|p| p["pid"].as_i64().unwrap()).collect();
    for process in processes {
        assert_eq!(leaks_of(&process["report"]), [("main (slow_leaker.c:3)", 12)], "each its own: {process}");
    }
    pids.dedup();
    assert_eq!(pids.len(), 6, "{report}");
}

/// However many processes are followed, those kept whole for the report
/// are bounded; the rest are counted.
#[test]
fn followed_processes_past_those_kept_are_counted() {
    let kept = ffiscope::record::FOLLOWED_KEPT_AT_MOST;
    let many = compile_c(
        "many_copies",
        "#include <stdlib.h>\n#include <sys/wait.h>\n#include <unistd.h>\n\
         int main(int argc, char **argv) {\n\
             for (int n = atoi(argv[1]); n > 0; n--) {\n\
                 pid_t copy = fork();\n\
                 if (copy == 0) { char *volatile p = malloc(8); free(p); _exit(0); }\n\
                 waitpid(copy, NULL, 0);\n\
             }\n\
             return 0;\n\
         }\n",
        &[],
    );
    // More past the bound than there are channels: some ended are not kept.
    let copies = kept + 2 * ffiscope::record::FOLLOWED_PROCESSES;
    let report = report(&record(&["--json", "--follow-children"], &many, &[&copies.to_string()]));
    let tallies = &report["tallies"];
    let followed = tallies["processes_followed"].as_u64().expect("followed");
    // Each copy is followed, or counted where every channel was still
    // taken by copies that had gone and were not yet read (a loaded
    // machine, tests running beside this one).
    let unrecorded = tallies["processes_forked_unrecorded"].as_u64().unwrap_or(0);
    assert_eq!(followed + unrecorded, copies as u64, "{tallies}");
    assert!(followed > kept as u64, "past the bound: {tallies}");
    let not_kept = tallies["processes_followed_not_kept"].as_u64().expect("some not kept");
    let listed = report["processes"].as_array().unwrap().len() as u64;
    assert_eq!(listed + not_kept, followed, "{tallies}");
    // The bound, and those still recording at the end kept beyond it.
    let channels = ffiscope::record::FOLLOWED_PROCESSES as u64;
    assert!((kept as u64..=kept as u64 + channels).contains(&listed), "{listed} kept: {tallies}");
}

/// A forked copy that claimed a channel and then execs a program
/// `--follow-skip` names gives the channel back: the program is counted as
/// skipped, and the copy is not reported unless it found something.
#[test]
fn a_forked_copy_that_execs_a_skipped_program_gives_its_channel_back() {
    let true_program = std::fs::canonicalize("/bin/true").expect("true");
    let forker = compile_c("skipping_forker", &FORKER.replace("forker.c", "skipping_forker.c"), &[]);
    let args = ["exec", true_program.to_str().unwrap()];
    let asked = ["--json", "--follow-children=2", "--follow-skip", "true"];
    let report = report(&record(&asked, &forker, &args));
    assert!(report.get("processes").is_none(), "the copy only ran a skipped program: {report}");
    assert_eq!(report["tallies"]["processes_skipped"], 1, "{report}");
    assert_eq!(report["tallies"]["processes_started_unrecorded"], 1, "{report}");

    // One that did something wrong first is reported, up to its exec.
    let careless = FORKER.replace("fresh[0] = 'x';", "fresh[0] = 'x'; free(fresh); free(fresh);");
    assert_ne!(careless, FORKER);
    let forker = compile_c("careless_forker", &careless, &[]);
    let report = self::report(&record(&asked, &forker, &args));
    let copy = &report["processes"][0];
    let kinds: Vec<String> = findings_of(&copy["report"]).into_iter().map(|(kind, _)| kind).collect();
    assert_eq!(kinds, ["double_free"], "{copy}");
    assert!(copy["notes"].to_string().contains("it exec'd a program `--follow-skip` names"), "{copy}");
}

/// A followed process's end is told by its channel (its exit status is its
/// parent's): one killed, one that faulted, and one still running when the
/// recorded program ended, whose blocks are held, not leaked.
#[test]
fn a_followed_process_killed_crashed_or_still_running_is_told_apart() {
    let ender = compile_c(
        "ender",
        "#include <signal.h>\n#include <stdlib.h>\n#include <unistd.h>\n\
         static void *volatile held;\n\
         int main(int argc, char **argv) {\n\
             held = malloc(10);\n\
             held = NULL;\n\
             if (argc < 2) return 0;\n\
             if (argv[1][0] == 'k') raise(SIGKILL);\n\
             if (argv[1][0] == 's') *(volatile int *)held = 1;\n\
             if (argv[1][0] == 'w') sleep(5);\n\
             return 0;\n\
         }\n",
        &[],
    );
    let ender = ender.display();
    // The one left running lets go of the output, which the test reads to its end.
    let script = format!("{ender} kill; {ender} segv; {ender} wait >/dev/null 2>&1 & sleep 0.5");
    let report = report(&record(&["--json", "--follow-children"], Path::new("sh"), &["-c", &script]));
    let processes = report["processes"].as_array().expect("the processes");
    let by_command = |how: &str| {
        let command = format!("{ender} {how}");
        processes.iter().find(|p| p["command"] == command.as_str()).unwrap_or_else(|| panic!("{command}: {report}"))
    };
    let notes =
        |process: &Value| process["notes"].as_array().unwrap().iter().map(ToString::to_string).collect::<String>();
    let killed = by_command("kill");
    assert_eq!(killed["report"]["outcome"], "crashed", "{killed}");
    assert!(notes(killed).contains("without handing over its last events (it was killed)"), "{killed}");
    let faulted = by_command("segv");
    assert_eq!(faulted["report"]["outcome"], "crashed", "{faulted}");
    let crash = ("crash".to_owned(), "main (ender.c:10)".to_owned());
    assert_eq!(findings_of(&faulted["report"]), [crash], "{faulted}");
    let waiting = by_command("wait");
    assert_eq!(waiting["report"]["outcome"], "completed", "{waiting}");
    assert!(notes(waiting).contains("still running when the recorded program ended"), "{waiting}");
    assert!(findings_of(&waiting["report"]).is_empty(), "what it holds is no leak yet: {waiting}");
    assert_eq!(waiting["report"]["c_heap"]["live_blocks"], 1, "{waiting}");
}

/// A program that forks copies of itself which run on without an exec (a
/// pool's workers): each frees blocks it inherited, small and large (each
/// twice), moves one, double-frees and leaks a block of its own, and keeps one only an
/// inherited block points to; the first forks a copy of its own, which
/// frees one its grandparent made. `exec PROGRAM`: one copy allocates,
/// then execs PROGRAM.
const FORKER: &str = "#include <stdlib.h>\n#include <string.h>\n#include <sys/wait.h>\n#include <unistd.h>\n\
     struct job { char *name; char *big; };\n\
     static struct job *jobs;\n\
     __attribute__((noinline)) static void leak_in_copy(void) { *(char *volatile *)malloc(48) = 0; }\n\
     static void work(int n) {\n\
         char *volatile name = jobs[n].name; free(name); free(name);\n\
         char *volatile big = jobs[n].big; free(big); free(big);\n\
         jobs[n].big = realloc(jobs[1 - n].name, 64);\n\
         char *volatile own = malloc(32);\n\
         free(own);\n\
         free(own);\n\
         jobs[1 - n].name = malloc(24);\n\
         leak_in_copy();\n\
         if (n == 0) {\n\
             pid_t copy = fork();\n\
             if (copy == 0) { free(jobs[1].big); leak_in_copy(); exit(0); }\n\
             waitpid(copy, NULL, 0);\n\
         }\n\
         exit(0);\n\
     }\n\
     int main(int argc, char **argv) {\n\
         jobs = calloc(2, sizeof *jobs);\n\
         for (int i = 0; i < 2; i++) { jobs[i].name = strdup(\"a job\"); jobs[i].big = calloc(1, 100000); }\n\
         if (argc > 2) {\n\
             pid_t child = fork();\n\
             if (child == 0) { char *volatile fresh = malloc(10); fresh[0] = 'x'; execl(argv[2], argv[2], (char *)0); _exit(127); }\n\
             waitpid(child, NULL, 0);\n\
         } else {\n\
             pid_t copies[2];\n\
             for (int n = 0; n < 2; n++) if ((copies[n] = fork()) == 0) work(n);\n\
             for (int n = 0; n < 2; n++) waitpid(copies[n], NULL, 0);\n\
         }\n\
         for (int i = 0; i < 2; i++) { free(jobs[i].name); free(jobs[i].big); }\n\
         free(jobs);\n\
         return 0;\n\
     }\n";

/// With `--follow-children`, a forked copy that does not exec is recorded
/// on its own channel, under its pid and the pid it is a copy of: what it
/// inherited is its own to free, move or keep pointing at, with no finding
/// and no leak; what it does with its own blocks is found as in any
/// program; a copy of a copy too. Without it, the copies are counted.
#[test]
fn a_forked_copy_is_followed_with_the_blocks_it_inherited() {
    let forker = compile_c("forker", FORKER, &[]);
    let output = record(&["--json", "--follow-children"], &forker, &["copies"]);
    let report = report(&output);
    assert!(report["anomalies"].as_array().unwrap().is_empty(), "the parent's own frees are clean: {report}");
    assert_eq!(report["tallies"]["processes_followed"], 3, "{report}");
    let processes = report["processes"].as_array().expect("the processes");
    let pids: Vec<i64> = processes.iter().map(|p| p["pid"].as_i64().unwrap()).collect();
    let parents: Vec<i64> = processes.iter().map(|p| p["forked_from"].as_i64().expect("a fork")).collect();
    assert_eq!(parents.iter().filter(|&&parent| !pids.contains(&parent)).count(), 2, "two copies of the program");
    let grandchild =
        processes.iter().find(|p| pids.contains(&p["forked_from"].as_i64().unwrap())).expect("a copy's copy");
    let copies: Vec<&Value> =
        processes.iter().filter(|p| !pids.contains(&p["forked_from"].as_i64().unwrap())).collect();
    for copy in &copies {
        let own = &copy["report"];
        let kinds: Vec<String> = findings_of(own).into_iter().map(|(kind, _)| kind).collect();
        assert_eq!(kinds, ["double_free", "double_free", "double_free", "leak"], "only its own mistakes: {copy}");
        // An inherited block freed twice, small or large, is named a double
        // free, with the first free's line.
        for (index, line) in [(0, 9), (1, 10)] {
            let message = own["anomalies"][index]["message"].as_str().unwrap();
            let first = format!("(forker.c:{line})` had already freed it");
            assert!(message.contains("a second time") && message.contains(&first), "{message}");
        }
        assert!(own["anomalies"][1]["message"].as_str().unwrap().contains("(100000 B)"), "{copy}");
        assert_eq!(leaks_of(own), [("leak_in_copy (forker.c:7)", 48)], "{copy}");
        // The block it moved, the one an inherited block holds, the leak.
        assert_eq!(own["c_heap"]["live_blocks"], 3, "{copy}");
        assert_eq!(own["c_heap"]["frees"], 1, "the frees of inherited blocks are none of its events: {copy}");
    }
    assert_eq!(leaks_of(&grandchild["report"]), [("leak_in_copy (forker.c:7)", 48)], "{grandchild}");
    assert_eq!(findings_of(&grandchild["report"]).len(), 1, "its grandparent's block freed cleanly: {grandchild}");

    let text = String::from_utf8_lossy(&record(&["--follow-children"], &forker, &["copies"]).stderr).into_owned();
    assert_eq!(text.matches(" (a fork of pid ").count(), 3, "{text}");

    // Unfollowed, each copy is counted (glibc aborts them on the double free).
    let output = record(&["--json"], &forker, &["copies"]);
    let report = self::report(&output);
    assert_eq!(report["tallies"]["processes_forked_unrecorded"], 2, "{report}");
    let text = String::from_utf8_lossy(&record(&[], &forker, &["copies"]).stderr).into_owned();
    assert!(text.contains("2 forked copy(ies) of a recorded process ran on without an exec"), "{text}");
    assert!(text.contains("`--follow-children` records each on its own"), "{text}");
}

/// A followed copy that leaves through `_exit` (a pool's worker, which
/// never returns into the program's `main`) is checked for leaks as it
/// leaves: what its frames hold is kept, what nothing holds is its leak.
#[test]
fn a_followed_copy_leaving_through_exit_is_checked_for_leaks() {
    let worker = compile_c(
        "exit_worker",
        r#"
        #include <stdlib.h>
        #include <string.h>
        #include <sys/wait.h>
        #include <unistd.h>
        char *kept_by_the_parent;
        __attribute__((noinline)) static void work(void) {
            char *volatile lost = strdup("the worker's result, never handed back");
            lost = NULL;
            char *volatile in_hand = malloc(40);
            _exit(in_hand == NULL);
        }
        int main(void) {
            kept_by_the_parent = strdup("the parent's");
            pid_t copy = fork();
            if (copy == 0) work();
            waitpid(copy, NULL, 0);
            return 0;
        }
        "#,
        &[],
    );
    let report = report(&record(&["--json", "--follow-children"], &worker, &[]));
    assert!(findings_of(&report).is_empty(), "the parent holds its string in a global: {report}");
    let copy = &report["processes"][0];
    assert_eq!(leaks_of(&copy["report"]), [("work (exit_worker.c:8)", 39)], "{copy}");
    assert_eq!(copy["report"]["tallies"]["still_reachable_bytes"], 40, "the block in its frame: {copy}");
    assert!(copy["notes"].to_string().contains("it left through `_exit`"), "{copy}");
}

/// A Python `multiprocessing` worker leaves through `os._exit`: a leak its
/// C calls made is found there, where it went unseen.
#[test]
fn a_python_multiprocessing_workers_leak_is_found() {
    let script = "import ctypes, multiprocessing\n\
                  libc = ctypes.CDLL(None)\n\
                  libc.strdup.restype = None\n\
                  def work():\n    \
                      for _ in range(3): libc.strdup(b'a string nobody frees')\n\
                  if __name__ == '__main__':\n    \
                      multiprocessing.set_start_method('fork')\n    \
                      worker = multiprocessing.Process(target=work)\n    \
                      worker.start()\n    \
                      worker.join()\n    \
                      print(worker.exitcode)\n";
    let found = Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output().expect("python3");
    let python = String::from_utf8_lossy(&found.stdout).trim().to_owned();
    let output = record(&["--json", "--follow-children"], Path::new(&python), &["-c", script]);
    assert_eq!(String::from_utf8_lossy(&output.stderr).trim(), "0", "the worker ran to its end");
    let report = report(&output);
    let worker = report["processes"].as_array().unwrap().iter().find(|p| p["forked_from"].is_i64());
    let worker = worker.unwrap_or_else(|| panic!("the worker is followed: {report}"));
    let leaks = leaks_of(&worker["report"]);
    assert_eq!(leaks.iter().map(|(_, bytes)| bytes).sum::<u64>(), 3 * 22, "three strings lost: {worker}");
    // Named by whoever asked libffi to make the call (ctypes), not libffi.
    assert!(leaks.iter().all(|(site, _)| !site.contains("libffi")), "{leaks:?}");
}

/// A followed copy its parent kills (a pool's `terminate`) is told killed,
/// by the signal its parent saw when it reaped it.
#[test]
fn a_followed_copy_its_parent_killed_is_told_killed_by_that_signal() {
    let killer = compile_c(
        "killer",
        "#include <signal.h>\n#include <stdlib.h>\n#include <sys/wait.h>\n#include <unistd.h>\n\
         int main(void) {\n\
             int ready[2];\n\
             if (pipe(ready) != 0) return 1;\n\
             pid_t worker = fork();\n\
             if (worker == 0) { *(char *volatile *)malloc(16) = 0; (void)!write(ready[1], \"r\", 1); pause(); }\n\
             char byte;\n\
             (void)!read(ready[0], &byte, 1);\n\
             kill(worker, SIGTERM);\n\
             waitpid(worker, NULL, 0);\n\
             return 0;\n\
         }\n",
        &[],
    );
    let report = report(&record(&["--json", "--follow-children"], &killer, &[]));
    let worker = &report["processes"][0];
    assert_eq!(worker["report"]["outcome"], "crashed", "{worker}");
    assert_eq!(worker["report"]["signal"], "SIGTERM", "{worker}");
    let notes = worker["notes"].to_string();
    assert!(notes.contains("(it was killed): SIGTERM, as its parent saw"), "{worker}");
    assert!(findings_of(&worker["report"]).is_empty(), "what it held is no leak: {worker}");
    assert!(findings_of(&report).is_empty(), "a child killed on purpose is no finding: {report}");
}

/// A fork that allocates, then execs, is the program it runs: followed as
/// that program (no copy of the parent), or counted as started, never as a
/// forked copy.
#[test]
fn a_fork_that_allocates_then_execs_is_the_program_it_runs() {
    let forker = compile_c("exec_forker", &FORKER.replace("forker.c", "exec_forker.c"), &[]);
    let true_program = std::fs::canonicalize("/bin/true").expect("true");
    let args = ["exec", true_program.to_str().unwrap()];
    let report = report(&record(&["--json", "--follow-children"], &forker, &args));
    assert_eq!(report["tallies"]["processes_followed"], 1, "{report}");
    let followed = &report["processes"][0];
    assert_eq!(followed["report"]["scenario"], true_program.to_str().unwrap(), "{followed}");
    assert!(followed.get("forked_from").is_none(), "{followed}");
    assert!(findings_of(&followed["report"]).is_empty(), "the copy's block went with the exec: {followed}");

    let report = self::report(&record(&["--json"], &forker, &args));
    assert_eq!(report["tallies"]["processes_started_unrecorded"], 1, "{report}");
    assert!(report["tallies"].get("processes_forked_unrecorded").is_none(), "{report}");
}

/// Optimized Rust inlines the allocator's path into the caller: without
/// `--stack`, a block is still named by the program's own line among the
/// functions its call's return address is in, not by `alloc.rs`.
#[test]
fn an_optimized_rust_programs_blocks_are_named_by_its_own_lines_without_stacks() {
    let program = compile_rust(
        "inlined_alloc",
        "use std::hint::black_box;\n\
         #[inline(never)]\n\
         fn make_name() -> *mut u8 {\n\
             Box::into_raw(black_box(Box::new(7u8)))\n\
         }\n\
         fn main() {\n\
             let kept: Vec<u64> = black_box(vec![1; 5]);\n\
             std::mem::forget(kept);\n\
             black_box(make_name());\n\
         }\n",
    );
    let report = report(&record(&["--json"], &program, &[]));
    let mut leaks = leaks_of(&report);
    leaks.sort_unstable();
    assert_eq!(
        leaks,
        [("inlined_alloc::main (inlined_alloc.rs:7)", 40), ("inlined_alloc::make_name (inlined_alloc.rs:4)", 1)]
    );
    let message = |site: &str| {
        let anomalies = report["anomalies"].as_array().unwrap();
        let leak = anomalies.iter().find(|a| a["site"] == site).expect("the leak");
        leak["message"].as_str().unwrap().to_owned()
    };
    assert!(message("inlined_alloc::main (inlined_alloc.rs:7)").contains("`Vec::from_raw_parts`"), "{report}");
    assert!(message("inlined_alloc::make_name (inlined_alloc.rs:4)").contains("`Box::from_raw`"), "{report}");
}

/// Unoptimized, the allocation is made in the standard library's own
/// function: its leak says so, and how to name the program's line.
#[test]
fn a_leak_named_by_library_code_says_how_to_name_the_programs_line() {
    let program = compile_rust_with(
        "library_named",
        "fn main() {\n    let kept: Vec<u64> = std::hint::black_box(vec![1; 5]);\n    std::mem::forget(kept);\n}\n",
        &["-g"],
    );
    let hint = "1 leak(s) named by the library code the program called";
    let plain = record(&[], &program, &[]);
    let text = String::from_utf8_lossy(&plain.stderr);
    assert!(text.contains(hint) && text.contains("`--stack 16` (Call stacks) names the line behind each"), "{text}");
    let stacked = record(&["--stack", "16"], &program, &[]);
    let text = String::from_utf8_lossy(&stacked.stderr);
    assert!(text.contains("allocated by `library_named::main (library_named.rs:2)`"), "{text}");
    assert!(!text.contains(hint), "a stack names the program's own line: {text}");
}

/// A `CString` made for each call and dropped after it: each a temporary
/// allocation, all named by the standard library's code without a stack.
/// The report says how many allocations it names so, and how to name the
/// program's line; with a stack the temporaries are the line's.
#[test]
fn allocations_named_by_library_code_say_how_to_name_the_programs_line() {
    let program = compile_rust(
        "per_call",
        "use std::ffi::CString;\n\
         unsafe extern \"C\" { fn strlen(s: *const std::ffi::c_char) -> usize; }\n\
         fn length(name: &str) -> usize {\n\
             let c = CString::new(name).unwrap();\n\
             unsafe { strlen(c.as_ptr()) }\n\
         }\n\
         fn main() {\n\
             let names: Vec<String> = (0..1000).map(|i| format!(\"name {i}\")).collect();\n\
             let total: usize = names.iter().map(|n| length(n)).sum();\n\
             println!(\"{total}\");\n\
         }\n",
    );
    let plain = record(&[], &program, &[]);
    let text = String::from_utf8_lossy(&plain.stderr);
    let hint = "were made at sites named by the library code the program called or by an allocation wrapper";
    assert!(text.contains(hint) && text.contains("`--stack 16` (Call stacks) names the line behind each"), "{text}");
    let stacked = report(&record(&["--json", "--stack", "16"], &program, &[]));
    let temporary = &stacked["temporary"].as_array().unwrap().iter().find(|heap| heap["heap"] == "rust").unwrap();
    assert_eq!(temporary["sites"][0]["site"], "per_call::length (per_call.rs:4)", "{temporary}");
    assert_eq!(temporary["sites"][0]["temporary"], 1000, "{temporary}");
    assert!(!stacked["notes"].to_string().contains(hint), "a stack names the program's own lines: {stacked}");
}

/// A thread that ended is no root: glibc keeps its stack for the next
/// thread, and a pointer left there is stale. memcheck and `LeakSanitizer`
/// read live threads' stacks alone; so does the leak check. A thread still
/// running at exit is a root.
#[test]
fn a_block_only_an_ended_threads_stack_points_to_is_a_leak() {
    let program = compile_c(
        "ended_thread",
        "#include <pthread.h>\n#include <stdlib.h>\n#include <unistd.h>\n\
         static void *forgets(void *unused) {\n\
             (void)unused;\n\
             void *volatile kept = malloc(40);\n\
             (void)kept;\n\
             return NULL;\n\
         }\n\
         static void *holds(void *unused) {\n\
             (void)unused;\n\
             void *volatile held = malloc(56);\n\
             for (;;) { (void)held; pause(); }\n\
             return NULL;\n\
         }\n\
         int main(void) {\n\
             pthread_t ended, running;\n\
             pthread_create(&running, NULL, holds, NULL);\n\
             pthread_create(&ended, NULL, forgets, NULL);\n\
             pthread_join(ended, NULL);\n\
             usleep(100000);\n\
             return 0;\n\
         }\n",
        &["-pthread"],
    );
    let report = report(&record(&["--json"], &program, &[]));
    let leaks = leaks_of(&report);
    assert_eq!(leaks, [("forgets (ended_thread.c:6)", 40)], "the running thread's block is held: {report}");
}

/// A stripped C program names none of its functions: its `main`, a static
/// wrapper, and one reached through a pointer that ends in a jump to
/// `malloc`. With no Rust code in the process, every block is C's for
/// certain; "their heap uncertain" was said of all three (and of 41,218
/// blocks `sqlite3` made, 365,808 node's).
const STRIPPED_C: &str = r#"#include <stdlib.h>
#include <string.h>
__attribute__((noinline)) static char *copy(const char *text) {
    char *block = malloc(strlen(text) + 1);
    return block ? strcpy(block, text) : NULL;
}
__attribute__((noinline)) static void *grab(size_t size) { return malloc(size); }
static void *(*volatile allocate)(size_t) = grab;
char *kept;
int main(void) {
    free(copy("freed"));
    volatile char *lost = allocate(40);
    lost[0] = 1;
    lost = NULL;
    kept = copy("kept");
    return kept[0] == 'k' ? 0 : 1;
}
"#;

#[test]
fn a_stripped_c_programs_blocks_are_the_c_heaps_for_certain() {
    let program = compile_c("stripped_c", STRIPPED_C, &["-O2", "-s"]);
    let recorded = report(&record(&["--json"], &program, &[]));
    let leaks = leaks_of(&recorded);
    assert_eq!(leaks.len(), 1, "{recorded:#}");
    assert_eq!(leaks[0].1, 40, "{recorded:#}");
    assert!(leaks[0].0.starts_with("stripped_c+0x"), "no name of its own: {recorded:#}");
    assert_eq!(recorded["c_heap"]["allocations"], 3, "{recorded:#}");
    assert!(!recorded["notes"].to_string().contains("their heap uncertain"), "{recorded:#}");
}

/// A stripped Rust program's blocks reach `malloc` from code no name says
/// is the Rust allocator's: its heap stays uncertain, and no free is
/// called foreign.
#[test]
fn a_stripped_rust_programs_blocks_stay_of_an_uncertain_heap() {
    let program = compile_rust_with(
        "stripped_rust",
        "fn main() {\n\
             let words: Vec<String> = (0..100).map(|i| i.to_string()).collect();\n\
             std::mem::forget(std::hint::black_box(vec![1u8; 40]));\n\
             println!(\"{}\", words.len());\n\
         }\n",
        &["-O", "-C", "strip=symbols"],
    );
    let recorded = report(&record(&["--json"], &program, &[]));
    assert!(recorded["notes"].to_string().contains("their heap uncertain"), "{recorded:#}");
    assert!(!kinds(&recorded).iter().any(|kind| kind == "foreign_free"), "{recorded:#}");
    // Its leak says so too, where it said "on the C heap" alone.
    let leak = recorded["anomalies"].as_array().unwrap().iter().find(|a| a["kind"] == "leak" && a["bytes"] == 40);
    let message = leak.map(|leak| leak["message"].to_string()).unwrap_or_default();
    assert!(message.contains("Nothing said which allocator was called there"), "{recorded:#}");
}

/// A library installed from a package has no line information; the program
/// calling it, under development, has. What the library makes inside a call
/// (a handle's parts, nine calls deep) is named by the program's line that
/// made the call and the function it called, with a stack deep enough;
/// without one, or with one cut short inside the library, a note says so.
/// The library's own frame (`near level (libdeep.so+0x1139)`) told the
/// program's author nothing.
const DEEP_LIBRARY: &str = r#"#include <stdlib.h>
#include <string.h>
struct handle { char *parts[2]; };
__attribute__((noinline, optimize("O2"))) static void *get(size_t size) { return malloc(size); }
static void *(*volatile getter)(size_t) = get;
__attribute__((noinline)) static void *level(int depth) {
    void *block = depth ? level(depth - 1) : malloc(32);
    __asm__ volatile("" ::: "memory");
    return block;
}
struct handle *deep_open(void) {
    struct handle *handle = malloc(sizeof *handle);
    handle->parts[0] = level(8);
    handle->parts[1] = level(8);
    return handle;
}
char *deep_name(void) { return strdup("a name"); }
/* `get` is a jump to `malloc`, reached through a pointer, as zlib's
   `zcalloc` is through `zalloc`. */
char *deep_buffer(void) {
    char *buffer = getter(48);
    __asm__ volatile("" ::: "memory");
    return buffer;
}
"#;

const DEEP_PROGRAM: &str = r#"#include <stdio.h>
struct handle;
struct handle *deep_open(void);
char *deep_name(void), *deep_buffer(void);
int main(void) {
    struct handle *handle = deep_open();
    char *name = deep_name();
    char *buffer = deep_buffer();
    printf("%p %s %p\n", (void *)handle, name, (void *)buffer);
    handle = NULL;
    name = NULL;
    buffer = NULL;
    return 0;
}
"#;

#[test]
fn a_block_made_inside_a_library_without_lines_is_named_by_the_line_that_called_it() {
    let dir = scratch();
    let source = dir.join("deep.c");
    std::fs::write(&source, DEEP_LIBRARY).expect("written");
    let library = dir.join("libdeep.so");
    // As a package builds it: optimized, no line information.
    let status = Command::new("cc")
        .args(["-O0", "-shared", "-fPIC", "-o"])
        .arg(&library)
        .arg(&source)
        .status()
        .expect("cc runs");
    assert!(status.success(), "the library compiles");
    let linked = [format!("-L{}", dir.display()), "-ldeep".to_owned(), format!("-Wl,-rpath,{}", dir.display())];
    let linked: Vec<&str> = linked.iter().map(String::as_str).collect();
    let program = compile_c("deep_main", DEEP_PROGRAM, &linked);

    let deep = report(&record(&["--json", "--stack", "32"], &program, &[]));
    let mut leaks = leaks_of(&deep);
    leaks.sort_unstable();
    assert_eq!(
        leaks,
        [
            ("main (deep_main.c:6), in deep_open", 16),
            ("main (deep_main.c:6), in deep_open", 64),
            ("main (deep_main.c:7), in deep_name", 7),
            ("main (deep_main.c:8), in deep_buffer", 48),
        ],
        "{deep:#}"
    );
    // What the library made inside the call is released through the
    // library, as it says: no releaser is claimed for the caller.
    for leak in deep["anomalies"].as_array().unwrap() {
        assert!(leak["message"].as_str().unwrap().contains("nobody released"), "{leak}");
    }
    assert!(!deep["notes"].to_string().contains("without line information"), "{deep:#}");

    let made_at = deep["anomalies"].as_array().unwrap().iter().find(|leak| leak["bytes"] == 64).unwrap();
    assert!(made_at["message"].as_str().unwrap().contains("near level (libdeep.so+"), "where it was made: {made_at}");

    // Without a stack, `strdup`'s block is named by a short stack as ever;
    // the library's own by its frames.
    let plain = report(&record(&["--json"], &program, &[]));
    let mut leaks = leaks_of(&plain);
    leaks.sort_unstable();
    assert_eq!(leaks[0], ("main (deep_main.c:7), in deep_name", 7), "{plain:#}");
    assert!(leaks[1..].iter().all(|(site, _)| site.contains("(libdeep.so+0x")), "{plain:#}");
    let notes = plain["notes"].to_string();
    assert!(
        notes.contains("3 leak(s) named inside a library built without line information (`libdeep.so`)")
            && notes.contains("`--stack 32`"),
        "{plain:#}"
    );

    // Linked in from a static library: the call is straight to the function.
    let object = dir.join("deep.o");
    let archive = dir.join("libdeep_static.a");
    let status = Command::new("cc").args(["-O0", "-c", "-o"]).arg(&object).arg(&source).status().expect("cc runs");
    assert!(status.success(), "the library compiles");
    let status = Command::new("ar").arg("rcs").arg(&archive).arg(&object).status().expect("ar runs");
    assert!(status.success(), "the archive is made");
    let linked_in = compile_c("deep_static", DEEP_PROGRAM, &[archive.to_str().unwrap()]);
    let mut leaks = leaks_of(&report(&record(&["--json", "--stack", "32"], &linked_in, &[])))
        .into_iter()
        .map(|(site, _)| site.to_owned())
        .collect::<Vec<_>>();
    leaks.sort_unstable();
    leaks.dedup();
    assert_eq!(
        leaks,
        [
            "main (deep_static.c:6), in deep_open",
            "main (deep_static.c:7), in deep_name",
            "main (deep_static.c:8), in deep_buffer"
        ]
    );

    let short = report(&record(&["--json", "--stack", "4"], &program, &[]));
    assert!(
        short["notes"].to_string().contains(
            "1 leak(s) named inside a library built without line information (`libdeep.so`): their stacks end there"
        ),
        "the two parts, nine calls deep, one leak: {short:#}"
    );
}

/// inferno's SVG declares its document type.
const DOCTYPE_ALLOWED: roxmltree::ParsingOptions = roxmltree::ParsingOptions { allow_dtd: true, nodes_limit: u32::MAX };

const FLAME_PROGRAM: &str = r"
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static char *make(size_t size) {
    char *block = malloc(size);
    memset(block, 1, size);
    return block;
}
__attribute__((noinline)) static char *for_a(void) { return make(300); }
__attribute__((noinline)) static char *for_b(void) { return make(50); }
__attribute__((noinline)) static void lose(void) { for_b()[0] = 2; }

int main(void) {
    char *a = for_a();
    lose();
    free(a);
    char *after = make(100);
    free(after);
    return 0;
}
";

/// The stacks of a program that makes blocks of one function by two
/// paths: at the peak both paths held theirs, one of them leaked, and a
/// block made after the peak weighs nothing there.
#[test]
fn a_flame_graph_weighs_each_stack_by_what_it_held_at_the_peak_and_leaked() {
    let program = compile_c("flame", FLAME_PROGRAM, &["-O0"]);
    let dir = scratch();
    let (folded, svg, out) = (dir.join("flame.folded"), dir.join("flame.svg"), dir.join("flame.fsrec"));
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let args = ["--json", "--folded", &path(&folded), "--flamegraph", &path(&svg), "--out", &path(&out)];
    let recorded = record(&args, &program, &[]);
    assert_eq!(recorded.status.code(), Some(0), "{}", String::from_utf8_lossy(&recorded.stderr));

    let lines = std::fs::read_to_string(&folded).expect("the collapsed stacks are written");
    // Every block held at the peak is in some stack, the C library's too.
    let weight = |line: &str| line.rsplit_once(' ').map_or(0, |(_, weight)| weight.parse::<u64>().unwrap());
    let c_heap: u64 = lines.lines().filter(|line| line.starts_with("C heap;")).map(weight).sum();
    assert_eq!(c_heap, report(&recorded)["c_heap"]["peak_bytes"].as_u64().unwrap(), "{lines}");
    let own: Vec<&str> = lines.lines().filter(|line| line.contains("flame.c")).collect();
    let line = |caller: &str| -> Option<&str> { own.iter().copied().find(|l| l.contains(caller)) };
    let (a, b) = (line("for_a (flame.c:").unwrap(), line("for_b (flame.c:").unwrap());
    assert!(a.starts_with("C heap;main (flame.c:15);for_a (flame.c:10);make (flame.c:6) 300"), "{lines}");
    assert!(
        b.starts_with("C heap;main (flame.c:16);lose (flame.c:12);for_b (flame.c:11);make (flame.c:6) 50"),
        "{lines}"
    );
    assert!(own.iter().all(|l| !l.contains("(flame.c:18)")), "made after the peak: {lines}");
    assert!(own.iter().all(|l| !l.contains("_start")), "from the program's entry: {lines}");

    let text = std::fs::read_to_string(&svg).expect("the flame graph is written");
    let document = roxmltree::Document::parse_with_options(&text, DOCTYPE_ALLOWED).expect("an SVG document");
    let titles: Vec<&str> =
        document.descendants().filter(|n| n.has_tag_name("title")).filter_map(|n| n.text()).collect();
    assert!(titles.iter().any(|t| t.starts_with("for_a (flame.c:10) (300 bytes")), "{titles:?}");

    // The recording keeps its stacks: read back, the leaks alone.
    let folded_from_the_recording = |of: &str| {
        let folded = dir.join(format!("flame-{of}.folded"));
        let opened = Command::new(env!("CARGO_BIN_EXE_ffiscope"))
            .args(["open", &path(&out), "--flame-of", of, "--folded", &path(&folded)])
            .output()
            .expect("ffiscope runs");
        assert!(opened.status.success(), "{}", String::from_utf8_lossy(&opened.stderr));
        std::fs::read_to_string(&folded).expect("written from the recording")
    };
    let leaks = folded_from_the_recording("leaks");
    assert_eq!(leaks.trim(), "C heap;main (flame.c:16);lose (flame.c:12);for_b (flame.c:11);make (flame.c:6) 50");
    // The block made after the peak is freed before anything else is made:
    // a temporary allocation, counted where it was made.
    let temporary = folded_from_the_recording("temporary");
    assert_eq!(temporary.trim(), "C heap;main (flame.c:18);make (flame.c:6) 1");
    // Turned over, the function that made the block comes first.
    let turned = dir.join("flame-inverted.folded");
    let opened = Command::new(env!("CARGO_BIN_EXE_ffiscope"))
        .args(["open", &path(&out), "--flame-of", "leaks", "--flame-inverted", "--folded", &path(&turned)])
        .output()
        .expect("ffiscope runs");
    assert!(opened.status.success(), "{}", String::from_utf8_lossy(&opened.stderr));
    let turned = std::fs::read_to_string(&turned).expect("written");
    assert_eq!(turned.trim(), "C heap;make (flame.c:6);for_b (flame.c:11);lose (flame.c:12);main (flame.c:16) 50");

    // A folder that is not there is told before the program runs.
    let nowhere = dir.join("no such folder").join("flame.svg");
    let refused = record(&["--flamegraph", &path(&nowhere)], &program, &[]);
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.starts_with("error: cannot write ") && said.contains("there is no folder"), "{said}");
}

/// A stripped program names its frames by address alone, a different one
/// for each call in a function: a flame graph names each by the start of
/// the function it is in, as the file's unwinding table has it, so that
/// one function's two calls are one frame.
#[test]
fn a_stripped_programs_frames_are_one_per_function_in_a_flame_graph() {
    let program = compile_c(
        "flame_stripped",
        "#include <stdlib.h>\n\
         __attribute__((noinline)) static void *twice(int n) {\n\
             void *first = malloc(n);\n\
             void *second = malloc(2 * n);\n\
             free(first);\n\
             return second;\n\
         }\n\
         int main(void) { free(twice(10)); return 0; }\n",
        &["-O0", "-s"],
    );
    let folded = scratch().join("flame_stripped.folded");
    let recorded = record(&["--flame-of", "allocated", "--folded", folded.to_str().unwrap()], &program, &[]);
    assert_eq!(recorded.status.code(), Some(0), "{}", String::from_utf8_lossy(&recorded.stderr));
    let lines = std::fs::read_to_string(&folded).expect("written");
    let own: Vec<&str> = lines.lines().filter(|line| line.contains("flame_stripped+0x")).collect();
    assert_eq!(own.len(), 1, "both calls of `twice` in one frame: {lines}");
    let frames: Vec<&str> = own[0].trim_end_matches(" 30").split(';').collect();
    assert!(own[0].ends_with(" 30"), "10 B and 20 B: {lines}");
    assert_eq!(frames.len(), 3, "the heap, main and twice: {lines}");
    assert!(frames[1..].iter().all(|frame| frame.starts_with("function at flame_stripped+0x")), "{lines}");
    assert_ne!(frames[1], frames[2], "main and twice are two functions: {lines}");
}

/// A Rust thread's stack starts, for a flame graph, at the closure the
/// program spawned, not in the standard library's machinery that runs it
/// (`catch_unwind`, `call_once`, `__rust_begin_short_backtrace`); and the
/// standard library's calls under the program's own frame end at the first
/// of them (`push`), not in `grow_one`, `finish_grow` and the allocator.
#[test]
fn a_rust_threads_flame_graph_stacks_are_the_programs_own_frames_and_what_they_called() {
    let program = compile_rust(
        "flame_thread",
        "#[inline(never)]\n\
         fn fill(values: &mut Vec<u64>) { for i in 0..1000 { values.push(i); } }\n\
         fn main() {\n\
             let filled = std::thread::spawn(|| { let mut values = Vec::new(); fill(&mut values); values.len() });\n\
             println!(\"{}\", filled.join().unwrap());\n\
         }\n",
    );
    let folded = scratch().join("flame_thread.folded");
    let recorded = record(&["--flame-of", "allocated", "--folded", folded.to_str().unwrap()], &program, &[]);
    assert_eq!(recorded.status.code(), Some(0), "{}", String::from_utf8_lossy(&recorded.stderr));
    let lines = std::fs::read_to_string(&folded).expect("written");
    let filling: Vec<&str> = lines.lines().filter(|line| line.contains("fill (flame_thread.rs:2)")).collect();
    assert!(!filling.is_empty(), "{lines}");
    for line in filling {
        let frames: Vec<&str> = line.rsplit_once(' ').expect("a weight").0.split(';').collect();
        assert_eq!(frames[0], "Rust heap", "{line}");
        assert!(frames[1].contains("{closure") && frames[1].ends_with("(flame_thread.rs:4)"), "the closure: {line}");
        assert!(frames[2].ends_with("fill (flame_thread.rs:2)"), "{line}");
        assert!(frames.len() == 4 && frames[3].contains("push"), "ends at what fill called: {line}");
    }
}

/// A program with a `#[global_allocator]` of its own (a counter around
/// `System`) reaches `malloc` inside it for every block: with stacks, a
/// block is named by the line that allocated it, as with Rust's own
/// allocator, not by the allocator's `alloc`; its flame graph stacks end
/// there too.
#[test]
fn a_global_allocator_of_the_programs_own_does_not_name_its_blocks() {
    let program = compile_rust(
        "own_global_allocator",
        "use std::alloc::{GlobalAlloc, Layout, System};\n\
         use std::sync::atomic::{AtomicUsize, Ordering};\n\
         struct Counting(AtomicUsize);\n\
         unsafe impl GlobalAlloc for Counting {\n\
             unsafe fn alloc(&self, layout: Layout) -> *mut u8 { self.0.fetch_add(1, Ordering::Relaxed); unsafe { System.alloc(layout) } }\n\
             unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) { unsafe { System.dealloc(ptr, layout) } }\n\
         }\n\
         #[global_allocator]\n\
         static COUNTING: Counting = Counting(AtomicUsize::new(0));\n\
         #[inline(never)]\n\
         fn make() -> Vec<u8> { vec![7u8; 40_000] }\n\
         fn main() {\n\
             let kept = make();\n\
             println!(\"{} {}\", kept.len(), COUNTING.0.load(Ordering::Relaxed) > 0);\n\
         }\n",
    );
    let folded = scratch().join("own_global_allocator.folded");
    let recorded = record(&["--json", "--folded", folded.to_str().unwrap()], &program, &[]);
    assert_eq!(recorded.status.code(), Some(0), "{}", String::from_utf8_lossy(&recorded.stderr));
    let report = report(&recorded);
    let rust_peak =
        report["peaks"].as_array().unwrap().iter().find(|peak| peak["heap"] == "rust").expect("a Rust peak");
    let top = rust_peak["sites"][0]["site"].as_str().unwrap_or_default();
    assert!(top.ends_with("make (own_global_allocator.rs:11)"), "named by the line that allocated: {rust_peak}");
    let lines = std::fs::read_to_string(&folded).expect("written");
    let made = lines.lines().find(|line| line.contains("make (own_global_allocator.rs:11)")).expect("make's stack");
    assert!(!made.contains("own_global_allocator.rs:5"), "the allocator's own code is left out: {made}");
}

/// With `--follow-children`, each process followed gets a flame graph and
/// collapsed stacks of its own beside the program's (`peak.4242.folded`),
/// and its own recording file (`run.4242.fsrec`) keeps its stacks, so
/// `open` draws them again.
#[test]
fn each_followed_process_has_its_own_flame_graph_beside_the_programs() {
    let child = compile_c(
        "flame_child",
        "#include <stdlib.h>\n\
         __attribute__((noinline)) static void *make(size_t n) { return malloc(n); }\n\
         int main(void) { void *kept = make(300); (void)kept; free(make(20)); return 0; }\n",
        &["-O0"],
    );
    let dir = scratch().join("flame_child_files");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let (folded, out) = (path("peak.folded"), path("run.fsrec"));
    let script = format!("{} && true", child.display());
    let recorded =
        record(&["--json", "--follow-children", "--folded", &folded, "--out", &out], Path::new("sh"), &["-c", &script]);
    assert_eq!(recorded.status.code(), Some(0), "{}", String::from_utf8_lossy(&recorded.stderr));
    let report = report(&recorded);
    let pid = report["processes"][0]["pid"].as_i64().expect("the child followed");
    let childs = std::fs::read_to_string(dir.join(format!("peak.{pid}.folded"))).expect("the child's own stacks");
    assert_eq!(childs.trim(), "C heap;main (flame_child.c:3);make (flame_child.c:2) 320", "both blocks at its peak");
    let programs = std::fs::read_to_string(&folded).expect("the shell's");
    assert!(!programs.contains("flame_child.c"), "the shell's stacks are its own: {programs}");

    let leaks = path("leaks.folded");
    let opened = Command::new(env!("CARGO_BIN_EXE_ffiscope"))
        .args(["open", &path(&format!("run.{pid}.fsrec")), "--flame-of", "leaks", "--folded", &leaks])
        .output()
        .expect("ffiscope runs");
    assert!(opened.status.success(), "{}", String::from_utf8_lossy(&opened.stderr));
    let lost = std::fs::read_to_string(&leaks).expect("drawn from the child's file");
    assert_eq!(lost.trim(), "C heap;main (flame_child.c:3);make (flame_child.c:2) 300");
}
