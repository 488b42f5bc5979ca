//! Lesson alignment, as a program: C fills a packed 13-byte struct; a Rust
//! mirror must say `#[repr(C, packed)]` to read it. The wrong mirrors are
//! 16 bytes and read 3 bytes past C's block.
//!
//! Variants: correct, unpacked-mirror, rust-layout-mirror. Record with
//! `--guard` to see the read past the end where it happens.

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

#[repr(C, packed)]
#[derive(Debug, Clone, Copy)]
struct PackedMirror {
    flag: u8,
    value: u32,
    timestamp: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct NaturalMirror {
    flag: u8,
    value: u32,
    timestamp: u64,
}

#[derive(Debug, Clone, Copy)]
struct RustMirror {
    flag: u8,
    value: u32,
    timestamp: u64,
}

fn main() {
    let variant = c_half::variant(&["correct", "unpacked-mirror", "rust-layout-mirror"]);
    // SAFETY: NULL or a filled 13-byte packed_data, ours until packed_data_free.
    let data = unsafe { c_half::packed_data_new() };
    if data.is_null() {
        return;
    }
    // SAFETY: the packed mirror is exactly C's 13 bytes; the others are
    // 16 and read past the block: that is the lesson.
    let (flag, value, timestamp) = unsafe {
        match variant {
            "unpacked-mirror" => {
                let m = data.cast::<NaturalMirror>().read_unaligned();
                (m.flag, m.value, m.timestamp)
            }
            "rust-layout-mirror" => {
                let m = data.cast::<RustMirror>().read_unaligned();
                (m.flag, m.value, m.timestamp)
            }
            _ => {
                let m = data.cast::<PackedMirror>().read_unaligned();
                (m.flag, m.value, m.timestamp)
            }
        }
    };
    println!("the mirror read: flag {flag}, value {value:#x}, timestamp {timestamp}");
    // SAFETY: ours, freed once.
    unsafe { c_half::packed_data_free(data) };
}
