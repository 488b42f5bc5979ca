//! What a member's type is, beyond its bytes: an integer of some width and
//! signedness, a float, a pointer, an array of so many… for the C side from
//! the declarations, for the Rust side from the mirror's types, each on one
//! target. Also the names the Rust side knows without being told: the
//! primitives, `core::ffi`'s and `libc`'s C types, and the wrappers that
//! keep their content's layout.

use serde::{Deserialize, Serialize};

use crate::layout::lab::Target;
use crate::layout::lab::parser::{MemberDef, RecordDef, Scalar, TypeRef};

/// A member's kind of value, compared field by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum TypeClass {
    Int {
        bits: u64,
        signed: bool,
    },
    /// A C enum: an integer of this width whose signedness the compiler picks.
    Enum {
        bits: u64,
    },
    Float {
        bits: u64,
    },
    Bool,
    /// Rust's `char`: a Unicode scalar value in four bytes.
    RustChar,
    Pointer,
    Array {
        element: Box<TypeClass>,
        len: u64,
    },
    Record,
    /// Zero bytes: `PhantomData`, `()`.
    Empty,
    /// Something compared by its bytes alone (`va_list`, `long double`).
    Bytes,
}

impl TypeClass {
    /// Whether a C member of class `self` and a Rust field of class `rust` hold the same kind of value.
    pub fn agrees_with(&self, rust: &TypeClass) -> bool {
        match (self, rust) {
            (TypeClass::Enum { bits }, TypeClass::Int { bits: other, .. }) => bits == other,
            (TypeClass::Array { element, len }, TypeClass::Array { element: other, len: other_len }) => {
                len == other_len && element.agrees_with(other)
            }
            (TypeClass::Bytes, _) | (_, TypeClass::Bytes) => true,
            (c, r) => c == r,
        }
    }

    /// Whether the two hold the same kind of value whatever their widths and
    /// lengths: what is left to say once a size difference is said.
    pub fn same_kind_as(&self, rust: &TypeClass) -> bool {
        match (self, rust) {
            (TypeClass::Int { signed, .. }, TypeClass::Int { signed: other, .. }) => signed == other,
            (TypeClass::Enum { .. }, TypeClass::Int { .. })
            | (TypeClass::Float { .. }, TypeClass::Float { .. })
            | (TypeClass::Bytes, _)
            | (_, TypeClass::Bytes) => true,
            (TypeClass::Array { element, .. }, TypeClass::Array { element: other, .. }) => element.same_kind_as(other),
            (c, r) => c == r,
        }
    }

    /// In words: "unsigned 16-bit integer", "array of 8 × signed 8-bit integer".
    pub fn describe(&self) -> String {
        match self {
            TypeClass::Int { bits, signed } => {
                format!("{} {bits}-bit integer", if *signed { "signed" } else { "unsigned" })
            }
            TypeClass::Enum { bits } => format!("{bits}-bit enum"),
            TypeClass::Float { bits } => format!("{bits}-bit float"),
            TypeClass::Bool => "bool".to_owned(),
            TypeClass::RustChar => "Rust char".to_owned(),
            TypeClass::Pointer => "pointer".to_owned(),
            TypeClass::Array { element, len } => format!("array of {len} × {}", element.describe()),
            TypeClass::Record => "struct or union".to_owned(),
            TypeClass::Empty => "zero-sized".to_owned(),
            TypeClass::Bytes => "bytes".to_owned(),
        }
    }
}

/// What a C declaration says of its integer type beyond its size, through
/// any typedefs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntegerKind {
    pub unsigned: bool,
    /// A C enum: its signedness is the compiler's to pick.
    pub enumeration: bool,
}

impl IntegerKind {
    pub fn of(member: &MemberDef) -> IntegerKind {
        IntegerKind { unsigned: member.unsigned, enumeration: member.enumeration }
    }
}

/// The class of a C member of type `ty` on `target`; `integer` is what its
/// declaration says (through typedefs), `text` its type as written.
pub fn c_class(ty: &TypeRef, integer: IntegerKind, text: &str, records: &[RecordDef], target: Target) -> TypeClass {
    match ty {
        TypeRef::Scalar(scalar) => scalar_class(*scalar, integer, text, target),
        TypeRef::Array(element, len) => {
            let inner = text.split('[').next().unwrap_or(text);
            TypeClass::Array {
                element: Box::new(c_class(element, integer, inner, records, target)),
                len: len.unwrap_or(0),
            }
        }
        TypeRef::Record(id) => {
            // An aligned typedef of a scalar is held as a record of one `value`.
            match records.get(*id).map(|r| r.members.as_slice()) {
                Some([only]) if only.name.as_deref() == Some("value") && is_typedef_record(records, *id) => {
                    c_class(&only.ty, IntegerKind::of(only), &only.ty_text, records, target)
                }
                _ => TypeClass::Record,
            }
        }
    }
}

fn is_typedef_record(records: &[RecordDef], id: usize) -> bool {
    records.get(id).is_some_and(|r| !r.name.starts_with("struct ") && !r.name.starts_with("union "))
}

fn scalar_class(scalar: Scalar, integer: IntegerKind, text: &str, target: Target) -> TypeClass {
    let (size, _, _) = target.scalar(scalar);
    let bits = size * 8;
    let int = |signed: bool| TypeClass::Int { bits, signed };
    let unsigned = integer.unsigned;
    match scalar {
        Scalar::Bool => TypeClass::Bool,
        Scalar::Char => {
            let explicit = text.split_whitespace().any(|w| w == "signed");
            int(!unsigned && (explicit || target.char_is_signed()))
        }
        Scalar::Int | Scalar::LongLong if integer.enumeration => TypeClass::Enum { bits },
        Scalar::GnuEnum { .. } => TypeClass::Enum { bits },
        Scalar::I8
        | Scalar::Short
        | Scalar::I16
        | Scalar::Int
        | Scalar::I32
        | Scalar::Long
        | Scalar::LongLong
        | Scalar::I64
        | Scalar::PointerSized
        | Scalar::Int128
        | Scalar::RustI128 => int(!unsigned),
        // wchar_t is `int` on Linux (unsigned on ARM) and `unsigned short` on Windows.
        Scalar::WChar => int(matches!(target, Target::X86_64Linux | Target::I686Linux)),
        Scalar::Float | Scalar::Double | Scalar::Float16 | Scalar::Float128 => TypeClass::Float { bits },
        Scalar::Pointer | Scalar::Void => TypeClass::Pointer,
        Scalar::LongDouble | Scalar::VaList => TypeClass::Bytes,
    }
}

/// What a Rust name stands for without the file declaring it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// A scalar of this class.
    Scalar(Scalar, ScalarClass),
    /// `MaybeUninit<T>` and the like: laid out as their one argument.
    Transparent,
    /// `PhantomData<T>`: nothing.
    Empty,
    /// `NonNull<T>`, `Box<T>`: a pointer that is never null.
    NonNullPointer,
    /// `Option<T>`: a pointer niche or nothing.
    Option,
    /// `c_void`: only behind a pointer.
    Void,
}

/// A scalar's class without the allocation of [`TypeClass`], for the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarClass {
    Signed,
    Unsigned,
    /// `c_char`: signed where the target's C `char` is.
    PlainChar,
    Float,
    Bool,
    RustChar,
}

impl ScalarClass {
    pub fn class(self, scalar: Scalar, target: Target) -> TypeClass {
        let bits = target.scalar(scalar).0 * 8;
        match self {
            ScalarClass::Signed => TypeClass::Int { bits, signed: true },
            ScalarClass::Unsigned => TypeClass::Int { bits, signed: false },
            ScalarClass::PlainChar => TypeClass::Int { bits, signed: target.char_is_signed() },
            ScalarClass::Float => TypeClass::Float { bits },
            ScalarClass::Bool => TypeClass::Bool,
            ScalarClass::RustChar => TypeClass::RustChar,
        }
    }
}

/// The Rust primitives, `core::ffi`/`std::os::raw`/`libc` C types and
/// wrappers, by their last path segment, on `target`. `None`: not known
/// there (a libc type the target's libc does not have).
pub fn known(name: &str, target: Target) -> Option<Known> {
    use Scalar as S;
    use ScalarClass as C;
    let linux = target != Target::X86_64Windows;
    let bits64 = matches!(target, Target::X86_64Linux | Target::Aarch64Linux | Target::X86_64Windows);
    // `c_long` is 8 bytes on 64-bit Linux, 4 on 32-bit Linux and on Windows.
    let long = |class| Some(Known::Scalar(S::Long, class));
    let scalar = |s, class| Some(Known::Scalar(s, class));
    // `NonZeroU32` is a `u32` that is never zero.
    if let Some(integer) = name.strip_prefix("NonZero").filter(|rest| !rest.is_empty()) {
        return known(&integer.to_lowercase(), target);
    }
    match name {
        "i8" | "c_schar" | "int8_t" => scalar(S::I8, C::Signed),
        "u8" | "c_uchar" | "uint8_t" => scalar(S::I8, C::Unsigned),
        "i16" | "c_short" | "int16_t" => scalar(S::I16, C::Signed),
        "u16" | "c_ushort" | "uint16_t" | "sa_family_t" | "in_port_t" => scalar(S::I16, C::Unsigned),
        "i32" | "c_int" | "int32_t" | "pid_t" | "clockid_t" => scalar(S::I32, C::Signed),
        "u32" | "c_uint" | "uint32_t" | "uid_t" | "gid_t" | "in_addr_t" | "socklen_t" => scalar(S::I32, C::Unsigned),
        "i64" | "c_longlong" | "int64_t" | "off64_t" | "blkcnt64_t" => scalar(S::I64, C::Signed),
        "u64" | "c_ulonglong" | "uint64_t" | "ino64_t" => scalar(S::I64, C::Unsigned),
        "i128" => scalar(S::RustI128, C::Signed),
        "u128" => scalar(S::RustI128, C::Unsigned),
        "isize" | "ssize_t" | "ptrdiff_t" | "intptr_t" => scalar(S::PointerSized, C::Signed),
        "usize" | "size_t" | "uintptr_t" => scalar(S::PointerSized, C::Unsigned),
        "f32" | "c_float" => scalar(S::Float, C::Float),
        "f64" | "c_double" => scalar(S::Double, C::Float),
        "bool" => scalar(S::Bool, C::Bool),
        "char" => scalar(S::I32, C::RustChar),
        "c_char" => scalar(S::Char, C::PlainChar),
        // `time_t` and the rest are `c_long` in the libc crate, on glibc and on MSVC alike.
        "c_long" | "suseconds_t" | "clock_t" | "off_t" => long(C::Signed),
        "c_ulong" => long(C::Unsigned),
        "c_void" => Some(Known::Void),
        // `Padding<T>`: the libc crate's `#[repr(transparent)]` wrapper for padding fields.
        "MaybeUninit" | "ManuallyDrop" | "UnsafeCell" | "Cell" | "Wrapping" | "Saturating" | "NonZero" | "Padding" => {
            Some(Known::Transparent)
        }
        "PhantomData" | "PhantomPinned" => Some(Known::Empty),
        "NonNull" | "Box" => Some(Known::NonNullPointer),
        "Option" => Some(Known::Option),
        // libc's types, as the libc crate declares them for glibc and for MSVC.
        "time_t" => {
            if linux {
                long(C::Signed)
            } else {
                scalar(S::I64, C::Signed)
            }
        }
        "mode_t" => {
            if linux {
                scalar(S::I32, C::Unsigned)
            } else {
                scalar(S::I16, C::Unsigned)
            }
        }
        "dev_t" if linux => scalar(S::I64, C::Unsigned),
        "ino_t" if linux => long(C::Unsigned),
        "nlink_t" if linux => {
            if target == Target::X86_64Linux {
                scalar(S::I64, C::Unsigned)
            } else {
                scalar(S::I32, C::Unsigned)
            }
        }
        "blksize_t" if linux => {
            if target == Target::X86_64Linux {
                scalar(S::I64, C::Signed)
            } else {
                scalar(S::I32, C::Signed)
            }
        }
        "blkcnt_t" if linux => {
            if bits64 {
                scalar(S::I64, C::Signed)
            } else {
                long(C::Signed)
            }
        }
        // The standard library's own: `std::os::fd::RawFd` is a `c_int` on
        // Unix, and `std::os::windows::io::RawSocket` a `u64` on Windows.
        "RawFd" if linux => scalar(S::I32, C::Signed),
        "RawSocket" if !linux => scalar(S::I64, C::Unsigned),
        "wchar_t" => match target {
            Target::X86_64Linux | Target::I686Linux => scalar(S::I32, C::Signed),
            Target::Aarch64Linux | Target::Armv7Linux => scalar(S::I32, C::Unsigned),
            Target::X86_64Windows => scalar(S::I16, C::Unsigned),
        },
        _ => None,
    }
}

/// The libc names [`known`] answers for as scalars, to declare them for
/// rustc's probe.
pub const LIBC_SCALARS: &[&str] = &[
    "c_schar",
    "c_uchar",
    "c_short",
    "c_ushort",
    "c_int",
    "c_uint",
    "c_longlong",
    "c_ulonglong",
    "c_float",
    "c_double",
    "c_char",
    "c_long",
    "c_ulong",
    "int8_t",
    "uint8_t",
    "int16_t",
    "uint16_t",
    "int32_t",
    "uint32_t",
    "int64_t",
    "uint64_t",
    "size_t",
    "ssize_t",
    "ptrdiff_t",
    "intptr_t",
    "uintptr_t",
    "time_t",
    "suseconds_t",
    "off_t",
    "mode_t",
    "dev_t",
    "ino_t",
    "nlink_t",
    "blksize_t",
    "blkcnt_t",
    "uid_t",
    "gid_t",
    "pid_t",
    "clockid_t",
    "clock_t",
    "in_addr_t",
    "in_port_t",
    "sa_family_t",
    "socklen_t",
    "off64_t",
    "ino64_t",
    "blkcnt64_t",
    "wchar_t",
];

/// The Rust primitive a scalar of class `class` is on `target`, to declare
/// a libc name for rustc's probe (`pub type c_long = i64;`).
pub fn primitive(scalar: Scalar, class: ScalarClass, target: Target) -> &'static str {
    let bytes = target.scalar(scalar).0;
    if scalar == Scalar::PointerSized {
        return if class == ScalarClass::Signed { "isize" } else { "usize" };
    }
    let signed = match class {
        ScalarClass::Signed => true,
        ScalarClass::PlainChar => target.char_is_signed(),
        ScalarClass::Float => return if bytes == 4 { "f32" } else { "f64" },
        ScalarClass::Bool => return "bool",
        ScalarClass::RustChar => return "char",
        ScalarClass::Unsigned => false,
    };
    match (bytes, signed) {
        (1, true) => "i8",
        (1, false) => "u8",
        (2, true) => "i16",
        (2, false) => "u16",
        (4, true) => "i32",
        (4, false) => "u32",
        (8, true) => "i64",
        (8, false) => "u64",
        (_, true) => "i128",
        (_, false) => "u128",
    }
}
