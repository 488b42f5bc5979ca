//! Lesson leak-hunt, as a program: a request loop over C's handler, whose
//! leaky version forgets a body on one error path in ten.
//!
//! Variants: correct, leaky.

#![allow(unsafe_code, reason = "a lesson in calling C")]

#[path = "common/c_half.rs"]
mod c_half;

const REQUESTS: i32 = 100;

fn main() {
    let variant = c_half::variant(&["correct", "leaky"]);
    let leaky = i32::from(variant == "leaky");
    let mut statuses = [0_u32; 3];
    for id in 0..REQUESTS {
        // SAFETY: a plain call; C frees what it allocates (but for the leak).
        let status = unsafe { c_half::handle_request(id, leaky) };
        let log_line = format!("request {id}: {status}");
        drop(log_line);
        statuses[match status {
            200 => 0,
            400 => 1,
            _ => 2,
        }] += 1;
    }
    println!("{} × 200, {} × 400, {} other", statuses[0], statuses[1], statuses[2]);
}
