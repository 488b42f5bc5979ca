//! Mirror Check: a hand-written Rust `#[repr(C)]` mirror against the C type
//! it mirrors, field by field, on each target. The C side is Struct Lab's
//! reading of the header ([`crate::layout::lab`]); the Rust side is read
//! with `syn` ([`rust_reader`]), its `#[cfg]`s evaluated per target
//! ([`cfg`]), and laid out by the same engine ([`rust_model`]); [`diff`]
//! says how they differ, [`guards`] writes the asserts that keep them equal,
//! and [`rustc`] has the real compiler check the Rust side's numbers.

pub mod anonymous;
pub mod cfg;
mod cfg_if;
pub mod constants;
pub mod diff;
pub mod functions;
pub mod guards;
pub mod rust_model;
pub mod rust_reader;
pub mod rustc;
pub mod type_macros;
pub mod types;
pub mod union_member;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::layout::lab::parser::{Body, Declarations, RecordDef};
use crate::layout::lab::report::{LabReport, TypeReport};
use crate::layout::lab::{ParseError, Target};
use crate::layout::{Kind, Layout};
use constants::{ConstantPair, check_constants};
use diff::{Difference, DifferenceKind, Side, compare};
use functions::{FunctionsChecked, check_functions};
use rust_model::{CNames, RustLayout, rust_layouts_with};
use rust_reader::{RustAlias, RustFile, RustItem};
use types::{IntegerKind, TypeClass, c_class};

/// How a pair stands on one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Every number and kind of value agrees.
    Matches,
    Differs,
    /// C has the type here, the mirror is cfg'd out: code using it will not build.
    NoMirror,
    /// The mirror is there, the header gave no such type on this target
    /// (it could not be read there, or declares it elsewhere).
    NoCType,
    /// The mirror could not be laid out here (an unknown type, an `Option<u32>`).
    Unreadable,
    /// The mirror's struct is cfg'd out here, where an empty enum of its
    /// name stands for the type (openssl-sys's `pub enum X509_ALGOR {}` for
    /// OpenSSL 1.1 and later): opaque to Rust, which holds only pointers to
    /// it, whatever C's layout.
    Opaque,
}

/// One C type and its mirror on one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairOnTarget {
    pub target: Target,
    pub standing: Standing,
    pub c: Option<Layout>,
    pub rust: Option<Layout>,
    pub differences: Vec<Difference>,
    /// Why the pair could not be compared here, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// What the comparison took on trust: names the mirror uses without
    /// declaring them, laid out as C declares them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// C's anonymous members that the mirror gives fields of its own types,
    /// at the top level: guards assert these fields in place of the members'.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anonymous: Vec<AnonymousMember>,
    /// The C compiler that checked C's numbers here, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_verified_by: Option<String>,
    /// rustc's check of the Rust side's numbers: "rustc 1.95.0", a mismatch,
    /// or why there was none ("model only: …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_checked: Option<String>,
}

/// An anonymous C member and the mirror's field that stands for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnonymousMember {
    pub rust_field: String,
    /// The field's type, the mirror's own.
    pub rust_type: String,
    /// Where the member lies in C, and its size.
    pub offset: u64,
    pub size: u64,
    /// C's fields inside it, as C's layout lists them in place.
    pub c_fields: Vec<String>,
}

/// A Rust type, the C type it mirrors, and how they compare on each target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MirrorPair {
    pub rust: String,
    pub c: String,
    /// Where the Rust type is written: which of the report's `files` (0
    /// when there is one), and the line.
    #[serde(default, skip_serializing_if = "is_first")]
    pub file: usize,
    pub line: usize,
    pub targets: Vec<PairOnTarget>,
}

impl PairOnTarget {
    /// Who checked what here: "C verified by gcc 12.2.0", "Rust checked by rustc 1.95.0".
    pub fn checks(&self) -> Vec<String> {
        let c = self.c_verified_by.iter().map(|by| format!("C verified by {by}"));
        c.chain(self.rust_checked.iter().map(|said| format!("Rust {said}"))).collect()
    }
}

impl MirrorPair {
    pub fn differs(&self) -> bool {
        self.targets.iter().any(|t| matches!(t.standing, Standing::Differs | Standing::NoMirror | Standing::Unreadable))
    }
}

// serde's `skip_serializing_if` hands the field by reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_first(file: &usize) -> bool {
    *file == 0
}

/// What `ffiscope mirror` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MirrorReport {
    pub header: String,
    pub mirror: String,
    /// Every file the mirror was read from, when there are several (one
    /// crate's modules); `mirror` is the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    pub pairs: Vec<MirrorPair>,
    /// Rust types with no C type of their name (or `// mirrors:` name) on
    /// any target, other than those that stand for an anonymous C member
    /// (compared inside the type that holds them).
    pub unpaired: Vec<String>,
    /// Rust types whose C type is declared and never defined: handles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handles: Vec<Handle>,
    /// The Rust file's errors, at its line and column.
    pub mirror_errors: Vec<ParseError>,
    /// The mirror's constants that C gives an integer of their name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constants: Vec<ConstantPair>,
    /// The binding's functions whose symbols C declares, and those it does not.
    #[serde(default, skip_serializing_if = "functions_unchecked")]
    pub functions: FunctionsChecked,
}

fn functions_unchecked(functions: &FunctionsChecked) -> bool {
    functions.pairs.is_empty() && functions.not_in_header.is_empty() && functions.cfgd_out.is_empty()
}

/// Each thing said with the targets it holds on, the targets that say the
/// same thing together: "every target" when that is all `total` of them
/// (and more than one), else their names as `name` gives them.
pub fn grouped_by_target<'s>(
    said: impl Iterator<Item = (Target, &'s str)>,
    total: usize,
    name: impl Fn(Target) -> &'static str,
) -> Vec<(String, &'s str)> {
    let mut groups: Vec<(Vec<Target>, &str)> = Vec::new();
    for (target, why) in said {
        match groups.iter_mut().find(|(_, was)| *was == why) {
            Some((targets, _)) => targets.push(target),
            None => groups.push((vec![target], why)),
        }
    }
    groups
        .into_iter()
        .map(|(targets, why)| {
            let on = if targets.len() == total && total > 1 {
                "every target".to_owned()
            } else {
                targets.iter().map(|&t| name(t)).collect::<Vec<_>>().join(", ")
            };
            (on, why)
        })
        .collect()
}

/// A Rust type mirroring a C type that C declares and never defines
/// (`struct sqlite3;`): an opaque handle, with no layout to compare. Its
/// mirror should be zero-sized, so that no Rust code reads fields C never promised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handle {
    pub rust: String,
    pub c: String,
    /// The targets where the mirror has bytes, and how many.
    pub sized_on: Vec<(Target, u64)>,
    /// The mirror is an empty enum (`pub enum SSL {}`), the older way to
    /// write a handle.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_enum: bool,
}

/// Why an empty enum is an unsound handle, once for all of them.
pub const EMPTY_ENUM_CAUTION: &str = "Rust takes an empty enum for a type that can have no value, so a reference to \
     one (`&SSL`) is undefined behaviour and only raw pointers to it are sound; a zero-sized struct \
     (`_data: [u8; 0]` and a `PhantomData` marker) is the handle Rust's own guidance gives";

impl Handle {
    /// In words: what C says of the type, and whether the mirror agrees.
    pub fn say(&self) -> String {
        let opaque = format!(
            "`{}` mirrors `{}`, which C declares and never defines (an opaque handle): there is no layout to compare",
            self.rust, self.c
        );
        match self.sized_on.first() {
            None => format!("{opaque}; the mirror is zero-sized, as a handle's should be"),
            Some((target, size)) => format!(
                "{opaque}, but the mirror is {size} bytes on {}: Rust code could read fields C never promised \
                 (make it zero-sized: `_data: [u8; 0]` and a `PhantomData` marker)",
                target.triple()
            ),
        }
    }
}

impl MirrorReport {
    /// The file the pair's Rust type is written in.
    pub fn file_of(&self, pair: &MirrorPair) -> &str {
        self.files.get(pair.file).unwrap_or(&self.mirror)
    }

    /// The empty enums that stand for handles, in one line with why they
    /// are unsound, if there are any.
    pub fn empty_enum_handles(&self) -> Option<String> {
        let names: Vec<String> =
            self.handles.iter().filter(|h| h.empty_enum).map(|h| format!("`{}`", h.rust)).collect();
        let count = names.len();
        (count > 0).then(|| {
            let which = if count == 1 {
                "An empty enum stands for a type C declares and never defines (an opaque handle)".to_owned()
            } else {
                format!("{count} empty enums stand for types C declares and never defines (opaque handles)")
            };
            format!("{which}: {}. {EMPTY_ENUM_CAUTION}", names.join(", "))
        })
    }

    pub fn has_mismatch(&self) -> bool {
        self.pairs.iter().any(MirrorPair::differs)
            || self.handles.iter().any(|h| !h.sized_on.is_empty())
            || self.constants.iter().any(ConstantPair::differs)
            || self.functions.pairs.iter().any(functions::FunctionPair::differs)
    }

    /// The file a constant is written in.
    pub fn file_of_constant(&self, constant: &ConstantPair) -> &str {
        self.files.get(constant.file).unwrap_or(&self.mirror)
    }

    /// The pair whose C type is `c_name`.
    pub fn pair_for(&self, c_name: &str) -> Option<&MirrorPair> {
        self.pairs.iter().find(|p| p.c == c_name)
    }

    /// Keeps only the pairs, handles, unpaired types and constants `names`
    /// pick out, each by its Rust name or its C type's (`struct z_stream_s`,
    /// or the bare tag `z_stream_s` as pahole takes it); everything when
    /// there are no names. Returns why each name that picks out nothing does not.
    pub fn keep_only(&mut self, names: &[String]) -> Vec<String> {
        if names.is_empty() {
            return Vec::new();
        }
        let picks = |name: &str, rust: &str, c: &str| {
            name == rust || name == c || ["struct ", "union "].iter().any(|k| c.strip_prefix(k) == Some(name))
        };
        let picked = |rust: &str, c: &str| names.iter().any(|name| picks(name, rust, c));
        let unmatched = names
            .iter()
            .filter(|name| {
                let pairs = self.pairs.iter().map(|p| (p.rust.as_str(), p.c.as_str()));
                let handles = self.handles.iter().map(|h| (h.rust.as_str(), h.c.as_str()));
                let unpaired = self.unpaired.iter().map(|rust| (rust.as_str(), ""));
                let constants = self.constants.iter().map(|k| (k.rust.as_str(), k.c.as_str()));
                let functions = self.functions.pairs.iter().map(|f| (f.rust.as_str(), f.c.as_str()));
                let others = handles.chain(unpaired).chain(constants).chain(functions);
                !pairs.chain(others).any(|(rust, c)| picks(name, rust, c))
            })
            .map(|name| {
                format!(
                    "no Rust type, constant or function of the mirror is named `{name}` or mirrors a C one of that name"
                )
            })
            .collect();
        self.pairs.retain(|p| picked(&p.rust, &p.c));
        self.handles.retain(|h| picked(&h.rust, &h.c));
        self.unpaired.retain(|rust| picked(rust, ""));
        self.constants.retain(|k| picked(&k.rust, &k.c));
        self.functions.pairs.retain(|f| picked(&f.rust, &f.c));
        self.functions.not_in_header.retain(|symbol| picked(symbol, ""));
        self.functions.cfgd_out.retain(|symbol| picked(symbol, ""));
        unmatched
    }
}

/// What pairs a Rust type with a C type: its name, its kind and the C type
/// a `// mirrors:` comment names.
#[derive(Clone, Copy)]
struct RustName<'a> {
    name: &'a str,
    kind: Kind,
    mirrors: Option<&'a str>,
}

/// The C type `item` mirrors: its `// mirrors:` name, or its own name as a
/// record of its kind, a typedef, or a record of the other kind (the libc
/// crate mirrors `union sigval` with a struct), whichever `names` has first;
/// failing those, a name a Rust alias of it gives it (`pub type FcMatrix =
/// struct__FcMatrix;`), as a typedef or a record. A typedef of a tagged
/// record (`z_stream`) stands for the record (`struct z_stream_s`).
fn c_name_for(
    item: RustName<'_>,
    names: &[&str],
    typedefs: &FxHashMap<&str, &str>,
    aliases: &[RustAlias],
) -> Option<String> {
    let keyword = rust_model::c_keyword(item.kind);
    let other = if keyword == "union" { "struct" } else { "union" };
    let candidates = if let Some(named) = item.mirrors {
        vec![named.to_owned()]
    } else {
        let aliased = aliases.iter().filter(|alias| alias.text.trim() == item.name).map(|alias| alias.name.as_str());
        [item.name]
            .into_iter()
            .chain(aliased)
            .flat_map(|name| [format!("{keyword} {name}"), name.to_owned(), format!("{other} {name}")])
            .collect()
    };
    let found = candidates.into_iter().find_map(|c| {
        let name = typedefs.get(c.as_str()).copied().unwrap_or(c.as_str());
        names.contains(&name).then(|| name.to_owned())
    });
    found.or_else(|| nested_record_named(item.name, keyword, names, typedefs))
}

/// bindgen's name for a record declared by name inside another
/// (`struct _XImage { …; struct funcs { … } f; }` gives `_XImage_funcs`):
/// the inner record, when the outer one is a C type too.
fn nested_record_named(name: &str, keyword: &str, names: &[&str], typedefs: &FxHashMap<&str, &str>) -> Option<String> {
    let is_c_type = |outer: &str| {
        typedefs.contains_key(outer)
            || ["struct", "union"].iter().any(|k| names.contains(&format!("{k} {outer}").as_str()))
    };
    name.match_indices('_').filter(|&(at, _)| at > 0 && at + 1 < name.len()).find_map(|(at, _)| {
        let (outer, inner) = (&name[..at], &name[at + 1..]);
        let inner = format!("{keyword} {inner}");
        (names.contains(&inner.as_str()) && is_c_type(outer)).then_some(inner)
    })
}

/// Compares every type of `rust` with the C type it mirrors in `c` (one
/// target's declarations each in `declarations`). With `check`, rustc
/// checks the Rust side's numbers on each target it can build for.
pub fn check_mirror(
    c: &LabReport,
    declarations: &[(Target, Declarations)],
    rust: &RustFile,
    mirror_name: &str,
    check: bool,
) -> MirrorReport {
    // Every target either side was read for, in the usual order.
    let targets: Vec<Target> = Target::ALL
        .into_iter()
        .filter(|t| declarations.iter().any(|(d, _)| d == t) || c.results.iter().any(|r| r.target == *t))
        .collect();
    let c_names: Vec<&str> = c.results.iter().flat_map(|r| r.types.iter().map(|t| t.name.as_str())).collect();
    let typedefs: FxHashMap<&str, &str> = declarations
        .iter()
        .flat_map(|(_, d)| {
            d.typedefs.iter().filter_map(|(name, id)| Some((name.as_str(), d.records.get(*id)?.name.as_str())))
        })
        .collect();
    let rust_sides: Vec<(Target, RustSide)> = targets
        .iter()
        .map(|&t| {
            let c_names = declarations.iter().find(|(target, _)| *target == t).map(|(_, d)| CNames::of(d));
            (t, rust_layouts_with(rust, t, &c_names.unwrap_or_default()))
        })
        .collect();
    let checked: FxHashMap<Target, Result<rustc::RustcCheck, String>> = if check {
        targets.iter().map(|&t| (t, rustc::check_with_rustc(rust, t, &rust_sides_for(&rust_sides, t)))).collect()
    } else {
        FxHashMap::default()
    };

    // Records C declares and defines on no target: `struct sqlite3;`.
    let declared_only: Vec<&str> = declarations
        .iter()
        .flat_map(|(_, d)| d.records.iter().filter(|r| r.body == Body::Declared).map(|r| r.name.as_str()))
        .filter(|name| !c_names.contains(name))
        .collect();
    let mut pairs = Vec::new();
    let mut unpaired = Vec::new();
    let mut handles = Vec::new();
    let mut standing_for_anonymous: Vec<String> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    // A generic item mirrors nothing itself: it is laid out in the fields that use it.
    for item in rust.items.iter().filter(|item| item.generics.is_empty()) {
        if seen.contains(&item.name.as_str()) {
            continue; // one name, several cfg'd definitions: one pair
        }
        seen.push(&item.name);
        let named = RustName { name: &item.name, kind: item.kind, mirrors: item.mirrors.as_deref() };
        let Some(c_name) = c_name_for(named, &c_names, &typedefs, &rust.aliases) else {
            match c_name_for(named, &declared_only, &typedefs, &rust.aliases) {
                Some(c) => {
                    let sized_on = rust_sides
                        .iter()
                        .filter_map(|(t, side)| Some((*t, side.get(&item.name)?.as_ref().ok()?.layout.size)))
                        .filter(|(_, size)| *size > 0)
                        .collect();
                    handles.push(Handle { rust: item.name.clone(), c, sized_on, empty_enum: false });
                }
                None if mirrors_nothing_here(item, &targets) => {}
                None => unpaired.push(item.name.clone()),
            }
            continue;
        };
        let per_target = targets
            .iter()
            .map(|&target| {
                let rust_types = rust_sides.iter().find(|(t, _)| *t == target).map(|(_, l)| l);
                let rust_side = rust_types.and_then(|l| l.get(&item.name));
                let decls = declarations.iter().find(|(t, _)| *t == target).map(|(_, d)| d);
                let mut pair =
                    pair_on_target(c, decls, &c_name, (rust_side, rust_types), target, &mut standing_for_anonymous);
                if pair.standing == Standing::NoMirror && opaque_enum_in_force(rust, &item.name, target) {
                    pair.standing = Standing::Opaque;
                    pair.why = Some(format!(
                        "an empty enum (`pub enum {} {{}}`) stands for it on {}: opaque to Rust, which holds only \
                         pointers to it; C defines `{c_name}`",
                        item.name,
                        target.triple()
                    ));
                }
                pair.rust_checked = checked.get(&target).map(|check| match check {
                    Ok(check) => check.say(&item.name),
                    Err(why) => format!("model only: {why}"),
                });
                pair
            })
            .collect();
        pairs.push(MirrorPair {
            rust: item.name.clone(),
            c: c_name,
            file: item.file,
            line: item.line,
            targets: per_target,
        });
    }
    handles.extend(empty_enum_handles(rust, &mut seen, &declared_only, &typedefs));
    unpaired.retain(|name| !standing_for_anonymous.contains(name));
    let functions = check_functions(rust, (&c.file, declarations), &targets, &mirrored(&pairs, &handles));
    MirrorReport {
        header: c.file.clone(),
        mirror: mirror_name.to_owned(),
        files: Vec::new(),
        pairs,
        unpaired,
        handles,
        mirror_errors: rust.errors.clone(),
        constants: check_constants(c, rust, declarations, &targets),
        functions,
    }
}

/// Each Rust type of the mirror and the C type it mirrors, handles too.
fn mirrored<'p>(pairs: &'p [MirrorPair], handles: &'p [Handle]) -> Vec<(&'p str, &'p str)> {
    let paired = pairs.iter().map(|p| (p.rust.as_str(), p.c.as_str()));
    paired.chain(handles.iter().map(|h| (h.rust.as_str(), h.c.as_str()))).collect()
}

/// The older way to write a handle: `pub enum SSL {}` for `struct ssl_st;`.
/// An enum named as a struct already `seen` (paired, or its twin under
/// another cfg) is passed over.
fn empty_enum_handles<'r>(
    rust: &'r RustFile,
    seen: &mut Vec<&'r str>,
    declared_only: &[&str],
    typedefs: &FxHashMap<&str, &str>,
) -> Vec<Handle> {
    let mut handles = Vec::new();
    for e in rust.enums.iter().filter(|e| e.is_empty()) {
        if seen.contains(&e.name.as_str()) {
            continue;
        }
        seen.push(&e.name);
        let named = RustName { name: &e.name, kind: Kind::Struct, mirrors: None };
        if let Some(c) = c_name_for(named, declared_only, typedefs, &rust.aliases) {
            handles.push(Handle { rust: e.name.clone(), c, sized_on: Vec::new(), empty_enum: true });
        }
    }
    handles
}

/// An item that is no mirror on `targets`, paired or not: bindgen's helpers
/// (`__BindgenFloat16`), and an item under a cfg no target checked sets
/// (dlib's struct for `feature = "dlopen"`).
fn mirrors_nothing_here(item: &RustItem, targets: &[Target]) -> bool {
    item.name.starts_with("__Bindgen") || item.cfg.as_ref().is_some_and(|cfg| !targets.iter().any(|&t| cfg.holds(t)))
}

/// Whether an empty enum named `name` is in force on `target`.
fn opaque_enum_in_force(rust: &RustFile, name: &str, target: Target) -> bool {
    rust.enums.iter().any(|e| e.name == name && e.is_empty() && e.cfg.as_ref().is_none_or(|cfg| cfg.holds(target)))
}

/// The mirror's types on one target, by name.
pub type RustSide = FxHashMap<String, Result<RustLayout, String>>;

fn rust_sides_for(sides: &[(Target, RustSide)], target: Target) -> Vec<(String, Layout)> {
    let mut laid: Vec<(String, Layout)> = sides
        .iter()
        .filter(|(t, _)| *t == target)
        .flat_map(|(_, l)| l.iter())
        .filter_map(|(name, l)| l.as_ref().ok().map(|l| (name.clone(), l.layout.clone())))
        .collect();
    laid.sort_by(|a, b| a.0.cmp(&b.0));
    laid
}

fn pair_on_target(
    c: &LabReport,
    declarations: Option<&Declarations>,
    c_name: &str,
    (rust, rust_types): (Option<&Result<RustLayout, String>>, Option<&RustSide>),
    target: Target,
    standing_for_anonymous: &mut Vec<String>,
) -> PairOnTarget {
    let result = c.results.iter().find(|r| r.target == target);
    let c_type = result.and_then(|r| r.types.iter().find(|t| t.name == c_name));
    let c_layout = c_type.map(TypeReport::layout);
    let mut pair = PairOnTarget {
        target,
        standing: Standing::Matches,
        c: c_layout.clone(),
        rust: None,
        differences: Vec::new(),
        why: None,
        notes: Vec::new(),
        anonymous: Vec::new(),
        c_verified_by: c_type.and_then(|t| t.verified.as_ref()).filter(|v| v.ok).map(|v| v.by.clone()),
        rust_checked: None,
    };
    let rust = match rust {
        None => {
            (pair.standing, pair.why) = if c_layout.is_some() {
                let why = format!("the mirror is cfg'd out on {}, where C has `{c_name}`", target.triple());
                (Standing::NoMirror, Some(why))
            } else {
                (Standing::NoCType, Some(format!("neither C nor the mirror has it on {}", target.triple())))
            };
            return pair;
        }
        Some(Err(why)) => {
            pair.standing = Standing::Unreadable;
            pair.why = Some(why.clone());
            return pair;
        }
        Some(Ok(rust)) => rust,
    };
    pair.rust = Some(rust.layout.clone());
    if !rust.borrowed.is_empty() {
        let names: Vec<String> = rust.borrowed.iter().map(|n| format!("`{n}`")).collect();
        pair.notes.push(format!(
            "{} {} not declared in the mirror: laid out as C declares {} on {}",
            names.join(", "),
            for_count(names.len(), "is", "are"),
            for_count(names.len(), "it", "them"),
            target.triple()
        ));
    }
    if !rust.borrowed_constants.is_empty() {
        let values: Vec<String> = rust.borrowed_constants.iter().map(|(n, v)| format!("`{n}` ({v})")).collect();
        pair.notes.push(format!(
            "{} {} not defined in the mirror: C's {} on {}",
            values.join(", "),
            for_count(values.len(), "is", "are"),
            for_count(values.len(), "value", "values"),
            target.triple()
        ));
    }
    let Some(c_layout) = c_layout else {
        pair.standing = Standing::NoCType;
        pair.why = Some(format!("the header gave no `{c_name}` on {}", target.triple()));
        return pair;
    };
    if diff::is_opaque(&rust.layout) {
        pair.notes.push(format!(
            "opaque in the mirror (bindgen's `_bindgen_opaque_blob`): only its size and alignment are compared on {}",
            target.triple()
        ));
    }
    if c_layout.kind != rust.layout.kind {
        pair.notes.push(format!(
            "`{c_name}` is a {} in C and `{}` a {} in the mirror: its fields are compared where they lie",
            rust_model::c_keyword(c_layout.kind),
            rust.layout.name,
            rust_model::c_keyword(rust.layout.kind)
        ));
    }
    let record = declarations.and_then(|d| d.records.iter().find(|r| r.name == c_name));
    let c_side = CSide { layout: &c_layout, record, declarations };
    let depth = 0;
    let said = (standing_for_anonymous, &mut pair.notes);
    (pair.differences, pair.anonymous) = differences(c_side, rust, rust_types, target, depth, said);
    if !pair.differences.is_empty() {
        pair.standing = Standing::Differs;
    }
    pair
}

/// The word for one thing, or for several.
fn for_count(count: usize, one: &'static str, several: &'static str) -> &'static str {
    if count == 1 { one } else { several }
}

/// A C type as laid out, with its declaration where there is one.
#[derive(Clone, Copy)]
struct CSide<'a> {
    layout: &'a Layout,
    record: Option<&'a RecordDef>,
    declarations: Option<&'a Declarations>,
}

/// Every difference between C's type and its Rust mirror on `target`; an
/// anonymous C member the mirror gives a field of its own type is compared
/// as that field, and its fields against that type's, `depth` levels in so
/// far; the Rust types so compared are added to `standing_for_anonymous`,
/// and what the comparison assumed to `notes`. Also returns the anonymous
/// members folded at this level.
fn differences(
    c: CSide<'_>,
    rust: &RustLayout,
    rust_types: Option<&RustSide>,
    target: Target,
    depth: usize,
    (standing_for_anonymous, notes): (&mut Vec<String>, &mut Vec<String>),
) -> (Vec<Difference>, Vec<AnonymousMember>) {
    let (layout, folded) = match (c.record, c.declarations, rust_types) {
        (Some(record), Some(declarations), Some(types)) if depth < anonymous::MAX_ANONYMOUS_DEPTH => {
            anonymous::fold(c.layout, record, declarations, rust, types, target)
        }
        _ => (c.layout.clone(), Vec::new()),
    };
    let records = c.declarations.map_or(&[][..], |d| d.records.as_slice());
    let mut classes = c_field_classes(&layout, c.record, records, target);
    for (field, class) in layout.fields.iter().zip(&mut classes) {
        if folded.iter().any(|member| member.rust_field == field.name && member.c_record.name == field.ty) {
            *class = (TypeClass::Record, field.ty.clone());
        }
    }
    for read in union_member::read_as_members(&layout, &classes, c.record, records, rust, target) {
        classes[read.field].0 = read.class;
        notes.push(read.note);
    }
    let mut found = compare(
        Side { layout: &layout, classes: &classes },
        Side { layout: &rust.layout, classes: &rust.fields },
        rust.repr_c,
        target,
    );
    let anonymous = folded
        .iter()
        .filter(|member| !member.member_named)
        .map(|member| AnonymousMember {
            rust_field: member.rust_field.clone(),
            rust_type: member.rust.layout.name.clone(),
            offset: member.offset,
            size: member.c_layout.size,
            c_fields: member.c_layout.fields.iter().map(|f| f.name.clone()).collect(),
        })
        .collect();
    for member in folded {
        if !standing_for_anonymous.contains(&member.rust.layout.name) {
            standing_for_anonymous.push(member.rust.layout.name.clone());
        }
        let inner = CSide { layout: &member.c_layout, record: Some(member.c_record), declarations: c.declarations };
        let inner_said = (&mut *standing_for_anonymous, &mut *notes);
        let (mut said, _) = differences(inner, member.rust, rust_types, target, depth + 1, inner_said);
        // The field's own size or alignment, said already outside, is not said again inside.
        let said_outside = found.iter().any(|d| {
            d.field.as_deref() == Some(member.c_field.as_str())
                && matches!(d.kind, DifferenceKind::FieldSize | DifferenceKind::FieldAlign | DifferenceKind::Class)
        });
        if said_outside {
            said.retain(|d| !matches!(d.kind, DifferenceKind::Size | DifferenceKind::Align));
        }
        let what = if member.member_named { "unnamed" } else { "anonymous" };
        let place = format!("C's {what} {} at offset {}", member.c_record.kind.keyword(), member.offset);
        found.extend(said.into_iter().map(|d| d.inside(&member.rust_field, &place, member.offset)));
    }
    (found, anonymous)
}

/// Each C field's class and type as written, beside `layout.fields`.
fn c_field_classes(
    layout: &Layout,
    record: Option<&RecordDef>,
    records: &[RecordDef],
    target: Target,
) -> Vec<(TypeClass, String)> {
    layout
        .fields
        .iter()
        .map(|field| {
            let member = record.and_then(|r| r.members.iter().find(|m| m.name.as_deref() == Some(field.name.as_str())));
            match member {
                Some(m) => (c_class(&m.ty, IntegerKind::of(m), &m.ty_text, records, target), m.ty_text.clone()),
                None => (TypeClass::Bytes, field.ty.clone()),
            }
        })
        .collect()
}
