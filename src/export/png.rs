//! Layout grids as PNG, rendered on the CPU from the very SVG the SVG export
//! writes, so both look the same. The fonts are egui's own, bundled with the
//! program, so the picture does not depend on the fonts a machine has.

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg;

/// Renders `svg` to PNG bytes at its own size.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>, String> {
    let mut options = usvg::Options::default();
    let fonts = options.fontdb_mut();
    fonts.load_font_data(epaint_default_fonts::UBUNTU_LIGHT.to_vec());
    fonts.load_font_data(epaint_default_fonts::HACK_REGULAR.to_vec());
    fonts.set_sans_serif_family("Ubuntu");
    fonts.set_monospace_family("Hack");
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| format!("the SVG does not parse: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = Pixmap::new(size.width(), size.height()).ok_or("the picture has no size")?;
    resvg::render(&tree, Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| format!("PNG encoding failed: {e}"))
}
