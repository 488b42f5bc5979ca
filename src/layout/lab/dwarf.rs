//! Bitfield positions asked of the compiler itself: `offsetof` cannot name a
//! bitfield, so the probe is compiled with `-g -c` (still nothing linked or
//! run, so cross targets work) and the positions are read back from the
//! object's DWARF: `DW_AT_data_bit_offset` and `DW_AT_bit_size` of each member.

use std::borrow::Cow;

use gimli::{AttributeValue, EndianSlice, RunTimeEndian};
use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget};

/// One member as the compiler placed it, in bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPosition {
    /// The type as DWARF names it: a tag (`f` for `struct f`) or a typedef name.
    pub type_name: String,
    pub field: String,
    pub bit_offset: u64,
    pub bit_width: u64,
}

/// A section's bytes with its relocations applied. In a relocatable object
/// the references from `.debug_info` into `.debug_str` are relocations, and
/// with RELA (x86-64, `AArch64`) the bytes in place are zero until applied.
fn relocated<'a>(file: &object::File<'a>, name: &str) -> Cow<'a, [u8]> {
    let Some(section) = file.section_by_name(name) else { return Cow::Borrowed(&[]) };
    let Ok(data) = section.uncompressed_data() else { return Cow::Borrowed(&[]) };
    let mut bytes = data.into_owned();
    for (offset, relocation) in section.relocations() {
        let symbol_value = match relocation.target() {
            RelocationTarget::Symbol(index) => file.symbol_by_index(index).map_or(0, |s| s.address()),
            _ => 0,
        };
        let width = usize::from(relocation.size() / 8);
        let Some(at) =
            usize::try_from(offset).ok().filter(|at| at + width <= bytes.len() && (width == 4 || width == 8))
        else {
            continue;
        };
        let existing = if width == 4 {
            u64::from(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default()))
        } else {
            u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default())
        };
        let addend = if relocation.has_implicit_addend() { existing } else { relocation.addend() as u64 };
        let value = symbol_value.wrapping_add(addend);
        if width == 4 {
            bytes[at..at + 4].copy_from_slice(&(value as u32).to_le_bytes());
        } else {
            bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
        }
    }
    Cow::Owned(bytes)
}

/// Every member of every named struct or union in the object, with its
/// position in bits (bitfields are the ones the numbers cannot give).
pub fn members_in_object(object_bytes: &[u8]) -> Result<Vec<MemberPosition>, String> {
    let file = object::File::parse(object_bytes).map_err(|e| format!("not an object file: {e}"))?;
    let endian = if file.is_little_endian() { RunTimeEndian::Little } else { RunTimeEndian::Big };
    // Every section gimli may ask for: building a unit reads its line program too.
    let sections: Vec<(&str, Cow<'_, [u8]>)> = [
        ".debug_abbrev",
        ".debug_info",
        ".debug_str",
        ".debug_line",
        ".debug_line_str",
        ".debug_str_offsets",
        ".debug_addr",
        ".debug_ranges",
        ".debug_rnglists",
        ".debug_loc",
        ".debug_loclists",
        ".debug_types",
    ]
    .iter()
    .map(|name| (*name, relocated(&file, name)))
    .collect();
    let load = |id: gimli::SectionId| -> Result<EndianSlice<'_, RunTimeEndian>, gimli::Error> {
        let data = sections.iter().find(|(name, _)| *name == id.name()).map_or(&[][..], |(_, data)| data.as_ref());
        Ok(EndianSlice::new(data, endian))
    };
    let dwarf = gimli::Dwarf::load(load).map_err(|e| format!("reading DWARF: {e}"))?;
    let mut found = Vec::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next().map_err(|e| e.to_string())? {
        let unit = dwarf.unit(header).map_err(|e| e.to_string())?;
        collect_unit(&dwarf, &unit, endian == RunTimeEndian::Little, &mut found).map_err(|e| e.to_string())?;
    }
    Ok(found)
}

type Reader<'a> = EndianSlice<'a, RunTimeEndian>;

/// The byte size of a member's type, through typedefs and qualifiers.
fn type_size(
    unit: &gimli::Unit<Reader<'_>>,
    entry: &gimli::DebuggingInformationEntry<'_, '_, Reader<'_>>,
) -> Option<u64> {
    let AttributeValue::UnitRef(mut at) = entry.attr_value(gimli::DW_AT_type).ok()?? else { return None };
    for _ in 0..16 {
        let ty = unit.entry(at).ok()?;
        if let Some(size) = number(&ty, gimli::DW_AT_byte_size) {
            return Some(size);
        }
        match ty.attr_value(gimli::DW_AT_type).ok()?? {
            AttributeValue::UnitRef(next) => at = next,
            _ => return None,
        }
    }
    None
}

fn name_of(
    dwarf: &gimli::Dwarf<Reader<'_>>,
    unit: &gimli::Unit<Reader<'_>>,
    entry: &gimli::DebuggingInformationEntry<'_, '_, Reader<'_>>,
) -> Option<String> {
    let value = entry.attr_value(gimli::DW_AT_name).ok()??;
    dwarf.attr_string(unit, value).ok().map(|s| s.to_string_lossy().into_owned())
}

fn number(entry: &gimli::DebuggingInformationEntry<'_, '_, Reader<'_>>, attribute: gimli::DwAt) -> Option<u64> {
    match entry.attr_value(attribute).ok()?? {
        AttributeValue::Udata(n) | AttributeValue::Data8(n) => Some(n),
        AttributeValue::Data1(n) => Some(u64::from(n)),
        AttributeValue::Data2(n) => Some(u64::from(n)),
        AttributeValue::Data4(n) => Some(u64::from(n)),
        AttributeValue::Sdata(n) => u64::try_from(n).ok(),
        _ => None,
    }
}

/// A constant read as signed, each data form at its own width.
fn signed(entry: &gimli::DebuggingInformationEntry<'_, '_, Reader<'_>>, attribute: gimli::DwAt) -> Option<i64> {
    match entry.attr_value(attribute).ok()?? {
        AttributeValue::Sdata(n) => Some(n),
        // LLVM writes a negative bit offset as its two's complement in udata.
        AttributeValue::Udata(n) | AttributeValue::Data8(n) => Some(n as i64),
        AttributeValue::Data1(n) => Some(i64::from(n as i8)),
        AttributeValue::Data2(n) => Some(i64::from(n as i16)),
        AttributeValue::Data4(n) => Some(i64::from(n as i32)),
        _ => None,
    }
}

fn collect_unit(
    dwarf: &gimli::Dwarf<Reader<'_>>,
    unit: &gimli::Unit<Reader<'_>>,
    little_endian: bool,
    found: &mut Vec<MemberPosition>,
) -> gimli::Result<()> {
    // Typedef names of anonymous records: the record's offset → the typedef's name.
    let mut typedef_of = std::collections::HashMap::new();
    let mut entries = unit.entries();
    while let Some((_, entry)) = entries.next_dfs()? {
        if entry.tag() == gimli::DW_TAG_typedef
            && let (Some(name), Some(AttributeValue::UnitRef(target))) =
                (name_of(dwarf, unit, entry), entry.attr_value(gimli::DW_AT_type)?)
        {
            typedef_of.insert(target, name);
        }
    }
    let mut entries = unit.entries();
    let mut record: Option<(isize, String)> = None;
    let mut depth = 0isize;
    while let Some((delta, entry)) = entries.next_dfs()? {
        depth += delta;
        if record.as_ref().is_some_and(|(at, _)| depth <= *at) {
            record = None;
        }
        let tag = entry.tag();
        if tag == gimli::DW_TAG_structure_type || tag == gimli::DW_TAG_union_type {
            let name = name_of(dwarf, unit, entry).or_else(|| typedef_of.get(&entry.offset()).cloned());
            record = name.map(|n| (depth, n));
        } else if tag == gimli::DW_TAG_member
            && let Some((_, type_name)) = &record
            && let Some(field) = name_of(dwarf, unit, entry)
        {
            let type_bytes = type_size(unit, entry);
            // A bitfield as wide as its type may be described as a plain member.
            let Some(width) = number(entry, gimli::DW_AT_bit_size).or(type_bytes.map(|b| b.saturating_mul(8))) else {
                continue;
            };
            let unit_start = number(entry, gimli::DW_AT_data_member_location).unwrap_or(0).saturating_mul(8);
            let bit_offset = number(entry, gimli::DW_AT_data_bit_offset)
                .or_else(|| {
                    // DWARF 2/3: the bit offset counts from the most significant bit
                    // of the storage unit, whose size is the member's or its type's.
                    // It is signed: in a packed record a field can start before its unit (-6).
                    let from_msb = i128::from(signed(entry, gimli::DW_AT_bit_offset)?);
                    let unit_bits = i128::from(number(entry, gimli::DW_AT_byte_size).or(type_bytes)?) * 8;
                    let (start, width) = (i128::from(unit_start), i128::from(width));
                    let bits = if little_endian { start + unit_bits - from_msb - width } else { start + from_msb };
                    u64::try_from(bits).ok()
                })
                // No bit offset at all: the member starts its storage unit.
                .unwrap_or(unit_start);
            found.push(MemberPosition { type_name: type_name.clone(), field, bit_offset, bit_width: width });
        }
    }
    Ok(())
}
