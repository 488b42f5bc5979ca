//! Verification by the real compilers: a probe translation unit that states
//! every size, alignment and offset the model computed as `_Static_assert`s,
//! compiled with `-fsyntax-only`. Nothing is linked or run, so cross targets
//! work on one machine. A failed assertion is asked again in a form whose
//! error message carries the compiler's own number.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::abi::Target;
use super::macro_values::MacroBodies;
use crate::layout::Layout;

/// How long one compiler may take over one probe.
pub const COMPILE_TIMEOUT: Duration = Duration::from_secs(30);

/// A compiler that can answer for a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiler {
    pub program: String,
    pub args: Vec<String>,
    /// E.g. "gcc 12.2.0".
    pub version: String,
}

/// One number the model and the compiler disagree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    pub type_name: String,
    /// `size`, `align`, or `offset of x` / `size of x`.
    pub what: String,
    pub model: u64,
    pub compiler: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub by: String,
    /// No number the compiler answered disagrees with the model.
    pub ok: bool,
    pub mismatches: Vec<Mismatch>,
    /// Types the compiler would not answer for, each with its reason; the
    /// others are still checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unanswered: Vec<Unanswered>,
}

/// A type the compiler could not be asked about, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unanswered {
    pub type_name: String,
    pub why: String,
}

/// Looks for the compiler of `target` on this machine.
pub fn find_compiler(target: Target) -> Option<Compiler> {
    // Asked on every analysis: each target's compiler is looked for once.
    static FOUND: std::sync::OnceLock<Vec<Option<Compiler>>> = std::sync::OnceLock::new();
    let found = FOUND.get_or_init(|| {
        // Each look runs a compiler's `--version`: all of them at once.
        std::thread::scope(|scope| {
            let looking: Vec<_> = Target::ALL.iter().map(|&t| scope.spawn(move || look_for_compiler(t))).collect();
            looking.into_iter().map(|handle| handle.join().ok().flatten()).collect()
        })
    });
    let index = Target::ALL.iter().position(|&t| t == target)?;
    found.get(index).cloned().flatten()
}

fn look_for_compiler(target: Target) -> Option<Compiler> {
    let candidates: &[(&str, &[&str])] = match target {
        Target::X86_64Linux => &[("x86_64-linux-gnu-gcc", &[]), ("gcc", &[]), ("cc", &[])],
        Target::I686Linux => &[("i686-linux-gnu-gcc", &[])],
        Target::Aarch64Linux => &[("aarch64-linux-gnu-gcc", &[])],
        Target::Armv7Linux => &[("arm-linux-gnueabihf-gcc", &[])],
        Target::X86_64Windows => &[("clang", &["--target=x86_64-pc-windows-msvc", "-ffreestanding"])],
    };
    candidates.iter().find_map(|(program, args)| {
        // A plain `gcc` only answers for the target it was built for.
        if *program == "gcc" || *program == "cc" {
            let machine = Command::new(program).arg("-dumpmachine").output().ok()?;
            let machine = String::from_utf8_lossy(&machine.stdout);
            if !machine.starts_with("x86_64") || !machine.contains("linux") {
                return None;
            }
        }
        let output = Command::new(program).args(*args).arg("--version").output().ok()?;
        let first = String::from_utf8_lossy(&output.stdout).lines().next()?.to_owned();
        let number = first
            .split_whitespace()
            .rev()
            .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.contains('.'))
            .or_else(|| first.split_whitespace().find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit())))
            .unwrap_or("?");
        let name = if program.contains("clang") { "clang" } else { "gcc" };
        let prefix = program.strip_suffix("-gcc").map(|p| format!("{p}-")).unwrap_or_default();
        Some(Compiler {
            program: (*program).to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            version: format!("{prefix}{name} {number}"),
        })
    })
}

/// One quantity asked of the compiler.
struct Question {
    type_name: String,
    what: String,
    expression: String,
    model: u64,
}

fn questions(layouts: &[Layout]) -> Vec<Question> {
    let mut asked = Vec::new();
    for layout in layouts {
        let ty = &layout.name;
        asked.push(Question {
            type_name: ty.clone(),
            what: "size".into(),
            expression: format!("sizeof({ty})"),
            model: layout.size,
        });
        asked.push(Question {
            type_name: ty.clone(),
            what: "align".into(),
            expression: format!("_Alignof({ty})"),
            model: layout.align,
        });
        for field in layout.fields.iter().filter(|f| f.bit_width.is_none()) {
            let name = &field.name;
            asked.push(Question {
                type_name: ty.clone(),
                what: format!("offset of {name}"),
                expression: format!("__builtin_offsetof({ty}, {name})"),
                model: field.offset,
            });
            if field.ty.ends_with("[]") {
                continue; // a flexible array member has no size to ask for
            }
            asked.push(Question {
                type_name: ty.clone(),
                what: format!("size of {name}"),
                expression: format!("sizeof((({ty} *)0)->{name})"),
                model: field.size,
            });
        }
    }
    asked
}

pub(crate) const PRELUDE: &str = "#include <stddef.h>\n#include <stdint.h>\n#include <stdbool.h>\n";

/// Asks `compiler` for every number in `layouts`, declared by `source`, in
/// one compile. Returns what it disagreed on, or why it could not answer.
pub fn verify(compiler: &Compiler, source: &str, layouts: &[Layout]) -> Result<Verification, String> {
    verify_with(compiler, PRELUDE, source, layouts)
}

/// As [`verify`], for text the same compiler has already preprocessed: it
/// brings its own declarations of everything, so nothing is included.
pub fn verify_preprocessed(compiler: &Compiler, text: &str, layouts: &[Layout]) -> Result<Verification, String> {
    verify_with(compiler, "", text, layouts)
}

/// The file name the probe lines are reported under, whatever line markers
/// the source before them carries.
const PROBE_FILE: &str = "<ffiscope-probe>";

fn verify_with(compiler: &Compiler, prelude: &str, source: &str, layouts: &[Layout]) -> Result<Verification, String> {
    let asked = questions(layouts);
    let mut probe = String::from(prelude);
    if !prelude.is_empty() {
        // The declarations' lines are their own text's, for the errors.
        probe.push_str("# 1 \"<stdin>\"\n");
    }
    probe.push_str(source);
    // The probe lines are lines 1, 2, … of their own file.
    let _ = writeln!(probe, "\n# 1 \"{PROBE_FILE}\"");
    for (index, question) in asked.iter().enumerate() {
        let _ = writeln!(probe, "int ffiscope_probe_{index} = (char (*)[{}])0;", question.expression);
    }
    let no_limit = if compiler.program.contains("clang") { "-ferror-limit=0" } else { "-fmax-errors=0" };
    let (_, stderr) = run_compiler(
        compiler,
        &probe,
        &["-fsyntax-only", "-Werror=int-conversion", "-Wno-pointer-to-int-cast", no_limit],
    )?;
    // An error in the declarations themselves (`__int128` on a 32-bit
    // target): the compiler went on with a type of its own choosing in its
    // place, so where it disagrees, its numbers are not the declarations'.
    let refused = stderr.lines().find(|line| is_an_error(line) && !line.starts_with(PROBE_FILE));
    let mut answers: Vec<Option<u64>> = vec![None; asked.len()];
    let mut complaints: Vec<Option<&str>> = vec![None; asked.len()];
    for line in stderr.lines().filter(|l| l.starts_with(PROBE_FILE)) {
        let Some(at) = probe_line(line) else { continue };
        let Some(index) = at.checked_sub(1).filter(|&i| i < asked.len()) else { continue };
        match answer(line) {
            Some(value) => answers[index] = Some(value),
            None if is_an_error(line) => complaints[index] = complaints[index].or(Some(line)),
            None => {}
        }
    }
    if !asked.is_empty() && answers.iter().all(Option::is_none) {
        let first_error = first_error(&stderr).unwrap_or("no answer");
        return Err(format!("{} answered nothing: {first_error}", compiler.version));
    }
    // A type the compiler rejected is left unverified, alone.
    let mut unanswered: Vec<Unanswered> = Vec::new();
    for (index, question) in asked.iter().enumerate().filter(|(i, _)| answers[*i].is_none()) {
        if unanswered.iter().any(|u| u.type_name == question.type_name) {
            continue;
        }
        let said = complaints[index].map_or("no answer", |line| line.split_once("error: ").map_or(line, |(_, e)| e));
        unanswered.push(Unanswered {
            type_name: question.type_name.clone(),
            why: format!("{} did not answer for its {}: {said}", compiler.version, question.what),
        });
    }
    let is_unanswered = |name: &str| unanswered.iter().any(|u| u.type_name == name);
    let mut mismatches: Vec<Mismatch> = asked
        .iter()
        .zip(answers)
        .filter(|(q, _)| !is_unanswered(&q.type_name))
        .filter_map(|(q, answer)| {
            let compiler = answer?;
            (compiler != q.model).then(|| Mismatch {
                type_name: q.type_name.clone(),
                what: q.what.clone(),
                model: q.model,
                compiler,
            })
        })
        .collect();
    let with_bitfields: Vec<&Layout> =
        layouts.iter().filter(|l| l.fields.iter().any(|f| f.bit_width.is_some()) && !is_unanswered(&l.name)).collect();
    if !with_bitfields.is_empty() {
        let checked = check_bitfields(compiler, prelude, source, &with_bitfields);
        mismatches.extend(checked.mismatches);
        unanswered.extend(checked.unanswered);
    }
    if let Some(refused) = refused {
        let said = refused.split_once("error: ").map_or(refused, |(_, e)| e);
        for mismatch in std::mem::take(&mut mismatches) {
            if !unanswered.iter().any(|u| u.type_name == mismatch.type_name) {
                unanswered.push(Unanswered {
                    why: format!(
                        "{} refused the declarations ({refused_at}: {said}), so its numbers for this type are not theirs",
                        compiler.version,
                        refused_at = refused.split(": ").next().unwrap_or_default(),
                    ),
                    type_name: mismatch.type_name,
                });
            }
        }
    }
    Ok(Verification { by: compiler.version.clone(), ok: mismatches.is_empty(), mismatches, unanswered })
}

/// The name DWARF gives a type: its tag without `struct `/`union `, or its typedef name.
fn dwarf_name(name: &str) -> &str {
    name.strip_prefix("struct ").or_else(|| name.strip_prefix("union ")).unwrap_or(name)
}

/// What the debug information said of the bitfields.
struct BitfieldCheck {
    mismatches: Vec<Mismatch>,
    unanswered: Vec<Unanswered>,
}

/// Compiles the declarations to an object with debug information and
/// compares every bitfield's position with the model's. A type the object
/// does not describe is left unverified, alone.
fn check_bitfields(compiler: &Compiler, prelude: &str, source: &str, layouts: &[&Layout]) -> BitfieldCheck {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mut probe = String::from(prelude);
    probe.push_str(source);
    probe.push('\n');
    // A use of each type makes the compiler describe it.
    for (index, layout) in layouts.iter().enumerate() {
        let _ = writeln!(probe, "{} *ffiscope_use_{index};", layout.name);
    }
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let object = std::env::temp_dir().join(format!("ffiscope-probe-{}-{n}.o", std::process::id()));
    let object_arg = object.to_string_lossy().into_owned();
    let compiled = run_compiler(compiler, &probe, &["-g", "-gdwarf", "-c", "-o", &object_arg]);
    let bytes = std::fs::read(&object);
    let _ = std::fs::remove_file(&object);
    let described = match compiled {
        Ok((true, _)) => bytes.map_err(|e| e.to_string()).and_then(|b| super::dwarf::members_in_object(&b)),
        Ok((false, stderr)) => Err(format!(
            "{} could not compile the declarations for their bitfields: {}",
            compiler.version,
            first_error(&stderr).unwrap_or("")
        )),
        Err(e) => Err(e),
    };
    let mut check = BitfieldCheck { mismatches: Vec::new(), unanswered: Vec::new() };
    for layout in layouts {
        let positions = match &described {
            Ok(positions) => positions,
            Err(why) => {
                check.unanswered.push(Unanswered { type_name: layout.name.clone(), why: why.clone() });
                continue;
            }
        };
        let mut mismatches = Vec::new();
        for field in layout.fields.iter().filter(|f| f.bit_width.is_some()) {
            let Some(found) =
                positions.iter().find(|p| p.type_name == dwarf_name(&layout.name) && p.field == field.name)
            else {
                check.unanswered.push(Unanswered {
                    type_name: layout.name.clone(),
                    why: format!("{} described no bitfield `{}` in it", compiler.version, field.name),
                });
                mismatches.clear();
                break;
            };
            for (what, model, compiler) in [
                ("bit offset", field.bit_offset.unwrap_or(0), found.bit_offset),
                ("bit width", field.bit_width.unwrap_or(0), found.bit_width),
            ] {
                if model != compiler {
                    mismatches.push(Mismatch {
                        type_name: layout.name.clone(),
                        what: format!("{what} of {}", field.name),
                        model,
                        compiler,
                    });
                }
            }
        }
        check.mismatches.extend(mismatches);
    }
    check
}

/// `<ffiscope-probe>:123:5: error: …` → 123.
fn probe_line(line: &str) -> Option<usize> {
    line.strip_prefix(PROBE_FILE)?.strip_prefix(':')?.split(':').next()?.trim().parse().ok()
}

/// What a compiler said of the integer constants read from a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstantsVerification {
    pub by: String,
    /// How many it was asked about.
    pub asked: usize,
    /// Those whose value it says is another.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disagree: Vec<String>,
    /// Those it would not evaluate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unanswered: Vec<String>,
}

impl ConstantsVerification {
    /// Whether it confirmed `name`'s value.
    pub fn confirms(&self, name: &str) -> bool {
        !self.disagree.iter().chain(&self.unanswered).any(|n| n == name)
    }
}

/// Asks `compiler` whether each of `constants` (macros and enumerators read
/// from `text`, which it preprocessed, with `macros` the object-like
/// macros taken out of it) has the value read, in one compile: a
/// `_Static_assert` each, after the macros put back where they are not
/// the compiler's own.
pub fn verify_constants(
    compiler: &Compiler,
    text: &str,
    macros: &MacroBodies,
    constants: &[(String, i128)],
) -> Result<ConstantsVerification, String> {
    let mut probe = String::with_capacity(text.len() + 64 * (macros.bodies.len() + constants.len()));
    probe.push_str(text);
    probe.push_str("\n# 1 \"<ffiscope-macros>\"\n");
    let mut names: Vec<&String> = macros.bodies.keys().collect();
    names.sort_unstable();
    for name in names {
        let _ = writeln!(probe, "#ifndef {name}\n#define {name} {}\n#endif", macros.bodies[name]);
    }
    let _ = writeln!(probe, "# 1 \"{PROBE_FILE}\"");
    for (name, value) in constants {
        let _ = writeln!(probe, "_Static_assert(({name}) == {}, \"ffiscope\");", c_integer(*value));
    }
    let no_limit = if compiler.program.contains("clang") { "-ferror-limit=0" } else { "-fmax-errors=0" };
    let (_, stderr) = run_compiler(compiler, &probe, &["-fsyntax-only", "-w", no_limit])?;
    // An error in the declarations themselves leaves the enumerators it
    // cost undeclared: only the probe's lines say which, the rest are confirmed.
    let mut disagree = Vec::new();
    let mut unanswered = Vec::new();
    for line in stderr.lines().filter(|l| l.starts_with(PROBE_FILE) && is_an_error(l)) {
        let Some((name, _)) = probe_line(line).and_then(|at| constants.get(at.checked_sub(1)?)) else { continue };
        // gcc: "static assertion failed: …"; clang 14: "static_assert failed due to requirement …".
        let failed = line.contains("static assertion failed") || line.contains("static_assert failed");
        let list = if failed { &mut disagree } else { &mut unanswered };
        if list.last() != Some(name) {
            list.push(name.clone());
        }
    }
    // A line with another error too was not evaluated: unanswered, not wrong.
    disagree.retain(|name| !unanswered.contains(name));
    Ok(ConstantsVerification { by: compiler.version.clone(), asked: constants.len(), disagree, unanswered })
}

/// `value` as a C integer constant of its own sign and width.
pub fn c_integer(value: i128) -> String {
    if value == i128::from(i64::MIN) {
        "(-9223372036854775807LL - 1)".to_owned()
    } else if value < 0 {
        format!("({value}LL)")
    } else if value > i128::from(i64::MAX) {
        format!("{value}ULL")
    } else {
        value.to_string()
    }
}

/// `<ffiscope-probe>:123:5: error: … 'char (*)[8]' …` → 8.
fn answer(line: &str) -> Option<u64> {
    let marker = line.find("char (*)[")?;
    let digits: String = line[marker + 9..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Runs the compiler over `source` with `extra` arguments; returns whether it
/// succeeded and what it printed on stderr.
fn run_compiler(compiler: &Compiler, source: &str, extra: &[&str]) -> Result<(bool, String), String> {
    let mut command = Command::new(&compiler.program);
    command.args(&compiler.args).arg("-std=gnu11").args(extra).args(["-x", "c", "-"]).stdout(Stdio::null());
    let (ok, _, stderr) =
        run_with_timeout(command, &compiler.version, Some(source.as_bytes().to_vec()), COMPILE_TIMEOUT)?;
    Ok((ok, stderr))
}

/// Whether a compiler's line is an error (`file:1:2: error: …`, `fatal
/// error`, `clang: error: …`), not a line that names a file such as
/// `SDL_error.h` (`In file included from …` goes on with `from` lines).
pub(crate) fn is_an_error(line: &str) -> bool {
    line.contains(": error") || line.contains(": fatal error") || line.starts_with("error")
}

/// The first error a compiler printed.
pub(crate) fn first_error(stderr: &str) -> Option<&str> {
    stderr.lines().find(|line| is_an_error(line))
}

/// Runs `command` (in the C locale), writing `stdin` to it and reading its
/// output as it comes, so neither side blocks on a full pipe; stops it past
/// `timeout`. Returns whether it succeeded, its stdout and its stderr.
pub(crate) fn run_with_timeout(
    mut command: Command,
    name: &str,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
) -> Result<(bool, Vec<u8>, String), String> {
    command.env("LC_ALL", "C").stderr(Stdio::piped());
    command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = command.spawn().map_err(|e| format!("could not start {name}: {e}"))?;
    let spawn_failed = |e: std::io::Error| format!("could not start a thread for {name}: {e}");
    let writer = match (stdin, child.stdin.take()) {
        (Some(bytes), Some(mut pipe)) => Some(
            std::thread::Builder::new()
                .name(format!("{name}-stdin"))
                .spawn(move || {
                    let _ = pipe.write_all(&bytes);
                })
                .map_err(spawn_failed)?,
        ),
        _ => None,
    };
    let out = child
        .stdout
        .take()
        .map(|mut stdout| {
            std::thread::Builder::new().name(format!("{name}-stdout")).spawn(move || {
                let mut bytes = Vec::new();
                let _ = std::io::Read::read_to_end(&mut stdout, &mut bytes);
                bytes
            })
        })
        .transpose()
        .map_err(spawn_failed)?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let err = std::thread::Builder::new()
        .name(format!("{name}-stderr"))
        .spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        })
        .map_err(spawn_failed)?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{name} took longer than {} s", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(format!("waiting for {name}: {e}")),
        }
    };
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    let stdout = out.map(|reader| reader.join().unwrap_or_default()).unwrap_or_default();
    let stderr = err.join().map_err(|_| format!("reading {name}'s output failed"))?;
    Ok((status.success(), stdout, stderr))
}
