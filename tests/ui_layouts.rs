//! Drives the Layouts tab headless: `PackedData`'s offsets in each column,
//! a member's tooltip with the reason for its padding, and Copy as text.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use ffiscope::app::FfiscopeApp;

fn harness() -> Harness<'static, FfiscopeApp> {
    let mut harness = Harness::builder().with_size(egui::vec2(1600.0, 1000.0)).build_eframe(|cc| FfiscopeApp::new(cc));
    harness.run();
    harness.get_by_label("Layouts").click();
    harness.run();
    harness.get_by_label("PackedData").click();
    harness.run();
    harness
}

#[test]
fn packed_data_shows_natural_and_packed_offsets_in_their_columns() {
    let harness = harness();
    // Natural C and Rust repr(C): value at 4, timestamp at 8.
    assert_eq!(harness.query_all_by_label("value: offset 4, size 4").count(), 1, "C natural");
    assert_eq!(harness.query_all_by_label("value: offset 4, size 4 (matches C)").count(), 1, "Rust repr(C)");
    // Packed C and Rust repr(C, packed): value at 1, timestamp at 5.
    assert_eq!(harness.query_all_by_label("value: offset 1, size 4").count(), 1, "C packed");
    assert_eq!(harness.query_all_by_label("timestamp: offset 5, size 8 (matches C)").count(), 1, "Rust packed");
    // Packed: C and Rust. Natural: C, Rust repr(C), and rustc's own order.
    assert_eq!(harness.query_all_by_label("size 13 · align 1 · padding 0 B (0%)").count(), 2);
    assert_eq!(harness.query_all_by_label("size 16 · align 8 · padding 3 B (19%)").count(), 3);
    // Flagged in both packed columns, C's and Rust's, and nowhere else.
    assert_eq!(harness.query_all_by_label("Misaligned: `value` at 1 (wants 4), `timestamp` at 5 (wants 8)").count(), 2);
    assert_eq!(harness.query_all_by_label_contains("Misaligned").count(), 2);
}

#[test]
fn hovering_a_member_explains_its_padding() {
    let mut harness = harness();
    harness.get_by_label("value: offset 4, size 4").hover();
    harness.run();
    harness.get_by_label_contains("padding before it: 3 bytes so that `value` (align 4) starts at 4");
}

#[test]
fn copy_as_text_gives_the_pahole_listing() {
    let mut harness = harness();
    harness.get_all_by_label("Copy as text").next().expect("a button per column").click();
    harness.run();
    harness.get_by_label_contains("Copied as text: C natural");
    harness.get_by_label_contains("/* XXX 3 bytes hole, try to pack */");
    harness.get_by_label_contains("/* size: 16, cachelines: 1, members: 3 */");
}

#[test]
fn the_wrong_epoll_mirror_reads_garbage_beside_the_real_bytes() {
    let mut harness = harness();
    harness.get_by_label("epoll_event").click();
    harness.run();
    harness.get_by_label("data: offset 8, size 8 (C: offset 4, size 8)");
    harness.get_by_label("data: offset 4, size 8 (matches C)");
    // C wrote 0x0102030405060708 into data at offset 4 of 12 bytes: the packed
    // mirror reads it back; the unpacked one looks at bytes 8..16, past the end.
    // The value appears as C wrote it (glibc's column and beside both mirrors)
    // and as the packed mirror reads it: 4 times. The unpacked mirror never reads it.
    assert_eq!(harness.query_all_by_label("0x102030405060708").count(), 4);
    assert_eq!(harness.query_all_by_label("past the end").count(), 1);
}

#[test]
fn the_type_table_compares_c_and_rust() {
    let mut harness = harness();
    harness.get_by_label("C, Rust and Go types").click();
    harness.run();
    harness.get_by_label("c_long");
    harness.get_by_label("C.longlong");
    assert!(harness.query_all_by_label("match").count() >= 17);
    harness.get_by_label("no Rust type");
}

#[test]
fn each_column_shows_the_declaration_that_was_measured() {
    let harness = harness();
    harness.get_by_label_contains("#pragma pack(push, 1)\nstruct packed_data_packed {");
    harness.get_by_label_contains("#[repr(C, packed)]\npub struct PackedDataPacked {");
    harness.get_by_label_contains("/// rustc is free to reorder these.\npub struct PackedDataRust {");
}

#[test]
fn sockaddr_in_shows_its_port_in_network_byte_order() {
    let mut harness = harness();
    harness.get_by_label("sockaddr_in").click();
    harness.run();
    // 8080 is 0x1f90; stored big-endian, read little-endian it is 0x901f.
    assert!(harness.query_all_by_label("0x901f").count() >= 1);
}
