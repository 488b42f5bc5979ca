//! Entry point: parse the arguments, then run a headless command or open the window.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser as _;
use ffiscope::app::FfiscopeApp;
use ffiscope::cli::{Cli, Io, run_command};

fn main() -> ExitCode {
    let launched = Instant::now();
    let cli = Cli::parse();
    ffiscope::scenarios::step_panics::install_hook();
    if let Some(command) = &cli.command {
        let program = std::env::current_exe().unwrap_or_else(|_| "ffiscope".into());
        let mut io = Io {
            input: &mut std::io::stdin().lock(),
            out: &mut std::io::stdout().lock(),
            err: &mut std::io::stderr().lock(),
            program: &program,
        };
        return run_command(command, &mut io);
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("ffiscope")
            .with_app_id("ffiscope")
            .with_inner_size([1200.0, 760.0])
            .with_min_inner_size([640.0, 420.0]),
        ..Default::default()
    };
    let startup_probe = cli.startup_probe.then_some(launched);
    let result = eframe::run_native(
        "ffiscope",
        options,
        Box::new(move |cc| Ok(Box::new(FfiscopeApp::new(cc).with_startup_probe(startup_probe)))),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ffiscope could not open its window: {error}");
            ExitCode::FAILURE
        }
    }
}
