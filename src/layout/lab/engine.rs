//! Lays parsed declarations out for one target: member by member, as the
//! target's C compiler does, with the rules that decided each hole noted.

use super::abi::{BitfieldRule, Target};
use super::parser::{Body, Declarations, MemberDef, RecordDef, Scalar, TypeRef};
use crate::layout::listing::AnonymousMember;
use crate::layout::{Field, Kind, Layout};

/// A record's layout, or why it has none.
pub type Laid = Result<Layout, String>;

struct Engine<'a> {
    target: Target,
    records: &'a [RecordDef],
    done: Vec<Option<Laid>>,
    in_progress: Vec<bool>,
    /// Alignment a record keeps whatever packing surrounds it (Microsoft).
    required: Vec<u64>,
}

/// Where the next member goes, while a record is being laid out.
struct Placement {
    /// Next free bit (stays 0 in a union).
    bit: u64,
    /// The furthest bit any member reached.
    end_bits: u64,
    align: u64,
    /// Microsoft: the open bitfield storage unit (start bit, size in bytes).
    unit: Option<(u64, u64)>,
}

impl Default for Placement {
    fn default() -> Self {
        Placement { bit: 0, end_bits: 0, align: 1, unit: None }
    }
}

fn align_up(value: u64, align: u64) -> u64 {
    if align <= 1 { value } else { value.div_ceil(align).saturating_mul(align) }
}

/// The target rules that decided a record's members, e.g.
/// "`b` (long long): i386 System V: 8-byte types align to 4 inside structs".
pub fn rules_cited(declarations: &Declarations, target: Target, name: &str) -> Vec<String> {
    let Some(record) = declarations.records.iter().find(|r| r.name == name) else { return Vec::new() };
    let mut rules = Vec::new();
    for member in &record.members {
        let mut ty = &member.ty;
        while let TypeRef::Array(element, _) = ty {
            ty = element;
        }
        if let TypeRef::Scalar(scalar) = ty
            && let (_, _, Some(rule)) = target.scalar(*scalar)
        {
            let name = member.name.as_deref().unwrap_or("(unnamed)");
            rules.push(format!("`{name}` ({}): {rule}", member.ty_text));
        }
    }
    if target.bitfield_rule() == BitfieldRule::Microsoft && record.members.iter().any(|m| m.bit_width.is_some()) {
        rules.push("Microsoft bitfields: each run of same-size bitfields fills a whole unit of its type".to_owned());
    }
    rules
}

/// Each member's own alignment on `target` (before packing), in order.
pub fn member_alignments(declarations: &Declarations, record: &RecordDef, target: Target) -> Vec<u64> {
    let mut engine = Engine::new(target, &declarations.records);
    record
        .members
        .iter()
        .map(|m| engine.type_of(&m.ty).map_or(1, |(_, align)| align).max(m.aligned.unwrap_or(1)))
        .collect()
}

/// `record` laid out for `target` in place of the record of the same name
/// (for a reordering that is only being considered).
pub fn lay_out_variant(declarations: &Declarations, record: &RecordDef, target: Target) -> Laid {
    let mut variant = declarations.clone();
    let id = variant.records.iter().position(|r| r.name == record.name).ok_or("no such record")?;
    variant.records[id] = record.clone();
    let mut engine = Engine::new(target, &variant.records);
    engine.record(id)
}

/// The record `id` of `declarations` laid out for `target`, named or not
/// (an anonymous member's own layout).
pub fn lay_out_record(declarations: &Declarations, id: usize, target: Target) -> Laid {
    record_layout(&declarations.records, id, target)
}

/// An anonymous member of record type `id`, laid out on its own, and where
/// it starts in `outer`, whose layout lists the member's fields in place:
/// its first field's offset there, less that field's offset inside.
pub fn anonymous_member_in(
    declarations: &Declarations,
    id: usize,
    outer: &Layout,
    target: Target,
) -> Option<(u64, Layout)> {
    let inner = lay_out_record(declarations, id, target).ok()?;
    let first = inner.fields.first()?;
    let offset = outer.field(&first.name)?.offset.checked_sub(first.offset)?;
    Some((offset, inner))
}

/// The record `id` of `records` laid out for `target`, as a reader sees
/// them before its declarations are complete (for `offsetof`).
pub fn record_layout(records: &[RecordDef], id: usize, target: Target) -> Laid {
    if id >= records.len() {
        return Err("no such record".to_owned());
    }
    Engine::new(target, records).record(id)
}

/// The anonymous struct and union members of the record named `name`, as
/// a listing nests them: each over the run of its flattened fields, at its
/// offset on `target`, outermost first.
pub fn anonymous_members(declarations: &Declarations, name: &str, target: Target) -> Vec<AnonymousMember> {
    let Some(id) = declarations.records.iter().position(|r| r.name == name && r.defined()) else {
        return Vec::new();
    };
    let mut engine = Engine::new(target, &declarations.records);
    let Ok(outer) = engine.record(id) else { return Vec::new() };
    let mut found = Vec::new();
    engine.nest(id, &outer, 0, 0, &mut found);
    found
}

/// `sizeof` and `_Alignof` of `ty` on `target`, records laid out as needed.
pub fn size_and_align(records: &[RecordDef], ty: &TypeRef, target: Target) -> Result<(u64, u64), String> {
    Engine::new(target, records).type_of(ty)
}

/// Every named record of `declarations`, laid out for `target`, in order.
pub fn lay_out(declarations: &Declarations, target: Target) -> Vec<(String, Laid)> {
    let mut engine = Engine::new(target, &declarations.records);
    declarations
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.reported)
        .map(|(id, r)| (r.name.clone(), engine.record(id)))
        .collect()
}

impl<'a> Engine<'a> {
    /// The anonymous members of record `id`, whose first flattened field
    /// is `outer`'s field `first` (`outer` the listed type's layout), at
    /// nesting `depth`; returns how many flattened fields `id` has.
    fn nest(
        &mut self,
        id: usize,
        outer: &Layout,
        first: usize,
        depth: usize,
        found: &mut Vec<AnonymousMember>,
    ) -> usize {
        let records = self.records;
        let mut at = first;
        for member in &records[id].members {
            match (&member.name, &member.ty) {
                (Some(_), _) => at += 1,
                (None, TypeRef::Record(inner)) => {
                    let Ok(own) = self.record(*inner) else { return at - first };
                    let (Some(placed), Some(own_first)) = (outer.fields.get(at), own.fields.first()) else { continue };
                    let slot = found.len();
                    found.push(AnonymousMember {
                        kind: own.kind,
                        offset: placed.offset.saturating_sub(own_first.offset),
                        size: own.size,
                        first_field: at,
                        fields: 0,
                        depth,
                    });
                    let fields = self.nest(*inner, outer, at, depth + 1, found);
                    found[slot].fields = fields;
                    at += fields;
                }
                (None, _) => {} // an unnamed bitfield: no field
            }
        }
        at - first
    }

    fn new(target: Target, records: &'a [RecordDef]) -> Engine<'a> {
        Engine {
            target,
            records,
            done: vec![None; records.len()],
            in_progress: vec![false; records.len()],
            required: vec![1; records.len()],
        }
    }

    fn record(&mut self, id: usize) -> Laid {
        if let Some(done) = &self.done[id] {
            return done.clone();
        }
        let record = &self.records[id];
        match record.body {
            Body::Read => {}
            Body::Declared => return Err(format!("`{}` is declared but never defined", record.name)),
            Body::Unreadable => return Err(format!("`{}` has an error in its body", record.name)),
        }
        if self.in_progress[id] {
            return Err(format!("`{}` contains itself", record.name));
        }
        self.in_progress[id] = true;
        let laid = self.lay_record(record);
        self.required[id] = self.kept_alignment(record, laid.as_ref().map_or(1, |l| l.align));
        self.in_progress[id] = false;
        self.done[id] = Some(laid.clone());
        laid
    }

    /// What packing cannot take from a record (Microsoft): all of its
    /// alignment if `aligned` sits on the record itself; otherwise the largest
    /// `aligned` on a member or inside a member's type.
    fn kept_alignment(&self, record: &RecordDef, full: u64) -> u64 {
        if record.aligned.is_some() {
            return full;
        }
        record.members.iter().map(|m| m.aligned.unwrap_or(1).max(self.required_of_type(&m.ty))).fold(1, u64::max)
    }

    fn required_of_type(&self, ty: &TypeRef) -> u64 {
        match ty {
            TypeRef::Scalar(_) => 1,
            TypeRef::Array(element, _) => self.required_of_type(element),
            TypeRef::Record(id) => self.required[*id],
        }
    }

    /// Size and alignment of a member's type, before packing and attributes.
    fn type_of(&mut self, ty: &TypeRef) -> Result<(u64, u64), String> {
        match ty {
            TypeRef::Scalar(Scalar::Void) => Err("`void` has no size; only a pointer to it does".to_owned()),
            TypeRef::Scalar(scalar) => {
                let (size, align, _) = self.target.scalar(*scalar);
                Ok((size, align))
            }
            TypeRef::Array(element, count) => {
                let (size, align) = self.type_of(element)?;
                let count = count.unwrap_or(0);
                let largest = self.target.max_object_bytes();
                match size.checked_mul(count) {
                    Some(total) if total <= largest => Ok((total, align)),
                    _ => Err(format!(
                        "an array of {count} × {size} bytes is larger than the largest object on {} ({largest} bytes)",
                        self.target.triple()
                    )),
                }
            }
            TypeRef::Record(id) => {
                let layout = self.record(*id)?;
                Ok((layout.size, layout.align))
            }
        }
    }

    fn lay_record(&mut self, record: &RecordDef) -> Laid {
        let mut fields = Vec::new();
        let mut at = Placement::default();
        for (index, member) in record.members.iter().enumerate() {
            let (size, natural) =
                self.type_of(&member.ty).map_err(|e| format!("{e} (member at {}:{})", member.line, member.column))?;
            if let TypeRef::Array(_, None) = member.ty
                && (index + 1 != record.members.len() || record.kind == Kind::Union)
            {
                return Err(format!(
                    "a flexible array member must be the last member of a struct ({}:{})",
                    member.line, member.column
                ));
            }
            if let Some(width) = member.bit_width {
                if width > size * 8 {
                    return Err(format!(
                        "bitfield of {width} bits is wider than its type ({}:{})",
                        member.line, member.column
                    ));
                }
                if let Some(field) = self.place_bitfield(record, member, width, size, natural, &mut at) {
                    fields.push(field);
                }
                continue;
            }
            // An ordinary member closes any open bitfield unit.
            if let Some((from, bytes)) = at.unit.take() {
                at.bit = at.bit.max(from + bytes * 8);
            }
            let mut member_align = self.member_align(record, member, natural);
            if self.target.bitfield_rule() == BitfieldRule::Microsoft {
                member_align = member_align.max(self.required_of_type(&member.ty));
            }
            at.align = at.align.max(member_align);
            let offset = if record.kind == Kind::Union { 0 } else { align_up(at.bit.div_ceil(8), member_align) };
            self.push_member(&mut fields, member, offset, size, natural)?;
            let end = offset.saturating_add(size).saturating_mul(8);
            at.bit = if record.kind == Kind::Union { 0 } else { end };
            at.end_bits = at.end_bits.max(end);
        }
        let align = record.aligned.map_or(at.align, |aligned| at.align.max(aligned));
        let used = if record.kind == Kind::Union { at.end_bits } else { at.bit.max(at.end_bits) };
        let size = align_up(used.div_ceil(8), align);
        let largest = self.target.max_object_bytes();
        if size > largest {
            return Err(format!(
                "`{}` would be {size} bytes, larger than the largest object on {} ({largest} bytes)",
                record.name,
                self.target.triple()
            ));
        }
        let align = match record.alias_aligned {
            Some(aligned) if self.target.typedef_aligned_lowers() => aligned,
            Some(aligned) => align.max(aligned),
            None => align,
        };
        Ok(Layout { name: record.name.clone(), kind: record.kind, size, align, fields })
    }

    /// Places one bitfield by the target's rules; returns its field if it is named.
    fn place_bitfield(
        &self,
        record: &RecordDef,
        member: &MemberDef,
        width: u64,
        size: u64,
        natural: u64,
        at: &mut Placement,
    ) -> Option<Field> {
        let capped = |a: u64| record.pack.map_or(a, |p| a.min(p));
        let microsoft = self.target.bitfield_rule() == BitfieldRule::Microsoft;
        let union = record.kind == Kind::Union;
        let start = if union { 0 } else { at.bit };
        let unit_end = |unit: Option<(u64, u64)>| unit.map_or(0, |(from, bytes)| from + bytes * 8);
        let placed = if microsoft {
            // Stays in the open unit only if the type's size is the same and it fits.
            let fits = at.unit.is_some_and(|(from, bytes)| bytes == size && start + width <= from + bytes * 8);
            if width == 0 || !fits {
                let after = start.max(unit_end(at.unit));
                at.unit = None;
                if width == 0 {
                    at.bit = if union { 0 } else { after };
                    return None;
                }
                // A packed record places units at any byte.
                let unit_align = if record.packed || member.packed { 1 } else { capped(natural) };
                let unit_start = if union { 0 } else { align_up(after, unit_align * 8) };
                at.unit = Some((unit_start, size));
                unit_start
            } else {
                start
            }
        } else {
            if width == 0 {
                // Pads to the type's alignment. AAPCS counts it in the record's
                // alignment even when packed, and #pragma pack does not cap it.
                at.bit = align_up(start, capped(natural) * 8);
                if self.target.unnamed_bitfields_align() {
                    at.align = at.align.max(natural);
                }
                return None;
            }
            // A bitfield may not span more alignment units of its type than
            // the type itself does (gcc's rule; moot when packed).
            let unit_bits = natural * 8;
            let allowed = (size / natural).max(1);
            let spanned = (start + width - 1) / unit_bits - start / unit_bits + 1;
            let packed = record.packed || record.pack.is_some();
            if !packed && spanned > allowed { align_up(start, unit_bits) } else { start }
        };
        // Microsoft: bitfields in a union add nothing to its alignment.
        if (member.name.is_some() || self.target.unnamed_bitfields_align()) && !(microsoft && union) {
            // `packed` zeroes a bitfield's alignment; with gcc a #pragma pack in
            // force as well caps it instead, with Microsoft `packed` still wins.
            let packed_wins = record.pack.is_none() || microsoft;
            at.align = at.align.max(if record.packed && packed_wins { 1 } else { capped(natural) });
        }
        let end = placed + width;
        at.bit = if union { 0 } else { end };
        at.end_bits = at.end_bits.max(end).max(unit_end(at.unit));
        member.name.as_ref().map(|name| Field {
            name: name.clone(),
            ty: member.ty_text.clone(),
            offset: placed / 8,
            size: (end - 1) / 8 - placed / 8 + 1,
            align: natural,
            bit_offset: Some(placed),
            bit_width: Some(width),
        })
    }

    fn member_align(&self, record: &RecordDef, member: &MemberDef, natural: u64) -> u64 {
        let packed_align = if member.packed || record.packed { 1 } else { natural };
        let capped = record.pack.map_or(packed_align, |pack| packed_align.min(pack));
        match member.aligned {
            // gcc: #pragma pack caps even an explicit alignment; Microsoft: it does not.
            Some(raised) if self.target.bitfield_rule() == BitfieldRule::Microsoft => capped.max(raised),
            Some(raised) => record.pack.map_or(packed_align.max(raised), |pack| packed_align.max(raised).min(pack)),
            None => capped,
        }
    }

    /// A named member, or the members of an anonymous one at their absolute offsets.
    fn push_member(
        &mut self,
        fields: &mut Vec<Field>,
        member: &MemberDef,
        offset: u64,
        size: u64,
        natural: u64,
    ) -> Result<(), String> {
        match (&member.name, &member.ty) {
            (Some(name), _) => fields.push(Field {
                name: name.clone(),
                ty: member.ty_text.clone(),
                offset,
                size,
                align: natural,
                bit_offset: None,
                bit_width: None,
            }),
            (None, TypeRef::Record(id)) => {
                let inner = self.record(*id)?;
                fields.extend(inner.fields.into_iter().map(|f| Field {
                    offset: offset + f.offset,
                    bit_offset: f.bit_offset.map(|b| b + offset * 8),
                    ..f
                }));
            }
            (None, _) => {}
        }
        Ok(())
    }
}
