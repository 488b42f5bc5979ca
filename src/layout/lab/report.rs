//! What `ffiscope layout` prints: every type laid out for every target asked,
//! with its padding, and what the compilers said.

use serde::{Deserialize, Serialize};

use super::ParseError;
use super::abi::Target;
use super::engine::{anonymous_members, lay_out, rules_cited};
use super::macro_values::MacroBodies;
use super::parser::{Declarations, parse};
use super::verify::{ConstantsVerification, Mismatch, PRELUDE, Verification, find_compiler, verify, verify_constants};
use crate::layout::listing::{AnonymousMember, pahole_listing_nested};
use crate::layout::{Field, Kind, Layout, Padding};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldReport {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub offset: u64,
    pub size: u64,
    pub align: u64,
    pub bit_offset: Option<u64>,
    pub bit_width: Option<u64>,
}

impl From<&Field> for FieldReport {
    fn from(f: &Field) -> Self {
        FieldReport {
            name: f.name.clone(),
            ty: f.ty.clone(),
            offset: f.offset,
            size: f.size,
            align: f.align,
            bit_offset: f.bit_offset,
            bit_width: f.bit_width,
        }
    }
}

impl From<&FieldReport> for Field {
    fn from(f: &FieldReport) -> Self {
        Field {
            name: f.name.clone(),
            ty: f.ty.clone(),
            offset: f.offset,
            size: f.size,
            align: f.align,
            bit_offset: f.bit_offset,
            bit_width: f.bit_width,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeReport {
    pub name: String,
    pub kind: Kind,
    pub size: u64,
    pub align: u64,
    pub fields: Vec<FieldReport>,
    pub padding: Vec<Padding>,
    /// `None` where no compiler for the target was found (model only), or
    /// where it would not answer for this type ([`TypeReport::unverified`]).
    pub verified: Option<Verification>,
    /// Why the compiler that checked the other types could not check this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<String>,
    /// The target's rules that decided members of this type.
    pub rules: Vec<String>,
    /// The file and line that declared it, for a type read from a real header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_in: Option<DeclaredAt>,
    /// Its anonymous struct and union members, over the runs of `fields`
    /// they hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anonymous: Vec<AnonymousMember>,
}

/// Where a type was declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredAt {
    pub file: String,
    pub line: usize,
}

impl TypeReport {
    /// The layout it reports.
    pub fn layout(&self) -> Layout {
        Layout {
            name: self.name.clone(),
            kind: self.kind,
            size: self.size,
            align: self.align,
            fields: self.fields.iter().map(Field::from).collect(),
        }
    }

    /// A pahole-style listing of it, anonymous members nested.
    pub fn listing(&self) -> String {
        pahole_listing_nested(&self.layout(), &self.anonymous)
    }

    /// `layout` as reported on `target`, with what `verification` found of it.
    pub fn of(
        layout: &Layout,
        declarations: &Declarations,
        target: Target,
        verification: Option<&Verification>,
        declared_in: Option<DeclaredAt>,
    ) -> TypeReport {
        TypeReport {
            name: layout.name.clone(),
            kind: layout.kind,
            size: layout.size,
            align: layout.align,
            fields: layout.fields.iter().map(FieldReport::from).collect(),
            padding: layout.padding(),
            rules: rules_cited(declarations, target, &layout.name),
            anonymous: anonymous_members(declarations, &layout.name, target),
            declared_in,
            unverified: verification
                .and_then(|v| v.unanswered.iter().find(|u| u.type_name == layout.name))
                .map(|u| u.why.clone()),
            verified: verification.filter(|v| !v.unanswered.iter().any(|u| u.type_name == layout.name)).map(|v| {
                let mine: Vec<Mismatch> = v.mismatches.iter().filter(|m| m.type_name == layout.name).cloned().collect();
                Verification { by: v.by.clone(), ok: mine.is_empty(), mismatches: mine, unanswered: Vec::new() }
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetReport {
    pub target: Target,
    pub types: Vec<TypeReport>,
    /// The compiler that checked these numbers, if one was asked and found.
    pub verified_by: Option<String>,
    /// Why the compiler could not answer, if it could not.
    pub verification_error: Option<String>,
    /// What these results must be read with: headers that were not the target's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
    /// What the compiler said of the integer constants read, if it was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constants_verified: Option<ConstantsVerification>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabReport {
    pub file: String,
    pub results: Vec<TargetReport>,
    pub errors: Vec<ParseError>,
    /// Why types asked for by name are not reported: no type has the name,
    /// or the one that has it is never defined (on no target).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmatched: Vec<String>,
}

impl LabReport {
    pub fn has_mismatch(&self) -> bool {
        self.results.iter().flat_map(|r| &r.types).any(|t| t.verified.as_ref().is_some_and(|v| !v.ok))
    }

    /// The layouts for one target, as the model has them.
    pub fn layouts(&self, target: Target) -> Vec<Layout> {
        self.results.iter().filter(|r| r.target == target).flat_map(|r| &r.types).map(TypeReport::layout).collect()
    }
}

/// A verification that was asked for, split into what the compiler said
/// and why it could not answer.
pub(crate) fn answered(asked: Option<Result<Verification, String>>) -> (Option<Verification>, Option<String>) {
    match asked {
        Some(Ok(verification)) => (Some(verification), None),
        Some(Err(why)) => (None, Some(why)),
        None => (None, None),
    }
}

/// Parses `source`, lays it out for each target and, if asked, has each
/// target's compiler check every number.
pub fn analyze(file: &str, source: &str, targets: &[Target], check: bool) -> LabReport {
    analyze_only(file, source, targets, check, &[])
}

/// As [`analyze`], reporting only the types `only` names, if any (see
/// [`super::parser::Declarations::report_only`]).
pub fn analyze_only(file: &str, source: &str, targets: &[Target], check: bool, only: &[String]) -> LabReport {
    let mut declarations = parse(source);
    let unmatched = declarations.report_only(only);
    let mut errors = declarations.errors.clone();
    let mut results = Vec::new();
    // Types the first target could not lay out: said once, not per target.
    let mut failed_everywhere: Vec<String> = Vec::new();
    for (position, &target) in targets.iter().enumerate() {
        let mut layouts = Vec::new();
        for (name, laid) in lay_out(&declarations, target) {
            match laid {
                Ok(layout) => layouts.push(layout),
                Err(message) if position == 0 || !failed_everywhere.contains(&name) => {
                    let line = declarations.records.iter().find(|r| r.name == name).map_or(1, |r| r.line);
                    let message = if position == 0 {
                        format!("`{name}`: {message}")
                    } else {
                        format!("`{name}` on {}: {message}", target.triple())
                    };
                    errors.push(ParseError { line, column: 1, message });
                    if position == 0 {
                        failed_everywhere.push(name);
                    }
                }
                Err(_) => {}
            }
        }
        let compiler = if check { find_compiler(target) } else { None };
        // Types the text got wrong are not asked of the compiler; the rest are.
        let (verification, verification_error) = answered(compiler.as_ref().map(|c| verify(c, source, &layouts)));
        let types = layouts
            .iter()
            .map(|layout| TypeReport::of(layout, &declarations, target, verification.as_ref(), None))
            .collect();
        let constants_verified = compiler.as_ref().and_then(|c| {
            let text = format!("{PRELUDE}{source}");
            verify_constants(c, &text, &MacroBodies::default(), &declarations.constants).ok()
        });
        results.push(TargetReport {
            target,
            types,
            verified_by: verification.map(|v| v.by),
            verification_error,
            caveat: None,
            constants_verified,
        });
    }
    errors.sort_by_key(|e| (e.line, e.column));
    errors.dedup();
    LabReport { file: file.to_owned(), results, errors, unmatched }
}
