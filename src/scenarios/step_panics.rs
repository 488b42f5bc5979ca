//! A panic inside a lesson's step is part of what the lesson teaches when
//! the lesson catches it at its boundary (`catch_unwind`): it is no error
//! for the terminal. While a step runs, the hook installed by
//! [`install_hook`] holds the panic's message back; if the step catches the
//! panic the message is dropped, and if the panic escapes the step, or is
//! about to abort the process ("cannot unwind"), it is printed as the
//! default hook prints it, so a crashed child still says why. The hook's
//! own bookkeeping is kept off the lesson's heap, so a lesson's
//! `catch_unwind` needs nothing around it.

use std::cell::RefCell;
use std::io::Write as _;
use std::panic::PanicHookInfo;
use std::sync::Once;

use crate::ffi::unrecorded;

thread_local! {
    /// Messages held back on this thread while a step runs; `None` outside one.
    static HELD: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Installs the hook, once per process, around whatever hook was there:
/// the runner does it before its first step.
pub fn install_hook() {
    static INSTALLED: Once = Once::new();
    // Installed from inside a step's scope too: the hook's box is not the lesson's.
    INSTALLED.call_once(|| unrecorded(install));
}

/// Wraps the hook there was: a step's panics are held, others go on to it.
fn install() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        unrecorded(|| {
            let holding = HELD.with(|held| held.borrow().is_some());
            if holding && !cannot_unwind(info) {
                let message = describe(info);
                HELD.with(|held| held.borrow_mut().as_mut().map(|messages| messages.push(message)));
                return;
            }
            release_held();
            default(info);
        });
    }));
}

/// Holds this thread's step panics back until dropped: dropped while
/// unwinding (the panic escaped the step), it prints them.
#[derive(Debug)]
pub struct StepPanics(());

impl StepPanics {
    pub fn hold() -> StepPanics {
        install_hook();
        unrecorded(|| HELD.with(|held| *held.borrow_mut() = Some(Vec::new())));
        StepPanics(())
    }
}

impl Drop for StepPanics {
    fn drop(&mut self) {
        unrecorded(|| {
            if std::thread::panicking() {
                release_held();
            }
            HELD.with(|held| *held.borrow_mut() = None);
        });
    }
}

/// Prints what was held back, as the default hook would have.
fn release_held() {
    let messages = HELD.with(|held| held.borrow_mut().as_mut().map(std::mem::take)).unwrap_or_default();
    let mut stderr = std::io::stderr().lock();
    for message in messages {
        let _ = writeln!(stderr, "{message}");
    }
}

/// The second panic Rust raises when a panic reaches an `extern "C"`
/// function: the process aborts right after the hook.
fn cannot_unwind(info: &PanicHookInfo<'_>) -> bool {
    payload(info).contains("cannot unwind")
}

fn payload<'a>(info: &'a PanicHookInfo<'_>) -> &'a str {
    match info.payload().downcast_ref::<&str>() {
        Some(text) => text,
        None => info.payload().downcast_ref::<String>().map_or("Box<dyn Any>", String::as_str),
    }
}

/// The default hook's first two lines: where, then what.
fn describe(info: &PanicHookInfo<'_>) -> String {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("<unnamed>");
    let location =
        info.location().map_or_else(String::new, |l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()));
    format!("thread '{name}' panicked{location}:\n{}", payload(info))
}
