//! Verification can fail: a model number that is wrong is caught and the
//! compiler's own value reported, for sizes, offsets and bitfield positions
//! (the last read from the compiler's DWARF).

use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::report::analyze;
use ffiscope::layout::lab::verify::{find_compiler, verify};

const HEADER: &str = "struct flags { char kind; unsigned ready : 1; unsigned level : 3; short code; };\n";

fn host_layout() -> Option<(ffiscope::layout::lab::verify::Compiler, ffiscope::layout::Layout)> {
    let compiler = find_compiler(Target::X86_64Linux)?;
    let report = analyze("flags.h", HEADER, &[Target::X86_64Linux], false);
    Some((compiler, report.layouts(Target::X86_64Linux).remove(0)))
}

#[test]
fn the_true_model_is_verified() {
    let Some((compiler, layout)) = host_layout() else { return };
    let verified = verify(&compiler, HEADER, &[layout]).expect("the compiler answers");
    assert!(verified.ok, "{:?}", verified.mismatches);
}

#[test]
fn a_wrong_size_is_caught_with_the_compilers_value() {
    let Some((compiler, mut layout)) = host_layout() else { return };
    let truth = layout.size;
    layout.size += 4;
    let verified = verify(&compiler, HEADER, &[layout]).expect("the compiler answers");
    assert!(!verified.ok);
    let size = verified.mismatches.iter().find(|m| m.what == "size").expect("a size mismatch");
    assert_eq!((size.model, size.compiler), (truth + 4, truth));
}

#[test]
fn a_wrong_bit_offset_is_caught_from_the_debug_information() {
    let Some((compiler, mut layout)) = host_layout() else { return };
    let level = layout.fields.iter_mut().find(|f| f.name == "level").expect("level");
    let truth = level.bit_offset.expect("a bitfield");
    level.bit_offset = Some(truth + 2);
    let verified = verify(&compiler, HEADER, &[layout]).expect("the compiler answers");
    let wrong = verified.mismatches.iter().find(|m| m.what == "bit offset of level").expect("caught");
    assert_eq!((wrong.model, wrong.compiler), (truth + 2, truth));
}

#[test]
fn a_type_the_compiler_rejects_leaves_only_itself_unverified() {
    let Some((compiler, layout)) = host_layout() else { return };
    let mut stranger = layout.clone();
    stranger.name = "struct nowhere".into();
    let verified = verify(&compiler, HEADER, &[layout.clone(), stranger]).expect("the compiler answers");
    assert!(verified.ok, "{:?}", verified.mismatches);
    assert_eq!(verified.unanswered.len(), 1, "{:?}", verified.unanswered);
    let rejected = &verified.unanswered[0];
    assert_eq!(rejected.type_name, "struct nowhere");
    assert!(rejected.why.contains("incomplete"), "the compiler's reason is kept: {}", rejected.why);

    // The type it did answer for is still checked, bitfields and all.
    let mut wrong = layout;
    wrong.fields.iter_mut().find(|f| f.name == "level").expect("level").bit_width = Some(5);
    let mut stranger = wrong.clone();
    stranger.name = "struct nowhere".into();
    let verified = verify(&compiler, HEADER, &[wrong, stranger]).expect("the compiler answers");
    assert!(verified.mismatches.iter().any(|m| m.type_name == "struct flags" && m.what == "bit width of level"));
}

#[test]
fn a_type_the_model_cannot_lay_out_does_not_stop_the_others_being_verified() {
    if find_compiler(Target::X86_64Linux).is_none() {
        return;
    }
    let text = "struct good { char c; double d; };\nstruct bad { struct missing m; };\n";
    let report = analyze("mixed.h", text, &[Target::X86_64Linux], true);
    assert!(report.errors.iter().any(|e| e.line == 2), "{:?}", report.errors);
    let result = &report.results[0];
    let good = result.types.iter().find(|t| t.name == "struct good").expect("laid out");
    assert!(good.verified.as_ref().is_some_and(|v| v.ok), "{result:?}");
}

/// A declaration the target's compiler refuses (`__int128` on a 32-bit
/// target) is not checked by what the compiler put in its place: the type
/// is unverified, with the compiler's error, and a type beside it is still
/// verified.
#[test]
fn a_type_the_compiler_refuses_is_unverified_not_a_mismatch() {
    if find_compiler(Target::I686Linux).is_none() {
        assert!(std::env::var_os("FFISCOPE_REQUIRE_COMPILERS").is_none(), "i686's compiler is required");
        return;
    }
    let text = "struct wide { __int128 big; char c; };\nstruct plain { char c; double d; };\n";
    let report = analyze("wide.h", text, &[Target::I686Linux, Target::X86_64Linux], true);
    assert_eq!(report.errors, [], "{:?}", report.errors);
    for result in &report.results {
        let ty = |name: &str| result.types.iter().find(|t| t.name == name).expect("laid out");
        assert!(ty("struct plain").verified.as_ref().is_some_and(|v| v.ok), "{result:?}");
        let wide = ty("struct wide");
        if result.target == Target::I686Linux {
            assert!(wide.verified.is_none(), "{wide:?}");
            let why = wide.unverified.as_deref().unwrap_or_default();
            assert!(why.contains("refused the declarations") && why.contains("not supported on this target"), "{why}");
            assert!(why.contains("<stdin>:1:"), "the line of the text itself: {why}");
        } else {
            assert!(wide.verified.as_ref().is_some_and(|v| v.ok), "{wide:?}");
        }
    }
}

/// A constant's value read wrong is caught; one the compiler cannot
/// evaluate is unanswered; the rest are confirmed. The macros taken out
/// of the text are put back for the probe, after the compiler's own.
#[test]
fn a_constants_wrong_value_is_caught_and_an_unknown_one_unanswered() {
    use ffiscope::layout::lab::macro_values::MacroBodies;
    use ffiscope::layout::lab::verify::verify_constants;
    let Some(compiler) = find_compiler(Target::X86_64Linux) else { return };
    let text = "enum e { A = 3, NL = '\\n' };\n";
    let bodies = [("B", "(A + 1)"), ("HUGE", "0xFFFFFFFFFFFFFFFFull"), ("__x86_64__", "2")];
    let macros = MacroBodies { bodies: bodies.iter().map(|(n, b)| ((*n).to_owned(), (*b).to_owned())).collect() };
    let asked = [("A", 3), ("NL", 10), ("B", 5), ("HUGE", i128::from(u64::MAX)), ("__x86_64__", 1), ("MISSING", 1)];
    let asked: Vec<(String, i128)> = asked.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect();
    let verified = verify_constants(&compiler, text, &macros, &asked).expect("the compiler answers");
    assert_eq!(verified.asked, 6);
    assert_eq!(verified.disagree, ["B"], "B is 4: {verified:?}");
    assert_eq!(verified.unanswered, ["MISSING"]);
    assert!(verified.confirms("A") && verified.confirms("HUGE") && verified.confirms("__x86_64__"));
}

/// clang, for the Windows target, says a failed assertion its own way.
#[test]
fn clang_says_which_constant_it_disagrees_with_too() {
    use ffiscope::layout::lab::macro_values::MacroBodies;
    use ffiscope::layout::lab::verify::verify_constants;
    let Some(compiler) = find_compiler(Target::X86_64Windows) else { return };
    let asked: Vec<(String, i128)> = vec![("A".to_owned(), 3), ("B".to_owned(), 7)];
    let verified = verify_constants(&compiler, "enum e { A = 3, B };\n", &MacroBodies::default(), &asked)
        .expect("the compiler answers");
    assert_eq!((verified.disagree, verified.unanswered), (vec!["B".to_owned()], Vec::<String>::new()));
}
