//! The quiz: a declaration with blanks to fill, or a scenario whose leaking
//! variant is to be named; Reveal marks each answer and says why.

use egui::{Color32, RichText, Ui};

use crate::command::Command;
use crate::teaching::quiz::{QUIZ_TARGET, Question, Quiz, QuizCommand, is_right};

const RIGHT_COLOR: Color32 = Color32::from_rgb(0x3c, 0xb3, 0x71);

/// Draws the quiz; returns what the user did.
#[must_use]
pub fn quiz_panel_ui(ui: &mut Ui, quiz: &Quiz, seed_text: &mut String) -> Vec<Command> {
    let mut commands = Vec::new();
    let (right, asked) = quiz.score();
    ui.horizontal(|ui| {
        ui.heading(format!("Round {}", quiz.round() + 1));
        ui.label(format!("Score {right} of {asked}"));
        ui.separator();
        let seed_label = ui.label("Seed");
        ui.add(egui::TextEdit::singleline(seed_text).desired_width(80.0)).labelled_by(seed_label.id);
        let seed = seed_text.trim().parse::<u64>();
        if ui.add_enabled(seed.is_ok(), egui::Button::new("New quiz")).clicked()
            && let Ok(seed) = seed
        {
            commands.push(QuizCommand::Restart(seed).into());
        }
        ui.label(RichText::new(format!("(everyone with seed {} gets the same questions)", quiz.seed())).weak());
    });
    ui.separator();
    let revealed = quiz.is_revealed();
    match quiz.question() {
        Question::Layout { declaration, blanks } => {
            ui.label(format!("On {}, what does the compiler make of this type?", QUIZ_TARGET.short_name()));
            ui.label(RichText::new(declaration).monospace());
            egui::Grid::new("quiz-blanks").num_columns(3).spacing([12.0, 6.0]).show(ui, |ui| {
                for (index, blank) in blanks.iter().enumerate() {
                    let label = ui.label(&blank.label);
                    let mut guess = blank.guess.clone();
                    let edit = egui::TextEdit::singleline(&mut guess).desired_width(60.0).interactive(!revealed);
                    if ui.add(edit).labelled_by(label.id).changed() {
                        commands.push(QuizCommand::Guess(index, guess).into());
                    }
                    if revealed {
                        if is_right(blank) {
                            ui.colored_label(RIGHT_COLOR, format!("right: {}", blank.answer));
                        } else if blank.guess.trim().is_empty() {
                            ui.label(format!("no answer: it is {}, {}", blank.answer, blank.reason));
                        } else {
                            ui.colored_label(
                                crate::ui::ANOMALY_COLOR,
                                format!("wrong: it is {}, {}", blank.answer, blank.reason),
                            );
                        }
                    } else {
                        ui.label("");
                    }
                    ui.end_row();
                }
            });
        }
        Question::Preparing => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Preparing a leak question: every variant of every scenario runs once, in the background.");
            });
        }
        Question::Leak { title, variants, leaking, why, chosen, .. } => {
            ui.label(format!("{title}: which variant leaks?"));
            ui.horizontal(|ui| {
                for &variant in variants {
                    let button = egui::Button::selectable(*chosen == Some(variant), variant);
                    if ui.add_enabled(!revealed, button).clicked() {
                        commands.push(QuizCommand::Choose(variant).into());
                    }
                }
            });
            if revealed {
                let (color, verdict) = if *chosen == Some(*leaking) {
                    (RIGHT_COLOR, "Right")
                } else {
                    (crate::ui::ANOMALY_COLOR, "Wrong")
                };
                ui.colored_label(color, format!("{verdict}: the {leaking} variant leaks."));
                ui.label(why);
            }
        }
    }
    ui.separator();
    ui.horizontal(|ui| {
        let preparing = *quiz.question() == Question::Preparing;
        if ui.add_enabled(!revealed && !preparing, egui::Button::new("Reveal")).clicked() {
            commands.push(QuizCommand::Reveal.into());
        }
        if ui.button("Next question").clicked() {
            commands.push(QuizCommand::Next.into());
        }
    });
    commands
}
