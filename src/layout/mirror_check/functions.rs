//! A binding's functions against C's prototypes: each function the binding
//! declares in an `extern "C"` block (or defines for C to call) whose symbol
//! the header declares, compared on each target parameter by parameter, as
//! the call passes them: how many, each one's kind of value and size, what
//! a pointer points at (the record, or the width of the value read and
//! written there) and whether C may write there, what comes back, and
//! `...`. Each side is paired as it links (`#[link_name]`, C's `__asm__`
//! labels). A mistake here is no layout's: a `c_int` where C takes a
//! `size_t` reads half of a register, a missing parameter leaves C reading
//! whatever the register held, and an `unsigned long *` bound as `*mut u32`
//! lets C write eight bytes into four.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::is_first;
use super::rust_model::{CNames, RETURNED, RustLayout, SignatureOn, pointee_item, pointer_behind, signatures_on};
use super::rust_reader::{RustFile, RustFunction};
use super::types::{IntegerKind, TypeClass, c_class};
use crate::layout::lab::Target;
use crate::layout::lab::engine::size_and_align;
use crate::layout::lab::parser::{Declarations, FunctionDef, MemberDef, Pointee, RecordDef, Scalar, TypeRef};
use crate::layout::listing::declaration;

/// How a function stands on one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionStanding {
    Matches,
    Differs,
    /// The binding declares it here and the header does not: the symbol may
    /// be missing when the program links, or be another function's.
    NoCFunction,
    /// One side's types could not be read here.
    Unreadable,
}

/// One function of the binding on one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionOnTarget {
    pub target: Target,
    pub standing: FunctionStanding,
    /// Each difference in a sentence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<String>,
    /// Why it was not compared, or what was left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// What agrees as the call passes it, though the types say otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A function of the binding, C's of the same symbol, and how they compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionPair {
    /// Its name in Rust.
    pub rust: String,
    /// The symbol, C's function's name.
    pub c: String,
    /// Rust defines it, for C to call.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub defined: bool,
    /// Which of the report's files it is written in (0 when there is one), and the line.
    #[serde(default, skip_serializing_if = "is_first")]
    pub file: usize,
    pub line: usize,
    /// C's prototype and the binding's signature, as each writes it (the
    /// first target's of each).
    pub c_prototype: String,
    pub rust_signature: String,
    /// Where C declares it.
    pub c_declared_at: String,
    /// The targets the binding declares it on.
    pub targets: Vec<FunctionOnTarget>,
}

impl FunctionOnTarget {
    fn new(target: Target, standing: FunctionStanding) -> FunctionOnTarget {
        FunctionOnTarget { target, standing, differences: Vec::new(), why: None, notes: Vec::new() }
    }
}

impl FunctionPair {
    pub fn differs(&self) -> bool {
        self.targets.iter().any(|t| matches!(t.standing, FunctionStanding::Differs | FunctionStanding::NoCFunction))
    }

    /// Each difference with the targets it holds on, as
    /// [`super::grouped_by_target`] groups them; a target where C has no
    /// such function says so.
    pub fn differences_grouped(&self, name: impl Fn(Target) -> &'static str) -> Vec<(String, &str)> {
        let said = self.targets.iter().flat_map(|on| {
            let whys = on.why.as_deref().filter(|_| on.standing == FunctionStanding::NoCFunction);
            on.differences.iter().map(String::as_str).chain(whys).map(move |why| (on.target, why))
        });
        super::grouped_by_target(said, self.targets.len(), name)
    }

    /// Each note with the targets it holds on, grouped as [`Self::differences_grouped`].
    pub fn notes_grouped(&self, name: impl Fn(Target) -> &'static str) -> Vec<(String, &str)> {
        let said = self.targets.iter().flat_map(|on| on.notes.iter().map(move |note| (on.target, note.as_str())));
        super::grouped_by_target(said, self.targets.len(), name)
    }
}

/// What the report says of the binding's functions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionsChecked {
    pub pairs: Vec<FunctionPair>,
    /// The symbols the binding links that the header declares on no target
    /// (as the binding links them on the first target it declares them on).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_in_header: Vec<String>,
    /// The symbols the binding declares only under cfgs that hold on no
    /// target checked (a feature not set): not compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cfgd_out: Vec<String>,
}

/// Every function of `rust` whose symbol C declares on some target (one
/// target's declarations each in `declarations`, read from the file
/// `header`), compared on each of `targets` where the binding declares it;
/// `mirrors` pairs each of the binding's types with the C type it mirrors,
/// for what its pointers point at.
pub fn check_functions(
    rust: &RustFile,
    (header, declarations): (&str, &[(Target, Declarations)]),
    targets: &[Target],
    mirrors: &[(&str, &str)],
) -> FunctionsChecked {
    let mirrors: FxHashMap<&str, &str> = mirrors.iter().copied().collect();
    let c_functions: Vec<(Target, CFunctions<'_>)> =
        declarations.iter().map(|(target, d)| (*target, CFunctions::of(d))).collect();
    let c_function = |target: Target, symbol: &str| {
        c_functions.iter().find(|(t, _)| *t == target).and_then(|(_, functions)| functions.linked_as(symbol))
    };
    // One pair per symbol, however many cfg'd declarations the binding has of it.
    let mut symbols: Vec<&str> = Vec::new();
    let mut declared: FxHashMap<&str, Vec<&RustFunction>> = FxHashMap::default();
    for function in &rust.functions {
        let of_symbol = declared.entry(&function.symbol).or_default();
        if of_symbol.is_empty() {
            symbols.push(&function.symbol);
        }
        of_symbol.push(function);
    }
    let in_force = |symbol: &str, target: Target| {
        declared[symbol].iter().copied().find(|f| f.cfg.as_ref().is_none_or(|cfg| cfg.holds(target)))
    };
    let (symbols, cfgd_out): (Vec<&str>, Vec<&str>) =
        symbols.into_iter().partition(|symbol| targets.iter().any(|&t| in_force(symbol, t).is_some()));
    let c_has = |symbol: &str, target: Target| {
        in_force(symbol, target).and_then(|f| c_function(target, f.symbol_on(target))).is_some()
    };
    let (paired, not_in_header): (Vec<&str>, Vec<&str>) =
        symbols.into_iter().partition(|symbol| targets.iter().any(|&t| c_has(symbol, t)));
    // Each target's signatures, laid out once for every function paired, by symbol.
    let signatures: Vec<(Target, FxHashMap<&str, Signature<'_>>)> = targets
        .iter()
        .map(|&target| {
            let here: Vec<&RustFunction> = paired.iter().filter_map(|symbol| in_force(symbol, target)).collect();
            let names = declarations.iter().find(|(t, _)| *t == target).map(|(_, d)| CNames::of(d));
            let laid = signatures_on(rust, &here, target, &names.unwrap_or_default());
            (target, here.into_iter().zip(laid).map(|(f, laid)| (f.symbol.as_str(), (f, laid))).collect())
        })
        .collect();
    let mut pairs = Vec::new();
    for symbol in paired {
        let first = declared[symbol][0];
        // C's function as the first target that has it declares it: `paired` says one does.
        let first_c = targets.iter().find_map(|&t| {
            let linked = in_force(symbol, t)?.symbol_on(t);
            Some((linked, c_function(t, linked)?.0))
        });
        let Some((linked, c)) = first_c else { continue };
        let mut pair = FunctionPair {
            rust: first.name.clone(),
            c: linked.to_owned(),
            defined: first.defined,
            file: first.file,
            line: first.line,
            c_prototype: c_prototype(c),
            rust_signature: rust_signature(first),
            c_declared_at: declared_at(c, header),
            targets: Vec::new(),
        };
        for (target, laid) in &signatures {
            let Some((function, rust_side)) = laid.get(symbol) else { continue };
            let records = declarations.iter().find(|(t, _)| t == target).map_or(&[][..], |(_, d)| &d.records[..]);
            let linked = function.symbol_on(*target);
            let on = match c_function(*target, linked) {
                None => FunctionOnTarget {
                    why: Some(format!(
                        "the binding declares `{}`, and the header declares no `{linked}` here: the program may not link",
                        function.name
                    )),
                    ..FunctionOnTarget::new(*target, FunctionStanding::NoCFunction)
                },
                Some((c, relabeled)) => {
                    let here = OnTarget { target: *target, records, rust, mirrors: &mirrors };
                    compare((c, relabeled, &pair.c_declared_at), (function, linked), rust_side, &here)
                }
            };
            pair.targets.push(on);
        }
        pairs.push(pair);
    }
    // A symbol the header lacks is said as the binding links it (`__isoc99_fscanf` for `fscanf`).
    let linked = |symbol: &str| {
        targets.iter().find_map(|&t| in_force(symbol, t).map(|f| f.symbol_on(t))).unwrap_or(symbol).to_owned()
    };
    let not_in_header = not_in_header.into_iter().map(linked).collect();
    FunctionsChecked { pairs, not_in_header, cfgd_out: cfgd_out.into_iter().map(str::to_owned).collect() }
}

/// One target's C functions by the symbol each links as (its assembler
/// label, or its name), and those an assembler label renames by their name.
struct CFunctions<'d> {
    by_symbol: FxHashMap<&'d str, &'d FunctionDef>,
    relabeled: FxHashMap<&'d str, &'d FunctionDef>,
}

impl<'d> CFunctions<'d> {
    fn of(declarations: &'d Declarations) -> CFunctions<'d> {
        let by_symbol = declarations.functions.iter().map(|f| (f.asm_label.as_deref().unwrap_or(&f.name), f)).collect();
        let relabeled = declarations.functions.iter().filter(|f| f.asm_label.is_some()).map(|f| (f.name.as_str(), f));
        CFunctions { by_symbol, relabeled: relabeled.collect() }
    }

    /// The function a binding linking `symbol` calls, and whether C's of that
    /// name is another symbol (`fopen` is `fopen64` with 64-bit file offsets).
    fn linked_as(&self, symbol: &str) -> Option<(&'d FunctionDef, bool)> {
        match self.by_symbol.get(symbol) {
            Some(function) => Some((function, false)),
            None => self.relabeled.get(symbol).map(|function| (*function, true)),
        }
    }
}

/// A function of the binding in force on a target, and its values laid out there.
type Signature<'r> = (&'r RustFunction, SignatureOn);

/// One value as a call passes it: its kind, its bytes and alignment, its type as written.
struct Passed<'a> {
    /// Its name where the binding gives one (`_` where it does not).
    name: &'a str,
    class: TypeClass,
    size: u64,
    align: u64,
    text: &'a str,
    /// C's `long double` wider than a `double`: a call passes it as a float
    /// (on the x87 stack, in a 128-bit float register) that no Rust type is,
    /// so bindgen's `u128` goes in integer registers, where C does not look.
    extended_float: bool,
    /// A struct or union no wider than a pointer holding only integers and
    /// pointers (x11's `XEDataObject`): every target here passes it as the
    /// integer of its size.
    one_word_aggregate: bool,
    /// A pointer to data: what it points at.
    pointee: Option<Pointed<'a>>,
}

/// What a pointer passed or given back points at, as one side says.
struct Pointed<'a> {
    /// A record: the type it points at as its side names it, and the C
    /// record that is (the binding's type's C type).
    record: Option<(&'a str, &'a str)>,
    /// Its class and size, where it has a layout (not `void`).
    value: Option<(TypeClass, u64)>,
    /// Whether the side lets what it points at be written: C's not
    /// `const`, the binding's `*mut`.
    writable: bool,
}

/// The kinds of value a pointer's pointee is compared by.
#[derive(PartialEq)]
enum PointeeKind {
    Integer,
    Float,
    Pointer,
    /// Arrays, records and the rest: not compared by their bytes (the
    /// binding's `*const [u8; 32]` for C's `const uint8_t *key` is sound).
    Other,
}

impl PointeeKind {
    fn of(class: &TypeClass) -> PointeeKind {
        match class {
            TypeClass::Int { .. } | TypeClass::Enum { .. } | TypeClass::Bool => PointeeKind::Integer,
            TypeClass::Float { .. } => PointeeKind::Float,
            TypeClass::Pointer => PointeeKind::Pointer,
            _ => PointeeKind::Other,
        }
    }
}

impl Passed<'_> {
    fn agrees_with(&self, rust: &Passed<'_>) -> bool {
        if self.extended_float {
            return false;
        }
        let aligned_alike = self.class != TypeClass::Record || self.align == rust.align;
        self.class.agrees_with(&rust.class) && self.size == rust.size && aligned_alike
    }

    /// A pointer passed as an integer of its size (sdl2-sys's `VkInstance`
    /// is a `usize`): the same bits in the same place, its type lost.
    fn is_address_of(&self, rust: &Passed<'_>) -> bool {
        self.class == TypeClass::Pointer && matches!(rust.class, TypeClass::Int { .. }) && self.size == rust.size
    }

    /// Where both point at records, and the binding's mirrors another C
    /// type than C's: what each points at. Where both point at integers,
    /// floats or pointers, and they differ in kind or in width: what each
    /// reads and writes there.
    fn points_elsewhere(&self, rust: &Passed<'_>) -> Option<String> {
        let (c, r) = (self.pointee.as_ref()?, rust.pointee.as_ref()?);
        if let (Some((c_record, _)), Some((rust_type, mirrored))) = (c.record, r.record) {
            return (c_record != mirrored).then(|| {
                format!("C points at `{c_record}`; the binding at `{rust_type}`, the mirror of `{mirrored}`")
            });
        }
        let ((c_class, c_size), (r_class, r_size)) = (c.value.as_ref()?, r.value.as_ref()?);
        let (c_kind, r_kind) = (PointeeKind::of(c_class), PointeeKind::of(r_class));
        let alike = match (&c_kind, &r_kind) {
            (PointeeKind::Other, _) | (_, PointeeKind::Other) => true,
            _ if *c_size == 0 || *r_size == 0 => true,
            // An address held as an integer of its width is the same bits.
            (PointeeKind::Pointer, PointeeKind::Integer) | (PointeeKind::Integer, PointeeKind::Pointer) => {
                c_size == r_size
            }
            _ => c_kind == r_kind && c_size == r_size,
        };
        if alike {
            return None;
        }
        let what = if c_size == r_size {
            format!("the same {c_size} bytes read as another kind of value")
        } else {
            let bytes = if *c_size == 1 { "byte" } else { "bytes" };
            format!("a value there is {c_size} {bytes} to C and {r_size} to the binding")
        };
        Some(format!(
            "C's `{}` points at {}; the binding's `{}` at {}: {what}",
            self.text,
            with_article(&c_class.describe()),
            rust.text,
            with_article(&r_class.describe())
        ))
    }

    /// A pointer C may write through that the binding declares `*const`: a
    /// caller may hand C memory Rust holds as immutable.
    fn written_through_const(&self, rust: &Passed<'_>) -> bool {
        matches!((&self.pointee, &rust.pointee), (Some(c), Some(r)) if c.writable && !r.writable)
    }

    /// A pointer C gives back to what it says is not to be written, that
    /// the binding reads as `*mut`.
    fn const_given_as_mut(&self, rust: &Passed<'_>) -> bool {
        matches!((&self.pointee, &rust.pointee), (Some(c), Some(r)) if !c.writable && r.writable)
    }

    /// An integer or a pointer.
    fn is_word(&self) -> bool {
        matches!(self.class, TypeClass::Int { .. } | TypeClass::Enum { .. } | TypeClass::Pointer)
    }

    fn describe(&self) -> String {
        if self.extended_float {
            return format!("`{}`, a {}-byte float no Rust type passes as C does", self.text, self.size);
        }
        match self.class {
            TypeClass::Record => format!("`{}`, {} bytes aligned to {}", self.text, self.size, self.align),
            TypeClass::Bytes => format!("`{}`, {} bytes", self.text, self.size),
            ref class => format!("`{}`, {}", self.text, class.describe()),
        }
    }
}

/// Where C declares `c`: its file (the header's text itself, `header`, when it names none) and line.
fn declared_at(c: &FunctionDef, header: &str) -> String {
    format!("{}:{}", if c.file.is_empty() { header } else { &c.file }, c.line)
}

/// What a comparison on one target looks things up in.
struct OnTarget<'a> {
    target: Target,
    /// C's records there.
    records: &'a [RecordDef],
    rust: &'a RustFile,
    /// Each Rust type of the mirror → the C type it mirrors (pairs and handles).
    mirrors: &'a FxHashMap<&'a str, &'a str>,
}

/// `c` and the binding's `rust` (linking `linked`, laid out as `signature`)
/// on one target; `relabeled`: C's function of that name is another symbol there.
fn compare(
    (c, relabeled, declared_at): (&FunctionDef, bool, &str),
    (rust, linked): (&RustFunction, &str),
    signature: &SignatureOn,
    here: &OnTarget<'_>,
) -> FunctionOnTarget {
    let (records, target) = (here.records, here.target);
    let mut on = FunctionOnTarget::new(target, FunctionStanding::Matches);
    let unreadable =
        |why: String| FunctionOnTarget { standing: FunctionStanding::Unreadable, why: Some(why), ..on.clone() };
    if let Some(why) = &c.unread {
        return unreadable(format!("C's declaration of `{}` could not be read: {why}", c.name));
    }
    let laid = match &signature.values {
        Ok(laid) => laid,
        Err(why) => return unreadable(format!("the binding's `{}` could not be read: {why}", rust.name)),
    };
    let pointees = c.parameter_pointees.iter().map(Option::as_ref).chain(std::iter::repeat(None));
    let passed = |(member, pointee)| c_passed(member, pointee, records, target);
    let c_side: Result<Vec<Passed<'_>>, String> = c.parameters.iter().zip(pointees).map(passed).collect();
    let c_returns = c.returns.as_ref().map(|r| passed((r, c.returned_pointee.as_ref()))).transpose();
    let (c_side, c_returns) = match (c_side, c_returns) {
        (Ok(parameters), Ok(returns)) => (parameters, returns),
        (Err(why), _) | (_, Err(why)) => {
            return unreadable(format!("C's `{}` takes a type with no size: {why}", c.name));
        }
    };
    let rust_values = rust_passed(rust, (laid, &signature.pointees), here);
    let (rust_side, rust_returns) = match laid.layout.fields.last() {
        Some(last) if last.name == RETURNED && rust.returns.is_some() => {
            (&rust_values[..rust_values.len() - 1], rust_values.last())
        }
        _ => (&rust_values[..], None),
    };
    let said = &mut on.differences;
    if let Some(label) = c.asm_label.as_deref().filter(|_| relabeled) {
        said.push(format!(
            "C's `{linked}` is the symbol `{label}` here (an `__asm__` label, as glibc's `__REDIRECT` gives): the \
             binding links `{linked}`, another function"
        ));
    }
    if c.internal {
        said.push(format!(
            "C declares `{}` `static` ({declared_at}): it has no symbol outside its file, so the binding cannot link it",
            c.name
        ));
    }
    match (&c_returns, rust_returns) {
        (None, None) => {}
        (Some(c), Some(r)) if c.agrees_with(r) => {
            if let Some(wrong) = c.points_elsewhere(r) {
                said.push(format!("returns: {wrong}"));
            } else if c.const_given_as_mut(r) {
                on.notes.push(format!(
                    "returns: C gives back `{}`, what it points at not to be written; the binding reads `{}`, \
                     which lets Rust write there",
                    c.text, r.text
                ));
            }
        }
        // Every target here gives an address and an integer of its size back in the same register.
        (Some(c), Some(r)) if c.is_address_of(r) => on.notes.push(format!(
            "returns: C gives back {}; the binding reads {}, an integer of a pointer's size, which comes back alike",
            c.describe(),
            r.describe()
        )),
        (Some(c), Some(r)) => {
            said.push(format!("returns: C gives back {}; the binding {}", c.describe(), r.describe()));
        }
        (Some(c), None) => {
            said.push(format!("returns: C gives back {}; the binding declares nothing comes back", c.describe()));
        }
        (None, Some(r)) => {
            said.push(format!("returns: C gives back nothing (`void`); the binding reads {}", r.describe()));
        }
    }
    if c.unprototyped {
        on.why = Some(format!(
            "C declares `{}()` without a prototype: what it takes is not said, so only what it returns is compared",
            c.name
        ));
    } else {
        compare_parameters(c, &c_side, rust, rust_side, (said, &mut on.notes));
    }
    if !on.differences.is_empty() {
        on.standing = FunctionStanding::Differs;
    }
    on
}

/// Each of the binding's values as laid out (`laid`) on the target of
/// `here`, with what each pointer among them points at (`pointees`, as
/// [`SignatureOn`] holds them).
fn rust_passed<'a>(
    rust: &'a RustFunction,
    (laid, pointees): (&'a RustLayout, &[Option<(TypeClass, u64)>]),
    here: &OnTarget<'a>,
) -> Vec<Passed<'a>> {
    let target = here.target;
    let in_force = (rust.parameters.iter().chain(&rust.returns))
        .enumerate()
        .filter(|(_, p)| p.cfg.as_ref().is_none_or(|cfg| cfg.holds(target)));
    let values = laid.layout.fields.iter().zip(&laid.fields).zip(in_force);
    values
        .map(|((field, (class, text)), (at, value))| {
            // What a pointer points at: a record by the C type it mirrors.
            let pointee = pointer_behind(here.rust, &value.ty, target).map(|pointer| {
                let mirrored = |item| Some((item, *here.mirrors.get(item)?));
                Pointed {
                    record: pointee_item(here.rust, &value.ty, target).and_then(mirrored),
                    value: pointees.get(at).cloned().flatten(),
                    writable: pointer.mutable,
                }
            });
            Passed {
                name: &field.name,
                class: class.clone(),
                size: field.size,
                align: field.align,
                text,
                extended_float: false,
                one_word_aggregate: false,
                pointee,
            }
        })
        .collect()
}

/// A parameter or returned value of C's, pointing at `pointee` if it is a pointer.
fn c_passed<'c>(
    member: &'c MemberDef,
    pointee: Option<&'c Pointee>,
    records: &'c [RecordDef],
    target: Target,
) -> Result<Passed<'c>, String> {
    // An array C passes as a pointer to its first element: one a typedef
    // names (X11's `XrmSearchList`), and x86-64 System V's `va_list`, an
    // array of one 24-byte struct.
    let pointer = TypeRef::Scalar(Scalar::Pointer);
    let ty = match member.ty {
        TypeRef::Array(..) => &pointer,
        TypeRef::Scalar(Scalar::VaList) if target == Target::X86_64Linux => &pointer,
        ref ty => ty,
    };
    let (size, align) = size_and_align(records, ty, target)?;
    let mut class = c_class(ty, IntegerKind::of(member), &member.ty_text, records, target);
    let long_double = member.ty == TypeRef::Scalar(Scalar::LongDouble);
    if long_double && size == 8 {
        // 32-bit ARM's and Windows' `long double` is a `double`.
        class = TypeClass::Float { bits: 64 };
    }
    let one_word_aggregate =
        class == TypeClass::Record && size <= target.scalar(Scalar::Pointer).0 && holds_only_words(ty, records, 0);
    Ok(Passed {
        name: member.name.as_deref().unwrap_or("_"),
        class,
        size,
        align,
        text: &member.ty_text,
        extended_float: long_double && size > 8,
        one_word_aggregate,
        pointee: pointee.map(|pointee| c_pointed(pointee, records, target)),
    })
}

/// What C's pointer points at, as [`Pointed`] holds it.
fn c_pointed<'c>(pointee: &'c Pointee, records: &'c [RecordDef], target: Target) -> Pointed<'c> {
    let value = size_and_align(records, &pointee.value.ty, target).ok().map(|(size, _)| {
        let class =
            c_class(&pointee.value.ty, IntegerKind::of(&pointee.value), &pointee.value.ty_text, records, target);
        (class, size)
    });
    let record = pointee.record(records).map(|record| (record, record));
    Pointed { record, value, writable: !pointee.constant }
}

/// Records nested at most this deep are looked into for [`holds_only_words`].
const MAX_AGGREGATE_DEPTH: usize = 8;

/// Whether `ty` holds nothing but integers and pointers, through its
/// records and arrays: what an ABI passes in an integer register.
fn holds_only_words(ty: &TypeRef, records: &[RecordDef], depth: usize) -> bool {
    match ty {
        TypeRef::Scalar(scalar) => !matches!(
            scalar,
            Scalar::Float | Scalar::Double | Scalar::LongDouble | Scalar::Float16 | Scalar::Float128 | Scalar::VaList
        ),
        TypeRef::Array(element, _) => holds_only_words(element, records, depth),
        TypeRef::Record(id) => {
            depth < MAX_AGGREGATE_DEPTH
                && records.get(*id).is_some_and(|record| {
                    record.defined() && record.members.iter().all(|m| holds_only_words(&m.ty, records, depth + 1))
                })
        }
    }
}

fn compare_parameters(
    c: &FunctionDef,
    c_side: &[Passed<'_>],
    rust: &RustFunction,
    rust_side: &[Passed<'_>],
    (said, notes): (&mut Vec<String>, &mut Vec<String>),
) {
    if c_side.len() != rust_side.len() {
        said.push(format!(
            "C's `{}` takes {}; the binding passes {}",
            c.name,
            count(c_side.len(), "parameter"),
            count(rust_side.len(), "argument")
        ));
    }
    for (at, (c_value, rust_value)) in c_side.iter().zip(rust_side).enumerate() {
        let name = c.parameters[at].name.as_deref().unwrap_or(rust_value.name);
        if c_value.one_word_aggregate && rust_value.is_word() && c_value.size == rust_value.size {
            notes.push(format!(
                "parameter {} `{name}`: C takes {}, which holds only integers and pointers; the binding passes {}, \
                 which the call passes alike on every target here",
                at + 1,
                c_value.describe(),
                rust_value.describe()
            ));
        } else if c_value.is_address_of(rust_value) {
            notes.push(format!(
                "parameter {} `{name}`: C takes {}; the binding passes {}, an integer of a pointer's size, \
                 which the call passes alike",
                at + 1,
                c_value.describe(),
                rust_value.describe()
            ));
        } else if !c_value.agrees_with(rust_value) {
            said.push(format!(
                "parameter {} `{name}`: C takes {}; the binding passes {}",
                at + 1,
                c_value.describe(),
                rust_value.describe()
            ));
        } else if let Some(wrong) = c_value.points_elsewhere(rust_value) {
            said.push(format!("parameter {} `{name}`: {wrong}", at + 1));
        } else if c_value.written_through_const(rust_value) {
            notes.push(format!(
                "parameter {} `{name}`: C's `{}` is not `const`, so C may write through it; the binding's `{}` \
                 lets a caller pass memory Rust holds as immutable (a shared borrow, a literal)",
                at + 1,
                c_value.text,
                rust_value.text
            ));
        }
    }
    match (c.variadic, rust.variadic) {
        (true, false) => said.push(format!(
            "C's `{}` takes more arguments after `...`; the binding declares none, so it cannot pass them",
            c.name
        )),
        (false, true) => said.push(format!(
            "the binding declares `...`, and C's `{}` is not variadic: where the two calls differ (aarch64 \
             Apple, Windows' floats), C reads its arguments from where the call did not put them",
            c.name
        )),
        _ => {}
    }
}

/// `what` after "a" or "an", as it is said: "an unsigned 8-bit integer",
/// "an 8-bit float", "a 32-bit float".
fn with_article(what: &str) -> String {
    let said_with_a_vowel = what.starts_with(['a', 'e', 'i', 'o', 'u', '8']) || what.starts_with("11-");
    format!("{} {what}", if said_with_a_vowel { "an" } else { "a" })
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// C's prototype as one line: `int inflate(z_streamp strm, int flush)`,
/// `void (*signal(int sig, void (*handler)(…)))(…)`.
fn c_prototype(c: &FunctionDef) -> String {
    let returns = c.returns.as_ref().map_or("void", |r| r.ty_text.as_str());
    let mut parameters: Vec<String> = c
        .parameters
        .iter()
        .map(|p| match &p.name {
            Some(name) => declaration(&p.ty_text, name),
            None => p.ty_text.clone(),
        })
        .collect();
    if c.variadic {
        parameters.push("...".to_owned());
    }
    let list = if c.unprototyped {
        String::new()
    } else if parameters.is_empty() {
        "void".to_owned()
    } else {
        parameters.join(", ")
    };
    declaration(returns, &format!("{}({list})", c.name))
}

/// The binding's signature as one line: `fn inflate(strm: z_streamp, flush: c_int) -> c_int`.
fn rust_signature(rust: &RustFunction) -> String {
    let mut parameters: Vec<String> = rust
        .parameters
        .iter()
        .map(|p| match &p.cfg {
            Some(cfg) => format!("#[cfg({})] {}: {}", cfg.as_source(), p.name, p.text),
            None => format!("{}: {}", p.name, p.text),
        })
        .collect();
    if rust.variadic {
        parameters.push("...".to_owned());
    }
    let returns = rust.returns.as_ref().map(|r| format!(" -> {}", r.text)).unwrap_or_default();
    format!("fn {}({}){returns}", rust.name, parameters.join(", "))
}
