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
