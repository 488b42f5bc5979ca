//! The C declaration parser never panics and never hangs, whatever the text,
//! and every error it reports carries a line and a column inside the text.
//! CI runs the property tests with `PROPTEST_CASES=100000`.

use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::parser::parse;
use ffiscope::layout::lab::report::analyze;
use proptest::prelude::*;

const SAMPLE: &str = "#include <stdint.h>\n\
#pragma pack(push, 2)\n\
struct header { uint8_t kind; uint32_t length __attribute__((aligned(4))); } __attribute__((packed));\n\
#pragma pack(pop)\n\
typedef struct { char a; int b : 4; unsigned : 0; long long c[2][3]; void (*done)(int); } record_t;\n\
union value { int i; double d; struct { short lo, hi; } parts; };\n\
enum color { RED, GREEN = 5, BLUE };\n\
struct message { uint32_t n; _Alignas(8) char tag; char data[]; };\n";

fn check_positions(text: &str) {
    let parsed = parse(text);
    let lines = text.lines().count().max(1) + 1;
    for error in &parsed.errors {
        assert!(error.line >= 1 && error.line <= lines, "line {} of {lines}: {error:?}", error.line);
        assert!(error.column >= 1, "{error:?}");
        assert!(!error.message.is_empty());
        let _ = error.render(text);
    }
    // Laying out whatever was read must not panic either.
    let _ = analyze("fuzz.h", text, &Target::ALL, false);
}

/// The sample with `edits` characters inserted, deleted or replaced.
fn mutated(edits: Vec<(usize, u8, char)>) -> String {
    let mut chars: Vec<char> = SAMPLE.chars().collect();
    for (at, action, c) in edits {
        let at = at % (chars.len() + 1);
        match action % 3 {
            0 => chars.insert(at, c),
            1 if at < chars.len() => {
                chars.remove(at);
            }
            _ if at < chars.len() => chars[at] = c,
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\\\PC{0,400}") {
        check_positions(&text);
    }

    #[test]
    fn c_like_text_never_panics(text in "[a-z_ {}();:,*\\\\[\\\\]0-9#\\n/]{0,300}") {
        check_positions(&text);
    }

    #[test]
    fn mutated_headers_never_panic(edits in proptest::collection::vec((0usize..2000, 0u8..3, proptest::char::any()), 0..12)) {
        check_positions(&mutated(edits));
    }
}

#[test]
fn the_sample_parses_cleanly_and_lays_out_everywhere() {
    let report = analyze("sample.h", SAMPLE, &Target::ALL, false);
    assert_eq!(report.errors, [], "{:?}", report.errors);
    for result in &report.results {
        let names: Vec<&str> = result.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["struct header", "record_t", "union value", "struct message"], "{:?}", result.target);
    }
}

#[test]
fn an_error_names_its_line_and_column_and_the_rest_is_still_laid_out() {
    let text =
        "struct good { int a; };\nstruct bad { int a; mystery_t b; };\nstruct also_good { char c; double d; };\n";
    let report = analyze("mixed.h", text, &[Target::X86_64Linux], false);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let error = &report.errors[0];
    assert_eq!((error.line, error.column), (2, 21));
    assert!(error.message.contains("unknown type `mystery_t`"), "{}", error.message);
    assert_eq!(
        error.render(text),
        "2:21: unknown type `mystery_t`\n  struct bad { int a; mystery_t b; };\n                      ^"
    );
    let names: Vec<&str> = report.results[0].types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["struct good", "struct also_good"]);
}

#[test]
fn an_unknown_type_from_a_standard_header_says_which_to_include() {
    let report = analyze("log.h", "struct log { FILE *out; int level; };\n", &[Target::X86_64Linux], false);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(
        report.errors[0].message,
        "unknown type `FILE`: it is declared in <stdio.h>; add `#include <stdio.h>` above"
    );
}

#[test]
fn deep_nesting_is_refused_not_recursed_into() {
    let depth = 10_000;
    let text = "struct a { ".repeat(depth) + &"int x; } m;".repeat(depth);
    let parsed = parse(&text);
    assert!(parsed.errors.iter().any(|e| e.message.contains("nested more than")), "{:?}", parsed.errors.first());
}

#[test]
fn the_seed_and_the_issue_examples_lay_out_as_published() {
    let text = "#include <stdint.h>\nstruct Example { char a; int64_t b; };\n#pragma pack(1)\nstruct PackedData { uint8_t flag; uint32_t value; uint64_t timestamp; };\n#pragma pack()\nstruct ms { char a; int b : 4; char c; };\nstruct stat_like { long st_size; };\n";
    let sizes =
        |target| analyze("x.h", text, &[target], false).results[0].types.iter().map(|t| t.size).collect::<Vec<_>>();
    assert_eq!(sizes(Target::X86_64Linux), [16, 13, 4, 8]);
    assert_eq!(sizes(Target::I686Linux), [12, 13, 4, 4], "int64_t aligns to 4 in i386 structs; long is 4");
    assert_eq!(sizes(Target::X86_64Windows), [16, 13, 12, 4], "Microsoft bitfields; LLP64 long");
}

/// The lab's own reader sets a typedef's alignment as GCC does, lower too,
/// and refuses the attributes only the compilers read, saying how to have
/// them read it.
#[test]
fn typed_text_sets_a_typedef_s_alignment_as_gcc_does() {
    let text = "typedef int low __attribute__((aligned(2)));\n\
        typedef struct { int a; double d; } rec;\n\
        typedef rec lowrec __attribute__((aligned(4)));\n\
        typedef low highagain __attribute__((aligned(8)));\n\
        struct s { char c; low x; };\n\
        struct r { char c; lowrec x; };\n\
        struct h { char c; highagain x; };\n";
    let report = analyze("aligned.h", text, &[Target::X86_64Linux, Target::X86_64Windows], false);
    assert_eq!(report.errors, []);
    let size_align = |target: usize, name: &str| {
        report.results[target].types.iter().find(|t| t.name == name).map(|t| (t.size, t.align))
    };
    assert_eq!(size_align(0, "struct s"), Some((6, 2)));
    assert_eq!(size_align(0, "struct r"), Some((20, 4)));
    assert_eq!(size_align(0, "struct h"), Some((16, 8)));
    // Microsoft's layout places a type at its own alignment still.
    assert_eq!(size_align(1, "struct s"), Some((8, 4)));
    let vector = analyze("v.h", "typedef float v4 __attribute__((vector_size(16)));\n", &[Target::X86_64Linux], false);
    assert_eq!(vector.errors.len(), 1);
    assert!(
        vector.errors[0].message.starts_with("`vector_size` is read only through the compilers"),
        "{:?}",
        vector.errors
    );
}

/// The lab's own reader computes C's integer constant expressions, in an
/// array's length, a bitfield's width and an enumerator's value, with the
/// enumerators above: flag enums are written `1 << n`. The host's compiler
/// checks every number.
#[test]
fn constant_expressions_are_computed_as_c_computes_them() {
    let text = "enum flags { F_A = 1 << 0, F_B = 1 << 1, F_AB = F_A | F_B, F_NEG = -(F_AB + 1) };\n\
        enum wide { W = 1ULL << 40 };\n\
        struct s {\n\
            char a[4 << 2];\n\
            char b[(1 + 2) * 3 % 5];\n\
            char c[F_AB == 3 ? 2 : 7];\n\
            unsigned d : 1 << 2;\n\
            enum wide w;\n\
            char e[(16 >> 2) ^ 1];\n\
            char f[!0 + (2 > 1) + (1 && 0) + (0 || 3) + (~0 & 4)];\n\
            enum flags g;\n\
        };\n";
    let report = analyze("flags.h", text, &[Target::X86_64Linux], true);
    assert_eq!(report.errors, [], "{:?}", report.errors);
    let result = &report.results[0];
    let s = result.types.iter().find(|t| t.name == "struct s").expect("struct s");
    let sizes: Vec<u64> = s.fields.iter().map(|f| f.size).collect();
    assert_eq!(sizes, [16, 4, 2, 1, 8, 5, 7, 4], "{:?}", s.fields);
    assert!(result.verified_by.is_some(), "the host's compiler checks it: {:?}", result.verification_error);
    assert!(!report.has_mismatch(), "{:?}", s.verified);
}

#[test]
fn a_constant_that_c_refuses_is_an_error_at_its_place() {
    let error = |member: &str| {
        let parsed = parse(&format!("struct t {{ {member} }};"));
        let error = parsed.errors.first().unwrap_or_else(|| panic!("{member} is refused"));
        (error.column, error.message.clone())
    };
    assert_eq!(error("char a[1 << 64];"), (21, "a shift by 64 bits: a 64-bit integer shifts by 0 to 63".into()));
    assert_eq!(error("char a[2 - 3];"), (19, "-1 is negative here".into()));
    assert_eq!(error("char a[4 % 0];"), (21, "division by zero".into()));
    assert_eq!(error("char a[UNDEFINED];"), (19, "`UNDEFINED` is not a constant defined above".into()));
    assert!(error("char a[sizeof(int)];").1.contains("read only through the compilers"));
    let deep = format!("char a[{}1{}];", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(error(&deep).1, "constant expression nested too deeply");
    let unary = format!("char a[{}1];", "-".repeat(100_000));
    assert_eq!(error(&unary).1, "constant expression nested too deeply");
}

/// A header's functions, objects and static assertions declare no type:
/// the lab's own reader passes over them (a function's body too), keeps a
/// struct their specifiers define, and still says what is wrong with a
/// declaration it cannot read.
#[test]
fn prototypes_bodies_and_assertions_are_passed_over() {
    let text = "struct s { int a; };\n\
        int do_thing(struct s *p, int n);\n\
        struct s *make(void);\n\
        extern int global_count;\n\
        static inline int twice(int x) { if (x) { return x * 2; } return 0; }\n\
        _Static_assert(sizeof(int) == 4, \"int; is 4\");\n\
        static struct kept { char c; } instance;\n\
        enum letters { A = 'a', NL = '\\n' };\n\
        struct after { enum letters l; };\n";
    let report = analyze("header.h", text, &[Target::X86_64Linux], false);
    assert_eq!(report.errors, [], "{:?}", report.errors);
    let names: Vec<&str> = report.results[0].types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["struct s", "struct kept", "struct after"]);
    let functions: Vec<(String, bool)> = parse(text).functions.into_iter().map(|f| (f.name, f.internal)).collect();
    let expected = [("do_thing", false), ("make", false), ("twice", true)];
    assert_eq!(functions, expected.map(|(name, internal)| (name.to_owned(), internal)), "the prototypes are kept");
    let typo = parse("strcut s { int a; };\nstruct t { int b; };\n");
    assert_eq!(typo.errors.len(), 1, "{:?}", typo.errors);
    assert_eq!((typo.errors[0].line, typo.errors[0].message.as_str()), (1, "unknown type `strcut`"));
}

/// Anonymous members are listed as the blocks they are, nested, each with
/// its offset and size, as pahole lists them, and a member of an unnamed
/// record type is written `struct {…}`.
#[test]
fn anonymous_members_are_listed_nested() {
    let text = "struct sqe { char op; union { long off; struct { int cmd; int pad; }; }; \
                struct { char x; } named; union { char b[3]; short s; }; };\n";
    let report = analyze("sqe.h", text, &[Target::X86_64Linux], false);
    assert_eq!(report.errors, [], "{:?}", report.errors);
    let sqe = &report.results[0].types[0];
    let blocks: Vec<(u64, u64, usize, usize, usize)> =
        sqe.anonymous.iter().map(|a| (a.offset, a.size, a.first_field, a.fields, a.depth)).collect();
    assert_eq!(blocks, [(8, 8, 1, 3, 0), (8, 8, 2, 2, 1), (18, 4, 5, 2, 0)]);
    let listing = sqe.listing();
    let lines: Vec<&str> = listing.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let shape: Vec<&str> = lines.iter().map(|l| l.split("/*").next().unwrap_or("").trim()).collect();
    assert_eq!(
        shape,
        [
            "struct sqe {",
            "char op;",
            "",
            "union {",
            "long off;",
            "struct {",
            "int cmd;",
            "int pad;",
            "};",
            "};",
            "struct {…} named;",
            "",
            "union {",
            "char b[3];",
            "short s;",
            "};",
            "",
            "",
            "",
            "",
            "};"
        ],
        "{listing}"
    );
}
