//! rustc checks the Rust side's numbers: a probe of the mirror's own items
//! and one `const` per number, `[(); MODEL] = [(); size_of::<T>()]`, whose
//! error, if the model is wrong, spells rustc's value. Only metadata is
//! emitted, so a target needs just its standard library installed
//! (`rustup target add`); without it the target is "model only".

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use super::cfg::Cfg;
use super::rust_model::emulated_union_member;
use super::rust_reader::{RustFile, field_as_written};
use super::types::{Known, LIBC_SCALARS, known, primitive};
use crate::layout::Layout;
use crate::layout::lab::Target;
use crate::layout::lab::verify::run_with_timeout;

/// How long rustc may take over one probe.
const RUSTC_TIMEOUT: Duration = Duration::from_mins(1);

/// rustc's own name for a target.
pub fn rust_triple(target: Target) -> &'static str {
    match target {
        Target::X86_64Linux => "x86_64-unknown-linux-gnu",
        Target::I686Linux => "i686-unknown-linux-gnu",
        Target::Aarch64Linux => "aarch64-unknown-linux-gnu",
        Target::Armv7Linux => "armv7-unknown-linux-gnueabihf",
        Target::X86_64Windows => "x86_64-pc-windows-msvc",
    }
}

/// rustc's version and the targets it has a standard library for.
fn installed() -> Option<&'static (String, Vec<String>)> {
    static FOUND: OnceLock<Option<(String, Vec<String>)>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let verbose = Command::new("rustc").arg("-vV").stderr(Stdio::null()).output().ok()?;
            let verbose = String::from_utf8_lossy(&verbose.stdout).into_owned();
            let version = verbose.lines().next()?.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
            let host = verbose.lines().find_map(|l| l.strip_prefix("host: "))?.to_owned();
            let mut targets = vec![host];
            if let Ok(listed) = Command::new("rustup").args(["target", "list", "--installed"]).output() {
                targets.extend(String::from_utf8_lossy(&listed.stdout).lines().map(|l| l.trim().to_owned()));
            }
            targets.sort();
            targets.dedup();
            Some((version, targets))
        })
        .as_ref()
}

/// What rustc said of one target's types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustcCheck {
    pub by: String,
    /// (type, what, model, rustc).
    pub mismatches: Vec<(String, String, u64, u64)>,
    /// (type, why rustc gave no answer for it).
    pub unanswered: Vec<(String, String)>,
}

impl RustcCheck {
    /// What to say of the type `name`.
    pub fn say(&self, name: &str) -> String {
        if let Some((_, why)) = self.unanswered.iter().find(|(t, _)| t == name) {
            return format!("{} could not check it: {why}", self.by);
        }
        let mine: Vec<String> = self
            .mismatches
            .iter()
            .filter(|(t, ..)| t == name)
            .map(|(_, what, model, rustc)| format!("{what}: model {model}, rustc {rustc}"))
            .collect();
        if mine.is_empty() {
            format!("checked by {}", self.by)
        } else {
            format!("{} disagrees: {}", self.by, mine.join("; "))
        }
    }
}

struct Question {
    type_name: String,
    what: String,
    expression: String,
    model: u64,
}

/// Has rustc compile the file's types for `target` and check every number
/// of `layouts` (the model's, by Rust type name).
pub fn check_with_rustc(file: &RustFile, target: Target, layouts: &[(String, Layout)]) -> Result<RustcCheck, String> {
    let Some((version, targets)) = installed() else { return Err("rustc is not installed".to_owned()) };
    let triple = rust_triple(target);
    if !targets.iter().any(|t| t == triple) {
        return Err(format!("no Rust standard library for {triple} here (`rustup target add {triple}`)"));
    }
    let mut questions = Vec::new();
    for (name, layout) in layouts {
        let item = file.items.iter().find(|i| i.name == *name && i.cfg.as_ref().is_none_or(|c| c.holds(target)));
        questions.push(Question {
            type_name: name.clone(),
            what: "size".into(),
            expression: format!("core::mem::size_of::<{name}>()"),
            model: layout.size,
        });
        questions.push(Question {
            type_name: name.clone(),
            what: "align".into(),
            expression: format!("core::mem::align_of::<{name}>()"),
            model: layout.align,
        });
        for field in &layout.fields {
            let written = item.and_then(|i| i.fields.iter().find(|f| f.name == field.name));
            let Some(written) = written else { continue };
            questions.push(Question {
                type_name: name.clone(),
                what: format!("offset of {}", field.name),
                expression: format!("core::mem::offset_of!({name}, {})", field_as_written(&field.name)),
                model: field.offset,
            });
            if emulated_union_member(&written.ty).is_some() {
                continue; // a zero-sized marker, laid out as the member it stands for
            }
            questions.push(Question {
                type_name: name.clone(),
                what: format!("size of {}", field.name),
                expression: format!("core::mem::size_of::<{}>()", written.text),
                model: field.size,
            });
        }
    }
    let mut probe = probe_prelude(file, target);
    let first_line = probe.lines().count() + 1;
    for question in &questions {
        let _ = writeln!(probe, "const _: [(); {}] = [(); {}];", question.model, question.expression);
    }
    let stderr = run_rustc(&probe, triple, &file.set)?;
    let mut check = RustcCheck { by: version.clone(), mismatches: Vec::new(), unanswered: Vec::new() };
    for line in stderr.lines() {
        let Some((at, message)) = located(line) else { continue };
        let Some(question) = at.checked_sub(first_line).and_then(|i| questions.get(i)) else { continue };
        if let Some(found) = found_size(message) {
            check.mismatches.push((question.type_name.clone(), question.what.clone(), question.model, found));
        } else if !check.unanswered.iter().any(|(t, _)| *t == question.type_name) {
            check.unanswered.push((question.type_name.clone(), message.to_owned()));
        }
    }
    // An error in the mirror's own items leaves every answer in doubt.
    // (A warning there, which the allows above did not silence, is none.)
    let in_the_items = |l: &&str| located(l).is_some_and(|(at, said)| at < first_line && said.starts_with("error"));
    if let Some(line) = stderr.lines().find(in_the_items) {
        return Err(format!("{version} could not compile the mirror for {triple}: {line}"));
    }
    Ok(check)
}

/// Compiles the file's items and `extra` (guards, say) for `target`, as the
/// probe does; returns what rustc printed (nothing if it built).
pub fn build_with(file: &RustFile, target: Target, extra: &str) -> Result<String, String> {
    let Some((_, targets)) = installed() else { return Err("rustc is not installed".to_owned()) };
    let triple = rust_triple(target);
    if !targets.iter().any(|t| t == triple) {
        return Err(format!("no Rust standard library for {triple} here"));
    }
    let mut source = probe_prelude(file, target);
    source.push_str(extra);
    run_rustc(&source, triple, &file.set)
}

/// The probe's items: a `libc` of the target's C types, then the file's own.
fn probe_prelude(file: &RustFile, target: Target) -> String {
    let mut probe = String::from(
        "#![allow(dead_code, non_camel_case_types, non_snake_case, non_upper_case_globals, unused_imports, \
         unused_macros)]\n",
    );
    // The probe cannot reach the libc crate: the names the model knows, as the model knows them.
    probe.push_str("mod libc {\n    pub use core::ffi::c_void;\n");
    for name in LIBC_SCALARS {
        if let Some(Known::Scalar(scalar, class)) = known(name, target) {
            let _ = writeln!(probe, "    pub type {name} = {};", primitive(scalar, class, target));
        }
    }
    probe.push_str("}\n");
    // `macro_rules!` are in scope from where they are written on: first.
    let written_first = file.macros.iter().chain(&file.uses);
    for text in written_first.chain(file.consts.iter().map(|c| &c.source)).chain(file.aliases.iter().map(|a| &a.source))
    {
        probe.push_str(text);
        probe.push('\n');
    }
    for source in file.items.iter().map(|i| &i.source).chain(file.enums.iter().map(|e| &e.source)) {
        probe.push_str(source);
        probe.push('\n');
    }
    probe
}

/// `probe.rs:12:5: error[E0308]: …` → (12, `error[E0308]: …`).
fn located(line: &str) -> Option<(usize, &str)> {
    let rest = line.strip_prefix(PROBE_NAME)?.strip_prefix(':')?;
    let (number, rest) = rest.split_once(':')?;
    let (_, message) = rest.split_once(": ")?;
    Some((number.parse().ok()?, message))
}

/// "… expected an array with a size of 8, found one with a size of 16" → 16.
fn found_size(message: &str) -> Option<u64> {
    let (_, found) = message.split_once("found one with a size of ")?;
    found.trim_end_matches(|c: char| !c.is_ascii_digit()).parse().ok()
}

const PROBE_NAME: &str = "ffiscope_mirror_probe.rs";

fn run_rustc(probe: &str, triple: &str, set: &[Cfg]) -> Result<String, String> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let folder = std::env::temp_dir().join(format!("ffiscope-rustc-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&folder).map_err(|e| format!("could not make a folder for rustc: {e}"))?;
    let source = folder.join(PROBE_NAME);
    let written = std::fs::write(&source, probe);
    let mut command = Command::new("rustc");
    command
        .current_dir(&folder)
        .args(["--edition", "2021", "--crate-type", "lib", "--emit=metadata", "--error-format=short", "--target"])
        .arg(triple)
        .args(["-o", "probe.rmeta", PROBE_NAME])
        .stdout(Stdio::null());
    for cfg in set {
        command.arg("--cfg").arg(cfg.as_flag());
    }
    let ran = written
        .map_err(|e| format!("could not write rustc's probe: {e}"))
        .and_then(|()| run_with_timeout(command, "rustc", None, RUSTC_TIMEOUT));
    let _ = std::fs::remove_dir_all(&folder);
    ran.map(|(_, _, stderr)| stderr)
}
