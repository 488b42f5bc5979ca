//! Real headers: each target's own compiler preprocesses the header (its
//! system headers first, the header's directory and the user's include
//! directories after them), [`gnu_c`] reads the result, the engine lays out
//! every struct and union it brings, and the same compiler can check them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::abi::Target;
use super::engine::lay_out;
use super::gnu_c::read_preprocessed;
use super::lexer::ParseError;
use super::macro_values::MacroBodies;
use super::macros::split_macros;
use super::parser::Declarations;
use super::report::{LabReport, TargetReport, TypeReport, answered};
use super::verify::{Compiler, find_compiler, first_error, run_with_timeout, verify_constants, verify_preprocessed};

/// A preprocessor that has not answered in this long is stopped.
const PREPROCESS_TIMEOUT: Duration = Duration::from_secs(20);

/// What the user adds to the compiler's command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderOptions {
    /// Searched after the target's system headers (`-idirafter`).
    pub includes: Vec<PathBuf>,
    /// `NAME` or `NAME=VALUE`.
    pub defines: Vec<String>,
    /// Headers included before the header itself (`-include`), as its
    /// users must: `stdio.h` before `jpeglib.h`.
    pub included_first: Vec<String>,
}

/// Whether `text` needs a preprocessor: a directive other than `#pragma`
/// (which the declarations' own reader understands).
pub fn uses_the_preprocessor(text: &str) -> bool {
    text.lines().any(|line| {
        line.trim_start().strip_prefix('#').is_some_and(|directive| !directive.trim_start().starts_with("pragma"))
    })
}

/// One target's preprocessed text.
#[derive(Debug, Clone)]
pub struct Preprocessed {
    pub text: String,
    pub compiler: Compiler,
    /// No compiler for the target: the host's preprocessed it, with the host's headers.
    pub host_headers: bool,
    /// The target's compiler found the library's configuration headers only
    /// in the host's multiarch folder (Debian keeps `curlbuild.h`,
    /// `opensslconf.h`, `_real_SDL_config.h` there), which was then searched last.
    pub host_configuration: Option<PathBuf>,
    /// The object-like macros defined at the end of the text.
    pub macros: MacroBodies,
}

impl Preprocessed {
    /// What a result from this text must say of where its headers came from.
    pub fn caveat(&self) -> Option<String> {
        if self.host_headers {
            return Some("preprocessed with the host's headers: no compiler for this target".to_owned());
        }
        self.host_configuration
            .as_ref()
            .map(|folder| format!("preprocessed with the host's configuration headers from {}", folder.display()))
    }
}

/// A header as a command names it: a file, or a name that `#include <…>`
/// finds in each target's own search path (`sys/stat.h`, `<zlib.h>`),
/// as C code that binds to it names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamedHeader {
    File(PathBuf),
    Included(String),
}

impl NamedHeader {
    /// `argument` as a file where one is there; written `<name>`, or a
    /// relative name that is no file here, the header `#include <name>`
    /// finds. A name that no `#include` could write is refused, with why.
    pub fn from_argument(argument: &Path) -> Result<NamedHeader, String> {
        let text = argument.to_string_lossy();
        let bracketed = text.starts_with('<') && text.ends_with('>');
        let looked_up = argument.is_relative() && !text.starts_with('.') && !argument.exists();
        if bracketed || looked_up {
            include_name(&text).map(NamedHeader::Included)
        } else {
            Ok(NamedHeader::File(argument.to_path_buf()))
        }
    }

    /// How reports and errors name it: its path, or `<sys/stat.h>`.
    pub fn label(&self) -> String {
        match self {
            NamedHeader::File(path) => path.display().to_string(),
            NamedHeader::Included(name) => format!("<{name}>"),
        }
    }

    /// The header a command's `argument` names, with its text.
    pub fn read(argument: &Path) -> Result<(NamedHeader, String), String> {
        let header = NamedHeader::from_argument(argument)?;
        let text = header.text()?;
        Ok((header, text))
    }

    /// Its text: the file's (bytes that are not UTF-8, a Latin-1 comment,
    /// read as compilers read them), or the `#include` line that brings it.
    pub fn text(&self) -> Result<String, String> {
        match self {
            NamedHeader::File(path) => std::fs::read(path)
                .map(|bytes| super::header_text(bytes).0)
                .map_err(|error| format!("cannot read {}: {error}{}", path.display(), included_instead(path))),
            NamedHeader::Included(name) => Ok(include_line(name)),
        }
    }

    /// The folder its quoted includes are looked for in.
    pub fn directory(&self) -> Option<&Path> {
        match self {
            NamedHeader::File(path) => path.parent(),
            NamedHeader::Included(_) => None,
        }
    }
}

/// The line that includes the header `name`.
fn include_line(name: &str) -> String {
    format!("#include <{name}>\n")
}

/// A header's name as an `#include <…>` writes it, with or without its
/// brackets (`stdio.h`, `<stdio.h>`), or why no `#include` could write it.
pub fn include_name(text: &str) -> Result<String, String> {
    let name = text.strip_prefix('<').and_then(|rest| rest.strip_suffix('>')).unwrap_or(text).trim();
    if name.is_empty() || name.contains(['<', '>', '"', '\n', '\r', '\0']) {
        return Err(format!("`{text}` is no header name an `#include <…>` could write"));
    }
    Ok(name.to_owned())
}

/// For a file under the libraries' headers' folder that is not there, the
/// name that finds it: glibc keeps `sys/stat.h` in a folder of each
/// architecture's own (`/usr/include/x86_64-linux-gnu`), never in
/// `/usr/include/sys`.
fn included_instead(path: &Path) -> String {
    match path.strip_prefix(INCLUDE) {
        Ok(name) if !path.exists() && !name.as_os_str().is_empty() => format!(
            "; to lay out the header `#include <{0}>` finds, each target's own, name it so: `{0}`",
            name.display()
        ),
        _ => String::new(),
    }
}

/// What to preprocess: a header on disk, or text typed into Struct Lab with
/// the folder its quoted includes are relative to.
#[derive(Debug, Clone, Copy)]
pub enum HeaderInput<'a> {
    File(&'a Path),
    Text {
        text: &'a str,
        directory: Option<&'a Path>,
    },
    /// A header by the name `#include <…>` finds it by.
    Included(&'a str),
}

impl HeaderInput<'_> {
    /// The name the preprocessor's line markers give the input itself.
    fn marker_name(&self) -> String {
        match self {
            HeaderInput::File(path) => path.display().to_string(),
            HeaderInput::Text { .. } | HeaderInput::Included(_) => "<stdin>".to_owned(),
        }
    }

    /// What the preprocessor said, in the input's own terms: a header named
    /// by its `#include` name that is not found was never a line of text.
    fn failure(&self, failed: &str) -> String {
        match self {
            HeaderInput::Included(name) if failed.starts_with("<stdin>:1:") && missing_file(failed) == Some(name) => {
                format!("no header `{name}` in its own folders or the include folders given it")
            }
            _ => failed.to_owned(),
        }
    }
}

/// Preprocesses `input` for `target` with the target's compiler, or with
/// the host's (saying so) when the target has none.
pub fn preprocess(target: Target, input: HeaderInput<'_>, options: &HeaderOptions) -> Result<Preprocessed, String> {
    let (compiler, host_headers) = match find_compiler(target) {
        Some(compiler) => (compiler, false),
        None => (
            Target::host()
                .and_then(find_compiler)
                .ok_or_else(|| format!("no C compiler for {} and none for the host", target.triple()))?,
            true,
        ),
    };
    // The Windows target's compiler searches no folder of this machine's;
    // the libraries' own headers are found in /usr/include, after its own.
    let libraries = Path::new(INCLUDE);
    let library_folder = (target == Target::X86_64Windows && libraries.is_dir()).then_some(libraries);
    let failed = match run_preprocessor(&compiler, input, options, library_folder) {
        Ok((text, macros)) => {
            return Ok(Preprocessed { text, compiler, host_headers, host_configuration: None, macros });
        }
        Err(first_error) => first_error,
    };
    // A library that keeps its headers in a folder of its own, as
    // `pkg-config --cflags` would say (freetype's `ft2build.h`, SDL's
    // `SDL.h`): that folder is what is missing, on every target.
    let library = missing_file(&failed).and_then(|missing| library_folder_holding(INCLUDE, missing));
    if let Some(folder) = library {
        return Err(format!(
            "{} could not preprocess it: {} (it is in {2}: add that folder to the include folders, `-I {2}`)",
            compiler.version,
            input.failure(&failed),
            folder.display()
        ));
    }
    // A cross compiler that misses a header the host keeps in its multiarch
    // folder tries once more with that folder last, and says so.
    let host_folder = host_multiarch_folder().filter(|_| !host_headers && Some(target) != Target::host());
    // Only where that folder has the header: one that is nowhere is not a
    // configuration header to borrow.
    let missing = missing_file(&failed);
    let mut retried = None;
    let borrowed = host_folder.filter(|folder| missing.is_some_and(|name| folder.join(name).is_file()));
    if let Some(folder) = borrowed.filter(|_| library_folder.is_none()) {
        match run_preprocessor(&compiler, input, options, Some(&folder)) {
            Ok((text, macros)) => {
                let host_configuration = Some(folder);
                return Ok(Preprocessed { text, compiler, host_headers, host_configuration, macros });
            }
            Err(second) => retried = Some((folder, second)),
        }
    }
    if let Some((folder, second)) = retried {
        // The host's configuration is another architecture's (SDL's turns on
        // x86 intrinsics): say why that did not do, and what would.
        let package = target.debian_architecture().map_or_else(String::new, |arch| {
            format!("; the library's development package for `{arch}` would bring this target's own configuration")
        });
        return Err(format!(
            "{} could not preprocess it: {}; with the host's configuration headers from {} searched \
             last: {second}{package}",
            compiler.version,
            input.failure(&failed),
            folder.display()
        ));
    }
    let hint = match (target, missing_file(&failed)) {
        (Target::X86_64Windows, Some(missing)) => match host_multiarch_folder() {
            // Named by the input itself or by its library's own header (OpenSSL's
            // macros.h wants openssl/opensslconf.h), not by a C library header
            // on the way.
            Some(folder)
                if (failed.starts_with(&input.marker_name()) || wanted_by_its_library(&failed, missing))
                    && folder.join(missing).exists() =>
            {
                format!(
                    " (it is only in {}, the host's own folder; a Windows build needs its Windows copy)",
                    folder.display()
                )
            }
            _ => " (this header needs the Windows SDK's headers, which are not installed)".to_owned(),
        },
        _ => String::new(),
    };
    Err(format!("{} could not preprocess it: {}{hint}", compiler.version, input.failure(&failed)))
}

/// Whether the header that failed (`/usr/include/openssl/macros.h:14:10: …`)
/// is in the folder the missing one is named under (`openssl/…`): the
/// library's own, not the C library's.
fn wanted_by_its_library(failed: &str, missing: &str) -> bool {
    let including = failed.split(':').next().unwrap_or("");
    missing.split_once('/').is_some_and(|(library, _)| including.contains(&format!("/{library}/")))
}

/// The header a preprocessor said it could not find: clang's
/// `'curl/curl.h' file not found`, gcc's `curl/curl.h: No such file or directory`.
fn missing_file(error: &str) -> Option<&str> {
    if let Some(before) = error.strip_suffix("' file not found") {
        return before.rsplit_once('\'').map(|(_, name)| name);
    }
    let before = error.strip_suffix(": No such file or directory")?;
    before.rsplit_once(": ").map(|(_, name)| name)
}

/// Where the libraries' headers are installed.
const INCLUDE: &str = "/usr/include";

/// A folder directly inside `include` that holds the header `missing` (a
/// name as `#include` wrote it), where a library keeps its headers apart.
/// Only so many folders are looked in. None when the host's multiarch
/// folder holds it: that is a target's own configuration (`opensslconf.h`),
/// and another folder's copy is another build's (node's bundled OpenSSL).
fn library_folder_holding(include: &str, missing: &str) -> Option<PathBuf> {
    const FOLDERS_LOOKED_IN: usize = 4096;
    if missing.split('/').any(|part| part == ".." || part.is_empty()) {
        return None;
    }
    let multiarch = Target::host().map(|host| Path::new(include).join(host.triple()));
    if multiarch.is_some_and(|folder| folder.join(missing).is_file()) {
        return None;
    }
    let mut folders: Vec<PathBuf> = std::fs::read_dir(include)
        .ok()?
        .take(FOLDERS_LOOKED_IN)
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir() && !path.file_name().is_some_and(|n| n.to_string_lossy().contains("-linux-")))
        .collect();
    folders.sort();
    folders.into_iter().find(|folder| folder.join(missing).is_file())
}

/// The host's multiarch include folder, e.g. `/usr/include/x86_64-linux-gnu`.
fn host_multiarch_folder() -> Option<PathBuf> {
    let folder = Path::new(INCLUDE).join(Target::host()?.triple());
    folder.is_dir().then_some(folder)
}

/// `compiler -E` over `input`: the preprocessed text and its object-like
/// macros, or the first error it printed.
fn run_preprocessor(
    compiler: &Compiler,
    input: HeaderInput<'_>,
    options: &HeaderOptions,
    last_folder: Option<&Path>,
) -> Result<(String, MacroBodies), String> {
    let mut command = Command::new(&compiler.program);
    // `-dD` keeps the macros' definitions, for the constants a mirror names.
    command.args(&compiler.args).args(["-E", "-dD", "-std=gnu11"]);
    let (directory, stdin) = match input {
        HeaderInput::File(path) => (path.parent(), None),
        HeaderInput::Text { text, directory } => (directory, Some(text.as_bytes().to_vec())),
        HeaderInput::Included(name) => (None, Some(include_line(name).into_bytes())),
    };
    if let Some(directory) = directory.filter(|d| !d.as_os_str().is_empty()) {
        command.arg("-idirafter").arg(directory);
    }
    for directory in options.includes.iter().map(PathBuf::as_path).chain(last_folder) {
        command.arg("-idirafter").arg(directory);
    }
    for define in &options.defines {
        command.arg(format!("-D{define}"));
    }
    for header in &options.included_first {
        command.arg("-include").arg(header);
    }
    match input {
        HeaderInput::File(path) => command.arg(path),
        HeaderInput::Text { .. } | HeaderInput::Included(_) => command.args(["-x", "c", "-"]),
    };
    command.stdout(Stdio::piped());
    let (ok, stdout, stderr) = run_with_timeout(command, &compiler.version, stdin, PREPROCESS_TIMEOUT)?;
    if !ok {
        return Err(first_error(&stderr).unwrap_or(stderr.trim()).to_owned());
    }
    Ok(split_macros(&super::header_text(stdout).0))
}

/// `header` preprocessed, read and laid out on each of `targets`, and, if
/// `check`, every number checked by the compiler that preprocessed it.
/// `only`, if not empty, names the types to report.
pub fn analyze_header(
    header: &Path,
    targets: &[Target],
    options: &HeaderOptions,
    only: &[String],
    check: bool,
) -> LabReport {
    analyze_input(&header.display().to_string(), HeaderInput::File(header), targets, options, only, check).0
}

/// A header named as a command names it ([`NamedHeader`]), preprocessed,
/// read and laid out on each of `targets` as [`analyze_header`] does a
/// file; each target's declarations come beside the report.
pub fn analyze_named(
    header: &NamedHeader,
    targets: &[Target],
    options: &HeaderOptions,
    only: &[String],
    check: bool,
) -> (LabReport, Vec<(Target, Declarations)>) {
    match header {
        NamedHeader::File(path) => {
            analyze_input(&header.label(), HeaderInput::File(path), targets, options, only, check)
        }
        NamedHeader::Included(name) => {
            analyze_input(&header.label(), HeaderInput::Included(name), targets, options, only, check)
        }
    }
}

/// As [`analyze_header`], with each target's declarations beside the report
/// (what a Rust mirror's types are compared with).
pub fn analyze_header_per_target(
    header: &Path,
    targets: &[Target],
    options: &HeaderOptions,
    check: bool,
) -> (LabReport, Vec<(Target, Declarations)>) {
    analyze_input(&header.display().to_string(), HeaderInput::File(header), targets, options, &[], check)
}

/// Struct Lab's text, read as [`analyze_header`] reads a header if it uses
/// the preprocessor and a compiler is there to run it; by the lab's own
/// reader otherwise. Errors are named after `name`; quoted includes are
/// looked for in `directory`. Each target's declarations come beside the report.
pub fn analyze_source(
    name: &str,
    text: &str,
    directory: Option<&Path>,
    targets: &[Target],
    options: &HeaderOptions,
    check: bool,
) -> (LabReport, Vec<(Target, Declarations)>) {
    let preprocessed = uses_the_preprocessor(text) || *options != HeaderOptions::default();
    if preprocessed && any_compiler(targets) {
        let input = HeaderInput::Text { text, directory };
        analyze_input(name, input, targets, options, &[], check)
    } else {
        analyze_plain_text(name, text, directory, targets, &[], check)
    }
}

/// Whether a compiler is there for any of `targets`, or for the host.
fn any_compiler(targets: &[Target]) -> bool {
    targets.iter().chain(Target::host().as_ref()).any(|&t| find_compiler(t).is_some())
}

/// Text that uses no preprocessor, read by the lab's own reader, which
/// knows the standard names (`size_t`) without their headers. Where it
/// cannot read the text (a header's `gcc -E` output, GNU C beyond
/// declarations: `__builtin_va_list`, `sizeof`), the compilers read it
/// instead, and their reading is taken if it has fewer errors. Only the
/// types `only` names are reported, if any.
pub fn analyze_plain_text(
    name: &str,
    text: &str,
    directory: Option<&Path>,
    targets: &[Target],
    only: &[String],
    check: bool,
) -> (LabReport, Vec<(Target, Declarations)>) {
    let own = super::report::analyze_only(name, text, targets, check, only);
    if !own.errors.is_empty() && any_compiler(targets) {
        let input = HeaderInput::Text { text, directory };
        let compiled = analyze_input(name, input, targets, &HeaderOptions::default(), only, check);
        if compiled.0.errors.len() < own.errors.len() {
            return compiled;
        }
    }
    let declarations = super::parser::parse(text);
    (own, targets.iter().map(|&t| (t, declarations.clone())).collect())
}

fn analyze_input(
    file: &str,
    input: HeaderInput<'_>,
    targets: &[Target],
    options: &HeaderOptions,
    only: &[String],
    check: bool,
) -> (LabReport, Vec<(Target, Declarations)>) {
    let main_file = &input.marker_name();
    // Each target waits on its own compilers: they run side by side.
    let outcomes: Vec<TargetOutcome> = std::thread::scope(|scope| {
        let running: Vec<_> = targets
            .iter()
            .map(|&target| scope.spawn(move || analyze_target(target, input, options, only, check, main_file)))
            .collect();
        running
            .into_iter()
            .zip(targets)
            .map(|(handle, &target)| {
                handle.join().unwrap_or_else(|_| TargetOutcome::failed(target, "the analysis failed on this target"))
            })
            .collect()
    });
    let mut errors: Vec<ParseError> = Vec::new();
    let mut results = Vec::new();
    let mut declarations = Vec::new();
    // A name is unmatched if it is on every target that read the text.
    let mut unmatched: Option<Vec<String>> = None;
    for outcome in outcomes {
        if outcome.declarations.is_some() {
            let here = outcome.unmatched;
            unmatched = Some(match unmatched {
                None => here,
                Some(before) => before.into_iter().filter(|why| here.contains(why)).collect(),
            });
        }
        // An error every target reads alike is said once, unprefixed.
        for error in outcome.read_errors {
            if !errors.iter().any(|e| e.message.ends_with(&error.message) && e.line == error.line) {
                let mut error = error;
                if !results.is_empty() {
                    error.message = format!("{}: {}", outcome.target.triple(), error.message);
                }
                errors.push(error);
            }
        }
        errors.extend(outcome.target_errors);
        results.extend(outcome.result);
        declarations.extend(outcome.declarations.map(|d| (outcome.target, d)));
    }
    (LabReport { file: file.to_owned(), results, errors, unmatched: unmatched.unwrap_or_default() }, declarations)
}

/// What one target made of the input.
struct TargetOutcome {
    target: Target,
    result: Option<TargetReport>,
    /// Errors in the text, as this target read it.
    read_errors: Vec<ParseError>,
    /// Errors that are this target's alone (no preprocessor, a type too large).
    target_errors: Vec<ParseError>,
    /// Why names asked for pick out no type with a layout here.
    unmatched: Vec<String>,
    declarations: Option<Declarations>,
}

impl TargetOutcome {
    fn failed(target: Target, message: &str) -> TargetOutcome {
        TargetOutcome {
            target,
            result: None,
            read_errors: Vec::new(),
            target_errors: vec![on_target(target, message)],
            unmatched: Vec::new(),
            declarations: None,
        }
    }
}

fn on_target(target: Target, message: &str) -> ParseError {
    ParseError { line: 0, column: 0, message: format!("{}: {message}", target.triple()) }
}

/// Preprocesses, reads and lays out the input for `target`, and if `check`
/// has its compiler check every number.
fn analyze_target(
    target: Target,
    input: HeaderInput<'_>,
    options: &HeaderOptions,
    only: &[String],
    check: bool,
    main_file: &str,
) -> TargetOutcome {
    let preprocessed = match preprocess(target, input, options) {
        Ok(preprocessed) => preprocessed,
        Err(message) => return TargetOutcome::failed(target, &message),
    };
    let read = read_preprocessed(&preprocessed.text, target, main_file);
    let mut declarations = read.declarations;
    // Enumerators and macros share C's one namespace of identifiers; a
    // macro may stand for an enumerator (curl's `CURLOPT_WRITEINFO`).
    let macro_values = preprocessed.macros.values(&declarations.constants);
    declarations.constants.extend(macro_values);
    declarations.constants.sort_unstable();
    declarations.constants.dedup_by(|a, b| a.0 == b.0);
    declarations.strings = preprocessed.macros.strings();
    declarations.unread_macros = preprocessed.macros.unread(&declarations.constants, &declarations.strings);
    let read_errors = std::mem::take(&mut declarations.errors);
    let mut target_errors = Vec::new();
    // Opaque types (declared, never defined) have no layout to show.
    for record in &mut declarations.records {
        record.reported &= record.defined();
    }
    let unmatched = declarations.report_only(only);
    let mut layouts = Vec::new();
    let mut declared = Vec::new();
    let index_of: rustc_hash::FxHashMap<&str, usize> =
        declarations.records.iter().enumerate().map(|(i, r)| (r.name.as_str(), i)).collect();
    let declared_in = |name: &str| index_of.get(name).and_then(|&i| read.declared_in.get(i));
    // The header's own types first, then those its includes bring.
    let mut laid_out = lay_out(&declarations, target);
    laid_out.sort_by_cached_key(|(name, _)| declared_in(name).is_none_or(|d| d.file != main_file));
    for (name, laid) in laid_out {
        match laid {
            Ok(layout) => {
                declared.push(declared_in(&name).cloned());
                layouts.push(layout);
            }
            Err(message) => target_errors.push(on_target(target, &format!("`{name}`: {message}"))),
        }
    }
    // The host's compiler cannot answer for another target's numbers.
    let (verification, verification_error) = answered(
        (check && !preprocessed.host_headers)
            .then(|| verify_preprocessed(&preprocessed.compiler, &preprocessed.text, &layouts)),
    );
    let constants_verified = (check && !preprocessed.host_headers)
        .then(|| {
            verify_constants(&preprocessed.compiler, &preprocessed.text, &preprocessed.macros, &declarations.constants)
        })
        .and_then(Result::ok);
    let types = layouts
        .iter()
        .zip(declared)
        .map(|(layout, declared_in)| TypeReport::of(layout, &declarations, target, verification.as_ref(), declared_in))
        .collect();
    declarations.errors.clone_from(&read_errors);
    TargetOutcome {
        target,
        result: Some(TargetReport {
            target,
            types,
            verified_by: verification.map(|v| v.by),
            verification_error,
            caveat: preprocessed.caveat(),
            constants_verified,
        }),
        read_errors,
        target_errors,
        unmatched,
        declarations: Some(declarations),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::{NamedHeader, library_folder_holding, wanted_by_its_library};
    use crate::layout::lab::Target;

    /// A command's header argument is a file where one is there, and
    /// otherwise, relative and not `./`-anchored, or in angle brackets, the
    /// name an `#include <…>` finds; a name with no place in one is refused.
    #[test]
    fn a_header_argument_is_a_file_or_the_name_an_include_finds() {
        let named = |argument: &str| NamedHeader::from_argument(Path::new(argument));
        let here = file!(); // relative to the crate, where the tests run
        assert_eq!(named(here), Ok(NamedHeader::File(PathBuf::from(here))));
        assert_eq!(named("sys/stat.h"), Ok(NamedHeader::Included("sys/stat.h".to_owned())));
        assert_eq!(named("< zlib.h >"), Ok(NamedHeader::Included("zlib.h".to_owned())));
        assert_eq!(named("/no/such/header.h"), Ok(NamedHeader::File(PathBuf::from("/no/such/header.h"))));
        assert_eq!(named("./no_such.h"), Ok(NamedHeader::File(PathBuf::from("./no_such.h"))));
        for bad in ["<>", "<a>b.h>", "<x.h\n#define y>"] {
            assert!(named(bad).is_err(), "{bad}");
        }
        let included = NamedHeader::Included("sys/stat.h".to_owned());
        assert_eq!(
            (included.label(), included.text()),
            ("<sys/stat.h>".to_owned(), Ok("#include <sys/stat.h>\n".to_owned()))
        );
        let missing = named("/usr/include/sys/no_such.h").and_then(|header| header.text());
        assert!(missing.is_err_and(|why| why.ends_with("name it so: `sys/no_such.h`")));
    }

    /// A library's own folder is named for a header only it holds; a
    /// configuration header the host's multiarch folder holds is not sent to
    /// another library's copy of it.
    #[test]
    fn a_library_folder_is_named_unless_the_multiarch_folder_holds_the_header() {
        let Some(host) = Target::host() else { return };
        let include = std::env::temp_dir().join(format!("ffiscope-include-{}", std::process::id()));
        let put = |path: &str| {
            let file = include.join(path);
            std::fs::create_dir_all(file.parent().expect("a folder")).expect("made");
            std::fs::write(file, "").expect("written");
        };
        put("freetype2/ft2build.h");
        put("node/openssl/opensslconf.h");
        put(&format!("{}/openssl/opensslconf.h", host.triple()));
        let root = include.to_str().expect("a path");
        assert_eq!(library_folder_holding(root, "ft2build.h"), Some(include.join("freetype2")));
        assert_eq!(library_folder_holding(root, "openssl/opensslconf.h"), None);
        assert_eq!(library_folder_holding(root, "../ft2build.h"), None);
        let _ = std::fs::remove_dir_all(&include);
    }

    /// OpenSSL's own header wanting its configuration is the library's
    /// doing; zlib's wanting `sys/types.h` is the C library's.
    #[test]
    fn a_header_wanted_from_its_own_folder_is_the_librarys() {
        let openssl = "/usr/include/openssl/macros.h:14:10: fatal error: 'openssl/opensslconf.h' file not found";
        assert!(wanted_by_its_library(openssl, "openssl/opensslconf.h"));
        let zlib = "/usr/include/zconf.h:450:14: fatal error: 'sys/types.h' file not found";
        assert!(!wanted_by_its_library(zlib, "sys/types.h"));
        assert!(!wanted_by_its_library(zlib, "zconf.h"));
    }
}
