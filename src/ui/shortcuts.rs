//! Keyboard shortcuts: one table, read once per frame, and shown by the
//! cheat sheet (`?`). Nothing fires while a text field has the focus, so
//! typing C in Struct Lab never steps a scenario.

use egui::{Context, Key, Modifiers, RichText};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    Step,
    Back,
    RunOrPause,
    Reset,
    /// Show tab `n` (0-based).
    Tab(usize),
    Present,
    CheatSheet,
}

impl Shortcut {
    /// One of the Scenarios tab's stepping keys.
    pub fn is_scenarios(self) -> bool {
        matches!(self, Shortcut::Step | Shortcut::Back | Shortcut::RunOrPause | Shortcut::Reset)
    }
}

/// Keys and what they do, as the cheat sheet lists them.
pub const TABLE: &[(&str, &str)] = &[
    ("Space", "Scenarios: run the next step"),
    ("B", "Scenarios: back one step"),
    ("R", "Scenarios: run to the end, or pause"),
    ("Esc", "Scenarios: reset the run"),
    ("1 - 6", "Tracker, Scenarios, Layouts, Struct Lab, Quiz, Record"),
    ("F5", "presentation mode on or off"),
    ("Ctrl + / Ctrl -", "zoom in, zoom out"),
    ("?", "this list"),
];

/// The shortcuts pressed this frame.
pub fn pressed(ctx: &Context) -> Vec<Shortcut> {
    if ctx.text_edit_focused() {
        return Vec::new();
    }
    ctx.input_mut(|input| {
        let mut found = Vec::new();
        let mut take = |key: Key, shortcut: Shortcut| {
            if input.consume_key(Modifiers::NONE, key) {
                found.push(shortcut);
            }
        };
        take(Key::Space, Shortcut::Step);
        take(Key::B, Shortcut::Back);
        take(Key::R, Shortcut::RunOrPause);
        take(Key::Escape, Shortcut::Reset);
        take(Key::F5, Shortcut::Present);
        for (index, key) in [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5, Key::Num6].into_iter().enumerate() {
            take(key, Shortcut::Tab(index));
        }
        // `?` arrives as text (Shift+/ on most layouts).
        if input.events.iter().any(|e| matches!(e, egui::Event::Text(t) if t == "?")) {
            found.push(Shortcut::CheatSheet);
        }
        found
    })
}

/// The cheat sheet window, while `open`.
pub fn cheat_sheet_ui(ctx: &Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts").open(open).collapsible(false).resizable(false).show(ctx, |ui| {
        egui::Grid::new("shortcut-table").striped(true).show(ui, |ui| {
            for (keys, what) in TABLE {
                ui.label(RichText::new(*keys).monospace().strong());
                ui.label(*what);
                ui.end_row();
            }
        });
    });
}
