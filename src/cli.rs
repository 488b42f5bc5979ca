//! The command line: no arguments opens the window; subcommands run headless.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::scenarios::{self, runner::Runner};

#[derive(Debug, Parser)]
#[command(name = "ffiscope", version, about = "See memory across the Rust <-> C boundary.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Close the window after the first drawn frame and print how long it took.
    #[arg(long, hide = true)]
    pub startup_probe: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the scenarios and their variants.
    Scenarios {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run one scenario headless and print its report.
    Run {
        /// Scenario id, as listed by `ffiscope scenarios`.
        id: String,
        /// Variant to run.
        #[arg(long, default_value = "correct")]
        variant: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Exit code for bad usage or an unknown id (clap uses it too).
pub const EXIT_USAGE: u8 = 2;
/// Exit code for a scenario that crashed.
pub const EXIT_CRASHED: u8 = 3;

#[derive(Serialize)]
struct ScenarioListing {
    id: &'static str,
    title: &'static str,
    lesson: &'static str,
    variants: Vec<&'static str>,
}

/// Runs a headless command, writing to `out`; returns the process exit code.
pub fn run_command(command: &Command, out: &mut dyn std::io::Write, err: &mut dyn std::io::Write) -> ExitCode {
    match command {
        Command::Scenarios { json } => list_scenarios(*json, out),
        Command::Run { id, variant, json } => run_scenario(id, variant, *json, out, err),
    }
}

fn list_scenarios(json: bool, out: &mut dyn std::io::Write) -> ExitCode {
    let listing: Vec<ScenarioListing> = scenarios::catalogue()
        .iter()
        .map(|s| ScenarioListing {
            id: s.id(),
            title: s.title(),
            lesson: s.lesson(),
            variants: s.variants().iter().map(|v| v.name).collect(),
        })
        .collect();
    let written = if json {
        serde_json::to_string_pretty(&listing).map_err(std::io::Error::other).and_then(|text| writeln!(out, "{text}"))
    } else {
        listing.iter().try_for_each(|s| writeln!(out, "{:<26} {:<40} [{}]", s.id, s.title, s.variants.join(", ")))
    };
    if written.is_err() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn run_scenario(
    id: &str,
    variant: &str,
    json: bool,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> ExitCode {
    let catalogue = scenarios::catalogue();
    let Some(scenario) = catalogue.iter().find(|s| s.id() == id) else {
        let ids: Vec<&str> = catalogue.iter().map(|s| s.id()).collect();
        let _ = writeln!(err, "error: unknown scenario '{id}'. Valid ids: {}", ids.join(", "));
        return ExitCode::from(EXIT_USAGE);
    };
    if !scenario.has_variant(variant) {
        let names: Vec<&str> = scenario.variants().iter().map(|v| v.name).collect();
        let _ =
            writeln!(err, "error: scenario '{id}' has no variant '{variant}'. Valid variants: {}", names.join(", "));
        return ExitCode::from(EXIT_USAGE);
    }
    let report = Runner::new(scenario.as_ref(), variant).run_to_end();
    let written = if json { writeln!(out, "{}", report.to_json()) } else { write!(out, "{report}") };
    if written.is_err() {
        return ExitCode::FAILURE;
    }
    match report.outcome {
        crate::report::Outcome::Completed => ExitCode::SUCCESS,
        crate::report::Outcome::Crashed => ExitCode::from(EXIT_CRASHED),
    }
}
