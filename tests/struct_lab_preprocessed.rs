//! The reader of preprocessed C, on random text and on a real header's
//! preprocessed text with random edits: it never panics or hangs, and every
//! error it gives has a line and a column (in the text, or in the file its
//! message names).

use std::sync::OnceLock;

use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::gnu_c::read_preprocessed;
use ffiscope::layout::lab::header::{HeaderInput, HeaderOptions, preprocess};
use proptest::prelude::*;

/// A real header, preprocessed once: zlib.h if it is installed, else a
/// hand-written stand-in with line markers.
fn preprocessed() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let input = HeaderInput::Text { text: "#include <zlib.h>\n", directory: None };
        preprocess(Target::X86_64Linux, input, &HeaderOptions::default()).map_or_else(
            |_| {
                "# 1 \"<stdin>\"\n# 1 \"z.h\" 1\ntypedef unsigned int uInt;\nstruct s { uInt a[4 * sizeof(int)]; char *p; };\n\
                 # 2 \"<stdin>\" 2\nenum e { A = 1 << 3, B };\nstruct t { struct s x; int y : 3; } __attribute__((packed));\n"
                    .to_owned()
            },
            |p| p.text,
        )
    })
}

fn check(text: &str) {
    let read = read_preprocessed(text, Target::X86_64Linux, "<stdin>");
    for error in &read.declarations.errors {
        let placed = error.line > 0 && error.column > 0;
        let names_its_file = error.line == 0 && placed_in_message(&error.message);
        assert!(placed || names_its_file, "{error:?}");
    }
}

/// Whether `message` says `…:LINE:COLUMN: …` (a file name may hold colons too).
fn placed_in_message(message: &str) -> bool {
    message.match_indices(':').any(|(at, _)| {
        let mut parts = message[at + 1..].splitn(3, ':');
        let number = |part: Option<&str>| part.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        number(parts.next()) && number(parts.next()) && parts.next().is_some_and(|rest| rest.starts_with(' '))
    })
}

fn mutated(edits: Vec<(usize, u8, char)>) -> String {
    let mut text: Vec<char> = preprocessed().chars().collect();
    for (at, kind, c) in edits {
        if text.is_empty() {
            break;
        }
        let at = at % text.len();
        match kind {
            0 => {
                text.remove(at);
            }
            1 => text.insert(at, c),
            _ => text[at] = c,
        }
    }
    text.into_iter().collect()
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn c_like_text_never_panics(text in "[a-z_ {}();:,*\\[\\]0-9#\"\\n]{0,300}") {
        check(&text);
    }

}

/// Each case reads a whole preprocessed header: a few hundred of them, run
/// here rather than by `proptest!`, which would take `PROPTEST_CASES` (CI's
/// 100,000) for these too.
#[test]
fn an_edited_real_header_never_panics() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config { cases: 400, ..Config::default() });
    let edits = proptest::collection::vec((0usize..1_000_000, 0u8..3, proptest::char::any()), 1..8);
    let outcome = runner.run(&edits, |edits| {
        check(&mutated(edits));
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

#[test]
fn the_unedited_header_reads_cleanly() {
    let read = read_preprocessed(preprocessed(), Target::X86_64Linux, "<stdin>");
    assert_eq!(read.declarations.errors, [], "{:?}", read.declarations.errors);
    assert!(
        read.declarations.records.iter().any(ffiscope::layout::lab::parser::RecordDef::defined),
        "it declares records"
    );
}

/// Inputs that once overflowed the stack inside the C reader, read on a
/// thread with a worker's 2 MiB stack: each is an error placed in the text.
#[test]
fn text_too_deep_to_read_is_an_error_on_any_thread() {
    let n = 100_000;
    let cases = [
        ("dimensions", format!("struct s {{ int x{}; }};\n", "[2]".repeat(n))),
        ("brackets", format!("struct s {{ int x[{}1{}]; }};\n", "(".repeat(n), ")".repeat(n))),
        ("records", format!("struct s {{ {} int x; {} }};\n", "struct { ".repeat(n), "} y;".repeat(n))),
        ("operators", format!("struct s {{ int x[{}1]; }};\n", "-".repeat(n))),
        ("conditionals", format!("struct s {{ int x[{}1{}]; }};\n", "1?".repeat(n), ":1".repeat(n))),
    ];
    for (what, text) in cases {
        let text = format!("# 1 \"deep.h\"\n{text}");
        let read = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || read_preprocessed(&text, Target::X86_64Linux, "deep.h"))
            .expect("a thread")
            .join()
            .unwrap_or_else(|_| panic!("{what}: the reader panicked"));
        let errors = &read.declarations.errors;
        assert_eq!(errors.len(), 1, "{what}: {errors:?}");
        assert!(errors[0].line == 1 && errors[0].column > 1, "{what}: placed in the text: {errors:?}");
        assert!(errors[0].message.contains("too deep to read"), "{what}: {errors:?}");
    }
}
