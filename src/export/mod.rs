//! What leaves the app: a run's timeline (CSV, Chrome trace events), its
//! report (Markdown, JSON), a step as a slide and the Tracker's plots (SVG,
//! PNG), layouts (SVG, PNG, pahole-style text), a recording's flame graph,
//! and the lessons' handout. Exports are
//! pure functions of the model; [`save_whole`] writes them so that a failed
//! write never leaves a half-written file behind as if it were complete.

pub mod flame;
mod folder_dialog;
pub mod handout;
mod markdown;
mod png;
mod slide;
mod svg;
mod timeline;

use std::path::Path;

pub use folder_dialog::{FolderDialog, Picked};
pub use markdown::report_markdown;
pub use png::svg_to_png;
pub use slide::{Slide, plots_svg, slide_svg};
pub use svg::layouts_svg;
pub use timeline::{chrome_trace, timeline_csv};

/// Writes beside `path` and renames over it: all or nothing.
pub fn save_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })
}

#[cfg(test)]
mod tests {
    use super::save_whole;

    #[test]
    fn a_save_replaces_the_file_whole_and_leaves_nothing_beside_it() {
        let dir = std::env::temp_dir().join(format!("ffiscope-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.csv");
        save_whole(&path, b"first").unwrap();
        save_whole(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no .partial left behind");
        let missing = dir.join("no-such-dir").join("x.csv");
        assert!(save_whole(&missing, b"x").is_err(), "a write error is reported, not swallowed");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
