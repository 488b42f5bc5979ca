//! The mirror as laid out on one target: every struct and union whose
//! `#[cfg]` holds there becomes a record of the lab's declarations, its
//! fields' types resolved through the file's aliases and Rust's own C types,
//! and the lab's engine lays them out with the target's C rules (which
//! `#[repr(C)]` promises to follow).

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use super::cfg::Cfg;
use super::rust_reader::{
    GenericParam, Length, Pointer, Repr, RustConst, RustEnum, RustField, RustFile, RustFunction, RustItem, RustType,
};
use super::types::{IntegerKind, Known, TypeClass, c_class, known};
use crate::layout::lab::Target;
use crate::layout::lab::engine::lay_out;
use crate::layout::lab::parser::{Body, Declarations, MemberDef, RecordDef, Scalar, ScalarTypedef, TypeRef};
use crate::layout::{Kind, Layout};

/// Aliases followed and array lengths evaluated at most this deep.
const MAX_DEPTH: usize = 32;

/// One Rust type laid out on one target.
#[derive(Debug, Clone, PartialEq)]
pub struct RustLayout {
    pub layout: Layout,
    /// Beside `layout.fields`: each field's class and type as written.
    pub fields: Vec<(TypeClass, String)>,
    /// `#[repr(C)]` (or `transparent`) holds on this target.
    pub repr_c: bool,
    /// Names its fields use that the file does not declare, taken from C's
    /// declarations of them (the libc crate declares `sigset_t` and `key_t`
    /// in other files of the crate).
    pub borrowed: Vec<String>,
    /// Constants its array lengths name that the file does not define,
    /// with C's values (`NCCS`, 32).
    pub borrowed_constants: Vec<(String, u64)>,
}

/// What C declares on one target, for the names a Rust file uses without
/// declaring them.
#[derive(Debug, Default)]
pub struct CNames<'a> {
    /// Typedefs of scalars and arrays of them.
    pub scalars: FxHashMap<&'a str, &'a ScalarTypedef>,
    /// Records by tag, name or typedef (`sigset_t`, `timespec`), into `records`.
    pub record_ids: FxHashMap<&'a str, usize>,
    pub records: &'a [RecordDef],
    /// Enumerators and integer macros.
    pub constants: FxHashMap<&'a str, i128>,
}

impl<'a> CNames<'a> {
    /// The names one target's C declarations give.
    pub fn of(declarations: &'a Declarations) -> CNames<'a> {
        let scalars = declarations.scalar_typedefs.iter().map(|typedef| (typedef.name.as_str(), typedef)).collect();
        let mut record_ids: FxHashMap<&str, usize> = FxHashMap::default();
        for (id, record) in declarations.records.iter().enumerate().filter(|(_, r)| r.defined()) {
            let bare = record.name.strip_prefix("struct ").or_else(|| record.name.strip_prefix("union "));
            record_ids.entry(record.name.as_str()).or_insert(id);
            if let Some(bare) = bare {
                record_ids.entry(bare).or_insert(id);
            }
        }
        for (name, id) in &declarations.typedefs {
            record_ids.entry(name.as_str()).or_insert(*id);
        }
        let constants = declarations.constants.iter().map(|(name, value)| (name.as_str(), *value)).collect();
        CNames { scalars, record_ids, records: &declarations.records, constants }
    }
}

/// What one item took from C: type names, and constants with their values.
type Borrowed = (Vec<String>, Vec<(String, u64)>);

/// The file's types on `target`: each laid out, or why it cannot be.
pub fn rust_layouts(file: &RustFile, target: Target) -> FxHashMap<String, Result<RustLayout, String>> {
    rust_layouts_with(file, target, &CNames::default())
}

/// C records brought into the Rust side's declarations, after its own.
#[derive(Debug, Default)]
struct Imported {
    records: Vec<RecordDef>,
    /// C's record id → its id among the Rust side's records.
    ids: FxHashMap<usize, usize>,
    /// The names borrowed while reading the current item.
    borrowed: Vec<String>,
    /// The constants borrowed while reading the current item.
    borrowed_constants: Vec<(String, u64)>,
    /// A generic item of the file with its arguments (`__IncompleteArrayField<u8>`,
    /// as their Debug text) → its id among the Rust side's records, and its class.
    instances: FxHashMap<String, (usize, TypeClass)>,
}

/// A constant's value on one target, in its own type, and that type's class.
pub type ConstantValue = Result<(i128, TypeClass), String>;

/// The file's items whose cfg holds on `target`, and each one's id by name
/// (the first of a name).
fn items_in_force<'f>(
    file: &'f RustFile,
    extra: &'f [RustItem],
    target: Target,
) -> (Vec<&'f RustItem>, FxHashMap<&'f str, usize>) {
    let present: Vec<&RustItem> =
        file.items.iter().chain(extra).filter(|i| i.cfg.as_ref().is_none_or(|c| c.holds(target))).collect();
    let ids = present.iter().enumerate().map(|(id, item)| (item.name.as_str(), id)).rev().collect();
    (present, ids)
}

/// The file's constants whose cfg holds on `target`, the first of each
/// name: each one's value in its own type, or why it has none. A name the
/// file does not define is C's value of it (`c`), as for array lengths.
pub fn constants_on(file: &RustFile, target: Target, c: &CNames<'_>) -> FxHashMap<String, ConstantValue> {
    let (present, ids) = items_in_force(file, &[], target);
    let model = Model { file, target, ids: &ids, present: &present, c, imported: RefCell::default() };
    let mut values = FxHashMap::default();
    for constant in file.consts.iter().filter(|c| c.cfg.as_ref().is_none_or(|cfg| cfg.holds(target))) {
        if !values.contains_key(&constant.name) {
            values.insert(constant.name.clone(), model.constant(constant, 0));
        }
    }
    values
}

/// As [`rust_layouts`], a name neither the file nor Rust declares taken
/// from C's declaration of it (`c`) when C has one.
pub fn rust_layouts_with(
    file: &RustFile,
    target: Target,
    c: &CNames<'_>,
) -> FxHashMap<String, Result<RustLayout, String>> {
    laid_out_with(file, &[], target, c)
}

/// The name of the record that holds a function's parameters ([`signatures_on`]).
fn signature_record(index: usize) -> String {
    format!("fn#{index}")
}

/// The field of a function's record that holds what it returns.
pub const RETURNED: &str = "return";

/// The name of the record that holds what a function's value `at` points at ([`signatures_on`]).
fn pointee_record(index: usize, at: usize) -> String {
    format!("fn#{index}*{at}")
}

/// One of the binding's functions on one target, its values laid out.
#[derive(Debug)]
pub struct SignatureOn {
    /// A record of one field per parameter in force there, and a last one
    /// named [`RETURNED`] for what it returns, if it returns anything: each
    /// one's class, size and alignment as the file declares its type, or
    /// why one has none (as [`rust_layouts_with`]).
    pub values: Result<RustLayout, String>,
    /// Beside the parameters as written, then what it returns: the class and
    /// size of what each pointer among them points at, where that type has
    /// a layout here (not `c_void`, not an opaque `enum {}`).
    pub pointees: Vec<Option<(TypeClass, u64)>>,
}

/// Each of `functions` of `file` on `target`, laid out as [`SignatureOn`] says.
pub fn signatures_on(file: &RustFile, functions: &[&RustFunction], target: Target, c: &CNames<'_>) -> Vec<SignatureOn> {
    let synthesized = |name: String, function: &RustFunction, cfg: Option<Cfg>, fields: Vec<RustField>| RustItem {
        name,
        kind: Kind::Struct,
        cfg,
        reprs: vec![Repr { c: true, ..Repr::default() }],
        generics: Vec::new(),
        fields,
        mirrors: None,
        file: function.file,
        line: function.line,
        column: 0,
        source: String::new(),
    };
    let mut records = Vec::new();
    for (index, function) in functions.iter().enumerate() {
        let values = function.parameters.iter().chain(&function.returns);
        let mut fields = Vec::new();
        for (at, value) in values.enumerate() {
            let field = |name: String, ty: RustType| RustField {
                name,
                ty,
                text: value.text.clone(),
                // A parameter cfg'd out here is no field of it.
                cfg: value.cfg.clone(),
                line: function.line,
                column: 0,
            };
            let name = if at < function.parameters.len() { value.name.clone() } else { RETURNED.to_owned() };
            fields.push(field(name, value.ty.clone()));
            // What it points at in a record of its own: a type with no
            // layout leaves the rest of the signature laid out.
            if let Some(pointer) = pointer_behind(file, &value.ty, target) {
                let pointee = field("pointee".to_owned(), (*pointer.pointee).clone());
                records.push(synthesized(pointee_record(index, at), function, value.cfg.clone(), vec![pointee]));
            }
        }
        records.push(synthesized(signature_record(index), function, None, fields));
    }
    let mut laid = laid_out_with(file, &records, target, c);
    let mut pointee = |index: usize, at: usize| {
        let record = laid.remove(&pointee_record(index, at))?.ok()?;
        let (class, _) = record.fields.first()?;
        Some((class.clone(), record.layout.fields.first()?.size))
    };
    let pointees: Vec<Vec<Option<(TypeClass, u64)>>> = functions
        .iter()
        .enumerate()
        .map(|(index, function)| {
            (0..function.parameters.len() + usize::from(function.returns.is_some()))
                .map(|at| pointee(index, at))
                .collect()
        })
        .collect();
    let values = (0..functions.len())
        .map(|index| laid.remove(&signature_record(index)).unwrap_or_else(|| Err("not laid out".to_owned())));
    values.zip(pointees).map(|(values, pointees)| SignatureOn { values, pointees }).collect()
}

/// Aliases followed at most this deep to the pointer a type is.
const MAX_ALIAS_DEPTH: usize = 16;

/// The raw pointer or reference `ty` is on `target`, its aliases followed
/// (`z_streamp` is `*mut z_stream`).
pub fn pointer_behind<'f>(file: &'f RustFile, ty: &'f RustType, target: Target) -> Option<&'f Pointer> {
    let mut ty = ty;
    for _ in 0..MAX_ALIAS_DEPTH {
        ty = match ty {
            RustType::RawPointer(pointer) | RustType::Reference(pointer) => return Some(pointer),
            RustType::Named { name, args } if args.is_empty() => &file.alias_on(name, target)?.ty,
            RustType::Expanded { by_cfg, .. } => {
                let in_force = |cfg: &Option<Cfg>| cfg.as_ref().is_none_or(|cfg| cfg.holds(target));
                by_cfg.iter().find(|(cfg, _)| in_force(cfg))?.1.as_ref().ok()?
            }
            _ => return None,
        };
    }
    None
}

/// The type of the file a pointer of type `ty` points at on `target`, by
/// name, its aliases followed on both sides of the pointer (`z_streamp`
/// points at `z_stream`, and so does `*mut z_stream_s` where `type
/// z_stream_s = z_stream;`): `None` for anything but a pointer to a named type.
pub fn pointee_item<'f>(file: &'f RustFile, ty: &'f RustType, target: Target) -> Option<&'f str> {
    let RustType::Named { name, args } = &*pointer_behind(file, ty, target)?.pointee else { return None };
    if !args.is_empty() {
        return None;
    }
    let mut name = name.as_str();
    for _ in 0..MAX_ALIAS_DEPTH {
        match file.alias_on(name, target).map(|a| &a.ty) {
            Some(RustType::Named { name: aliased, args }) if args.is_empty() => name = aliased,
            _ => break,
        }
    }
    Some(name)
}

/// The file's types and `extra` records on `target`, as [`rust_layouts_with`].
fn laid_out_with(
    file: &RustFile,
    extra: &[RustItem],
    target: Target,
    c: &CNames<'_>,
) -> FxHashMap<String, Result<RustLayout, String>> {
    let (present, ids) = items_in_force(file, extra, target);
    let model = Model { file, target, ids: &ids, present: &present, c, imported: RefCell::default() };
    let mut records = Vec::new();
    let mut classes = Vec::new();
    let mut borrowed: Vec<Borrowed> = Vec::new();
    let mut failed: FxHashMap<String, String> = FxHashMap::default();
    for item in &present {
        if !item.generics.is_empty() {
            // Laid out only where a field gives it its arguments.
            records.push(empty_record(item));
            classes.push(Vec::new());
            borrowed.push((Vec::new(), Vec::new()));
            continue;
        }
        let (record, fields) = model.record(item, 0).unwrap_or_else(|why| {
            failed.insert(item.name.clone(), why);
            (empty_record(item), Vec::new())
        });
        records.push(record);
        classes.push(fields);
        let mut imported = model.imported.borrow_mut();
        borrowed.push((std::mem::take(&mut imported.borrowed), std::mem::take(&mut imported.borrowed_constants)));
    }
    fail_what_holds_a_failure(&records[..present.len()], &mut failed);
    records.extend(std::mem::take(&mut model.imported.borrow_mut().records));
    let declarations = Declarations { records, ..Declarations::default() };
    let mut laid: FxHashMap<String, Result<RustLayout, String>> = FxHashMap::default();
    let each = present.iter().zip(classes).zip(borrowed);
    for ((name, layout), ((item, fields), (borrowed, borrowed_constants))) in
        lay_out(&declarations, target).into_iter().zip(each)
    {
        if !item.generics.is_empty() {
            continue;
        }
        let result = match failed.remove(&name) {
            Some(why) => Err(why),
            None => layout.map(|layout| RustLayout {
                layout,
                fields,
                repr_c: model.repr_c(item),
                borrowed,
                borrowed_constants,
            }),
        };
        laid.entry(name).or_insert(result);
    }
    laid
}

/// Marks failed, in `failed` (by name, with why), each of `records` that
/// holds one already there by value, in a field or an array: laid out with
/// it as the empty record it stands in for, it would get a size it does not
/// have. Each record is visited once from each record it holds.
fn fail_what_holds_a_failure(records: &[RecordDef], failed: &mut FxHashMap<String, String>) {
    fn held(ty: &TypeRef) -> Option<usize> {
        match ty {
            TypeRef::Record(id) => Some(*id),
            TypeRef::Array(element, _) => held(element),
            TypeRef::Scalar(_) => None,
        }
    }
    // Who holds each record, and in which field.
    let mut holders: Vec<Vec<(usize, &str)>> = vec![Vec::new(); records.len()];
    for (holder, record) in records.iter().enumerate() {
        for member in &record.members {
            if let Some(id) = held(&member.ty).filter(|&id| id < records.len() && id != holder) {
                holders[id].push((holder, member.name.as_deref().unwrap_or("_")));
            }
        }
    }
    let mut to_visit: Vec<usize> = (0..records.len()).filter(|&id| failed.contains_key(&records[id].name)).collect();
    while let Some(id) = to_visit.pop() {
        let why = failed[&records[id].name].clone();
        for &(holder, field) in &holders[id] {
            if !failed.contains_key(&records[holder].name) {
                let said = format!("`{field}`: `{}` cannot be laid out: {why}", records[id].name);
                failed.insert(records[holder].name.clone(), said);
                to_visit.push(holder);
            }
        }
    }
}

fn empty_record(item: &RustItem) -> RecordDef {
    RecordDef {
        kind: item.kind,
        name: item.name.clone(),
        members: Vec::new(),
        body: Body::Read,
        packed: false,
        aligned: None,
        pack: None,
        reported: true,
        alias_aligned: None,
        line: item.line,
    }
}

struct Model<'a> {
    file: &'a RustFile,
    target: Target,
    ids: &'a FxHashMap<&'a str, usize>,
    /// The items whose cfg holds, by id.
    present: &'a [&'a RustItem],
    c: &'a CNames<'a>,
    imported: RefCell<Imported>,
}

/// A type resolved on the target.
struct Resolved {
    ty: TypeRef,
    class: TypeClass,
    /// Never null, so `Option` of it is the same bytes (the niche).
    non_null: bool,
}

impl Resolved {
    fn scalar(scalar: Scalar, class: TypeClass) -> Resolved {
        Resolved { ty: TypeRef::Scalar(scalar), class, non_null: false }
    }

    fn pointer(non_null: bool) -> Resolved {
        Resolved { ty: TypeRef::Scalar(Scalar::Pointer), class: TypeClass::Pointer, non_null }
    }
}

impl Model<'_> {
    fn holds(&self, cfg: Option<&super::cfg::Cfg>) -> bool {
        cfg.is_none_or(|c| c.holds(self.target))
    }

    fn repr_c(&self, item: &RustItem) -> bool {
        item.reprs.iter().filter(|r| self.holds(r.cfg.as_ref())).any(|r| r.c || r.transparent)
    }

    /// `item` as a record of the lab's declarations, its fields' types
    /// resolved `depth` types deep (a generic item's arguments nest).
    fn record(&self, item: &RustItem, depth: usize) -> Result<(RecordDef, Vec<(TypeClass, String)>), String> {
        let reprs: Vec<_> = item.reprs.iter().filter(|r| self.holds(r.cfg.as_ref())).collect();
        let pack = reprs.iter().filter_map(|r| r.packed).min();
        let aligned = reprs.iter().filter_map(|r| r.align).max();
        for n in pack.iter().chain(aligned.iter()) {
            if !n.is_power_of_two() {
                return Err(format!("`{}`: {n} is not a power of two", item.name));
            }
        }
        if pack.is_some() && aligned.is_some() {
            return Err(format!("`{}` is both packed and aligned, which Rust refuses (E0587)", item.name));
        }
        // bindgen's stand-in for a union it cannot declare (one holding a type
        // that is not `Copy`): a zero-sized `__BindgenUnionField<T>` per member
        // beside the storage, `bindgen_union_field`. It is laid out as the union.
        let emulated_union = item.fields.iter().any(|f| emulated_union_member(&f.ty).is_some());
        let mut members = Vec::new();
        let mut classes = Vec::new();
        for field in item.fields.iter().filter(|f| self.holds(f.cfg.as_ref())) {
            if emulated_union && field.name == "bindgen_union_field" {
                continue;
            }
            let ty = emulated_union_member(&field.ty).unwrap_or(&field.ty);
            // The field is named at the top and one type in: a generic nested
            // 32 deep would otherwise name the same field 32 times.
            let resolved = self
                .resolve(ty, depth)
                .map_err(|why| if depth <= 1 { format!("`{}`: {why}", field.name) } else { why })?;
            members.push(MemberDef {
                name: Some(field.name.clone()),
                ty: resolved.ty,
                ty_text: field.text.clone(),
                unsigned: matches!(resolved.class, TypeClass::Int { signed: false, .. }),
                enumeration: matches!(resolved.class, TypeClass::Enum { .. }),
                bit_width: None,
                aligned: None,
                packed: false,
                line: field.line,
                column: field.column,
            });
            classes.push((resolved.class, field.text.clone()));
        }
        if pack.is_some()
            && let Some(inner) = members.iter().find_map(|m| self.aligned_within(&m.ty, 0))
        {
            return Err(format!(
                "`{}` is packed and holds `{inner}`, which is aligned: Rust refuses that (E0588)",
                item.name
            ));
        }
        let record = RecordDef {
            kind: if emulated_union { Kind::Union } else { item.kind },
            name: item.name.clone(),
            members,
            body: Body::Read,
            packed: false,
            aligned,
            pack,
            reported: true,
            alias_aligned: None,
            line: item.line,
        };
        Ok((record, classes))
    }

    /// The name of a `#[repr(align)]` type that `ty` is or holds, if any.
    fn aligned_within(&self, ty: &TypeRef, depth: usize) -> Option<String> {
        match ty {
            TypeRef::Array(element, _) => self.aligned_within(element, depth),
            TypeRef::Record(id) if depth < MAX_DEPTH => {
                let item = self.present.get(*id)?;
                let aligned = item.reprs.iter().any(|r| self.holds(r.cfg.as_ref()) && r.align.is_some());
                if aligned {
                    return Some(item.name.clone());
                }
                item.fields
                    .iter()
                    .filter(|f| self.holds(f.cfg.as_ref()))
                    .filter_map(|f| self.resolve(&f.ty, depth + 1).ok())
                    .find_map(|r| self.aligned_within(&r.ty, depth + 1))
            }
            _ => None,
        }
    }

    fn resolve(&self, ty: &RustType, depth: usize) -> Result<Resolved, String> {
        if depth > MAX_DEPTH {
            return Err(format!("types nested deeper than {MAX_DEPTH}"));
        }
        match ty {
            RustType::RawPointer(_) => Ok(Resolved::pointer(false)),
            RustType::Reference(_) | RustType::FnPointer => Ok(Resolved::pointer(true)),
            RustType::Unit => Ok(empty()),
            RustType::Unsupported(text) => Err(format!("`{text}` has no layout this reads")),
            RustType::Const(_) => Err("a const generic argument where a type belongs".to_owned()),
            RustType::Array(element, length) => {
                let element = self.resolve(element, depth + 1)?;
                let len = self.length(length, depth + 1)?;
                Ok(Resolved {
                    ty: TypeRef::Array(Box::new(element.ty), Some(len)),
                    class: TypeClass::Array { element: Box::new(element.class), len },
                    non_null: false,
                })
            }
            RustType::Named { name, args } => self.named(name, args, depth),
            RustType::Expanded { text, by_cfg } => match by_cfg.iter().find(|(cfg, _)| self.holds(cfg.as_ref())) {
                Some((_, Ok(ty))) => self.resolve(ty, depth + 1),
                Some((_, Err(why))) => Err(format!("`{text}`: {why}")),
                None => Err(format!("`{text}`: no definition of its macro is in force here")),
            },
        }
    }

    fn named(&self, name: &str, args: &[RustType], depth: usize) -> Result<Resolved, String> {
        let target = self.target;
        if let Some(alias) = self.file.alias_on(name, target) {
            return self.resolve(&alias.ty, depth + 1);
        }
        if let Some(e) = self.file.enums.iter().find(|e| e.name == name && self.holds(e.cfg.as_ref())) {
            return self.enumeration(e);
        }
        if let Some(&id) = self.ids.get(name) {
            let item = self.present[id];
            if !item.generics.is_empty() {
                return self.instantiate(item, args, depth);
            }
            return Ok(Resolved { ty: TypeRef::Record(id), class: TypeClass::Record, non_null: false });
        }
        let first = || args.first().ok_or_else(|| format!("`{name}` without its type argument"));
        match known(name, target) {
            Some(Known::Scalar(scalar, class)) => Ok(Resolved {
                non_null: name.starts_with("NonZero"),
                ..Resolved::scalar(scalar, class.class(scalar, target))
            }),
            Some(Known::Transparent) => {
                let inner = self.resolve(first()?, depth + 1)?;
                // `NonZero<u32>` keeps a niche; `MaybeUninit<&T>` does not.
                Ok(Resolved { non_null: name == "NonZero" || (inner.non_null && name != "MaybeUninit"), ..inner })
            }
            Some(Known::Empty) => Ok(empty()),
            Some(Known::NonNullPointer) => Ok(Resolved::pointer(true)),
            Some(Known::Option) => {
                let inner = self.resolve(first()?, depth + 1)?;
                if inner.non_null {
                    Ok(Resolved { non_null: false, ..inner })
                } else {
                    Err(format!(
                        "`Option` of a type that can be zero has no C layout: only `Option<NonNull<T>>`, \
                         `Option<&T>`, `Option<extern \"C\" fn>` and `Option<NonZero…>` are their content's bytes \
                         on {}",
                        target.triple()
                    ))
                }
            }
            Some(Known::Void) => Err("`c_void` has no size: it is only meant behind a pointer".to_owned()),
            None if self.c.scalars.contains_key(name) => {
                let typedef = self.c.scalars[name];
                let integer = IntegerKind { unsigned: typedef.unsigned, enumeration: typedef.enumeration };
                self.borrow(name);
                Ok(Resolved {
                    ty: typedef.ty.clone(),
                    class: c_class(&typedef.ty, integer, name, &[], target),
                    non_null: false,
                })
            }
            None if self.c.record_ids.contains_key(name) => {
                let id = self.import(self.c.record_ids[name], 0)?;
                self.borrow(name);
                Ok(Resolved { ty: TypeRef::Record(id), class: TypeClass::Record, non_null: false })
            }
            None => Err(format!(
                "`{name}` is neither declared in this file nor a C type Rust or libc has on {}",
                target.triple()
            )),
        }
    }

    /// The generic `item` with `args`: its fields with the arguments in place
    /// of its parameters, laid out as a record of its own, once per distinct
    /// arguments. Its class is a zero-length array's when that is all it
    /// holds besides zero-sized fields, as bindgen's `__IncompleteArrayField<T>`
    /// stands for C's flexible array member.
    fn instantiate(&self, item: &RustItem, args: &[RustType], depth: usize) -> Result<Resolved, String> {
        if args.len() != item.generics.len() {
            return Err(format!(
                "`{}` takes {} generic argument{}, and is given {}",
                item.name,
                item.generics.len(),
                if item.generics.len() == 1 { "" } else { "s" },
                args.len()
            ));
        }
        let key = format!("{}<{args:?}>", item.name);
        if let Some((id, class)) = self.imported.borrow().instances.get(&key) {
            return Ok(Resolved { ty: TypeRef::Record(*id), class: class.clone(), non_null: false });
        }
        let fields = item
            .fields
            .iter()
            .map(|field| RustField { ty: substitute(&field.ty, &item.generics, args), ..field.clone() })
            .collect();
        let instance = RustItem { generics: Vec::new(), fields, ..item.clone() };
        let (mut record, classes) = self.record(&instance, depth + 1)?;
        record.reported = false;
        let mut held = classes.iter().map(|(class, _)| class).filter(|class| **class != TypeClass::Empty);
        let class = match (held.next(), held.next()) {
            (Some(array @ TypeClass::Array { len: 0, .. }), None) => array.clone(),
            _ => TypeClass::Record,
        };
        let mut imported = self.imported.borrow_mut();
        let id = self.present.len() + imported.records.len();
        imported.records.push(record);
        imported.instances.insert(key, (id, class.clone()));
        Ok(Resolved { ty: TypeRef::Record(id), class, non_null: false })
    }

    /// A fieldless enum as its `repr` lays it out: `repr(C)` as the target's
    /// C compiler lays out an enum (an `int`: every target here), `repr(u8)`
    /// and the like as that integer.
    fn enumeration(&self, e: &RustEnum) -> Result<Resolved, String> {
        if e.holds_data {
            return Err(format!("`{}` is an enum whose variants hold data: no C enum is laid out like that", e.name));
        }
        let reprs: Vec<&Repr> = e.reprs.iter().filter(|r| self.holds(r.cfg.as_ref())).collect();
        if let Some(integer) = reprs.iter().find_map(|r| r.integer.as_deref()) {
            return match known(integer, self.target) {
                Some(Known::Scalar(scalar, class)) => Ok(Resolved::scalar(scalar, class.class(scalar, self.target))),
                _ => Err(format!("`{}`: `repr({integer})` is not read", e.name)),
            };
        }
        if reprs.iter().any(|r| r.c) {
            let bits = self.target.scalar(Scalar::Int).0 * 8;
            return Ok(Resolved::scalar(Scalar::Int, TypeClass::Enum { bits }));
        }
        Err(format!(
            "`{}` is an enum without `#[repr(C)]` or `#[repr(u8)]` and the like: Rust picks its size, C does not",
            e.name
        ))
    }

    fn borrow(&self, name: &str) {
        let borrowed = &mut self.imported.borrow_mut().borrowed;
        if !borrowed.iter().any(|b| b == name) {
            borrowed.push(name.to_owned());
        }
    }

    /// Brings C's record `c_id` (and the records it holds by value) in
    /// among the Rust side's records; returns its id there.
    fn import(&self, c_id: usize, depth: usize) -> Result<usize, String> {
        if depth > MAX_DEPTH {
            return Err(format!("C records nested deeper than {MAX_DEPTH}"));
        }
        if let Some(&id) = self.imported.borrow().ids.get(&c_id) {
            return Ok(id);
        }
        let mut record = self.c.records.get(c_id).ok_or("a C record that is not there")?.clone();
        let id = {
            let mut imported = self.imported.borrow_mut();
            let id = self.present.len() + imported.records.len();
            imported.ids.insert(c_id, id);
            imported.records.push(record.clone());
            id
        };
        for member in &mut record.members {
            member.ty = self.imported_type(&member.ty, depth + 1)?;
        }
        record.reported = false;
        self.imported.borrow_mut().records[id - self.present.len()] = record;
        Ok(id)
    }

    fn imported_type(&self, ty: &TypeRef, depth: usize) -> Result<TypeRef, String> {
        Ok(match ty {
            TypeRef::Scalar(scalar) => TypeRef::Scalar(*scalar),
            TypeRef::Array(element, len) => TypeRef::Array(Box::new(self.imported_type(element, depth)?), *len),
            TypeRef::Record(c_id) => TypeRef::Record(self.import(*c_id, depth)?),
        })
    }

    fn length(&self, length: &Length, depth: usize) -> Result<u64, String> {
        let value = self.evaluate(length, depth, None).map_err(|why| format!("an array length of {why}"))?;
        u64::try_from(value).map_err(|_| format!("an array length of {value}"))
    }

    /// A constant of the file: its value in its own type, and that type's class.
    fn constant(&self, constant: &RustConst, depth: usize) -> Result<(i128, TypeClass), String> {
        let class = self.resolve(&constant.ty, depth + 1)?.class;
        let width = match class {
            TypeClass::Int { bits, signed } => (bits, signed),
            TypeClass::Enum { bits } => (bits, true),
            _ => return Err(format!("`{}` is not an integer type", constant.text)),
        };
        Ok((self.evaluate(&constant.value, depth + 1, Some(width))?, class))
    }

    /// `length`'s value, each step wrapped to `width` (bits, signed) as
    /// Rust's arithmetic in a constant's type would leave it, if it is given.
    fn evaluate(&self, length: &Length, depth: usize, width: Option<(u64, bool)>) -> Result<i128, String> {
        if depth > MAX_DEPTH {
            return Err(format!("constants nested deeper than {MAX_DEPTH}"));
        }
        let value = match length {
            Length::Value(n) => i128::from(*n),
            Length::Unsupported(what) => return Err(what.clone()),
            Length::Named(name) => {
                if let Some(constant) = self.file.consts.iter().find(|c| c.name == *name && self.holds(c.cfg.as_ref()))
                {
                    return match width {
                        Some(_) => Ok(wrapped(self.constant(constant, depth + 1)?.0, width)),
                        // An array length: the constant's own type is `usize`, whatever its text.
                        None => self.evaluate(&constant.value, depth + 1, None),
                    };
                }
                // Defined in another file, as C defines it (the libc crate's `NCCS`).
                let value = *self
                    .c
                    .constants
                    .get(name.as_str())
                    .ok_or_else(|| format!("no constant `{name}` in this file on {}", self.target.triple()))?;
                let borrowed = &mut self.imported.borrow_mut().borrowed_constants;
                if let Ok(count) = u64::try_from(value)
                    && !borrowed.iter().any(|(b, _)| b == name)
                {
                    borrowed.push((name.clone(), count));
                }
                value
            }
            Length::Negated(inner) => {
                let value = self.evaluate(inner, depth + 1, width)?;
                value.checked_neg().ok_or_else(|| format!("a value that overflows: -({value})"))?
            }
            Length::Flipped(inner) => !self.evaluate(inner, depth + 1, width)?,
            Length::Binary(left, op, right) => {
                let (a, b) = (self.evaluate(left, depth + 1, width)?, self.evaluate(right, depth + 1, width)?);
                let shift = || u32::try_from(b).ok().filter(|&b| b < 128);
                let value = match op {
                    '+' => a.checked_add(b),
                    '-' => a.checked_sub(b),
                    '*' => a.checked_mul(b),
                    '/' => a.checked_div(b),
                    '%' => a.checked_rem(b),
                    '<' => shift().and_then(|b| a.checked_shl(b)),
                    '>' => shift().and_then(|b| a.checked_shr(b)),
                    '|' => Some(a | b),
                    '&' => Some(a & b),
                    _ => Some(a ^ b),
                };
                value.ok_or_else(|| format!("a value that overflows: {a} {op} {b}"))?
            }
        };
        Ok(wrapped(value, width))
    }
}

/// `value` as an integer of `width` (bits, signed) holds it: its low bits,
/// read with or without a sign. Unchanged without a width.
pub fn wrapped(value: i128, width: Option<(u64, bool)>) -> i128 {
    let Some((bits, signed)) = width.filter(|(bits, _)| (1..128).contains(bits)) else { return value };
    let modulus = 1i128 << bits;
    let low = value.rem_euclid(modulus);
    if signed && low >= modulus / 2 { low - modulus } else { low }
}

/// The member type `T` of bindgen's union marker `__BindgenUnionField<T>`,
/// a zero-sized field that stands for a member of the union its struct emulates.
pub fn emulated_union_member(ty: &RustType) -> Option<&RustType> {
    match ty {
        RustType::Named { name, args } if name == "__BindgenUnionField" && args.len() == 1 => args.first(),
        _ => None,
    }
}

/// `ty` with each of `params` replaced by its argument in `args`.
fn substitute(ty: &RustType, params: &[GenericParam], args: &[RustType]) -> RustType {
    match ty {
        RustType::Named { name, args: inner } if inner.is_empty() => params
            .iter()
            .zip(args)
            .find_map(|(param, arg)| matches!(param, GenericParam::Type(p) if p == name).then(|| arg.clone()))
            .unwrap_or_else(|| ty.clone()),
        RustType::Named { name, args: inner } => {
            RustType::Named { name: name.clone(), args: inner.iter().map(|t| substitute(t, params, args)).collect() }
        }
        RustType::Array(element, length) => {
            RustType::Array(Box::new(substitute(element, params, args)), substitute_length(length, params, args))
        }
        RustType::Const(length) => RustType::Const(substitute_length(length, params, args)),
        RustType::Expanded { text, by_cfg } => RustType::Expanded {
            text: text.clone(),
            by_cfg: by_cfg
                .iter()
                .map(|(cfg, ty)| {
                    (cfg.clone(), ty.as_ref().map(|ty| substitute(ty, params, args)).map_err(Clone::clone))
                })
                .collect(),
        },
        other => other.clone(),
    }
}

/// `length` with each const parameter of `params` replaced by its argument.
fn substitute_length(length: &Length, params: &[GenericParam], args: &[RustType]) -> Length {
    match length {
        Length::Named(name) => params
            .iter()
            .zip(args)
            .find_map(|(param, arg)| match (param, arg) {
                (GenericParam::Const(p), RustType::Const(value)) if p == name => Some(value.clone()),
                // `Wrapper<N>`: a constant's name reads as a type's.
                (GenericParam::Const(p), RustType::Named { name: constant, args }) if p == name && args.is_empty() => {
                    Some(Length::Named(constant.clone()))
                }
                _ => None,
            })
            .unwrap_or_else(|| length.clone()),
        Length::Binary(left, op, right) => Length::Binary(
            Box::new(substitute_length(left, params, args)),
            *op,
            Box::new(substitute_length(right, params, args)),
        ),
        Length::Negated(inner) => Length::Negated(Box::new(substitute_length(inner, params, args))),
        Length::Flipped(inner) => Length::Flipped(Box::new(substitute_length(inner, params, args))),
        other => other.clone(),
    }
}

fn empty() -> Resolved {
    Resolved {
        ty: TypeRef::Array(Box::new(TypeRef::Scalar(Scalar::Char)), Some(0)),
        class: TypeClass::Empty,
        non_null: false,
    }
}

/// The kind of a Rust item, as the C side names it.
pub fn c_keyword(kind: Kind) -> &'static str {
    if kind == Kind::Union { "union" } else { "struct" }
}

#[cfg(test)]
mod tests {
    use super::rust_layouts;
    use crate::layout::lab::Target;
    use crate::layout::mirror_check::rust_reader::read_rust;
    use crate::layout::mirror_check::types::TypeClass;

    #[test]
    fn c_long_and_u128_and_niches_take_each_targets_size() {
        let file = read_rust(
            "#[repr(C)] struct S { a: u8, big: u128, l: core::ffi::c_long, f: Option<unsafe extern \"C\" fn()>, \
             p: std::marker::PhantomData<u8> }",
        );
        assert_eq!(file.errors, []);
        let offsets = |target| {
            let s = rust_layouts(&file, target).remove("S").expect("S").expect("laid out");
            (s.layout.size, s.layout.fields.iter().map(|f| f.offset).collect::<Vec<_>>())
        };
        assert_eq!(offsets(Target::X86_64Linux), (48, vec![0, 16, 32, 40, 48]));
        assert_eq!(offsets(Target::X86_64Windows), (48, vec![0, 16, 32, 40, 48]));
        assert_eq!(offsets(Target::Armv7Linux), (32, vec![0, 8, 24, 28, 32]));
        let s = rust_layouts(&file, Target::Aarch64Linux).remove("S").expect("S").expect("laid out");
        assert_eq!(s.fields[2].0, TypeClass::Int { bits: 64, signed: true });
    }

    #[test]
    fn a_packed_type_holding_an_aligned_one_is_refused_as_rustc_refuses_it() {
        let file = read_rust(
            "#[repr(C, align(8))] struct A { a: u8 }\n#[repr(C)] struct B { a: [A; 2] }\n#[repr(C, packed)] struct P { b: B }",
        );
        let why = rust_layouts(&file, Target::X86_64Linux).remove("P").expect("P").expect_err("refused");
        assert!(why.contains("E0588") && why.contains("`A`"), "{why}");
    }

    #[test]
    fn a_generic_type_is_laid_out_with_the_arguments_each_field_gives_it() {
        let file = read_rust(
            "#[repr(C)] struct Pair<T, const N: usize> { a: T, b: [T; N] }\n\
             #[repr(C)] struct Tail<T>(core::marker::PhantomData<T>, [T; 0]);\n\
             const THREE: usize = 3;\n\
             #[repr(C)] struct S { x: Pair<u8, THREE>, y: Pair<u64, { 2 }>, rest: Tail<u32> }\n\
             #[repr(C)] struct Wrong { z: Pair<u16> }",
        );
        assert_eq!(file.errors, []);
        let mut laid = rust_layouts(&file, Target::X86_64Linux);
        assert!(!laid.contains_key("Pair") && !laid.contains_key("Tail"), "generic types are laid out only in use");
        let s = laid.remove("S").expect("S").expect("laid out");
        let placed: Vec<(u64, u64)> = s.layout.fields.iter().map(|f| (f.offset, f.size)).collect();
        assert_eq!((s.layout.size, placed), (32, vec![(0, 4), (8, 24), (32, 0)]));
        assert_eq!(
            s.fields[2].0,
            TypeClass::Array { element: Box::new(TypeClass::Int { bits: 32, signed: false }), len: 0 }
        );
        let why = laid.remove("Wrong").expect("Wrong").expect_err("refused");
        assert!(why.contains("`Pair` takes 2 generic arguments, and is given 1"), "{why}");
        // A generic that holds itself with new arguments is refused at the depth limit, its path said once.
        let file = read_rust("#[repr(C)] struct R<T> { r: R<[T; 2]> }\n#[repr(C)] struct S { x: R<u8> }");
        let why = rust_layouts(&file, Target::X86_64Linux).remove("S").expect("S").expect_err("refused");
        assert_eq!(why, "`x`: `r`: types nested deeper than 32");
    }

    #[test]
    fn a_fieldless_enum_is_laid_out_as_its_repr_says() {
        let file = read_rust(
            "#[repr(C)] enum Colour { Red, Green }\n#[repr(u8)] enum Small { A = 1 }\nenum Free { A }\n\
             #[repr(C)] enum Tagged { A(u32) }\n\
             #[repr(C)] struct S { c: Colour, s: Small }\n#[repr(C)] struct F { f: Free }\n#[repr(C)] struct T { t: Tagged }",
        );
        assert_eq!(file.errors, []);
        let mut laid = rust_layouts(&file, Target::Armv7Linux);
        let s = laid.remove("S").expect("S").expect("laid out");
        let placed: Vec<(u64, u64)> = s.layout.fields.iter().map(|f| (f.offset, f.size)).collect();
        assert_eq!((s.layout.size, placed), (8, vec![(0, 4), (4, 1)]));
        assert_eq!(s.fields[0].0, TypeClass::Enum { bits: 32 });
        assert_eq!(s.fields[1].0, TypeClass::Int { bits: 8, signed: false });
        let why = laid.remove("F").expect("F").expect_err("refused");
        assert!(why.contains("`Free` is an enum without `#[repr(C)]`"), "{why}");
        let why = laid.remove("T").expect("T").expect_err("refused");
        assert!(why.contains("variants hold data"), "{why}");
    }

    #[test]
    fn an_option_that_can_be_zero_has_no_c_layout() {
        let file = read_rust("#[repr(C)] struct S { a: Option<u32> }");
        let why = rust_layouts(&file, Target::X86_64Linux).remove("S").expect("S").expect_err("refused");
        assert!(why.contains("`a`") && why.contains("Option"), "{why}");
    }
}
