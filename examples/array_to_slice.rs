//! Lesson array-to-slice, as a program: C returns a dynamic array; Rust
//! views it as a slice, copies it, and gives it back to `free_array`.
//!
//! Variants: correct, slice-after-free (record with `--guard` to see the
//! read of the freed array), never-freed.

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

const LEN: usize = 8;

fn main() {
    let variant = c_half::variant(&["correct", "slice-after-free", "never-freed"]);
    // SAFETY: NULL or LEN squares, ours until free_array.
    let values = unsafe { c_half::create_array(LEN) };
    if values.is_null() {
        return;
    }
    // SAFETY: LEN live values.
    let slice: &[i32] = unsafe { std::slice::from_raw_parts(values, LEN) };
    let copy: Vec<i32> = slice.to_vec(); // Rust's own copy
    println!("copied {copy:?}");
    match variant {
        "never-freed" => {} // free_array is never called
        "slice-after-free" => {
            // SAFETY: ours, freed once...
            unsafe { c_half::free_array(values) };
            // SAFETY: none: ...and read again after the free.
            let stale: &[i32] = unsafe { std::slice::from_raw_parts(values, LEN) };
            println!("read after the free: {:?}", stale.to_vec());
        }
        _ => {
            // SAFETY: ours, freed once.
            unsafe { c_half::free_array(values) };
        }
    }
    let sum: i32 = copy.iter().sum();
    println!("sum of the copy: {sum}");
}
