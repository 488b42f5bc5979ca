//! A header's macros read as integer constant expressions: never a panic
//! or a hang whatever their bodies, and, for expressions whose value plain
//! arithmetic gives (no division, no unsigned wrap), that value.

use ffiscope::layout::lab::macro_values::MacroBodies;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Runs `cases` inputs, whatever `PROPTEST_CASES` asks.
fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

fn bodies(definitions: Vec<(String, String)>) -> MacroBodies {
    MacroBodies { bodies: definitions.into_iter().collect() }
}

#[test]
fn any_bodies_never_panic() {
    // Names that bodies also use, so that macros name one another and themselves.
    let definition = ("[A-E]", "[A-E0-9xXbuUlL' ()+~!*/%<>&|^n\"\\\\-]{0,40}");
    runner(5_000)
        .run(&proptest::collection::vec(definition, 0..8), |definitions| {
            let macros = bodies(definitions);
            let read = macros.values(&[("E".to_owned(), 7)]);
            prop_assert!(read.windows(2).all(|w| w[0].0 < w[1].0), "sorted by name, each once");
            let strings = macros.strings();
            prop_assert!(strings.windows(2).all(|w| w[0].0 < w[1].0));
            Ok(())
        })
        .unwrap();
}

/// An expression of small numbers, with its text and its value.
fn expression() -> impl Strategy<Value = (String, i128)> {
    let leaf = (0i128..1000).prop_map(|n| (n.to_string(), n));
    leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            (inner.clone(), prop::sample::select(vec!["+", "-", "*", "|", "&", "^"]), inner.clone()).prop_map(
                |((a, x), op, (b, y))| {
                    let value = match op {
                        "+" => x + y,
                        "-" => x - y,
                        "*" => x * y,
                        "|" => x | y,
                        "&" => x & y,
                        _ => x ^ y,
                    };
                    (format!("({a} {op} {b})"), value)
                }
            ),
            (inner.clone(), 0u32..8).prop_map(|((a, x), shift)| (format!("({a} << {shift})"), x << shift)),
            inner.clone().prop_map(|(a, x)| (format!("~{a}"), !x)),
            inner.prop_map(|(a, x)| (format!("-{a}"), -x)),
        ]
    })
}

#[test]
fn an_expression_of_plain_arithmetic_has_its_value() {
    runner(5_000)
        .run(&expression(), |(text, value)| {
            // Through a second macro, as headers chain them.
            let read = bodies(vec![("X".to_owned(), text.clone()), ("Y".to_owned(), "(X)".to_owned())]).values(&[]);
            prop_assert_eq!(read, vec![("X".to_owned(), value), ("Y".to_owned(), value)], "{}", text);
            Ok(())
        })
        .unwrap();
}
