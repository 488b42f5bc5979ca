//! The Struct Lab tab's state: the text, the targets, the model's layouts,
//! a Rust mirror checked against them, and a verification by the compilers. Both are made on worker threads (a
//! real header goes through each target's preprocessor); the last finished
//! layout stays on screen while the next is made, and a stale one is dropped.

use std::path::Path;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use super::abi::Target;
use super::bindings::{Bindings, bindings, reordered};
use super::engine::lay_out_variant;
use super::header::{HeaderOptions, analyze_source};
use super::parser::{Declarations, parse};
use super::report::{LabReport, analyze};
use crate::export::save_whole;
use crate::layout::Layout;
use crate::layout::mirror_check::cfg::Cfg;
use crate::layout::mirror_check::rust_reader::read_rust;
use crate::layout::mirror_check::{MirrorReport, check_mirror};

/// A starting point that shows what the lab does.
pub const EXAMPLE: &str = "#include <stdint.h>\n\n\
struct stat_like {\n    uint32_t st_mode;\n    long st_size;      /* 8 bytes on LP64, 4 on i686 and Windows */\n    int64_t st_mtime;  /* aligns to 4 inside i686 structs */\n};\n\n\
struct flags {\n    char a;\n    int b : 4;         /* 12 bytes with Microsoft bitfields, 4 elsewhere */\n    char c;\n};\n\n\
#pragma pack(push, 1)\n\
struct packed_data {\n    uint8_t flag;\n    uint32_t value;\n    uint64_t timestamp;\n};\n\
#pragma pack(pop)\n";

/// A C type and a mirror of it as often written: right on the machine it was
/// written on, wrong elsewhere.
pub const MIRROR_EXAMPLE_C: &str = "#include <stddef.h>\n#include <stdint.h>\n\n\
struct sample {\n    long id;    /* 4 bytes on Windows, i686 */\n    char tag;   /* unsigned on ARM */\n    uint16_t port;\n    uint64_t stamp;\n};\n\n\
long sample_total(const struct sample *items, size_t count);\n\
void sample_range(const struct sample *items, size_t count, unsigned long *first, unsigned long *last);\n";

/// The mirror of [`MIRROR_EXAMPLE_C`].
pub const MIRROR_EXAMPLE_RUST: &str = "// Right on x86_64 Linux only.\n\
#[repr(C)]\npub struct sample {\n    pub id: i64,    // c_long\n    pub tag: i8,    // c_char\n    pub port: u16,\n    pub stamp: u64,\n}\n\n\
extern \"C\" {\n    pub fn sample_total(items: *const sample, count: usize) -> i64; // c_long\n    \
pub fn sample_range(items: *const sample, count: usize, first: *mut u64, last: *mut u64); // c_ulong\n}\n";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabCommand {
    Edit(String),
    /// The Rust mirror's text, as typed.
    EditMirror(String),
    /// Replaces both texts with a C type and a mirror of it that is wrong off its own machine.
    LoadMirrorExample,
    ToggleTarget(Target),
    Select(String),
    Verify,
    Open(String),
    Save(String),
    /// Include folders and defines for the preprocessor, as typed: folders
    /// and `NAME[=VALUE]`s separated by spaces.
    SetIncludes(String),
    SetDefines(String),
    /// Cfgs to take as set in the mirror, as typed: `ossl300 key="value"`.
    SetCfgs(String),
}

/// A finished analysis of the text: the report, each target's declarations,
/// and the Rust mirror checked against it (if there is one).
type Analysis = (LabReport, Vec<(Target, Declarations)>, Option<MirrorReport>);

/// What the worker is handed to analyse.
#[derive(Debug)]
struct Inputs {
    name: String,
    text: String,
    mirror_text: String,
    targets: Vec<Target>,
    options: HeaderOptions,
    cfgs: Vec<Cfg>,
}

impl Inputs {
    /// Reads the C text and checks the mirror against it; with `check`, the
    /// compilers (C's and rustc) check their numbers.
    fn analyze(&self, check: bool) -> Analysis {
        let directory = Path::new(&self.name).parent().filter(|d| d.is_dir()).map(Path::to_path_buf);
        let (report, declarations) =
            analyze_source(&self.name, &self.text, directory.as_deref(), &self.targets, &self.options, check);
        let mirror = (!self.mirror_text.trim().is_empty()).then(|| {
            let mut rust = read_rust(&self.mirror_text);
            rust.set_cfgs(&self.cfgs);
            check_mirror(&report, &declarations, &rust, MIRROR_NAME, check)
        });
        (report, declarations, mirror)
    }
}

/// What the mirror's errors are named after.
const MIRROR_NAME: &str = "mirror.rs";

/// What errors and results name the text after until it is opened or saved.
const PASTED_NAME: &str = "lab.h";

/// What is derived from the type shown.
#[derive(Debug)]
struct ForSelected {
    name: String,
    bindings: Option<Bindings>,
    reorder: Option<(Layout, Layout)>,
}

#[derive(Debug)]
pub struct LabSession {
    text: String,
    /// The file the text came from or was saved to, as errors name it.
    source_name: String,
    targets: Vec<Target>,
    model: LabReport,
    /// What the model was laid out from, on the first chosen target.
    declarations: Declarations,
    selected: Option<String>,
    /// Bindings and a better member order for the type shown, made when the
    /// model or the choice changes, never per frame.
    for_selected: Option<ForSelected>,
    /// A Rust mirror of the C types, checked against them.
    mirror_text: String,
    /// The mirror checked against the model.
    mirror: Option<MirrorReport>,
    /// Bumped whenever the text, the mirror, the targets or the options change.
    inputs_version: u64,
    /// The report the compilers are producing, for the inputs of that version.
    pending: Option<(u64, Receiver<Analysis>)>,
    /// The last finished verification and the version of the inputs it is of.
    verified: Option<(u64, LabReport, Option<MirrorReport>)>,
    /// The layout being made for the text and targets as they are now.
    laying_out: Option<Receiver<Analysis>>,
    /// The inputs changed while a layout was being made: the next starts
    /// when it finishes. One worker at a time, however fast a user types:
    /// text the lab's own reader cannot read goes to every chosen compiler.
    relayout_waiting: bool,
    /// Layouts started since the session began.
    layouts_started: u64,
    /// Files being read on worker threads (a header and its mirror can be
    /// dropped together): each path, and its reader's answer.
    opening: Vec<(String, Receiver<std::io::Result<Vec<u8>>>)>,
    /// The outcome of the last open or save.
    message: Option<String>,
    /// The file the text is, unedited since it was opened or saved: what a
    /// restart opens again, instead of keeping a copy of a large header.
    unedited_file: Option<String>,
    /// Include folders and defines for the preprocessor.
    options: HeaderOptions,
    /// The cfgs taken as set in the mirror, as typed, as read, and why any
    /// of them could not be read.
    cfgs_text: String,
    cfgs: Vec<Cfg>,
    cfg_errors: Vec<String>,
}

impl LabSession {
    pub fn new(text: String) -> LabSession {
        LabSession::with_mirror(text, String::new())
    }

    /// The lab with a C text and a Rust mirror of its types.
    pub fn with_mirror(text: String, mirror_text: String) -> LabSession {
        let targets = vec![Target::X86_64Linux, Target::I686Linux, Target::X86_64Windows];
        // The lab's own reader gives the first frame something to show at
        // once; the worker's reading (through the preprocessor, if the text
        // uses it) replaces it when it is done.
        let model = analyze(PASTED_NAME, &text, &targets, false);
        let declarations = parse(&text);
        let source_name = PASTED_NAME.to_owned();
        let mut session = LabSession {
            text,
            source_name,
            targets,
            model,
            declarations,
            selected: None,
            for_selected: None,
            mirror_text,
            mirror: None,
            inputs_version: 0,
            pending: None,
            verified: None,
            laying_out: None,
            relayout_waiting: false,
            layouts_started: 0,
            opening: Vec::new(),
            message: None,
            unedited_file: None,
            options: HeaderOptions::default(),
            cfgs_text: String::new(),
            cfgs: Vec::new(),
            cfg_errors: Vec::new(),
        };
        session.refresh_selected();
        session.relayout();
        session
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The file the text came from or was saved to (`lab.h` for pasted text).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    pub fn is_verifying(&self) -> bool {
        self.pending.is_some()
    }

    /// Something runs in the background: a verification, or a file being read.
    pub fn is_busy(&self) -> bool {
        self.pending.is_some() || !self.opening.is_empty() || self.laying_out.is_some()
    }

    /// The file the text is, if it has not been edited since it was opened or saved.
    pub fn unedited_file(&self) -> Option<&str> {
        self.unedited_file.as_deref()
    }

    /// A layout of the text as it is now is still being made.
    pub fn is_laying_out(&self) -> bool {
        self.laying_out.is_some()
    }

    pub fn mirror_text(&self) -> &str {
        &self.mirror_text
    }

    /// The cfgs taken as set in the mirror, as typed.
    pub fn cfgs_text(&self) -> &str {
        &self.cfgs_text
    }

    /// Why typed cfgs could not be read (each is left out).
    pub fn cfg_errors(&self) -> &[String] {
        &self.cfg_errors
    }

    /// The inputs as they are now.
    fn inputs(&self) -> Inputs {
        Inputs {
            name: self.source_name.clone(),
            text: self.text.clone(),
            mirror_text: self.mirror_text.clone(),
            targets: self.targets.clone(),
            options: self.options.clone(),
            cfgs: self.cfgs.clone(),
        }
    }

    /// The last verification, if it was of the inputs as they are now.
    fn current_verification(&self) -> Option<&(u64, LabReport, Option<MirrorReport>)> {
        self.verified.as_ref().filter(|(version, ..)| *version == self.inputs_version)
    }

    /// The compilers' report if it is for the current text, else the model's.
    pub fn report(&self) -> &LabReport {
        self.current_verification().map_or(&self.model, |(_, report, _)| report)
    }

    /// The Rust mirror checked against the C types, rustc's word included
    /// after a verification of the inputs as they are.
    pub fn mirror(&self) -> Option<&MirrorReport> {
        match self.current_verification() {
            Some((_, _, mirror)) => mirror.as_ref(),
            None => self.mirror.as_ref(),
        }
    }

    /// Rust, C, Go and ctypes bindings for the type `name`, on the chosen targets.
    pub fn bindings(&self, name: &str) -> Option<&Bindings> {
        self.for_selected.as_ref().filter(|s| s.name == name)?.bindings.as_ref()
    }

    /// The smallest member order on the first chosen target: (now, reordered).
    pub fn reorder(&self, name: &str) -> Option<&(Layout, Layout)> {
        self.for_selected.as_ref().filter(|s| s.name == name)?.reorder.as_ref()
    }

    /// Makes the bindings and the reordering of the type shown, for the model as it is.
    fn refresh_selected(&mut self) {
        let Some(name) = self.selected().map(str::to_owned) else {
            self.for_selected = None;
            return;
        };
        let layouts: Vec<(Target, Vec<Layout>)> = self.targets.iter().map(|&t| (t, self.model.layouts(t))).collect();
        let bindings = bindings(&self.declarations, &name, &layouts);
        let reorder = self.targets.first().and_then(|&target| {
            let record = self.declarations.records.iter().find(|r| r.name == name)?;
            let better = reordered(&self.declarations, record, target)?;
            let after = lay_out_variant(&self.declarations, &better, target).ok()?;
            let before = self.model.layouts(target).into_iter().find(|l| l.name == name)?;
            (after.size < before.size).then_some((before, after))
        });
        self.for_selected = Some(ForSelected { name, bindings, reorder });
    }

    /// The type shown: the chosen one, or the first.
    pub fn selected(&self) -> Option<&str> {
        let names: Vec<&str> =
            self.model.results.first().map(|r| r.types.iter().map(|t| t.name.as_str()).collect()).unwrap_or_default();
        self.selected.as_deref().filter(|s| names.contains(s)).or(names.first().copied())
    }

    pub fn apply(&mut self, command: LabCommand) {
        match command {
            LabCommand::Edit(text) => {
                self.unedited_file = None;
                self.set_text(text);
            }
            LabCommand::EditMirror(text) => {
                self.mirror_text = text;
                self.relayout();
            }
            LabCommand::LoadMirrorExample => {
                self.unedited_file = None;
                PASTED_NAME.clone_into(&mut self.source_name);
                MIRROR_EXAMPLE_RUST.clone_into(&mut self.mirror_text);
                self.set_text(MIRROR_EXAMPLE_C.to_owned());
            }
            LabCommand::SetIncludes(typed) => {
                self.options.includes = typed.split_whitespace().map(std::path::PathBuf::from).collect();
                self.relayout();
            }
            LabCommand::SetDefines(typed) => {
                self.options.defines = typed.split_whitespace().map(str::to_owned).collect();
                self.relayout();
            }
            LabCommand::SetCfgs(typed) => {
                let (read, errors): (Vec<_>, Vec<_>) =
                    typed.split_whitespace().map(Cfg::parse_set).partition(Result::is_ok);
                self.cfgs = read.into_iter().filter_map(Result::ok).collect();
                self.cfg_errors = errors.into_iter().filter_map(Result::err).collect();
                self.cfgs_text = typed;
                self.relayout();
            }
            LabCommand::ToggleTarget(target) => {
                if let Some(at) = self.targets.iter().position(|t| *t == target) {
                    if self.targets.len() > 1 {
                        self.targets.remove(at);
                    }
                } else {
                    self.targets.push(target);
                    self.targets.sort_by_key(|t| Target::ALL.iter().position(|a| a == t));
                }
                self.relayout();
            }
            LabCommand::Select(name) => {
                self.selected = Some(name);
                self.refresh_selected();
            }
            LabCommand::Verify => self.start_verification(),
            LabCommand::Open(path) => self.start_opening(path),
            LabCommand::Save(path) => {
                self.message = Some(match save_whole(Path::new(&path), self.text.as_bytes()) {
                    Ok(()) => {
                        let saved = format!("Saved {path}");
                        self.unedited_file = Some(path.clone());
                        self.source_name = path;
                        saved
                    }
                    Err(error) => format!("Could not save {path}: {error}"),
                });
            }
        }
    }

    /// Reads `path` on a worker thread; [`LabSession::poll`] takes the text.
    fn start_opening(&mut self, path: String) {
        let (sender, receiver) = channel();
        let reading = path.clone();
        let spawned = std::thread::Builder::new().name("lab-open".into()).spawn(move || {
            let _ = sender.send(std::fs::read(&reading));
        });
        match spawned {
            Ok(_) => {
                self.message = Some(format!("Opening {path}…"));
                self.opening.push((path, receiver));
            }
            Err(error) => self.message = Some(format!("Could not open {path}: {error}")),
        }
    }

    /// Takes the files that finished reading, if any did.
    fn poll_opening(&mut self) -> bool {
        let mut finished = Vec::new();
        self.opening.retain(|(path, receiver)| match receiver.try_recv() {
            Ok(read) => {
                finished.push((path.clone(), read));
                false
            }
            Err(TryRecvError::Empty) => true,
            Err(TryRecvError::Disconnected) => {
                finished.push((path.clone(), Err(std::io::Error::other("the reader stopped without an answer"))));
                false
            }
        });
        let any = !finished.is_empty();
        for (path, read) in finished {
            self.take_opened(path, read);
        }
        any
    }

    /// Puts a file that was read where it belongs: a `.rs` in the Rust pane, anything else as the C text.
    fn take_opened(&mut self, path: String, read: std::io::Result<Vec<u8>>) {
        match read {
            Ok(bytes) if is_rust(&path) => {
                self.message = Some(format!("Opened the mirror {path}"));
                self.mirror_text = super::header_text(bytes).0;
                self.relayout();
            }
            Ok(bytes) => {
                let (text, latin1) = super::header_text(bytes);
                let note =
                    if latin1 { "; it is not UTF-8, so it was read as Latin-1 (saving writes UTF-8)" } else { "" };
                self.message = Some(format!("Opened {path}{note}"));
                // A Latin-1 file would be saved back as UTF-8: its copy is kept.
                self.unedited_file = (!latin1).then(|| path.clone());
                self.source_name = path;
                self.set_text(text);
            }
            Err(error) => self.message = Some(format!("Could not open {path}: {error}")),
        }
    }

    fn set_text(&mut self, text: String) {
        self.text = text;
        self.relayout();
    }

    /// Lays the text out again on a worker, or once the layout being made
    /// for the text as it was has finished.
    fn relayout(&mut self) {
        self.inputs_version += 1;
        if self.laying_out.is_some() {
            self.relayout_waiting = true;
        } else {
            self.start_layout();
        }
    }

    fn start_layout(&mut self) {
        self.relayout_waiting = false;
        self.layouts_started += 1;
        let (sender, receiver) = channel();
        let inputs = self.inputs();
        let spawned = std::thread::Builder::new().name("lab-layout".into()).spawn(move || {
            let _ = sender.send(inputs.analyze(false));
        });
        match spawned {
            Ok(_) => self.laying_out = Some(receiver),
            Err(error) => self.message = Some(format!("Could not start laying out: {error}")),
        }
    }

    fn poll_layout(&mut self) -> bool {
        let Some(receiver) = &self.laying_out else { return false };
        match receiver.try_recv() {
            Ok((report, declarations, mirror)) => {
                // Shown even when the text changed since: the layout follows
                // the typing a step behind, and the next is on its way.
                self.model = report;
                self.declarations = declarations.into_iter().next().map(|(_, d)| d).unwrap_or_default();
                self.mirror = mirror;
                self.laying_out = None;
                self.refresh_selected();
            }
            Err(TryRecvError::Disconnected) => {
                self.laying_out = None;
                self.message = Some("Laying out stopped without an answer.".to_owned());
            }
            Err(TryRecvError::Empty) => return false,
        }
        if self.relayout_waiting {
            self.start_layout();
        }
        true
    }

    fn start_verification(&mut self) {
        let (sender, receiver) = channel();
        let inputs = self.inputs();
        let spawned = std::thread::Builder::new().name("lab-verification".into()).spawn(move || {
            let _ = sender.send(inputs.analyze(true));
        });
        match spawned {
            Ok(_) => self.pending = Some((self.inputs_version, receiver)),
            Err(error) => self.message = Some(format!("Could not start the verification: {error}")),
        }
    }

    /// Takes a finished verification or a file that finished reading, if
    /// either did. Returns true if anything changed.
    pub fn poll(&mut self) -> bool {
        let opened = self.poll_opening();
        let laid_out = self.poll_layout();
        opened | laid_out | self.poll_verification()
    }

    fn poll_verification(&mut self) -> bool {
        let Some((_, receiver)) = &self.pending else { return false };
        match receiver.try_recv() {
            Ok((report, _, mirror)) => {
                if let Some((version, _)) = self.pending.take() {
                    self.verified = Some((version, report, mirror));
                }
                true
            }
            Err(TryRecvError::Disconnected) => {
                self.pending = None;
                self.message = Some("The verification stopped without an answer.".to_owned());
                true
            }
            Err(TryRecvError::Empty) => false,
        }
    }
}

/// Whether `path` names a Rust file: opened as the mirror, not as the C text.
fn is_rust(path: &str) -> bool {
    Path::new(path).extension().is_some_and(|e| e.eq_ignore_ascii_case("rs"))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{LabCommand, LabSession};

    /// Text the lab's own reader cannot read goes to the compilers, a
    /// process per target for each layout: typed a character at a time, it
    /// is laid out by one worker at a time, and the last layout is of the
    /// text as typed.
    #[test]
    fn a_burst_of_edits_is_laid_out_one_at_a_time_and_ends_on_the_last_text() {
        let text = "struct typed { long list[3]; char tail[sizeof(int) - 3]; };";
        let mut session = LabSession::new(String::new());
        for end in 1..=text.len() {
            session.apply(LabCommand::Edit(text[..end].to_owned()));
        }
        // The first edit's worker, and at most one more started when a
        // worker finished during the burst.
        assert!(session.layouts_started <= 3, "{} layouts for {} edits", session.layouts_started, text.len());
        let deadline = Instant::now() + Duration::from_mins(2);
        while session.is_laying_out() {
            assert!(Instant::now() < deadline, "the layouts settle");
            session.poll();
            std::thread::sleep(Duration::from_millis(5));
        }
        let model = session.report();
        let typed = model.results[0].types.iter().find(|t| t.name == "struct typed");
        assert_eq!(typed.map(|t| t.size), Some(32), "{model:#?}");
    }
}
