//! The layout model: a type's size, alignment and members, wherever the
//! numbers came from (a C compiler's table, rustc's `offset_of!`, or a
//! layout engine). Holes, tail padding and their reasons are derived.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Struct,
    Union,
}

impl Kind {
    pub fn keyword(self) -> &'static str {
        match self {
            Kind::Struct => "struct",
            Kind::Union => "union",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    /// The member's type as written.
    pub ty: String,
    pub offset: u64,
    pub size: u64,
    /// The member type's own alignment: a packed layout may place it lower.
    pub align: u64,
    /// Bits from the start of the type, for bitfields.
    pub bit_offset: Option<u64>,
    pub bit_width: Option<u64>,
}

impl Field {
    /// Where a member starts against what its type asks for.
    pub fn is_misaligned(&self) -> bool {
        self.bit_width.is_none() && self.align > 1 && !self.offset.is_multiple_of(self.align)
    }

    /// The bit range it covers, `[start, end)`, from the start of the type.
    pub fn bits(&self) -> (u64, u64) {
        match (self.bit_offset, self.bit_width) {
            (Some(start), Some(width)) => (start, start + width),
            _ => (self.offset * 8, (self.offset + self.size) * 8),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaddingKind {
    /// Between members.
    Hole,
    /// After the last member, up to the size.
    Tail,
}

/// Bytes no member uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Padding {
    pub offset: u64,
    pub size: u64,
    pub kind: PaddingKind,
}

/// Bytes of a layout that grids draw, on screen and in exports, at most:
/// real types are far smaller, and a grid of 2^60 bytes would never finish.
pub const MAX_DRAWN_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub name: String,
    pub kind: Kind,
    pub size: u64,
    pub align: u64,
    pub fields: Vec<Field>,
}

impl Layout {
    /// How many of its bytes a grid draws (at least one).
    pub fn drawn_bytes(&self) -> usize {
        usize::try_from(self.size.clamp(1, MAX_DRAWN_BYTES)).unwrap_or(1)
    }

    /// Holes between members and the tail padding, in order. Worked out from
    /// the members' byte ranges, never byte by byte: a layout may be an
    /// array of 2^60 bytes.
    pub fn padding(&self) -> Vec<Padding> {
        // Each member's bytes (a bitfield's: every byte any of its bits touch).
        let mut ranges: Vec<(u64, u64)> = self
            .fields
            .iter()
            .map(|field| {
                let (start, end) = field.bits();
                (start / 8, end.div_ceil(8).min(self.size))
            })
            .filter(|(start, end)| start < end)
            .collect();
        ranges.sort_unstable();
        let mut padding = Vec::new();
        let mut covered = 0;
        for (start, end) in ranges {
            if start > covered {
                padding.push(Padding { offset: covered, size: start - covered, kind: PaddingKind::Hole });
            }
            covered = covered.max(end);
        }
        if covered < self.size {
            padding.push(Padding { offset: covered, size: self.size - covered, kind: PaddingKind::Tail });
        }
        padding
    }

    /// The largest alignment a member asks for: the type's own alignment,
    /// unless packing lowers it or an `aligned` attribute raises it.
    pub fn widest_member_align(&self) -> u64 {
        self.fields.iter().map(|f| f.align).max().unwrap_or(1)
    }

    pub fn padding_bytes(&self) -> u64 {
        self.padding().iter().map(|p| p.size).sum()
    }

    /// Share of the size that holds no member, 0.0–1.0.
    pub fn wasted_share(&self) -> f64 {
        if self.size == 0 { 0.0 } else { self.padding_bytes() as f64 / self.size as f64 }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Why there is a hole right before `field`, in words.
    pub fn hole_reason(&self, field: &Field) -> Option<String> {
        let hole =
            self.padding().into_iter().find(|p| p.kind == PaddingKind::Hole && p.offset + p.size == field.offset)?;
        Some(format!(
            "{} byte{} so that `{}` (align {}) starts at {}",
            hole.size,
            if hole.size == 1 { "" } else { "s" },
            field.name,
            field.align,
            field.offset
        ))
    }

    /// Why the tail padding is there, in words.
    pub fn tail_reason(&self) -> Option<String> {
        let tail = self.padding().into_iter().find(|p| p.kind == PaddingKind::Tail)?;
        Some(format!(
            "{} byte{} of tail padding so that the size, {}, is a multiple of the alignment, {}: in an array, the next element starts aligned",
            tail.size,
            if tail.size == 1 { "" } else { "s" },
            self.size,
            self.align
        ))
    }

    /// The members that own each bit of byte `offset`, bit 0 first (the
    /// least significant): several when bitfields share the byte.
    pub fn bit_owners(&self, offset: u64) -> [Option<usize>; 8] {
        std::array::from_fn(|bit| {
            let at = offset * 8 + bit as u64;
            self.fields.iter().position(|f| {
                let (start, end) = f.bits();
                at >= start && at < end
            })
        })
    }

    /// The member at byte `offset`, if any (the first, for a union).
    pub fn field_at(&self, offset: u64) -> Option<&Field> {
        self.fields.iter().find(|f| {
            let (start, end) = f.bits();
            offset * 8 < end && (offset + 1) * 8 > start
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, offset: u64, size: u64, align: u64) -> Field {
        Field { name: name.into(), ty: "t".into(), offset, size, align, bit_offset: None, bit_width: None }
    }

    #[test]
    fn holes_and_tail_are_derived_with_their_reasons() {
        let layout = Layout {
            name: "S".into(),
            kind: Kind::Struct,
            size: 24,
            align: 8,
            fields: vec![field("a", 0, 1, 1), field("b", 8, 8, 8), field("c", 16, 2, 2)],
        };
        let padding = layout.padding();
        assert_eq!(
            padding,
            [
                Padding { offset: 1, size: 7, kind: PaddingKind::Hole },
                Padding { offset: 18, size: 6, kind: PaddingKind::Tail },
            ]
        );
        assert_eq!(layout.padding_bytes(), 13);
        assert_eq!(layout.hole_reason(&layout.fields[1]).as_deref(), Some("7 bytes so that `b` (align 8) starts at 8"));
        assert!(layout.hole_reason(&layout.fields[2]).is_none());
        assert!(layout.tail_reason().unwrap().starts_with("6 bytes of tail padding"));
    }

    #[test]
    fn bitfields_cover_only_the_bytes_their_bits_touch() {
        let mut bits = field("ready", 1, 1, 4);
        bits.bit_offset = Some(8);
        bits.bit_width = Some(1);
        let layout =
            Layout { name: "F".into(), kind: Kind::Struct, size: 4, align: 4, fields: vec![field("k", 0, 1, 1), bits] };
        assert_eq!(layout.padding(), [Padding { offset: 2, size: 2, kind: PaddingKind::Tail }]);
        assert_eq!(layout.field_at(1).map(|f| f.name.as_str()), Some("ready"));
    }

    #[test]
    fn bits_of_a_shared_byte_belong_to_each_bitfield() {
        let bitfield = |name: &str, start: u64, width: u64| Field {
            bit_offset: Some(start),
            bit_width: Some(width),
            ..field(name, start / 8, 1, 4)
        };
        let layout = Layout {
            name: "F".into(),
            kind: Kind::Struct,
            size: 4,
            align: 4,
            fields: vec![
                field("kind", 0, 1, 1),
                bitfield("ready", 8, 1),
                bitfield("priority", 9, 3),
                bitfield("retries", 12, 4),
            ],
        };
        assert_eq!(layout.bit_owners(1), [Some(1), Some(2), Some(2), Some(2), Some(3), Some(3), Some(3), Some(3)]);
        assert_eq!(layout.bit_owners(0), [Some(0); 8]);
        assert_eq!(layout.bit_owners(2), [None; 8]);
    }

    #[test]
    fn misalignment_is_against_the_type_not_the_packing() {
        assert!(field("value", 1, 4, 4).is_misaligned());
        assert!(!field("value", 4, 4, 4).is_misaligned());
    }

    #[test]
    fn padding_of_an_enormous_layout_is_found_without_touching_every_byte() {
        let layout = Layout {
            name: "huge".into(),
            kind: Kind::Struct,
            size: 2_000_000_000_000_000_000,
            align: 8,
            fields: vec![field("a", 0, 1, 1), field("b", 8, 1_000_000_000_000_000_000, 8)],
        };
        assert_eq!(
            layout.padding(),
            [
                Padding { offset: 1, size: 7, kind: PaddingKind::Hole },
                Padding { offset: 1_000_000_000_000_000_008, size: 999_999_999_999_999_992, kind: PaddingKind::Tail },
            ]
        );
        assert_eq!(layout.drawn_bytes(), 64 * 1024, "a grid draws a bounded part");
    }
}
