//! The quiz, driven headless: answers typed into the blanks are marked right
//! or wrong on Reveal, with the reason, and the score counts them.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use ffiscope::app::{FfiscopeApp, Tab};
use ffiscope::teaching::quiz::Question;

fn quiz_harness() -> Harness<'static, FfiscopeApp> {
    let mut harness = Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_eframe(|cc| FfiscopeApp::new(cc));
    harness.run();
    harness.get_by_label("Quiz").click();
    harness.run();
    assert_eq!(harness.state().settings().tab, Tab::Quiz);
    harness
}

/// Types `text` into the text field labelled `label`, replacing what was there.
fn type_into(harness: &mut Harness<'static, FfiscopeApp>, label: &str, text: &str) {
    harness
        .query_all_by_role(Role::TextInput)
        .find(|field| field.accesskit_node().label().as_deref() == Some(label))
        .unwrap_or_else(|| panic!("a text field labelled {label}"))
        .focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.event(egui::Event::Text(text.into()));
    harness.run();
}

#[test]
fn a_layout_round_marks_right_and_wrong_answers_and_scores_them() {
    let mut harness = quiz_harness();
    let Question::Layout { blanks, .. } = harness.state().quiz().question().clone() else {
        panic!("the first round asks about a layout")
    };
    for blank in &blanks {
        let answer = if blank.label == "size" { blank.answer + 1 } else { blank.answer };
        type_into(&mut harness, &blank.label, &answer.to_string());
    }
    harness.get_by_label("Reveal").click();
    harness.run();
    let blanks_count = blanks.len() as u32;
    assert_eq!(harness.state().quiz().score(), (blanks_count - 1, blanks_count));
    let size = blanks.iter().find(|b| b.label == "size").unwrap();
    harness
        .query_by_label_contains(&format!("wrong: it is {}", size.answer))
        .expect("the wrong size is marked, with the answer");
    harness.query_by_label_contains("right: 0").expect("the first offset is marked right");
    harness.get_by_label("Next question").click();
    harness.run();
    assert_eq!(harness.state().quiz().round(), 1);
}

#[test]
fn a_new_seed_starts_a_new_quiz_that_everyone_with_it_shares() {
    let mut harness = quiz_harness();
    let first = harness.state().quiz().question().clone();
    type_into(&mut harness, "Seed", "77");
    harness.get_by_label("New quiz").click();
    harness.run();
    assert_eq!(harness.state().quiz().seed(), 77);
    assert_ne!(harness.state().quiz().question(), &first);
    assert_eq!(harness.state().quiz().question(), ffiscope::teaching::quiz::Quiz::new(77).question());
}

#[test]
fn a_leak_round_is_judged_by_what_a_real_run_leaked() {
    let mut harness = quiz_harness();
    harness.get_by_label("Next question").click();
    harness.run();
    harness.get_by_label("Next question").click();
    // A preparing round repaints until its question is ready: frames, not `run`.
    harness.run_steps(2);
    // The round may still be preparing on a worker; the window never waits for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while harness.state().quiz().question() == &Question::Preparing {
        harness.get_by_label_contains("Preparing a leak question");
        assert!(std::time::Instant::now() < deadline, "the leak cases were never found");
        harness.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let Question::Leak { leaking, variants, .. } = harness.state().quiz().question().clone() else {
        panic!("the third round asks which variant leaks")
    };
    let wrong = variants.iter().find(|v| **v != leaking).expect("a variant that does not leak");
    harness.get_by_label(wrong).click();
    harness.run();
    harness.get_by_label("Reveal").click();
    harness.run();
    assert_eq!(harness.state().quiz().score(), (0, 1));
    harness.get_by_label(&format!("Wrong: the {leaking} variant leaks."));
    harness.query_by_label_contains("Leaked").expect("the verdict says what leaked");
}
