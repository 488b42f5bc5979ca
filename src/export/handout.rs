//! The handout: every lesson, variant and step as Markdown, with the code
//! each step shows and what a real run of it did. Made from reports, so a
//! handout says exactly what the app shows.

use std::fmt::Write as _;

use crate::report::Report;
use crate::scenarios::Scenario;

/// One lesson's page: each variant's steps, code and verdict, in the order
/// of `reports` (one per variant).
pub fn lesson_markdown(scenario: &dyn Scenario, reports: &[Report]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n\n`{}` · lesson: {}\n", scenario.title(), scenario.id(), scenario.lesson());
    for report in reports {
        let summary = scenario.variant(&report.variant).map_or("", |v| v.summary);
        let _ = writeln!(out, "## `{}`\n\n{summary}\n", report.variant);
        for (index, step) in report.steps.iter().enumerate() {
            let _ = writeln!(out, "### Step {}: {}\n\n{}\n", index + 1, step.title, step.explanation);
            let _ = writeln!(out, "```rust\n{}\n```\n", step.rust);
            if let Some(c) = &step.c {
                let _ = writeln!(out, "```c\n{c}\n```\n");
            }
            match &step.summary {
                Some(summary) => {
                    let _ = writeln!(out, "What the run showed: {summary}.\n");
                }
                None => {
                    let _ = writeln!(out, "The run did not finish this step.\n");
                }
            }
            for note in &step.notes {
                let _ = writeln!(out, "    {note}");
            }
            if !step.notes.is_empty() {
                out.push('\n');
            }
        }
        verdict_markdown(&mut out, report);
    }
    out
}

fn verdict_markdown(out: &mut String, report: &Report) {
    let _ = writeln!(out, "**Verdict:** the run {}.\n", report.outcome_label());
    if let Some(requests) = report.requests_line() {
        let _ = writeln!(out, "{requests}.\n");
    }
    if report.anomalies.is_empty() {
        let _ = writeln!(out, "Clean: every block went back to the allocator that made it.\n");
    }
    for anomaly in &report.anomalies {
        let _ = writeln!(out, "- **{}**: {}", anomaly.kind.label(), anomaly.message);
    }
    if !report.anomalies.is_empty() {
        out.push('\n');
    }
}

/// The handout's first page: the lessons in order, each a link to its page.
pub fn index_markdown(lessons: &[(&dyn Scenario, String)]) -> String {
    let mut out = String::from(
        "# ffiscope handout\n\nEvery lesson, variant and step, with the code it shows and what a real run of it did.\n\n",
    );
    for (number, (scenario, file)) in lessons.iter().enumerate() {
        let _ = writeln!(out, "{}. [{}]({file}) (`{}`)", number + 1, scenario.title(), scenario.id());
    }
    out
}
