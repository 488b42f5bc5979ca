//! What the views ask of the app. Every panel returns these; the app applies
//! them once, at the end of the frame, so that a view only ever draws what
//! its session holds.

use crate::app::Tab;
use crate::layout::lab::session::LabCommand;
use crate::record::session::RecordCommand;
use crate::scenarios::session::ScenarioCommand;
use crate::teaching::quiz::QuizCommand;
use crate::track::TrackerCommand;

#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Tracker(TrackerCommand),
    Record(RecordCommand),
    Scenario(ScenarioCommand),
    Lab(LabCommand),
    Quiz(QuizCommand),
    /// Write something to the export folder.
    Export(Export),
    ShowTab(Tab),
    /// Presentation mode on or off.
    Present(bool),
    ToggleCheatSheet,
    TogglePlan,
    /// Go to a stop of the lesson plan and open what it teaches with.
    PlanGo(usize),
    SetDarkMode(bool),
    /// Open the desktop's folder picker for the export folder.
    ChooseExportFolder,
}

/// What an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// The Scenarios tab's run: timeline as CSV and Chrome trace, report as Markdown and JSON.
    Run,
    /// The Scenarios tab's step as a slide: SVG and PNG.
    Slide,
    /// The Tracker's plots: SVG and PNG.
    TrackerPlots,
    /// The Layouts tab's exhibit: every column as SVG, PNG and text.
    Exhibit,
    /// Struct Lab's selected type on every chosen target: SVG, PNG and text.
    LabType,
    /// The Record tab's program's call stacks: a flame graph of what held
    /// each heap's peak, of what leaked, of what was allocated and of the
    /// temporary allocations, as SVG.
    RecordFlameGraphs,
}

impl From<TrackerCommand> for Command {
    fn from(command: TrackerCommand) -> Command {
        Command::Tracker(command)
    }
}

impl From<ScenarioCommand> for Command {
    fn from(command: ScenarioCommand) -> Command {
        Command::Scenario(command)
    }
}

impl From<LabCommand> for Command {
    fn from(command: LabCommand) -> Command {
        Command::Lab(command)
    }
}

impl From<QuizCommand> for Command {
    fn from(command: QuizCommand) -> Command {
        Command::Quiz(command)
    }
}
