//! The Struct Lab tab's state: the text, the targets, the model's layouts,
//! and a verification by the compilers. Both are made on worker threads (a
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

/// A starting point that shows what the lab does.
pub const EXAMPLE: &str = "#include <stdint.h>\n\n\
struct stat_like {\n    uint32_t st_mode;\n    long st_size;      /* 8 bytes on LP64, 4 on i686 and Windows */\n    int64_t st_mtime;  /* aligns to 4 inside i686 structs */\n};\n\n\
struct flags {\n    char a;\n    int b : 4;         /* 12 bytes with Microsoft bitfields, 4 elsewhere */\n    char c;\n};\n\n\
#pragma pack(push, 1)\n\
struct packed_data {\n    uint8_t flag;\n    uint32_t value;\n    uint64_t timestamp;\n};\n\
#pragma pack(pop)\n";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabCommand {
    Edit(String),
    ToggleTarget(Target),
    Select(String),
    Verify,
    Open(String),
    Save(String),
    /// Include folders and defines for the preprocessor, as typed: folders
    /// and `NAME[=VALUE]`s separated by spaces.
    SetIncludes(String),
    SetDefines(String),
}

/// A finished analysis of the text: the report, and each target's declarations.
type Analysis = (LabReport, Vec<(Target, Declarations)>);

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
    /// The report the compilers are producing, for the text and targets as they were.
    pending: Option<(String, Vec<Target>, Receiver<LabReport>)>,
    /// The last finished verification, valid while text and targets stay the same.
    verified: Option<(String, Vec<Target>, LabReport)>,
    /// The layout being made for the text and targets as they are now.
    laying_out: Option<Receiver<Analysis>>,
    /// A file being read on a worker thread: its path, and the reader's answer.
    opening: Option<(String, Receiver<std::io::Result<Vec<u8>>>)>,
    /// The outcome of the last open or save.
    message: Option<String>,
    /// The file the text is, unedited since it was opened or saved: what a
    /// restart opens again, instead of keeping a copy of a large header.
    unedited_file: Option<String>,
    /// Include folders and defines for the preprocessor.
    options: HeaderOptions,
}

impl LabSession {
    pub fn new(text: String) -> LabSession {
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
            pending: None,
            verified: None,
            laying_out: None,
            opening: None,
            message: None,
            unedited_file: None,
            options: HeaderOptions::default(),
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
        self.pending.is_some() || self.opening.is_some() || self.laying_out.is_some()
    }

    /// The file the text is, if it has not been edited since it was opened or saved.
    pub fn unedited_file(&self) -> Option<&str> {
        self.unedited_file.as_deref()
    }

    /// A layout of the text as it is now is still being made.
    pub fn is_laying_out(&self) -> bool {
        self.laying_out.is_some()
    }

    /// The compilers' report if it is for the current text, else the model's.
    pub fn report(&self) -> &LabReport {
        match &self.verified {
            Some((text, targets, report)) if *text == self.text && *targets == self.targets => report,
            _ => &self.model,
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
            LabCommand::SetIncludes(typed) => {
                self.options.includes = typed.split_whitespace().map(std::path::PathBuf::from).collect();
                self.relayout();
            }
            LabCommand::SetDefines(typed) => {
                self.options.defines = typed.split_whitespace().map(str::to_owned).collect();
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
                self.opening = Some((path, receiver));
            }
            Err(error) => self.message = Some(format!("Could not open {path}: {error}")),
        }
    }

    /// Takes a file that finished reading, if one did.
    fn poll_opening(&mut self) -> bool {
        let Some((_, receiver)) = &self.opening else { return false };
        let read = match receiver.try_recv() {
            Ok(read) => read,
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => Err(std::io::Error::other("the reader stopped without an answer")),
        };
        let Some((path, _)) = self.opening.take() else { return false };
        match read {
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
        true
    }

    fn set_text(&mut self, text: String) {
        self.text = text;
        self.relayout();
    }

    /// Starts laying the text out again on a worker; a layout still being
    /// made for the text as it was is dropped with its receiver.
    fn relayout(&mut self) {
        let (sender, receiver) = channel();
        let (name, text, targets) = (self.source_name.clone(), self.text.clone(), self.targets.clone());
        let options = self.options.clone();
        let spawned = std::thread::Builder::new().name("lab-layout".into()).spawn(move || {
            let directory = Path::new(&name).parent().filter(|d| d.is_dir()).map(Path::to_path_buf);
            let _ = sender.send(analyze_source(&name, &text, directory.as_deref(), &targets, &options, false));
        });
        match spawned {
            Ok(_) => self.laying_out = Some(receiver),
            Err(error) => self.message = Some(format!("Could not start laying out: {error}")),
        }
    }

    fn poll_layout(&mut self) -> bool {
        let Some(receiver) = &self.laying_out else { return false };
        match receiver.try_recv() {
            Ok((report, declarations)) => {
                self.model = report;
                self.declarations = declarations.into_iter().next().map(|(_, d)| d).unwrap_or_default();
                self.laying_out = None;
                self.refresh_selected();
                true
            }
            Err(TryRecvError::Disconnected) => {
                self.laying_out = None;
                self.message = Some("Laying out stopped without an answer.".to_owned());
                true
            }
            Err(TryRecvError::Empty) => false,
        }
    }

    fn start_verification(&mut self) {
        let (sender, receiver) = channel();
        let (text, targets) = (self.text.clone(), self.targets.clone());
        let (for_thread, targets_for_thread, name) = (text.clone(), targets.clone(), self.source_name.clone());
        let options = self.options.clone();
        let spawned = std::thread::Builder::new().name("lab-verification".into()).spawn(move || {
            let directory = Path::new(&name).parent().filter(|d| d.is_dir()).map(Path::to_path_buf);
            let report = analyze_source(&name, &for_thread, directory.as_deref(), &targets_for_thread, &options, true);
            let _ = sender.send(report.0);
        });
        match spawned {
            Ok(_) => self.pending = Some((text, targets, receiver)),
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
        let Some((_, _, receiver)) = &self.pending else { return false };
        match receiver.try_recv() {
            Ok(report) => {
                if let Some((text, targets, _)) = self.pending.take() {
                    self.verified = Some((text, targets, report));
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
