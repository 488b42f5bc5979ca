//! Lays parsed declarations out for one target: member by member, as the
//! target's C compiler does, with the rules that decided each hole noted.

use super::abi::{BitfieldRule, Target};
use super::parser::{Declarations, MemberDef, RecordDef, Scalar, TypeRef};
use crate::layout::{Field, Kind, Layout};

/// A record's layout, or why it has none.
pub type Laid = Result<Layout, String>;

struct Engine<'a> {
    target: Target,
    records: &'a [RecordDef],
    done: Vec<Option<Laid>>,
    in_progress: Vec<bool>,
}

fn align_up(value: u64, align: u64) -> u64 {
    if align <= 1 { value } else { value.div_ceil(align).saturating_mul(align) }
}

/// Every named record of `declarations`, laid out for `target`, in order.
pub fn lay_out(declarations: &Declarations, target: Target) -> Vec<(String, Laid)> {
    let mut engine = Engine {
        target,
        records: &declarations.records,
        done: vec![None; declarations.records.len()],
        in_progress: vec![false; declarations.records.len()],
    };
    declarations
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.reported)
        .map(|(id, r)| (r.name.clone(), engine.record(id)))
        .collect()
}

impl Engine<'_> {
    fn record(&mut self, id: usize) -> Laid {
        if let Some(done) = &self.done[id] {
            return done.clone();
        }
        let record = &self.records[id];
        if !record.defined {
            return Err(format!("`{}` is declared but never defined", record.name));
        }
        if self.in_progress[id] {
            return Err(format!("`{}` contains itself", record.name));
        }
        self.in_progress[id] = true;
        let laid = self.lay_record(record);
        self.in_progress[id] = false;
        self.done[id] = Some(laid.clone());
        laid
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
                let total = size.checked_mul(count.unwrap_or(0)).ok_or("array too large")?;
                Ok((total, align))
            }
            TypeRef::Record(id) => {
                let layout = self.record(*id)?;
                Ok((layout.size, layout.align))
            }
        }
    }

    fn lay_record(&mut self, record: &RecordDef) -> Laid {
        let mut fields = Vec::new();
        let mut bit = 0u64; // next free bit (struct) or 0 (union)
        let mut end_bits = 0u64; // for unions: the widest member
        let mut align = 1u64;
        // Microsoft bitfields: the open storage unit (start bit, size in bytes).
        let mut unit: Option<(u64, u64)> = None;
        let packed_bitfields = record.packed || record.pack.is_some();
        for (index, member) in record.members.iter().enumerate() {
            let (size, natural) = self.type_of(&member.ty).map_err(|e| format!("{e} (member at {}:{})", member.line, member.column))?;
            let capped = |a: u64| record.pack.map_or(a, |p| a.min(p));
            if let TypeRef::Array(_, None) = member.ty
                && (index + 1 != record.members.len() || record.kind == Kind::Union)
            {
                return Err(format!("a flexible array member must be the last member of a struct ({}:{})", member.line, member.column));
            }
            if let Some(width) = member.bit_width {
                if width > size * 8 {
                    return Err(format!("bitfield of {width} bits is wider than its type ({}:{})", member.line, member.column));
                }
                let start = if record.kind == Kind::Union { 0 } else { bit };
                let unit_end = |unit: Option<(u64, u64)>| unit.map_or(0, |(from, bytes)| from + bytes * 8);
                let placed = match self.target.bitfield_rule() {
                    BitfieldRule::SysV => {
                        if width == 0 {
                            // Pads to the type's alignment; adds nothing to the record's.
                            bit = align_up(start, capped(natural) * 8);
                            continue;
                        }
                        let unit_bits = natural * 8;
                        let crosses = start / unit_bits != (start + width - 1) / unit_bits;
                        if !packed_bitfields && crosses { align_up(start, unit_bits) } else { start }
                    }
                    BitfieldRule::Microsoft => {
                        // Stays in the open unit only if the type's size is the same and it fits.
                        let fits = unit.is_some_and(|(from, bytes)| bytes == size && start + width <= from + bytes * 8);
                        if width == 0 || !fits {
                            let after = start.max(unit_end(unit));
                            unit = None;
                            if width == 0 {
                                bit = if record.kind == Kind::Union { 0 } else { after };
                                continue;
                            }
                            let at = if record.kind == Kind::Union { 0 } else { align_up(after, capped(natural) * 8) };
                            unit = Some((at, size));
                            at
                        } else {
                            start
                        }
                    }
                };
                if member.name.is_some() || self.target.bitfield_rule() == BitfieldRule::Microsoft {
                    align = align.max(if record.packed { 1 } else { capped(natural) });
                }
                let end = placed + width;
                if let Some(name) = &member.name {
                    fields.push(Field {
                        name: name.clone(),
                        ty: member.ty_text.clone(),
                        offset: placed / 8,
                        size: (end - 1) / 8 - placed / 8 + 1,
                        align: natural,
                        bit_offset: Some(placed),
                        bit_width: Some(width),
                    });
                }
                bit = if record.kind == Kind::Union { 0 } else { end };
                end_bits = end_bits.max(end).max(unit_end(unit));
                continue;
            }
            // An ordinary member closes any open bitfield unit.
            if let (BitfieldRule::Microsoft, Some((from, bytes))) = (self.target.bitfield_rule(), unit.take()) {
                bit = bit.max(from + bytes * 8);
            }
            let member_align = self.member_align(record, member, natural);
            align = align.max(member_align);
            let offset = if record.kind == Kind::Union { 0 } else { align_up(bit.div_ceil(8), member_align) };
            self.push_member(&mut fields, member, offset, size, natural)?;
            let end = offset.saturating_add(size).saturating_mul(8);
            bit = if record.kind == Kind::Union { 0 } else { end };
            end_bits = end_bits.max(end);
        }
        if let Some(aligned) = record.aligned {
            align = align.max(aligned);
        }
        let used = if record.kind == Kind::Union { end_bits } else { bit.max(end_bits) };
        let size = align_up(used.div_ceil(8), align);
        Ok(Layout { name: record.name.clone(), kind: record.kind, size, align, fields })
    }

    fn member_align(&self, record: &RecordDef, member: &MemberDef, natural: u64) -> u64 {
        let mut align = if member.packed || record.packed { 1 } else { natural };
        if let Some(raised) = member.aligned {
            align = align.max(raised);
        }
        record.pack.map_or(align, |pack| align.min(pack))
    }

    /// A named member, or the members of an anonymous one at their absolute offsets.
    fn push_member(&mut self, fields: &mut Vec<Field>, member: &MemberDef, offset: u64, size: u64, natural: u64) -> Result<(), String> {
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
