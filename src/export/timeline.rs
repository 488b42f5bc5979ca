//! The allocation timeline: a CSV row per event, and Chrome trace events
//! (for Perfetto or `chrome://tracing`) with one span per allocation, from its
//! allocation to its free, and the live bytes of each heap as counters.

use std::fmt::Write as _;

use rustc_hash::FxHashMap;
use serde_json::{Value, json};

use crate::ffi::{Domain, Event, EventKind, Site};

fn site(site: Option<Site>) -> &'static str {
    site.map_or("", Site::name)
}

fn kind_label(kind: EventKind) -> String {
    match kind {
        EventKind::Alloc => "alloc".into(),
        EventKind::Free => "free".into(),
        EventKind::Realloc => "realloc".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// One row per event: `seq,time_ns,heap,kind,address,size,site,related_site`.
pub fn timeline_csv(events: &[Event]) -> String {
    let mut out = String::from("seq,time_ns,heap,kind,address,size,site,related_site\n");
    for e in events {
        let quoted = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
        let _ = writeln!(
            out,
            "{},{},{},{},{:#x},{},{},{}",
            e.seq,
            e.time_ns,
            e.domain.label(),
            kind_label(e.kind),
            e.address,
            e.size,
            quoted(site(e.site)),
            quoted(site(e.related_site)),
        );
    }
    out
}

/// Chrome trace-event JSON: one complete ("X") event per allocation, counters
/// ("C") of live bytes per heap, and an instant ("i") per anomaly.
pub fn chrome_trace(events: &[Event]) -> String {
    let origin = events.first().map_or(0, |e| e.time_ns);
    let end = events.last().map_or(0, |e| e.time_ns);
    let micros = |ns: u64| (ns.saturating_sub(origin)) as f64 / 1000.0;
    let mut trace: Vec<Value> = Vec::new();
    let mut open: FxHashMap<u64, &Event> = FxHashMap::default();
    let mut live = [0u64; 2];
    let span = |start: &Event, until: u64, freed_by: Option<&str>| {
        json!({
            "name": site(start.site),
            "cat": format!("{} heap", start.domain.label()),
            "ph": "X",
            "ts": micros(start.time_ns),
            "dur": micros(until) - micros(start.time_ns),
            "pid": 1,
            "tid": start.thread,
            "args": {"address": format!("{:#x}", start.address), "size": start.size, "freed_by": freed_by, "leaked": freed_by.is_none()},
        })
    };
    for event in events {
        let heap = event.domain.index();
        match event.kind {
            EventKind::Alloc => {
                open.insert(event.address, event);
                live[heap] += event.size;
            }
            EventKind::Free => {
                if let Some(start) = open.remove(&event.address) {
                    trace.push(span(start, event.time_ns, Some(site(event.site))));
                }
                live[heap] = live[heap].saturating_sub(event.size);
            }
            EventKind::Realloc => {
                if let Some(start) = open.remove(&event.related_address) {
                    trace.push(span(start, event.time_ns, Some(site(event.site))));
                }
                open.insert(event.address, event);
                live[heap] = live[heap].saturating_sub(event.related_size) + event.size;
            }
            anomaly => trace.push(json!({
                "name": kind_label(anomaly),
                "ph": "i",
                "s": "g",
                "ts": micros(event.time_ns),
                "pid": 1,
                "tid": event.thread,
                "args": {"site": site(event.site), "address": format!("{:#x}", event.address)},
            })),
        }
        if !event.kind.is_anomaly() {
            let domain = if heap == Domain::C.index() { Domain::C } else { Domain::Rust };
            trace.push(json!({
                "name": format!("{} live bytes", domain.label()),
                "ph": "C",
                "ts": micros(event.time_ns),
                "pid": 1,
                "args": {"bytes": live[heap]},
            }));
        }
    }
    // Still live at the end: spans to the last event, marked as leaked.
    let mut leaked: Vec<&Event> = open.into_values().collect();
    leaked.sort_by_key(|e| e.seq);
    trace.extend(leaked.into_iter().map(|start| span(start, end, None)));
    serde_json::to_string_pretty(&json!({"traceEvents": trace, "displayTimeUnit": "ns"})).unwrap_or_default()
}
