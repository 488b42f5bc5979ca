//! Exports of a real run and of real layouts: the CSV has a row per event,
//! the Chrome trace parses and has one span per allocation, the Markdown
//! carries the verdict, and the SVG parses and names every member.

use ffiscope::export::{chrome_trace, layouts_svg, report_markdown, timeline_csv};
use ffiscope::ffi::EventKind;
use ffiscope::layout::exhibits::load_exhibits;
use ffiscope::scenarios::run_source::RunSource as _;
use ffiscope::scenarios::runner::Runner;
use ffiscope::scenarios::{RunOptions, find};

fn leaky_run() -> Runner {
    let scenario = find("leak-hunt").expect("leak-hunt");
    let mut runner = Runner::new(scenario.as_ref(), "leaky", RunOptions::default());
    while runner.step().is_some() {}
    runner
}

#[test]
fn the_csv_has_one_row_per_event() {
    let runner = leaky_run();
    let csv = timeline_csv(runner.events());
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("seq,time_ns,heap,kind,address,size,site,related_site"));
    assert_eq!(lines.count(), runner.events().len());
    assert!(runner.events().len() > 500, "a hundred requests make many events");
    assert!(csv.contains(",C,alloc,") && csv.contains("\"read_body\""), "{}", &csv[..300]);
}

#[test]
fn the_chrome_trace_parses_and_has_one_span_per_allocation() {
    let runner = leaky_run();
    let trace: serde_json::Value = serde_json::from_str(&chrome_trace(runner.events())).expect("valid JSON");
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    let spans: Vec<&serde_json::Value> = events.iter().filter(|e| e["ph"] == "X").collect();
    let allocations =
        runner.events().iter().filter(|e| matches!(e.kind, EventKind::Alloc | EventKind::Realloc)).count();
    assert_eq!(spans.len(), allocations);
    let leaked = spans.iter().filter(|s| s["args"]["leaked"] == true).count();
    assert_eq!(leaked, 10, "the ten bodies the leaky path forgets");
    assert!(spans.iter().all(|s| s["dur"].as_f64().is_some_and(|d| d >= 0.0)));
    assert!(events.iter().any(|e| e["ph"] == "C" && e["name"] == "C live bytes"));
}

#[test]
fn the_markdown_report_carries_the_verdict() {
    let markdown = report_markdown(&leaky_run().report());
    assert!(markdown.starts_with("# leak-hunt / leaky\n"), "{markdown}");
    assert!(markdown.contains("| C | 200 | 190 | 10 | 640 |"), "{markdown}");
    assert!(markdown.contains("- **leak** (`read_body`, step 1): Leaked 10 blocks, 640 B"), "{markdown}");
}

#[test]
fn the_svg_parses_and_names_every_member() {
    let exhibits = load_exhibits();
    for exhibit in &exhibits {
        let columns: Vec<(&str, &ffiscope::layout::Layout)> =
            exhibit.columns.iter().map(|c| (c.spec.title, &c.layout)).collect();
        let svg = layouts_svg(&columns, 8);
        let document = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{}: {e}", exhibit.spec.name));
        let texts: Vec<&str> =
            document.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect();
        for column in &exhibit.columns {
            assert!(texts.contains(&column.spec.title), "{}: title {}", exhibit.spec.name, column.spec.title);
            for field in &column.layout.fields {
                let name = field.name.trim_start_matches("r#");
                let listed = format!("{name}: ");
                assert!(
                    texts.iter().any(|t| t.starts_with(&listed)),
                    "{}: {} names {name}",
                    exhibit.spec.name,
                    column.spec.title
                );
            }
        }
    }
}

#[test]
fn the_png_is_the_svg_rendered_on_the_cpu() {
    let exhibits = load_exhibits();
    let packed = exhibits.iter().find(|e| e.spec.name == "PackedData").expect("PackedData");
    let columns: Vec<(&str, &ffiscope::layout::Layout)> =
        packed.columns.iter().map(|c| (c.spec.title, &c.layout)).collect();
    let svg = layouts_svg(&columns, 8);
    let document = roxmltree::Document::parse(&svg).expect("SVG");
    let root = document.root_element();
    let (width, height): (f64, f64) =
        (root.attribute("width").unwrap().parse().unwrap(), root.attribute("height").unwrap().parse().unwrap());
    let png = ffiscope::export::svg_to_png(&svg).expect("renders");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let decoded = resvg::tiny_skia::Pixmap::decode_png(&png).expect("decodes");
    assert_eq!((f64::from(decoded.width()), f64::from(decoded.height())), (width.ceil(), height.ceil()));
    // Not blank: the member spans are drawn in their colours.
    let distinct: std::collections::HashSet<[u8; 4]> =
        decoded.pixels().iter().map(|p| [p.red(), p.green(), p.blue(), p.alpha()]).collect();
    assert!(distinct.len() > 20, "{} colours", distinct.len());
}
