//! A mirror's constants against C's: each `const` of the mirror whose name
//! C gives an integer (a macro or an enumerator, or bindgen's `Enum_NAME`
//! for the enumerator `NAME` of `enum Enum`), compared on each target in the
//! Rust constant's own type. C's value counts as it reads once converted to
//! that type (`-1` is `0xFFFF_FFFF` in a `u32`), unless the type cannot
//! hold it.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::is_first;
use super::rust_model::{CNames, ConstantValue, constants_on, wrapped};
use super::rust_reader::{Length, RustConst, RustFile, RustType};
use super::types::TypeClass;
use crate::layout::lab::Target;
use crate::layout::lab::parser::Declarations;
use crate::layout::lab::report::LabReport;
use crate::layout::lab::verify::ConstantsVerification;

/// How a constant stands on one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstantStanding {
    Matches,
    Differs,
    /// One side has no value here (cfg'd out, not defined, not read).
    NotCompared,
}

/// One constant of the mirror on one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstantOnTarget {
    pub target: Target,
    pub standing: ConstantStanding,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust: Option<i128>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c: Option<i128>,
    /// A string constant's text on each side, its bytes past ASCII escaped
    /// (the Rust side's without its terminating NUL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_string: Option<String>,
    /// The value the Rust constant must have to agree: C's as the Rust type
    /// reads it, or C's own where that type cannot hold it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<i128>,
    /// The compiler that confirmed C's value here, if one was asked and did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_verified_by: Option<String>,
    /// What differs, or why nothing was compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// A constant of the mirror, C's of the same meaning, and how they compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstantPair {
    pub rust: String,
    pub c: String,
    /// The Rust constant's type as written.
    pub ty: String,
    /// Which of the report's files it is written in (0 when there is one), and the line.
    #[serde(default, skip_serializing_if = "is_first")]
    pub file: usize,
    pub line: usize,
    pub targets: Vec<ConstantOnTarget>,
}

impl ConstantPair {
    fn of(constant: &RustConst, c_name: &str, targets: Vec<ConstantOnTarget>) -> ConstantPair {
        ConstantPair {
            rust: constant.name.clone(),
            c: c_name.to_owned(),
            ty: constant.text.clone(),
            file: constant.file,
            line: constant.line,
            targets,
        }
    }

    pub fn differs(&self) -> bool {
        self.targets.iter().any(|t| t.standing == ConstantStanding::Differs)
    }

    /// The targets compared, grouped by one value: the value the Rust
    /// constant must have there (`expected`) or C's (`c`), as `pick` says.
    pub fn targets_by_value(&self, pick: impl Fn(&ConstantOnTarget) -> Option<i128>) -> Vec<(i128, Vec<Target>)> {
        let mut groups: Vec<(i128, Vec<Target>)> = Vec::new();
        for on in self.targets.iter().filter(|t| t.standing != ConstantStanding::NotCompared) {
            let Some(value) = pick(on) else { continue };
            match groups.iter_mut().find(|(v, _)| *v == value) {
                Some((_, targets)) => targets.push(on.target),
                None => groups.push((value, vec![on.target])),
            }
        }
        groups
    }

    /// Each difference and the targets it holds on, the targets that say
    /// the same thing together: "every target" when that is all of them,
    /// else their names as `name` gives them.
    pub fn differences_grouped(&self, name: impl Fn(Target) -> &'static str) -> Vec<(String, &str)> {
        super::grouped_by_target(self.differences().map(|(on, why)| (on.target, why)), self.targets.len(), name)
    }

    /// The targets it differs on, and how, in one line each.
    pub fn differences(&self) -> impl Iterator<Item = (&ConstantOnTarget, &str)> {
        self.targets
            .iter()
            .filter(|t| t.standing == ConstantStanding::Differs)
            .filter_map(|t| Some((t, t.why.as_deref()?)))
    }
}

/// Every constant of `rust` that pairs with one of C's (one target's
/// declarations each in `declarations`), compared on each of `targets`;
/// where `c`'s compiler was asked about C's values, what it said.
pub fn check_constants(
    c: &LabReport,
    rust: &RustFile,
    declarations: &[(Target, Declarations)],
    targets: &[Target],
) -> Vec<ConstantPair> {
    // What C declares on each target: its constants by name among them.
    let c_names: Vec<(Target, CNames<'_>)> = declarations.iter().map(|(t, d)| (*t, CNames::of(d))).collect();
    let c_value = |target: Target, name: &str| {
        c_names.iter().find(|(t, _)| *t == target).and_then(|(_, names)| names.constants.get(name).copied())
    };
    let c_has = |name: &str| c_names.iter().any(|(_, names)| names.constants.contains_key(name));
    // Each variant of a fieldless enum is a constant `Enum::VARIANT` of its
    // integer, paired with C's enumerator `VARIANT`.
    let with_variants;
    let rust = if rust.enums.iter().any(|e| !e.variants.is_empty()) {
        with_variants = RustFile { consts: [rust.consts.clone(), variant_constants(rust)].concat(), ..rust.clone() };
        &with_variants
    } else {
        rust
    };
    let rust_values: Vec<(Target, FxHashMap<String, ConstantValue>)> = targets
        .iter()
        .map(|&target| {
            let names = c_names.iter().find(|(t, _)| *t == target).map(|(_, names)| names);
            (target, constants_on(rust, target, names.unwrap_or(&CNames::default())))
        })
        .collect();
    let c_strings: Vec<(Target, FxHashMap<&str, &[u8]>)> = declarations
        .iter()
        .map(|(target, d)| (*target, d.strings.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())).collect()))
        .collect();
    let verification: Vec<(Target, &ConstantsVerification)> =
        c.results.iter().filter_map(|r| Some((r.target, r.constants_verified.as_ref()?))).collect();
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    let mut pairs = Vec::new();
    for constant in &rust.consts {
        if !seen.insert(&constant.name) {
            continue; // one name, several cfg'd definitions: one pair
        }
        if constant.bytes.is_some() {
            pairs.extend(string_pair(rust, constant, &c_strings, targets));
            continue;
        }
        let Some(c_name) = c_name_for(constant, &c_has) else {
            pairs.extend(unread_pair(constant, declarations, targets));
            continue;
        };
        let on_targets = targets
            .iter()
            .map(|&target| {
                let c = c_value(target, c_name);
                let rust = rust_values.iter().find(|(t, _)| *t == target).and_then(|(_, v)| v.get(&constant.name));
                let verified = verification.iter().find(|(t, _)| *t == target).map(|(_, v)| *v);
                verified_by(compare(constant, c_name, c, rust, target), c_name, verified)
            })
            .collect();
        pairs.push(ConstantPair::of(constant, c_name, on_targets));
    }
    pairs
}

/// A string constant and C's string macro of its name, if C has one on some target.
fn string_pair(
    rust: &RustFile,
    constant: &RustConst,
    c_strings: &[(Target, FxHashMap<&str, &[u8]>)],
    targets: &[Target],
) -> Option<ConstantPair> {
    let name = constant.name.as_str();
    c_strings.iter().any(|(_, strings)| strings.contains_key(name)).then(|| {
        let on_targets = targets
            .iter()
            .map(|&target| {
                let c = c_strings.iter().find(|(t, _)| *t == target).and_then(|(_, s)| s.get(name));
                compare_strings(rust, constant, c.copied(), target)
            })
            .collect();
        ConstantPair::of(constant, name, on_targets)
    })
}

/// A constant whose name C defines as a macro this does not read: said,
/// with the macro's body, not passed over.
fn unread_pair(
    constant: &RustConst,
    declarations: &[(Target, Declarations)],
    targets: &[Target],
) -> Option<ConstantPair> {
    let body = unread_body(declarations, &constant.name)?;
    let why = format!("C defines `{}` as `{body}`, which this does not read as an integer or a string", constant.name);
    let on_targets = targets.iter().map(|&target| not_compared(target, why.clone())).collect();
    Some(ConstantPair::of(constant, &constant.name, on_targets))
}

/// The body of the macro `name`, defined with a value this does not read, on some target.
fn unread_body<'d>(declarations: &'d [(Target, Declarations)], name: &str) -> Option<&'d str> {
    declarations.iter().find_map(|(_, d)| {
        let at = d.unread_macros.binary_search_by(|(n, _)| n.as_str().cmp(name)).ok()?;
        Some(d.unread_macros[at].1.as_str())
    })
}

/// A constant not compared on `target`, and why.
fn not_compared(target: Target, why: String) -> ConstantOnTarget {
    ConstantOnTarget {
        target,
        standing: ConstantStanding::NotCompared,
        rust: None,
        c: None,
        rust_string: None,
        c_string: None,
        expected: None,
        c_verified_by: None,
        why: Some(why),
    }
}

/// The variants of the file's fieldless enums as constants named
/// `Enum::VARIANT`, of the enum's integer (`isize` without one, the type
/// Rust gives a discriminant), each one without a discriminant counted on
/// from the last one with one, as Rust numbers them.
fn variant_constants(rust: &RustFile) -> Vec<RustConst> {
    let mut constants = Vec::new();
    let file_constants: FxHashSet<&str> = rust.consts.iter().map(|c| c.name.as_str()).collect();
    for e in rust.enums.iter().filter(|e| !e.holds_data) {
        let integer = e.reprs.iter().find_map(|r| r.integer.clone()).unwrap_or_else(|| "isize".to_owned());
        let variants: FxHashSet<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
        // A discriminant naming another variant (`B = Self::A as isize + 1`)
        // names its constant; a constant of the file of that name comes first.
        let naming_variants = |length: &Length| {
            rename(length, &|name| {
                (variants.contains(name) && !file_constants.contains(name)).then(|| format!("{}::{name}", e.name))
            })
        };
        // The last discriminant written, and how many variants since.
        let mut base = Length::Value(0);
        let mut since = 0;
        for variant in &e.variants {
            if let Some(written) = &variant.discriminant {
                base = naming_variants(written);
                since = 0;
            }
            let value = match since {
                0 => base.clone(),
                n => Length::Binary(Box::new(base.clone()), '+', Box::new(Length::Value(n))),
            };
            since += 1;
            constants.push(RustConst {
                name: format!("{}::{}", e.name, variant.name),
                value,
                ty: RustType::Named { name: integer.clone(), args: Vec::new() },
                text: integer.clone(),
                cfg: e.cfg.clone(),
                bytes: None,
                source: String::new(),
                file: e.file,
                line: variant.line,
            });
        }
    }
    constants
}

/// `length` with each name `renamed` gives another name for renamed.
fn rename(length: &Length, renamed: &dyn Fn(&str) -> Option<String>) -> Length {
    match length {
        Length::Named(name) => Length::Named(renamed(name).unwrap_or_else(|| name.clone())),
        Length::Negated(inner) => Length::Negated(Box::new(rename(inner, renamed))),
        Length::Flipped(inner) => Length::Flipped(Box::new(rename(inner, renamed))),
        Length::Binary(left, op, right) => {
            Length::Binary(Box::new(rename(left, renamed)), *op, Box::new(rename(right, renamed)))
        }
        other => other.clone(),
    }
}

/// C's name for `constant`: its own (an enum's variant's, for
/// `Enum::VARIANT`), or, for bindgen's `Enum_NAME: Enum`, `NAME`, where C
/// has an integer of that name on some target.
fn c_name_for<'r>(constant: &'r RustConst, c_has: &impl Fn(&str) -> bool) -> Option<&'r str> {
    if let Some((_, variant)) = constant.name.split_once("::") {
        return c_has(variant).then_some(variant);
    }
    if c_has(&constant.name) {
        return Some(&constant.name);
    }
    let RustType::Named { name: ty, args } = &constant.ty else { return None };
    let bare = constant.name.strip_prefix(ty.as_str())?.strip_prefix('_')?;
    (args.is_empty() && !bare.is_empty() && c_has(bare)).then_some(bare)
}

/// `on` with what the compiler said of C's value: confirmed, or another
/// value than the one read, which then is not compared.
fn verified_by(
    mut on: ConstantOnTarget,
    c_name: &str,
    verification: Option<&ConstantsVerification>,
) -> ConstantOnTarget {
    let (Some(verification), Some(c)) = (verification, on.c) else { return on };
    if verification.confirms(c_name) {
        on.c_verified_by = Some(verification.by.clone());
    } else if verification.disagree.iter().any(|n| n == c_name) {
        on.standing = ConstantStanding::NotCompared;
        on.why = Some(format!("{} says C's `{c_name}` is not {c}, the value read: not compared", verification.by));
    }
    on
}

/// A string constant against C's string macro of its name on `target`:
/// the same bytes, the Rust side's terminating NUL aside.
fn compare_strings(rust: &RustFile, constant: &RustConst, c: Option<&[u8]>, target: Target) -> ConstantOnTarget {
    let in_force =
        rust.consts.iter().find(|k| k.name == constant.name && k.cfg.as_ref().is_none_or(|cfg| cfg.holds(target)));
    let rust_bytes = in_force.and_then(|k| k.bytes.as_deref()).map(|b| b.strip_suffix(&[0]).unwrap_or(b));
    let shown = |bytes: &[u8]| bytes.escape_ascii().to_string();
    let (standing, why) = match (rust_bytes, c) {
        (None, _) => {
            (ConstantStanding::NotCompared, Some(format!("`{}` is cfg'd out on {}", constant.name, target.triple())))
        }
        (_, None) => (
            ConstantStanding::NotCompared,
            Some(format!("C gives `{}` no string on {}", constant.name, target.triple())),
        ),
        (Some(r), Some(c)) if r == c => (ConstantStanding::Matches, None),
        (Some(r), Some(c)) => {
            (ConstantStanding::Differs, Some(format!("\"{}\" in Rust, \"{}\" in C", shown(r), shown(c))))
        }
    };
    ConstantOnTarget {
        target,
        standing,
        rust: None,
        c: None,
        rust_string: rust_bytes.map(shown),
        c_string: c.map(shown),
        expected: None,
        c_verified_by: None,
        why,
    }
}

/// `constant` against C's value of `c_name` on `target`, if C has one
/// there, in the constant's type as Rust reads it there.
fn compare(
    constant: &RustConst,
    c_name: &str,
    c: Option<i128>,
    rust: Option<&ConstantValue>,
    target: Target,
) -> ConstantOnTarget {
    let not_compared = |why: String| ConstantOnTarget { c, ..not_compared(target, why) };
    let (rust_value, class) = match rust {
        None => return not_compared(format!("`{}` is cfg'd out on {}", constant.name, target.triple())),
        Some(Err(why)) => return not_compared(format!("the Rust value cannot be read: {why}")),
        Some(Ok((value, class))) => (*value, class),
    };
    let Some(c_value) = c else {
        return ConstantOnTarget {
            rust: Some(rust_value),
            ..not_compared(format!("C gives `{c_name}` no integer value on {}", target.triple()))
        };
    };
    let width = match *class {
        TypeClass::Int { bits, signed } => (bits, signed),
        TypeClass::Enum { bits } => (bits, true),
        _ => (128, true),
    };
    let as_rust_reads = wrapped(c_value, Some(width));
    let fits = wrapped(c_value, Some((width.0, !width.1))) == c_value || as_rust_reads == c_value;
    let ty = &constant.text;
    let why = if !fits {
        Some(format!(
            "C's `{c_name}` is {c_value}, which `{ty}` ({}) cannot hold; Rust's is {rust_value}",
            class.describe()
        ))
    } else if as_rust_reads != rust_value {
        let read = if as_rust_reads == c_value { String::new() } else { format!(" ({as_rust_reads} as `{ty}`)") };
        Some(format!("{rust_value} in Rust (`{ty}`), {c_value} in C{read}"))
    } else {
        None
    };
    ConstantOnTarget {
        target,
        standing: if why.is_some() { ConstantStanding::Differs } else { ConstantStanding::Matches },
        rust: Some(rust_value),
        c: Some(c_value),
        rust_string: None,
        c_string: None,
        expected: Some(if fits { as_rust_reads } else { c_value }),
        c_verified_by: None,
        why,
    }
}
