//! The command line: no arguments opens the window; subcommands run headless.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand};
use serde::Serialize;

mod mirror_command;
mod open_command;
mod record_command;

use crate::export::flame::FlameOf;
use crate::export::{handout, save_whole};
use crate::layout::lab::Target;
use crate::layout::lab::gnu_c::header_wanted_before;
use crate::layout::lab::header::{
    HeaderOptions, NamedHeader, analyze_named, analyze_plain_text, include_name, uses_the_preprocessor,
};
use crate::layout::lab::lexer::ParseError;
use crate::layout::lab::report::LabReport;
use crate::report::{Outcome, Report};
use crate::scenarios::batch::report_for;
use crate::scenarios::isolated::serve_child;
use crate::scenarios::{self, RunOptions, Scenario};

#[derive(Debug, Parser)]
#[command(name = "ffiscope", version, about = "See memory across the Rust <-> C boundary.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Close the window once the first frame is drawn and print how long it took.
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
    /// Run scenarios headless and print their reports.
    Run {
        /// Scenario id, as listed by `ffiscope scenarios`.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Run every scenario (each of its variants, or only --variant).
        #[arg(long)]
        all: bool,
        /// Variant to run [default: correct, or a scenario's first that does not crash; with --all: every variant].
        #[arg(long)]
        variant: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Threads for threads-shared-resource (2-8).
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(2..=8))]
        threads: u8,
        /// Serve as the child of an isolated run: read `step`/`run` lines on
        /// stdin, write JSON lines on stdout.
        #[arg(long, hide = true)]
        isolated: bool,
    },
    /// Write every lesson, variant and step as Markdown: the code each step
    /// shows and what a real run of it did.
    Handout {
        /// The folder to write into.
        #[arg(long, default_value = "handout")]
        out: std::path::PathBuf,
    },
    /// Lay out the types of a C header for one or more targets. A header that
    /// uses the preprocessor (`#include`, `#if`, `#define`) is preprocessed by
    /// each target's own compiler, and every struct and union it brings is laid out.
    Layout {
        /// A header with struct, union, enum and typedef declarations: a
        /// file, or a name as `#include <…>` finds it in each target's own
        /// headers (`sys/stat.h`, `'<zlib.h>'`).
        file: std::path::PathBuf,
        #[command(flatten)]
        preprocessor: PreprocessorArgs,
        /// Report only these types (as named, `struct stat` or `z_stream`, or by a bare tag: `stat`).
        #[arg(long = "type", value_name = "NAME")]
        types: Vec<String>,
        /// x86_64-linux-gnu, i686-linux-gnu, aarch64-linux-gnu,
        /// armv7-linux-gnueabihf, x86_64-windows-msvc; several separated by
        /// commas or given one `--target` each [default: the host].
        #[arg(long = "target", value_delimiter = ',')]
        targets: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Check every number with each target's C compiler, where installed.
        #[arg(long)]
        verify: bool,
    },
    /// Check a hand-written Rust `#[repr(C)]` mirror against the C header it
    /// mirrors, field by field, on every target: offsets, sizes, alignments,
    /// kinds of value and names. Each Rust struct or union pairs with the C
    /// type of its name (or of a `pub type` alias of it), or the one a
    /// `// mirrors: struct name` comment above it names. Exits 1 if any pair
    /// differs.
    Mirror {
        /// The C header: a file, or a name as `#include <…>` finds it in
        /// each target's own headers (`sys/stat.h`, `'<zlib.h>'`).
        header: std::path::PathBuf,
        /// The Rust files with the mirrors: one, or several modules of one
        /// crate, read as one (a type one names is found in another).
        #[arg(required = true, value_name = "MIRROR")]
        mirrors: Vec<std::path::PathBuf>,
        #[command(flatten)]
        preprocessor: PreprocessorArgs,
        /// Check only these types, by the mirror's name (`z_stream`) or the
        /// C type's (`struct z_stream_s`, or a bare tag: `z_stream_s`).
        #[arg(long = "type", value_name = "NAME")]
        types: Vec<String>,
        /// x86_64-linux-gnu, i686-linux-gnu, aarch64-linux-gnu,
        /// armv7-linux-gnueabihf, x86_64-windows-msvc; several separated by
        /// commas or given one `--target` each [default: all five].
        #[arg(long = "target", value_delimiter = ',')]
        targets: Vec<String>,
        /// Print JSON (with the guards).
        #[arg(long)]
        json: bool,
        /// Also have each target's C compiler check C's numbers and rustc
        /// the Rust side's, where they are installed.
        #[arg(long)]
        verify: bool,
        /// Print only the guards that keep the mirror right: `rust` (cfg-gated
        /// const asserts) or `c` (`_Static_assert`s).
        #[arg(long, value_name = "LANGUAGE", value_parser = ["rust", "c"])]
        guards: Option<String>,
        /// Take this cfg as set in the mirror, as its crate's build script
        /// would set it: `ossl300`, `osslconf="OPENSSL_NO_COMP"`.
        #[arg(long = "cfg", value_name = "CFG")]
        cfgs: Vec<String>,
    },
    /// Record a program's allocations, live: both heaps told apart by each
    /// block's call site, frees across them flagged, double frees refused,
    /// C++ `delete` of a `new[]` block (or any mismatched form) flagged,
    /// leaks at exit, and what held each heap at its peak. Exits with the
    /// program's own code; with --check, 0
    /// when nothing was found and 1 otherwise; 3 if the program crashed.
    Record {
        /// Print the report as JSON on stdout; the program's stdout goes to stderr.
        #[arg(long)]
        json: bool,
        /// Exit 1 if anything was found.
        #[arg(long)]
        check: bool,
        /// Leak suppressions in `LeakSanitizer`'s syntax (`leak:PATTERN` lines): a pattern matches a leak's site or,
        /// with --stack, any frame of its stack
        #[arg(long, value_name = "FILE")]
        suppress: Option<std::path::PathBuf>,
        /// Also write the recording to FILE, for `ffiscope open` and the app.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        /// Compare the recording with one made before (`--out`), as `open
        /// --compare` does: with --check, only a finding BEFORE does not
        /// have fails it.
        #[arg(long, value_name = "BEFORE")]
        compare: Option<std::path::PathBuf>,
        /// Put every block on pages of its own, against an inaccessible page,
        /// and take its pages away when it is freed: an overflow or a use
        /// after free (read or write) is reported where it happens, and the
        /// program runs on. Costs two system calls per malloc and free.
        #[arg(long)]
        guard: bool,
        /// With --guard: the least alignment a block gets (1, 2, 4, 8 or 16).
        /// At 16, glibc malloc's promise, which Rust's allocator counts on,
        /// the bytes between a 13-byte block's end and the next multiple of
        /// 16 are slack, whose reads go unseen (writes are found at free); at
        /// 1, every byte past the end faults, but a program that counts on
        /// malloc's alignment (any Rust program with a `HashMap`, tag bits in
        /// pointers) may not run.
        #[arg(long, value_name = "BYTES", default_value_t = crate::record::GUARD_ALIGNMENT, requires = "guard",
              value_parser = clap::builder::PossibleValuesParser::new(["1", "2", "4", "8", "16"]).map(|v| v.parse::<u8>().unwrap_or(crate::record::GUARD_ALIGNMENT)))]
        guard_align: u8,
        /// Keep N frames of each allocation's stack (up to 32), and name Rust's
        /// blocks, and those an allocation wrapper makes (see --alloc-fn), by
        /// the first frame of the program's own code rather than the
        /// allocator's line. Costs a walk of the stack per allocation.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=32))]
        stack: Option<u8>,
        /// Record the programs it starts too, and the copies of itself it
        /// forks, each on its own, up to N at once (32 unless given, at most
        /// 256): `cargo test`'s test binaries, a script's commands, a pool's
        /// workers. Each one's findings are reported under its pid and
        /// command line; those started while N run are counted.
        #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true,
              default_missing_value = "32",
              value_parser = clap::value_parser!(u16).range(1..=crate::record::FOLLOWED_PROCESSES_AT_MOST as i64))]
        follow_children: Option<u16>,
        /// With --follow-children: programs not to follow, shell patterns
        /// separated by commas, each matched against a program's path, the
        /// name it was started by, and their file names (`cc,cc1,as,ld,collect2`).
        /// Counted, unrecorded.
        #[arg(long, value_name = "PATTERNS", requires = "follow_children")]
        follow_skip: Option<String>,
        /// The program's own functions that allocate for their caller, names
        /// or patterns with `*` separated by commas (`my_alloc,pool_*`),
        /// besides those known (`xmalloc`, `g_malloc`, `sqlite3_malloc`,
        /// `Perl_safesysmalloc`, any name ending in malloc, calloc, realloc,
        /// zalloc, strdup or strndup): a block made in one is named by its
        /// caller, with --stack.
        #[arg(long, value_name = "NAMES")]
        alloc_fn: Option<String>,
        /// List the N sites that held the most when each heap was at its
        /// peak, with what they held then (0: none).
        #[arg(long, value_name = "N", default_value_t = crate::report::PEAK_SITES_LISTED as u16,
              value_parser = clap::value_parser!(u16).range(0..=1000))]
        top: u16,
        #[command(flatten)]
        flame: FlameArgs,
        /// The program and its arguments, after `--`.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "PROGRAM")]
        command: Vec<String>,
    },
    /// Print the report of a recording written by `record --out`, or, with
    /// --compare, how it differs from another recording of the program.
    Open {
        /// The recording (`.fsrec`).
        file: std::path::PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Exit 1 when the recording found anything (with --compare: anything
        /// the other did not), 0 otherwise.
        #[arg(long)]
        check: bool,
        /// Set it beside another recording of the program (before a change):
        /// how each heap's peak, allocations and leaks moved, the findings
        /// that are new and gone, and the functions that made blocks whose
        /// weight (--flame-of) changed most; --flamegraph draws the
        /// difference, red where it grew, blue where it shrank.
        #[arg(long, value_name = "BEFORE")]
        compare: Option<std::path::PathBuf>,
        #[command(flatten)]
        flame: FlameArgs,
    },
}

/// A recording's call stacks drawn as a flame graph, as `record` and `open` take it.
#[derive(Debug, clap::Args)]
pub struct FlameArgs {
    /// Draw the recorded program's call stacks as a flame graph, an SVG, in
    /// FILE: what each heap held at its peak, by the stack that made it,
    /// unless --flame-of says otherwise. `record` keeps 32 frames of each
    /// stack for it unless --stack says how many. With --follow-children,
    /// each process followed gets its own beside it (`peak.4242.svg`).
    #[arg(long, value_name = "FILE")]
    pub flamegraph: Option<std::path::PathBuf>,
    /// Write the same stacks to FILE as collapsed lines (`C heap;main
    /// (app.c:9);make (app.c:3) 4096`), as flamegraph.pl, inferno and
    /// speedscope read them.
    #[arg(long, value_name = "FILE")]
    pub folded: Option<std::path::PathBuf>,
    /// What the flame graph weighs each stack by.
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = FlameOf::Peak)]
    pub flame_of: FlameOf,
    /// Turn the stacks over: under each heap, the functions that made
    /// blocks, each once however many paths reached it, then their callers
    /// (heaptrack's bottom-up, memray's inverted flame graph).
    #[arg(long)]
    pub flame_inverted: bool,
}

impl FlameArgs {
    pub fn asked(&self) -> bool {
        self.flamegraph.is_some() || self.folded.is_some()
    }
}

/// What the header's preprocessor is told, as `layout` and `mirror` take it.
#[derive(Debug, clap::Args)]
pub struct PreprocessorArgs {
    /// Search DIR for the header's includes, after the target's system headers.
    #[arg(short = 'I', long = "include", value_name = "DIR")]
    includes: Vec<std::path::PathBuf>,
    /// Define NAME (as 1, or as VALUE) for the preprocessor.
    #[arg(short = 'D', long = "define", value_name = "NAME[=VALUE]")]
    defines: Vec<String>,
    /// Include HEADER before the header, as its users must: `stdio.h` before
    /// `jpeglib.h`, `X11/Xlib.h` before `X11/Xutil.h`.
    #[arg(long = "include-first", value_name = "HEADER", value_parser = include_name)]
    included_first: Vec<String>,
}

impl PreprocessorArgs {
    fn options(&self) -> HeaderOptions {
        HeaderOptions {
            includes: self.includes.clone(),
            defines: self.defines.clone(),
            included_first: self.included_first.clone(),
        }
    }
}

/// What a header's errors lead to: the standard header one says was not
/// included before a line, to include first (`--include-first stddef.h`),
/// unless some were already.
fn include_first_hint(errors: &[ParseError], options: &HeaderOptions) -> Option<String> {
    if !options.included_first.is_empty() {
        return None;
    }
    let wanted = errors.iter().find_map(|error| header_wanted_before(&error.message))?;
    Some(format!(
        "hint: a header that expects others included before it takes them with `--include-first`: \
         `--include-first {wanted}`"
    ))
}

/// Exit code for bad usage or an unknown id (clap uses it too).
pub const EXIT_USAGE: u8 = 2;
/// Exit code for a scenario that crashed.
pub const EXIT_CRASHED: u8 = 3;
/// Exit code for `layout` when a compiler disagreed with the model.
pub const EXIT_MISMATCH: u8 = 1;
/// Exit code for `layout` when the header has errors.
pub const EXIT_BAD_HEADER: u8 = 4;

#[derive(Serialize)]
struct ScenarioListing {
    id: &'static str,
    title: &'static str,
    lesson: &'static str,
    variants: Vec<&'static str>,
}

/// Where a command reads and writes.
#[expect(missing_debug_implementations, reason = "holds only I/O handles")]
pub struct Io<'a> {
    pub input: &'a mut dyn std::io::BufRead,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// This program, for isolated runs.
    pub program: &'a Path,
}

/// Runs a headless command; returns the process exit code.
pub fn run_command(command: &Command, io: &mut Io<'_>) -> ExitCode {
    match command {
        Command::Scenarios { json } => list_scenarios(*json, io.out),
        Command::Layout { file, preprocessor, types, targets, json, verify } => {
            layout_header(file, &preprocessor.options(), types, targets, *json, *verify, io)
        }
        Command::Handout { out } => write_handout(out, io),
        Command::Record {
            json,
            check,
            suppress,
            out,
            compare,
            guard,
            guard_align,
            stack,
            follow_children,
            follow_skip,
            alloc_fn,
            top,
            flame,
            command,
        } => {
            let asked = record_command::Asked {
                command,
                json: *json,
                check: *check,
                suppress: suppress.as_deref(),
                out: out.as_deref(),
                compare: compare.as_deref(),
                guard: guard.then_some(*guard_align),
                stack: *stack,
                follow_children: follow_children.map_or(0, usize::from),
                follow_skip: follow_skip.as_deref().unwrap_or_default(),
                alloc_fn: alloc_fn.as_deref().unwrap_or_default(),
                top: usize::from(*top),
                flame,
            };
            record_command::record(&asked, io)
        }
        Command::Open { file, json, check, compare, flame } => {
            let asked = open_command::Asked { json: *json, check: *check, compare: compare.as_deref(), flame };
            open_command::open(file, &asked, io)
        }
        Command::Mirror { header, mirrors, preprocessor, types, targets, json, verify, guards, cfgs } => {
            let options = preprocessor.options();
            let targets = match chosen_targets(targets, Target::ALL.to_vec(), io) {
                Ok(chosen) => chosen,
                Err(code) => return code,
            };
            let asked =
                mirror_command::Asked { types, targets, json: *json, verify: *verify, guards: guards.as_deref(), cfgs };
            mirror_command::check(header, mirrors, &options, &asked, io)
        }
        Command::Run { id, all, variant, json, threads, isolated } => {
            let options = RunOptions { threads: usize::from(*threads) };
            if *all {
                return run_all(variant.as_deref(), *json, options, io);
            }
            let id = id.as_deref().unwrap_or_default();
            let default = scenarios::find(id).map_or("correct", |s| s.default_variant());
            let variant = variant.as_deref().unwrap_or(default);
            let Some(scenario) = resolve(id, variant, io.err) else { return ExitCode::from(EXIT_USAGE) };
            if *isolated {
                return match serve_child(scenario.as_ref(), variant, options, io.input, io.out) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(_) => ExitCode::FAILURE,
                };
            }
            run_one(scenario.as_ref(), variant, *json, options, io)
        }
    }
}

fn list_scenarios(json: bool, out: &mut dyn Write) -> ExitCode {
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
        listing.iter().try_for_each(|s| writeln!(out, "{:<26} {:<42} [{}]", s.id, s.title, s.variants.join(", ")))
    };
    if written.is_err() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// The scenario, if `id` and `variant` name one; otherwise says what would.
fn resolve(id: &str, variant: &str, err: &mut dyn Write) -> Option<Box<dyn Scenario>> {
    let catalogue = scenarios::catalogue();
    let ids: Vec<&str> = catalogue.iter().map(|s| s.id()).collect();
    let Some(scenario) = scenarios::find(id) else {
        let _ = writeln!(err, "error: unknown scenario '{id}'. Valid ids: {}", ids.join(", "));
        return None;
    };
    if scenario.variant(variant).is_none() {
        let names: Vec<&str> = scenario.variants().iter().map(|v| v.name).collect();
        let _ =
            writeln!(err, "error: scenario '{id}' has no variant '{variant}'. Valid variants: {}", names.join(", "));
        return None;
    }
    Some(scenario)
}

fn run_one(scenario: &dyn Scenario, variant: &str, json: bool, options: RunOptions, io: &mut Io<'_>) -> ExitCode {
    let report = match report_for(scenario, variant, options, io.program) {
        Ok(report) => report,
        Err(error) => {
            let _ = writeln!(io.err, "error: could not run {} / {variant} isolated: {error}", scenario.id());
            return ExitCode::FAILURE;
        }
    };
    let written = if json { writeln!(io.out, "{}", report.to_json()) } else { write!(io.out, "{report}") };
    if written.is_err() {
        return ExitCode::FAILURE;
    }
    match report.outcome {
        Outcome::Completed => ExitCode::SUCCESS,
        Outcome::Crashed => ExitCode::from(EXIT_CRASHED),
    }
}

fn run_all(only: Option<&str>, json: bool, options: RunOptions, io: &mut Io<'_>) -> ExitCode {
    let catalogue = scenarios::catalogue();
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for scenario in &catalogue {
        for variant in scenario.variants().iter().filter(|v| only.is_none_or(|name| v.name == name)) {
            match report_for(scenario.as_ref(), variant.name, options, io.program) {
                Ok(report) => reports.push(report),
                Err(error) => failures.push(format!("{} / {}: {error}", scenario.id(), variant.name)),
            }
        }
    }
    if reports.is_empty() && failures.is_empty() {
        let _ = writeln!(io.err, "error: no scenario has a variant '{}'", only.unwrap_or_default());
        return ExitCode::from(EXIT_USAGE);
    }
    let written = if json {
        serde_json::to_string_pretty(&reports)
            .map_err(std::io::Error::other)
            .and_then(|text| writeln!(io.out, "{text}"))
    } else {
        summary_table(&reports, io.out)
    };
    for failure in &failures {
        let _ = writeln!(io.err, "error: could not run {failure}");
    }
    if written.is_err() || !failures.is_empty() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// Runs every variant of every lesson and writes a page per lesson, and an index.
fn write_handout(folder: &Path, io: &mut Io<'_>) -> ExitCode {
    if let Err(error) = std::fs::create_dir_all(folder) {
        let _ = writeln!(io.err, "error: cannot create {}: {error}", folder.display());
        return ExitCode::FAILURE;
    }
    let catalogue = scenarios::catalogue();
    let mut pages = Vec::new();
    for (number, scenario) in catalogue.iter().enumerate() {
        let mut reports = Vec::new();
        for variant in scenario.variants() {
            match report_for(scenario.as_ref(), variant.name, RunOptions::default(), io.program) {
                Ok(report) => reports.push(report),
                Err(error) => {
                    let _ = writeln!(io.err, "error: could not run {} / {}: {error}", scenario.id(), variant.name);
                    return ExitCode::FAILURE;
                }
            }
        }
        let file = format!("{:02}-{}.md", number + 1, scenario.id());
        let page = handout::lesson_markdown(scenario.as_ref(), &reports);
        if let Err(error) = save_whole(&folder.join(&file), page.as_bytes()) {
            let _ = writeln!(io.err, "error: cannot write {}: {error}", folder.join(&file).display());
            return ExitCode::FAILURE;
        }
        pages.push((scenario.as_ref(), file));
    }
    let index = folder.join("README.md");
    if let Err(error) = save_whole(&index, handout::index_markdown(&pages).as_bytes()) {
        let _ = writeln!(io.err, "error: cannot write {}: {error}", index.display());
        return ExitCode::FAILURE;
    }
    let _ = writeln!(io.out, "Wrote {} lessons and an index to {}", pages.len(), folder.display());
    ExitCode::SUCCESS
}

fn summary_table(reports: &[Report], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<26} {:<26} {:<18} {:>8} {:>8}  anomalies",
        "scenario", "variant", "outcome", "C live", "Rust live"
    )?;
    for report in reports {
        let kinds: Vec<&str> = report.anomalies.iter().map(|a| a.kind.label()).collect();
        writeln!(
            out,
            "{:<26} {:<26} {:<18} {:>8} {:>8}  {}",
            report.scenario,
            report.variant,
            report.outcome_label(),
            report.c_heap.live_blocks,
            report.rust_heap.live_blocks,
            if kinds.is_empty() { "none".to_owned() } else { kinds.join(", ") }
        )?;
    }
    writeln!(out, "{} runs", reports.len())
}

/// The targets named with `--target`, or `default` if none is; a usage
/// error for a name that is none of the five, or for no target at all.
fn chosen_targets(named: &[String], default: Vec<Target>, io: &mut Io<'_>) -> Result<Vec<Target>, ExitCode> {
    let mut chosen = Vec::new();
    for name in named {
        let Some(target) = Target::from_triple(name) else {
            let valid: Vec<&str> = Target::ALL.iter().map(|t| t.triple()).collect();
            let _ = writeln!(io.err, "error: unknown target '{name}'. Valid targets: {}", valid.join(", "));
            return Err(ExitCode::from(EXIT_USAGE));
        };
        if !chosen.contains(&target) {
            chosen.push(target);
        }
    }
    if chosen.is_empty() {
        chosen = default;
    }
    if chosen.is_empty() {
        let _ = writeln!(io.err, "error: this machine is none of the five targets; name one with --target");
        return Err(ExitCode::from(EXIT_USAGE));
    }
    Ok(chosen)
}

fn layout_header(
    file: &Path,
    options: &HeaderOptions,
    types: &[String],
    targets: &[String],
    json: bool,
    verify: bool,
    io: &mut Io<'_>,
) -> ExitCode {
    let chosen = match chosen_targets(targets, Target::host().into_iter().collect(), io) {
        Ok(chosen) => chosen,
        Err(code) => return code,
    };
    let (header, source) = match NamedHeader::read(file) {
        Ok(read) => read,
        Err(why) => {
            let _ = writeln!(io.err, "error: {why}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let preprocessed = options != &HeaderOptions::default() || uses_the_preprocessor(&source);
    let report = if preprocessed {
        analyze_named(&header, &chosen, options, types, verify).0
    } else {
        analyze_plain_text(&header.label(), &source, header.directory(), &chosen, types, verify).0
    };
    let written = if json {
        serde_json::to_string_pretty(&report).map_err(std::io::Error::other).and_then(|text| writeln!(io.out, "{text}"))
    } else {
        layout_text(&report, io.out)
    };
    for error in &report.errors {
        let _ = writeln!(io.err, "{}", error.render_in(&report.file, &source));
    }
    if let Some(hint) = include_first_hint(&report.errors, options) {
        let _ = writeln!(io.err, "{hint}");
    }
    for why in &report.unmatched {
        let _ = writeln!(io.err, "error: {}: {why}", report.file);
    }
    if written.is_err() {
        ExitCode::FAILURE
    } else if !report.unmatched.is_empty() {
        ExitCode::from(EXIT_USAGE)
    } else if !report.errors.is_empty() {
        ExitCode::from(EXIT_BAD_HEADER)
    } else if report.has_mismatch() {
        ExitCode::from(EXIT_MISMATCH)
    } else {
        ExitCode::SUCCESS
    }
}

fn layout_text(report: &LabReport, out: &mut dyn Write) -> std::io::Result<()> {
    for result in &report.results {
        let checked = match (&result.verified_by, &result.verification_error) {
            (Some(by), _) => format!("verified by {by}"),
            (None, Some(error)) => format!("not verified: {error}"),
            (None, None) => "model only".to_owned(),
        };
        let caveat = result.caveat.as_ref().map(|c| format!("; {c}")).unwrap_or_default();
        writeln!(out, "== {} ({checked}{caveat})", result.target.triple())?;
        for ty in &result.types {
            write!(out, "{}", ty.listing())?;
            if let Some(why) = &ty.unverified {
                writeln!(out, "\t/* NOT VERIFIED: {why} */")?;
            }
            if let Some(v) = &ty.verified {
                for m in &v.mismatches {
                    writeln!(out, "\t/* MISMATCH: {}: model {}, {} says {} */", m.what, m.model, v.by, m.compiler)?;
                }
            }
        }
    }
    Ok(())
}
