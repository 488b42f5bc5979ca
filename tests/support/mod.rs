//! Harnesses that tests and benches share (`#[path]`-included by benches).
//! Each test crate compiles its own copy and uses only some of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use ffiscope::app::FfiscopeApp;

/// The whole app at 1280×900 on the Scenarios tab, `leak-hunt/leaky`
/// stepped to its verdict as a learner would: one click of Step at a time.
pub fn finished_leak_hunt() -> Harness<'static, FfiscopeApp> {
    finished_leak_hunt_at(egui::vec2(1280.0, 900.0))
}

/// As [`finished_leak_hunt`], in a window of `size`.
pub fn finished_leak_hunt_at(size: egui::Vec2) -> Harness<'static, FfiscopeApp> {
    let mut harness = Harness::builder().with_size(size).build_eframe(|cc| FfiscopeApp::new(cc));
    harness.run();
    harness.get_by_label("Scenarios").click();
    harness.run();
    harness.get_by_label("Hunting a leak in a request loop").click();
    harness.run();
    harness.get_by_label("leaky").click();
    harness.run();
    while !harness.state().scenarios().run().is_over() {
        harness.get_by_label("Step").click();
        harness.run();
    }
    harness.get_by_label_contains("Verdict");
    harness
}

/// A file dropped onto the window, as the windowing integration hands it over.
#[derive(Debug)]
pub struct OnDisk(pub std::path::PathBuf);

impl egui::DroppedFile for OnDisk {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Drops `path` onto the window and lets frames pass until it is open and laid out.
pub fn open_dropped(harness: &mut Harness<'static, FfiscopeApp>, path: &std::path::Path) {
    harness.input_mut().dropped_files.push(std::sync::Arc::new(OnDisk(path.to_path_buf())));
    let deadline = Instant::now() + Duration::from_secs(20);
    while harness.state().lab().source_name() != path.display().to_string() || harness.state().lab().is_laying_out() {
        assert!(Instant::now() < deadline, "the dropped header was never laid out");
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run();
}

/// C that defines `malloc`, `free`, `calloc` and `realloc` over an arena
/// of its own, as a program with jemalloc linked in does: a program's
/// `main` goes after it. The loader finds these before ffiscope's.
pub const OWN_MALLOC: &str = r"
#include <stddef.h>
#include <string.h>
static _Alignas(16) unsigned char arena[1 << 20];
static size_t used;
void *malloc(size_t size) {
    size = (size + 15) & ~(size_t)15;
    if (size > sizeof arena - used) return NULL;
    used += size;
    return arena + used - size;
}
void free(void *ptr) { (void)ptr; }
void *calloc(size_t count, size_t size) {
    void *ptr = count && size > (size_t)-1 / count ? NULL : malloc(count * size);
    return ptr ? memset(ptr, 0, count * size) : NULL;
}
void *realloc(void *ptr, size_t size) {
    void *moved = malloc(size);
    if (moved && ptr) memcpy(moved, ptr, size); /* the arena's bytes are all readable */
    return moved;
}
";
