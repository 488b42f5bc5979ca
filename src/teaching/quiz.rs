//! The quiz: predict a struct's size, alignment and offsets, or say which
//! variant of a scenario leaks. Rounds come from a seed, so a whole room gets
//! the same questions. Every answer is what the C compiler measured (the
//! Layouts tab's types), what the layout model says (generated structs, the
//! model the differential test holds to the compilers) or what a real run
//! leaked; the reveal gives the reason for every difference.

use std::cmp::Ordering;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use crate::layout::lab::Target;
use crate::layout::lab::generate::Rng;
use crate::layout::lab::report::analyze;
use crate::layout::listing::member_declaration;
use crate::layout::{Layout, c_layouts};
use crate::scenarios::runner::Runner;
use crate::scenarios::{RunOptions, catalogue};
use crate::track::AnomalyKind;

const MEMBER_TYPES: &[&str] =
    &["char", "short", "int", "long long", "double", "void *", "uint8_t", "uint16_t", "uint32_t", "float"];
/// The target every layout question is about.
pub const QUIZ_TARGET: Target = Target::X86_64Linux;

/// One number to predict and, once revealed, whether it was right and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blank {
    pub label: String,
    pub answer: u64,
    pub guess: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    Layout {
        declaration: String,
        blanks: Vec<Blank>,
    },
    Leak {
        scenario: &'static str,
        title: &'static str,
        variants: Vec<&'static str>,
        leaking: &'static str,
        why: String,
        chosen: Option<&'static str>,
    },
    /// A leak round whose cases are still being found on a worker thread;
    /// it becomes the round's [`Question::Leak`] as soon as they are.
    Preparing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuizCommand {
    Guess(usize, String),
    Choose(&'static str),
    Reveal,
    Next,
    Restart(u64),
}

#[derive(Debug, Clone)]
pub struct Quiz {
    seed: u64,
    round: u32,
    question: Question,
    revealed: bool,
    right: u32,
    asked: u32,
}

/// A struct of three to five plain members, named a, b, c…
fn generated_struct(rng: &mut Rng, round: u32) -> String {
    let count = 3 + rng.below(3) as usize;
    let members: Vec<String> = (0..count)
        .map(|i| {
            let ty = rng.pick(MEMBER_TYPES);
            let name = char::from(b'a' + i as u8);
            match ty.strip_suffix(" *") {
                Some(base) => format!("    {base} *{name};"),
                None => format!("    {ty} {name};"),
            }
        })
        .collect();
    format!("struct q{round} {{\n{}\n}};", members.join("\n"))
}

fn layout_question(rng: &mut Rng, round: u32) -> Question {
    let declaration = generated_struct(rng, round);
    let report = analyze("quiz.h", &format!("#include <stdint.h>\n{declaration}\n"), &[QUIZ_TARGET], false);
    let layout: Layout = report.layouts(QUIZ_TARGET).into_iter().next().unwrap_or_else(|| Layout {
        name: String::new(),
        kind: crate::layout::Kind::Struct,
        size: 0,
        align: 1,
        fields: Vec::new(),
    });
    Question::Layout { declaration, blanks: blanks_for(&layout) }
}

/// One of the Layouts tab's C types, with the numbers the C compiler itself
/// reported (`offsetof`, `sizeof`, `_Alignof` in `csrc/layouts.c`). Types
/// with bitfields are left out: their members have no byte offset to guess.
fn exhibit_question(rng: &mut Rng) -> Question {
    let mut tables: Vec<Layout> =
        c_layouts().into_iter().filter(|l| l.fields.iter().all(|f| f.bit_width.is_none())).collect();
    if tables.is_empty() {
        return layout_question(rng, 0);
    }
    let layout = tables.swap_remove(rng.below(tables.len() as u64) as usize);
    Question::Layout { declaration: c_declaration(&layout), blanks: blanks_for(&layout) }
}

/// The C text of a measured layout, attributes included, as a learner would
/// read it: `PackedData (packed)` becomes a packed `struct PackedData`.
fn c_declaration(layout: &Layout) -> String {
    let name = layout.name.split(" (").next().unwrap_or(&layout.name);
    let widest = layout.widest_member_align();
    let attribute = match layout.align.cmp(&widest) {
        Ordering::Less => " __attribute__((packed))".to_owned(),
        Ordering::Greater => format!(" __attribute__((aligned({})))", layout.align),
        Ordering::Equal => String::new(),
    };
    let members: Vec<String> = layout.fields.iter().map(|f| format!("    {};", member_declaration(f))).collect();
    format!("{} {name} {{\n{}\n}}{attribute};", layout.kind.keyword(), members.join("\n"))
}

fn blanks_for(layout: &Layout) -> Vec<Blank> {
    let mut blanks: Vec<Blank> = layout
        .fields
        .iter()
        .map(|f| Blank {
            label: format!("offset of {}", f.name),
            answer: f.offset,
            guess: String::new(),
            reason: layout.hole_reason(f).unwrap_or_else(|| {
                if f.offset == 0 {
                    format!("the first member always starts the {}", layout.kind.keyword())
                } else if f.is_misaligned() {
                    format!("packed: `{}` follows on directly, below its alignment of {}", f.name, f.align)
                } else {
                    format!("`{}` follows on directly: its alignment, {}, is met", f.name, f.align)
                }
            }),
        })
        .collect();
    let widest = layout.widest_member_align();
    blanks.push(Blank {
        label: "alignment".into(),
        answer: layout.align,
        guess: String::new(),
        reason: match layout.align.cmp(&widest) {
            Ordering::Less => format!("packed: alignment {}, though a member asks for {widest}", layout.align),
            Ordering::Greater => {
                format!("raised by the aligned attribute above the largest member alignment, {widest}")
            }
            Ordering::Equal => format!("the largest member alignment: {}", layout.align),
        },
    });
    blanks.push(Blank {
        label: "size".into(),
        answer: layout.size,
        guess: String::new(),
        reason: layout
            .tail_reason()
            .unwrap_or_else(|| "the members end on a multiple of the alignment: no tail padding".into()),
    });
    blanks
}

/// A scenario with exactly one leaking variant, as a real run of each
/// variant found it.
struct LeakCase {
    scenario: &'static str,
    title: &'static str,
    variants: Vec<&'static str>,
    leaking: &'static str,
    why: String,
}

/// The leak cases, once found.
static LEAK_CASES: OnceLock<Vec<LeakCase>> = OnceLock::new();

/// Starts finding the leak cases on a worker thread, once per process, so
/// that no round waits for every scenario to run.
pub fn prepare_leak_cases() {
    static STARTED: AtomicBool = AtomicBool::new(false);
    if LEAK_CASES.get().is_none() && !STARTED.swap(true, AtomicOrdering::Relaxed) {
        let spawned = std::thread::Builder::new().name("quiz-leak-cases".into()).spawn(|| {
            leak_cases();
        });
        if spawned.is_err() {
            STARTED.store(false, AtomicOrdering::Relaxed);
        }
    }
}

/// Whether the leak cases have been found.
pub fn leak_cases_ready() -> bool {
    LEAK_CASES.get().is_some()
}

/// Found once per process by running every variant that does not crash:
/// runs are deterministic, so later leak rounds pick from the same list.
/// Blocks until they are found; the app calls [`prepare_leak_cases`] instead.
fn leak_cases() -> &'static [LeakCase] {
    LEAK_CASES.get_or_init(|| {
        let mut cases = Vec::new();
        for scenario in &catalogue() {
            let variants: Vec<&'static str> =
                scenario.variants().iter().filter(|v| !v.crashes).map(|v| v.name).collect();
            let leaks: Vec<(&'static str, String)> = variants
                .iter()
                .filter_map(|&v| {
                    let report = Runner::new(scenario.as_ref(), v, RunOptions::default()).run_to_end();
                    let leak = report.anomalies.iter().find(|a| a.kind == AnomalyKind::Leak)?;
                    Some((v, leak.message.clone()))
                })
                .collect();
            if let [(leaking, why)] = leaks.as_slice() {
                cases.push(LeakCase {
                    scenario: scenario.id(),
                    title: scenario.title(),
                    variants: variants.clone(),
                    leaking,
                    why: why.clone(),
                });
            }
        }
        cases
    })
}

fn leak_question(rng: &mut Rng) -> Question {
    let Some(cases) = LEAK_CASES.get() else {
        prepare_leak_cases();
        return Question::Preparing;
    };
    if cases.is_empty() {
        return layout_question(rng, 0);
    }
    let case = &cases[rng.below(cases.len() as u64) as usize];
    Question::Leak {
        scenario: case.scenario,
        title: case.title,
        variants: case.variants.clone(),
        leaking: case.leaking,
        why: case.why.clone(),
        chosen: None,
    }
}

/// Round `round` of the quiz seeded with `seed`: every third round asks
/// about leaks, the others about layouts, generated or from the exhibits.
fn question_for(seed: u64, round: u32) -> Question {
    let mut rng = Rng((seed ^ u64::from(round).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1);
    match round % 3 {
        0 => layout_question(&mut rng, round),
        1 => exhibit_question(&mut rng),
        _ => leak_question(&mut rng),
    }
}

impl Quiz {
    pub fn new(seed: u64) -> Quiz {
        Quiz { seed, round: 0, question: question_for(seed, 0), revealed: false, right: 0, asked: 0 }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn round(&self) -> u32 {
        self.round
    }

    pub fn question(&self) -> &Question {
        &self.question
    }

    pub fn is_revealed(&self) -> bool {
        self.revealed
    }

    /// Turns a round that was preparing into its question, once the leak
    /// cases are found. Returns true if it did.
    pub fn poll(&mut self) -> bool {
        if self.question == Question::Preparing && leak_cases_ready() {
            self.question = question_for(self.seed, self.round);
            return true;
        }
        false
    }

    /// (right, asked) over the rounds revealed so far.
    pub fn score(&self) -> (u32, u32) {
        (self.right, self.asked)
    }

    pub fn apply(&mut self, command: QuizCommand) {
        match command {
            QuizCommand::Guess(index, text) => {
                if let Question::Layout { blanks, .. } = &mut self.question
                    && let Some(blank) = blanks.get_mut(index)
                    && !self.revealed
                {
                    blank.guess = text;
                }
            }
            QuizCommand::Choose(variant) => {
                if let Question::Leak { chosen, .. } = &mut self.question
                    && !self.revealed
                {
                    *chosen = Some(variant);
                }
            }
            QuizCommand::Reveal if !self.revealed => {
                self.revealed = true;
                match &self.question {
                    Question::Layout { blanks, .. } => {
                        self.asked += blanks.len() as u32;
                        self.right += blanks.iter().filter(|b| is_right(b)).count() as u32;
                    }
                    Question::Leak { leaking, chosen, .. } => {
                        self.asked += 1;
                        self.right += u32::from(*chosen == Some(*leaking));
                    }
                    Question::Preparing => self.revealed = false,
                }
            }
            QuizCommand::Reveal => {}
            QuizCommand::Next => {
                self.round += 1;
                self.revealed = false;
                self.question = question_for(self.seed, self.round);
            }
            QuizCommand::Restart(seed) => *self = Quiz::new(seed),
        }
    }
}

/// Whether a guess, as typed, is the right number.
pub fn is_right(blank: &Blank) -> bool {
    blank.guess.trim().parse::<u64>().ok() == Some(blank.answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_questions() {
        leak_cases();
        let (mut a, mut b) = (Quiz::new(7), Quiz::new(7));
        for _ in 0..3 {
            assert_eq!(a.question(), b.question());
            a.apply(QuizCommand::Next);
            b.apply(QuizCommand::Next);
        }
        assert_ne!(Quiz::new(7).question(), Quiz::new(8).question());
    }

    #[test]
    fn a_leak_question_names_the_variant_a_real_run_leaked() {
        leak_cases();
        let mut quiz = Quiz::new(3);
        quiz.apply(QuizCommand::Next);
        quiz.apply(QuizCommand::Next);
        let Question::Leak { leaking, why, variants, .. } = quiz.question().clone() else {
            panic!("round 3 asks about leaks")
        };
        assert!(variants.contains(&leaking));
        assert!(why.starts_with("Leaked"), "{why}");
        quiz.apply(QuizCommand::Choose(leaking));
        quiz.apply(QuizCommand::Reveal);
        assert_eq!(quiz.score(), (1, 1));
    }

    #[test]
    fn a_leak_round_prepares_without_waiting_and_becomes_the_same_question() {
        let mut quiz = Quiz::new(3);
        quiz.apply(QuizCommand::Next);
        quiz.apply(QuizCommand::Next);
        // As it stands while the worker is still running every variant.
        quiz.question = Question::Preparing;
        quiz.apply(QuizCommand::Reveal);
        assert!(!quiz.is_revealed(), "a preparing round cannot be revealed");
        assert_eq!(quiz.score(), (0, 0));
        leak_cases();
        assert!(quiz.poll(), "the round takes its question once the cases are found");
        assert_eq!(quiz.question(), &question_for(3, 2), "the seeded question, however long it took");
        assert!(!quiz.poll(), "and takes it once");
    }

    #[test]
    fn the_second_round_asks_about_an_exhibit_with_the_compilers_numbers() {
        let mut quiz = Quiz::new(11);
        quiz.apply(QuizCommand::Next);
        let Question::Layout { declaration, blanks } = quiz.question().clone() else { panic!("round 2 is an exhibit") };
        let tables = c_layouts();
        let table = tables
            .iter()
            .find(|l| c_declaration(l) == declaration)
            .unwrap_or_else(|| panic!("{declaration} is one of the C tables"));
        let size = blanks.iter().find(|b| b.label == "size").unwrap();
        assert_eq!(size.answer, table.size);
    }

    /// The declaration shown must be the type measured: laid out again from
    /// its text, it gives the compiler's numbers.
    #[test]
    fn every_exhibit_declaration_lays_out_as_the_compiler_measured() {
        let mut checked = 0;
        for table in c_layouts().iter().filter(|l| l.fields.iter().all(|f| f.bit_width.is_none())) {
            let text = c_declaration(table);
            let report = analyze("exhibit.h", &format!("#include <stdint.h>\n{text}\n"), &[QUIZ_TARGET], false);
            let Some(layout) = report.layouts(QUIZ_TARGET).into_iter().next() else { continue };
            let offsets = |l: &Layout| l.fields.iter().map(|f| f.offset).collect::<Vec<_>>();
            assert_eq!(
                (layout.size, layout.align, offsets(&layout)),
                (table.size, table.align, offsets(table)),
                "{text}"
            );
            checked += 1;
        }
        assert!(checked >= 6, "only {checked} exhibits could be laid out from their text");
    }
}
