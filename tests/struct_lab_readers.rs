//! Struct Lab has two C readers: its own, for typed text, and one for what a
//! preprocessor made of a header. The same declarations must read the same
//! through either: each record's name, and each member's name, type as a
//! listing writes it (and Mirror Check's messages quote it) and bit width.

use ffiscope::layout::lab::Target;
use ffiscope::layout::lab::generate::declarations;
use ffiscope::layout::lab::gnu_c::read_preprocessed;
use ffiscope::layout::lab::parser::{Declarations, parse};

/// What the preprocessor would bring from `<stdint.h>` and `<stddef.h>`,
/// which the lab's own reader knows without them.
const STANDARD_TYPES: &str = "typedef signed char int8_t; typedef unsigned char uint8_t;\n\
    typedef short int16_t; typedef unsigned short uint16_t; typedef int int32_t;\n\
    typedef unsigned int uint32_t; typedef long int64_t; typedef unsigned long uint64_t;\n\
    typedef unsigned long size_t;\n";

/// Each defined record as (name, whether it is reported, members as (name,
/// type, bit width)).
type Read = Vec<(String, bool, Vec<(Option<String>, String, Option<u64>)>)>;

/// In name order: the readers file a record declared inside another
/// before or after it.
fn records(declarations: &Declarations) -> Read {
    let mut read: Read = declarations
        .records
        .iter()
        .filter(|r| r.defined() && !r.name.starts_with('('))
        .map(|r| {
            let members = r.members.iter().map(|m| (m.name.clone(), m.ty_text.clone(), m.bit_width)).collect();
            (r.name.clone(), r.reported, members)
        })
        .collect();
    read.sort_by(|a, b| a.0.cmp(&b.0));
    read
}

fn both(text: &str) -> (Read, Read) {
    let own = parse(text);
    assert_eq!(own.errors, [], "the lab's reader: {text}");
    let preprocessed = read_preprocessed(&format!("{STANDARD_TYPES}{text}"), Target::X86_64Linux, "<stdin>");
    assert_eq!(preprocessed.declarations.errors, [], "the preprocessed reader: {text}");
    (records(&own), records(&preprocessed.declarations))
}

#[test]
fn both_readers_write_each_member_alike() {
    let text = "typedef struct { int type; long serial; } XKeyEvent;\n\
                union event { int type; XKeyEvent xkey; XKeyEvent *last; XKeyEvent **all; };\n\
                struct image { int width; struct funcs { int (*destroy)(void *); } f; };\n\
                struct args { int argc; char **argv; const char *names[3]; void (*done)(int); };\n";
    let (own, preprocessed) = both(text);
    assert_eq!(own, preprocessed);
    let event = &own.iter().find(|(name, ..)| name == "union event").expect("read").2;
    let types: Vec<&str> = event.iter().map(|(_, ty, _)| ty.as_str()).collect();
    assert_eq!(types, ["int", "XKeyEvent", "XKeyEvent *", "XKeyEvent **"]);
}

/// A member of a typedef's type is written by the typedef's name, as the
/// header writes it: an array typedef is not an array of arrays, and a
/// function pointer's or an integer's typedef keeps its name; the kind of
/// integer it stands for is still known.
#[test]
fn both_readers_write_a_typedef_by_its_name() {
    let text = "typedef int arr_t[4];\ntypedef void (*handler_t)(int);\ntypedef unsigned int u32;\n\
                typedef u32 id32;\nstruct k { arr_t a; arr_t pair[2]; handler_t on; u32 n; id32 id; u32 *p; };\n";
    let (own, preprocessed) = both(text);
    assert_eq!(own, preprocessed);
    let k = &own.iter().find(|(name, ..)| name == "struct k").expect("read").2;
    let types: Vec<&str> = k.iter().map(|(_, ty, _)| ty.as_str()).collect();
    assert_eq!(types, ["arr_t", "arr_t[2]", "handler_t", "u32", "id32", "u32 *"]);
    let unsigned: Vec<bool> = parse(text).records[0].members.iter().map(|m| m.unsigned).collect();
    assert_eq!(unsigned[3..5], [true, true], "u32 and id32 are unsigned through their typedefs");
}

/// GCC's 128-bit integers and C's complex types are written as C writes
/// them by both readers (never by the names the preprocessed reader gives
/// them inside), and a static assertion among the members is passed over.
#[test]
fn both_readers_write_gccs_wide_and_complex_types_alike() {
    let text = "struct wide { __int128 big; unsigned __int128 ubig; double _Complex c; float _Complex f;\n\
                _Static_assert(sizeof(int) == 4, \"int; is 4\"); long double _Complex l; };\n";
    let (own, preprocessed) = both(text);
    assert_eq!(own, preprocessed);
    let types: Vec<&str> = own[0].2.iter().map(|(_, ty, _)| ty.as_str()).collect();
    assert_eq!(types, ["__int128", "unsigned __int128", "_Complex double", "_Complex float", "_Complex long double"]);
    let unsigned: Vec<bool> = parse(text).records[0].members.iter().map(|m| m.unsigned).collect();
    assert_eq!(unsigned[..2], [false, true]);
}

#[test]
fn both_readers_read_generated_declarations_alike() {
    for seed in 0..5 {
        let text = declarations(0x5eed_0000 + seed, 200);
        let (own, preprocessed) = both(&text);
        assert_eq!(own.len(), preprocessed.len(), "seed {seed}");
        for (mine, theirs) in own.iter().zip(&preprocessed) {
            assert_eq!(mine, theirs, "seed {seed}");
        }
    }
}
