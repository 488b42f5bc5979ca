//! `ffiscope mirror HEADER MIRROR.rs`: a Rust mirror checked against its C
//! header on each target, as text, JSON or guards.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use super::{EXIT_BAD_HEADER, EXIT_MISMATCH, EXIT_USAGE, Io};
use crate::layout::lab::Target;
use crate::layout::lab::header::{
    HeaderOptions, NamedHeader, analyze_named, analyze_plain_text, uses_the_preprocessor,
};
use crate::layout::mirror_check::cfg::Cfg;
use crate::layout::mirror_check::constants::{ConstantPair, ConstantStanding};
use crate::layout::mirror_check::functions::{FunctionPair, FunctionStanding};
use crate::layout::mirror_check::guards::{c_guards, rust_guards};
use crate::layout::mirror_check::rust_reader::{RustFile, read_rust, read_rust_with};
use crate::layout::mirror_check::{MirrorReport, Standing, check_mirror};

/// What was asked besides the two files.
#[derive(Debug)]
pub struct Asked<'a> {
    /// Check only these types (every one when empty).
    pub types: &'a [String],
    pub targets: Vec<Target>,
    pub json: bool,
    pub verify: bool,
    /// `rust` or `c`: print only these guards.
    pub guards: Option<&'a str>,
    /// Cfgs to take as set in the mirror (`ossl300`).
    pub cfgs: &'a [String],
}

#[derive(Serialize)]
struct MirrorJson<'a> {
    #[serde(flatten)]
    report: &'a MirrorReport,
    rust_guards: String,
    c_guards: String,
}

pub fn check(
    header: &Path,
    mirrors: &[PathBuf],
    options: &HeaderOptions,
    asked: &Asked<'_>,
    io: &mut Io<'_>,
) -> ExitCode {
    let read = |path: &Path| {
        std::fs::read(path)
            .map(|bytes| crate::layout::lab::header_text(bytes).0)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))
    };
    let (header, header_text) = match NamedHeader::read(header) {
        Ok(read) => read,
        Err(why) => return usage(io, &why),
    };
    let mut texts = Vec::with_capacity(mirrors.len());
    for path in mirrors {
        match read(path) {
            Ok(text) => texts.push(text),
            Err(why) => return usage(io, &why),
        }
    }
    let mut rust = RustFile::default();
    for (index, (path, file)) in mirrors.iter().zip(read_crate(&texts)).enumerate() {
        for error in &file.errors {
            let _ = writeln!(io.err, "{}", error.render_in(&path.display().to_string(), &texts[index]));
        }
        rust.absorb(file, index);
    }
    let set = match asked.cfgs.iter().map(|spec| Cfg::parse_set(spec)).collect::<Result<Vec<_>, _>>() {
        Ok(set) => set,
        Err(why) => return usage(io, &format!("--cfg {why}")),
    };
    let (c_report, declarations) = if *options != HeaderOptions::default() || uses_the_preprocessor(&header_text) {
        analyze_named(&header, &asked.targets, options, &[], asked.verify)
    } else {
        analyze_plain_text(&header.label(), &header_text, header.directory(), &asked.targets, &[], asked.verify)
    };
    rust.set_cfgs(&set);
    let names: Vec<String> = mirrors.iter().map(|path| path.display().to_string()).collect();
    let first = names.first().map_or("", String::as_str);
    let mut report = check_mirror(&c_report, &declarations, &rust, first, asked.verify);
    if names.len() > 1 {
        report.files = names;
    }
    let unmatched = report.keep_only(asked.types);
    // A target that could not preprocess the header (Windows without its
    // SDK) reads none of it; the others read all of it, and a type not
    // among theirs is not the errors' doing.
    let errors_may_hide_types =
        !c_report.errors.is_empty() && (c_report.errors.iter().any(|e| e.line > 0) || declarations.is_empty());
    for error in &c_report.errors {
        let _ = writeln!(io.err, "{}", error.render_in(&c_report.file, &header_text));
    }
    if let Some(hint) = super::include_first_hint(&c_report.errors, options) {
        let _ = writeln!(io.err, "{hint}");
    }
    let written = match (asked.guards, asked.json) {
        (Some("c"), _) => write!(io.out, "{}", c_guards(&report)),
        (Some(_), _) => write!(io.out, "{}", rust_guards(&report, &rust)),
        (None, true) => {
            let json =
                MirrorJson { report: &report, rust_guards: rust_guards(&report, &rust), c_guards: c_guards(&report) };
            serde_json::to_string_pretty(&json)
                .map_err(std::io::Error::other)
                .and_then(|text| writeln!(io.out, "{text}"))
        }
        (None, false) => report_text(&report, errors_may_hide_types, io.out),
    };
    for why in &unmatched {
        let _ = writeln!(io.err, "error: {}: {why}", report.mirror);
    }
    if written.is_err() {
        ExitCode::FAILURE
    } else if !unmatched.is_empty() {
        ExitCode::from(EXIT_USAGE)
    } else if !report.mirror_errors.is_empty()
        || (errors_may_hide_types && (report.pairs.is_empty() || !report.unpaired.is_empty()))
    {
        // A header error that may have cost a mirror its C type.
        ExitCode::from(EXIT_BAD_HEADER)
    } else if report.has_mismatch() {
        ExitCode::from(EXIT_MISMATCH)
    } else {
        ExitCode::SUCCESS
    }
}

/// Each constant that differs from C's, with where and how; then how many
/// agree, and each one compared on no target, with why.
fn constants_text(report: &MirrorReport, out: &mut dyn Write) -> std::io::Result<()> {
    let compared =
        |constant: &&ConstantPair| constant.targets.iter().any(|t| t.standing != ConstantStanding::NotCompared);
    for constant in report.constants.iter().filter(|c| c.differs()) {
        let named = if constant.c == constant.rust { String::new() } else { format!(" <- {}", constant.rust) };
        writeln!(out, "{}{named} ({}:{})", constant.c, report.file_of_constant(constant), constant.line)?;
        for (on, why) in constant.differences_grouped(Target::triple) {
            writeln!(out, "  {on:<22} differs: {why}")?;
        }
    }
    let agreeing = report.constants.iter().filter(|c| !c.differs() && compared(c)).count();
    let mut verifiers: Vec<&str> =
        report.constants.iter().flat_map(|c| &c.targets).filter_map(|t| t.c_verified_by.as_deref()).collect();
    verifiers.sort_unstable();
    verifiers.dedup();
    if agreeing > 0 {
        let s = if agreeing == 1 { "" } else { "s" };
        let verified = if verifiers.is_empty() {
            String::new()
        } else {
            format!("; C's values confirmed by {}", verifiers.join(", "))
        };
        let agree = if agreeing == 1 { "agrees" } else { "agree" };
        writeln!(out, "{agreeing} constant{s} {agree} with C's value wherever both are defined{verified}")?;
    }
    for constant in report.constants.iter().filter(|c| !compared(c)) {
        let why = constant.targets.first().and_then(|t| t.why.as_deref()).unwrap_or("");
        writeln!(out, "{}: not compared on any target ({why})", constant.rust)?;
    }
    Ok(())
}

/// The files of one crate, each read knowing the `macro_rules!` the others
/// define, where it invokes one (x11's `xlib.rs` writes its functions with
/// `link.rs`'s `x11_link!`).
fn read_crate(texts: &[String]) -> Vec<RustFile> {
    let files: Vec<RustFile> = texts.iter().map(|text| read_rust(text)).collect();
    let defined: Vec<Vec<&str>> =
        files.iter().map(|f| f.macros.iter().filter_map(|m| macro_name(m)).collect()).collect();
    // For each file, the others' definitions of the macros it invokes and
    // does not define, and of those their definitions invoke in turn
    // (dlib's `external_library!` writes `$crate::link_external_library!`).
    let shared: Vec<Vec<String>> = (0..files.len())
        .map(|index| {
            let others = files.iter().enumerate().filter(|&(other, _)| other != index);
            let offered: Vec<&String> = others
                .flat_map(|(_, file)| &file.macros)
                .filter(|m| macro_name(m).is_some_and(|name| !defined[index].contains(&name)))
                .collect();
            let mut wanted: Vec<&String> = Vec::new();
            let mut to_scan = vec![texts[index].as_str()];
            // Each definition is taken once, so this ends.
            while let Some(text) = to_scan.pop() {
                for &definition in &offered {
                    let invoked = macro_name(definition).is_some_and(|name| text.contains(&format!("{name}!")));
                    if invoked && !wanted.contains(&definition) {
                        wanted.push(definition);
                        to_scan.push(definition);
                    }
                }
            }
            wanted.into_iter().cloned().collect()
        })
        .collect();
    files
        .into_iter()
        .zip(shared)
        .zip(texts)
        .map(|((file, shared), text)| if shared.is_empty() { file } else { read_rust_with(text, &shared) })
        .collect()
}

/// The name a `macro_rules!` definition, as written, defines.
fn macro_name(definition: &str) -> Option<&str> {
    let rest = definition.split_once("macro_rules!")?.1.trim_start();
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|name| !name.is_empty())
}

/// Symbols listed by name at most, before "and N more".
const SYMBOLS_LISTED: usize = 12;

/// Each function that differs from C's prototype, with both and how; then
/// how many agree, those compared nowhere with why, and the symbols the
/// header does not declare.
fn functions_text(report: &MirrorReport, out: &mut dyn Write) -> std::io::Result<()> {
    let functions = &report.functions;
    let compared = |f: &&FunctionPair| f.targets.iter().any(|t| t.standing != FunctionStanding::Unreadable);
    let noted = |f: &&FunctionPair| f.differs() || f.targets.iter().any(|t| !t.notes.is_empty());
    for function in functions.pairs.iter().filter(noted) {
        let named = if function.c == function.rust { String::new() } else { format!(" <- {}", function.rust) };
        let file = report.files.get(function.file).unwrap_or(&report.mirror);
        writeln!(out, "{}(){named} ({file}:{})", function.c, function.line)?;
        writeln!(out, "  C:    {}  ({})", function.c_prototype, function.c_declared_at)?;
        writeln!(out, "  Rust: {}", function.rust_signature)?;
        for (on, why) in function.differences_grouped(Target::triple) {
            writeln!(out, "  {on:<22} differs: {why}")?;
        }
        for (on, note) in function.notes_grouped(Target::triple) {
            writeln!(out, "  {on:<22} note: {note}")?;
        }
    }
    let agreeing = functions.pairs.iter().filter(|f| !f.differs() && compared(f)).count();
    if agreeing > 0 {
        let s = if agreeing == 1 { "" } else { "s" };
        let agree = if agreeing == 1 { "agrees" } else { "agree" };
        writeln!(out, "{agreeing} function{s} {agree} with C's prototypes wherever both declare them")?;
    }
    for function in functions.pairs.iter().filter(|f| !compared(f)) {
        let why = function.targets.first().and_then(|t| t.why.as_deref()).unwrap_or("");
        writeln!(out, "{}(): not compared on any target ({why})", function.rust)?;
    }
    if !functions.not_in_header.is_empty() {
        let (n, listed) = listed_symbols(&functions.not_in_header);
        writeln!(out, "{n} of the binding the header declares on no target: {listed}")?;
    }
    if !functions.cfgd_out.is_empty() {
        let (n, listed) = listed_symbols(&functions.cfgd_out);
        writeln!(out, "{n} of the binding cfg'd out on every target, not compared (--cfg sets a cfg): {listed}")?;
    }
    Ok(())
}

/// "3 functions", and the first [`SYMBOLS_LISTED`] of `symbols` by name.
fn listed_symbols(symbols: &[String]) -> (String, String) {
    let listed: Vec<String> = symbols.iter().take(SYMBOLS_LISTED).map(|s| format!("{s}()")).collect();
    let more = symbols.len().saturating_sub(SYMBOLS_LISTED);
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    let count = format!("{} function{}", symbols.len(), if symbols.len() == 1 { "" } else { "s" });
    (count, format!("{}{more}", listed.join(", ")))
}

fn usage(io: &mut Io<'_>, message: &str) -> ExitCode {
    let _ = writeln!(io.err, "error: {message}");
    ExitCode::from(EXIT_USAGE)
}

/// The text report; `header_errors`: the header had errors that may have
/// cost a mirror its C type (said after it), so a type the mirror names
/// may be one it could not read.
fn report_text(report: &MirrorReport, header_errors: bool, out: &mut dyn Write) -> std::io::Result<()> {
    for pair in &report.pairs {
        writeln!(out, "{} <- {} ({}:{})", pair.c, pair.rust, report.file_of(pair), pair.line)?;
        for on in &pair.targets {
            let triple = on.target.triple();
            let checks = on.checks();
            let checks = if checks.is_empty() { String::new() } else { format!(" ({})", checks.join("; ")) };
            match on.standing {
                Standing::Matches => {
                    let (size, align) = on.c.as_ref().map_or((0, 0), |c| (c.size, c.align));
                    writeln!(out, "  {triple:<22} matches: {size} bytes, aligned to {align}{checks}")?;
                }
                Standing::Differs => {
                    let n = on.differences.len();
                    writeln!(out, "  {triple:<22} {n} difference{}{checks}", if n == 1 { "" } else { "s" })?;
                    for difference in &on.differences {
                        writeln!(out, "      {}", difference.message)?;
                    }
                }
                Standing::NoMirror | Standing::NoCType | Standing::Unreadable | Standing::Opaque => {
                    let label = match on.standing {
                        Standing::NoMirror => "no mirror",
                        Standing::NoCType => "not compared",
                        Standing::Opaque => "opaque",
                        _ => "cannot lay out the mirror",
                    };
                    writeln!(out, "  {triple:<22} {label}: {}", on.why.as_deref().unwrap_or(""))?;
                }
            }
            for note in &on.notes {
                writeln!(out, "      note: {note}")?;
            }
        }
    }
    constants_text(report, out)?;
    functions_text(report, out)?;
    for handle in report.handles.iter().filter(|h| !h.empty_enum) {
        writeln!(out, "{}", handle.say())?;
    }
    if let Some(said) = report.empty_enum_handles() {
        writeln!(out, "{said}")?;
    }
    for name in &report.unpaired {
        if header_errors {
            writeln!(out, "{name}: no C type of that name was read: the header has errors, below")?;
        } else {
            writeln!(
                out,
                "{name}: no C type of that name on any target; pair it with a `// mirrors: struct name` comment above \
                 it"
            )?;
        }
    }
    Ok(())
}
