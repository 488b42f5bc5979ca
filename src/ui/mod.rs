//! Views: one panel per file, plus the widgets they share. Views read the
//! model and return commands; they never call C.

pub mod allocation_plot;
pub mod anomaly_list;
pub mod flame_graph;
pub mod format;
pub mod heap_counts;
pub mod layout_grid;
pub mod layouts_panel;
pub mod mirror_check_panel;
pub mod outstanding_table;
pub mod peak_list;
pub mod plan_panel;
pub mod quiz_panel;
pub mod record_panel;
pub mod run_all_view;
pub mod scenarios_panel;
pub mod shortcuts;
pub mod site_table;
pub mod struct_lab_panel;
pub mod table_view;
pub mod tracker_panel;

use egui::Color32;

use crate::ffi::Domain;

/// One colour per heap, used by every view so C and Rust are recognisable at a glance.
pub fn heap_color(domain: Domain) -> Color32 {
    match domain {
        Domain::C => Color32::from_rgb(0x3b, 0x9c, 0xe0),
        Domain::Rust => Color32::from_rgb(0xe0, 0x7b, 0x39),
    }
}

pub const ANOMALY_COLOR: Color32 = Color32::from_rgb(0xe0, 0x3b, 0x4b);

/// What matches, agrees or ended clean.
pub const MATCH_COLOR: Color32 = Color32::from_rgb(0x4c, 0xaf, 0x50);
