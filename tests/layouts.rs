//! The layout exhibits: the seed's published numbers, and every Rust mirror
//! against the C declaration it claims to equal, field by field. The only
//! numbers typed here are the seed's.

use ffiscope::layout::exhibits::{EXHIBITS, load_exhibits, mirror_pairs};
use ffiscope::layout::mirrors::{Flags, Repr, rust_mirrors};
use ffiscope::layout::{Layout, c_layouts, c_sample};

fn c(name: &str) -> Layout {
    c_layouts().into_iter().find(|l| l.name == name).unwrap_or_else(|| panic!("no C table {name}"))
}

fn rust(name: &str, repr: Repr) -> Layout {
    rust_mirrors().into_iter().find(|(n, r, _)| *n == name && *r == repr).map(|(_, _, l)| l).expect("a mirror")
}

fn offsets(layout: &Layout) -> Vec<u64> {
    layout.fields.iter().map(|f| f.offset).collect()
}

#[test]
fn the_seeds_numbers_hold_in_c_and_in_rust() {
    for example in [c("Example"), rust("Example", Repr::C)] {
        assert_eq!((example.size, example.align, offsets(&example)), (16, 8, vec![0, 8]));
        assert_eq!(example.padding_bytes(), 7);
    }
    for natural in [c("PackedData"), rust("PackedData", Repr::C)] {
        assert_eq!((natural.size, offsets(&natural)), (16, vec![0, 4, 8]));
    }
    for packed in [c("PackedData (packed)"), rust("PackedData", Repr::CPacked)] {
        assert_eq!((packed.size, offsets(&packed)), (13, vec![0, 1, 5]));
    }
}

#[test]
fn glibc_packs_epoll_event_and_the_obvious_mirror_gets_it_wrong() {
    let real = c("epoll_event");
    assert_eq!((real.size, real.field("data").map(|f| f.offset)), (12, Some(4)));
    let unpacked = rust("epoll_event", Repr::C);
    assert_eq!((unpacked.size, unpacked.field("data").map(|f| f.offset)), (16, Some(8)));
}

#[test]
fn rustc_reorders_a_repr_rust_struct_and_never_a_repr_c_one() {
    let c_order = c("Reorderable");
    let rust_order = rust("Reorderable", Repr::Rust);
    assert_eq!(offsets(&rust("Reorderable", Repr::C)), offsets(&c_order), "repr(C) keeps C's order");
    assert!(rust_order.size < c_order.size, "reordering saves padding: {} < {}", rust_order.size, c_order.size);
    assert_ne!(offsets(&rust_order), offsets(&c_order));
}

#[test]
fn bitfield_positions_come_from_the_compiled_code() {
    let flags = c("Flags");
    let bits: Vec<(Option<u64>, Option<u64>)> = ["ready", "priority", "retries"]
        .iter()
        .map(|name| flags.field(name).map(|f| (f.bit_offset, f.bit_width)).expect("a bitfield"))
        .collect();
    // Widths are as declared; positions follow one another after `kind`.
    assert_eq!(bits.iter().map(|b| b.1).collect::<Vec<_>>(), [Some(1), Some(3), Some(4)]);
    let starts: Vec<u64> = bits.iter().filter_map(|b| b.0).collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    assert!(starts[0] >= 8, "after the 1-byte kind");
}

#[test]
fn c_fills_samples_with_known_bytes() {
    let bytes = c_sample("PackedData (packed)").expect("a sample");
    assert_eq!(bytes.len(), 13);
    assert_eq!(bytes[0], 1);
    assert_eq!(u32::from_le_bytes(bytes[1..5].try_into().unwrap()), 0xDEAD_BEEF);
}

#[test]
fn every_exhibit_loads_all_its_columns() {
    let exhibits = load_exhibits();
    assert_eq!(exhibits.len(), EXHIBITS.len());
    for exhibit in &exhibits {
        assert_eq!(exhibit.columns.len(), exhibit.spec.columns.len(), "{}", exhibit.spec.name);
    }
}

/// Every mirror of `exhibit` equals, field by field, the C declaration it claims to.
fn mirrors_match_c(exhibit: &str) {
    let pairs: Vec<_> = mirror_pairs().into_iter().filter(|(name, ..)| *name == exhibit).collect();
    assert!(!pairs.is_empty(), "{exhibit} has a mirror");
    for (_, repr, rust, c) in pairs {
        let label = format!("{exhibit} {}", repr.attribute());
        assert_eq!((rust.size, rust.align), (c.size, c.align), "{label}: size and alignment");
        for field in &rust.fields {
            let name = field.name.trim_start_matches("r#");
            let c_field = c.field(name).unwrap_or_else(|| panic!("{label}: C has no {name}"));
            assert_eq!((field.offset, field.size), (c_field.offset, c_field.size), "{label}: {name}");
        }
    }
}

macro_rules! exhibit_tests {
    ($($test:ident: $exhibit:literal),* $(,)?) => {$(
        #[test]
        fn $test() {
            mirrors_match_c($exhibit);
        }
    )*};
}

exhibit_tests! {
    example_mirrors_match: "Example",
    packed_data_mirrors_match: "PackedData",
    over_aligned_mirror_matches: "OverAligned",
    nested_mirror_matches: "Nested",
    number_mirror_matches: "Number",
    message_header_mirror_matches: "Message",
    reorderable_mirror_matches: "Reorderable",
    epoll_event_mirrors_match: "epoll_event",
    sockaddr_in_mirror_matches: "sockaddr_in",
    timeval_mirror_matches: "timeval",
}

#[test]
fn every_exhibit_with_a_mirror_has_a_test() {
    let tested = [
        "Example",
        "PackedData",
        "OverAligned",
        "Nested",
        "Number",
        "Flags", // the_flags_mirror_reads_the_bits_where_c_put_them: its byte of bits has no C field
        "Message",
        "Reorderable",
        "epoll_event",
        "sockaddr_in",
        "timeval",
    ];
    let with_mirrors: Vec<&str> =
        EXHIBITS.iter().filter(|e| e.columns.iter().any(|c| c.mirrors.is_some())).map(|e| e.name).collect();
    assert_eq!(with_mirrors, tested);
}

#[test]
fn every_exhibit_shows_the_declaration_it_measured() {
    use ffiscope::layout::exhibits::Source;
    use ffiscope::layout::lab::Target;
    use ffiscope::layout::lab::report::analyze;
    let mut shown = 0;
    for exhibit in load_exhibits() {
        for column in &exhibit.columns {
            let Some(text) = &column.declaration else {
                assert!(
                    column.spec.declared.is_none(),
                    "{}: {} has no declaration",
                    exhibit.spec.name,
                    column.spec.title
                );
                continue;
            };
            match column.spec.source {
                // Laid out again from the text shown, it gives the compiler's numbers.
                Source::C(_) => {
                    let report =
                        analyze("exhibit.h", &format!("#include <stdint.h>\n{text}\n"), &[Target::X86_64Linux], false);
                    let layout = report.layouts(Target::X86_64Linux).pop().expect("the shown text declares a type");
                    let offsets = |l: &Layout| l.fields.iter().map(|f| f.offset).collect::<Vec<_>>();
                    assert_eq!(
                        (layout.size, layout.align, offsets(&layout)),
                        (column.layout.size, column.layout.align, offsets(&column.layout)),
                        "{}: {text}",
                        column.spec.title
                    );
                }
                Source::Rust(repr) => {
                    assert!(text.contains(repr.attribute()) || repr == Repr::Rust, "{}: {text}", column.spec.title);
                    assert!(text.contains("pub struct") || text.contains("pub union"), "{text}");
                }
            }
            shown += 1;
        }
    }
    assert!(shown >= 20, "{shown} declarations shown");
}

#[test]
fn the_union_and_sockaddr_in_have_bytes_in_network_order_where_it_applies() {
    let address = c_sample("sockaddr_in").expect("C fills a sockaddr_in");
    assert_eq!(&address[2..8], [0x1f, 0x90, 0x7f, 0x00, 0x00, 0x01], "port 8080 and 127.0.0.1, big-endian");
    let number = c_sample("Number").expect("C fills the union");
    assert_eq!(&number[..4], 1.5_f32.to_le_bytes(), "as_f32 written; as_u32 reads the same bytes");
}

/// How the Flags mirror reads one bitfield.
type Accessor = fn(&Flags) -> u8;

#[test]
fn the_flags_mirror_reads_the_bits_where_c_put_them() {
    let flags = c("Flags");
    let mirror = rust("Flags", Repr::CAlign4);
    assert_eq!((mirror.size, mirror.align), (flags.size, flags.align), "the storage unit's size and alignment");
    let offset = |name: &str| mirror.field(name).map(|f| f.offset as usize).expect("a mirror field");
    // Each shift and mask reads exactly the bits C's compiled code gave the field:
    // all of them set reads the field's largest value, all the others set reads 0.
    let byte = offset("bits") as u64 * 8;
    let ready = |f: &Flags| u8::from(f.ready());
    let accessors: [(&str, Accessor); 3] =
        [("ready", ready), ("priority", Flags::priority), ("retries", Flags::retries)];
    for (name, read) in accessors {
        let (at, width) = flags.field(name).and_then(|f| Some((f.bit_offset?, f.bit_width?))).expect("a bitfield");
        let mask = u8::try_from(((1_u64 << width) - 1) << (at - byte)).expect("within the byte");
        let with = |bits: u8| read(&Flags { kind: 0, bits, code: 0 });
        assert_eq!((with(mask), with(!mask)), (u8::try_from((1_u64 << width) - 1).unwrap(), 0), "{name}");
    }
    // And the bytes C wrote read back through the mirror.
    let bytes = c_sample("Flags").expect("C fills a struct flags");
    let code = offset("code");
    let read = Flags {
        kind: bytes[offset("kind")],
        bits: bytes[offset("bits")],
        code: u16::from_ne_bytes([bytes[code], bytes[code + 1]]),
    };
    assert_eq!((read.kind, read.ready(), read.priority(), read.retries(), read.code), (2, true, 5, 9, 0x0BAD));
}
