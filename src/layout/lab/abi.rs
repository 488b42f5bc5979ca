//! The five targets as data: the size and alignment of every scalar, and
//! which bitfield rules apply. Each rule has a name the views can cite.

use serde::{Deserialize, Serialize};

use super::parser::Scalar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Target {
    #[serde(rename = "x86_64-linux-gnu")]
    X86_64Linux,
    #[serde(rename = "i686-linux-gnu")]
    I686Linux,
    #[serde(rename = "aarch64-linux-gnu")]
    Aarch64Linux,
    #[serde(rename = "armv7-linux-gnueabihf")]
    Armv7Linux,
    #[serde(rename = "x86_64-windows-msvc")]
    X86_64Windows,
}

/// How bitfields share storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitfieldRule {
    /// System V (and AAPCS): a bitfield goes at the next free bit unless it
    /// would cross a boundary of its type's alignment.
    SysV,
    /// Microsoft: consecutive bitfields share a unit of their declared type
    /// only while that type's size stays the same; a change opens a new unit.
    Microsoft,
}

impl Target {
    pub const ALL: [Target; 5] =
        [Target::X86_64Linux, Target::I686Linux, Target::Aarch64Linux, Target::Armv7Linux, Target::X86_64Windows];

    pub fn triple(self) -> &'static str {
        match self {
            Target::X86_64Linux => "x86_64-linux-gnu",
            Target::I686Linux => "i686-linux-gnu",
            Target::Aarch64Linux => "aarch64-linux-gnu",
            Target::Armv7Linux => "armv7-linux-gnueabihf",
            Target::X86_64Windows => "x86_64-windows-msvc",
        }
    }

    pub fn from_triple(triple: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.triple() == triple || t.short_name() == triple)
    }

    pub fn short_name(self) -> &'static str {
        match self {
            Target::X86_64Linux => "x86_64",
            Target::I686Linux => "i686",
            Target::Aarch64Linux => "aarch64",
            Target::Armv7Linux => "armv7",
            Target::X86_64Windows => "x86_64-windows",
        }
    }

    /// The target this program runs on, if it is one of the five.
    pub fn host() -> Option<Target> {
        match (std::env::consts::ARCH, std::env::consts::OS) {
            ("x86_64", "linux") => Some(Target::X86_64Linux),
            ("x86", "linux") => Some(Target::I686Linux),
            ("aarch64", "linux") => Some(Target::Aarch64Linux),
            ("arm", "linux") => Some(Target::Armv7Linux),
            ("x86_64", "windows") => Some(Target::X86_64Windows),
            _ => None,
        }
    }

    /// The largest object a layout can describe on this target: `PTRDIFF_MAX`
    /// on 32-bit targets, as the compilers allow; on 64-bit ones 2^61 − 1
    /// bytes, past which a position in bits no longer fits 64 bits (the
    /// compilers allow up to 2^63 − 1).
    pub fn max_object_bytes(self) -> u64 {
        if self.pointer_bytes() == 4 { i32::MAX.unsigned_abs().into() } else { (1 << 61) - 1 }
    }

    /// Debian's name for the architecture, as in `libsdl2-dev:arm64`
    /// (none for Windows).
    pub fn debian_architecture(self) -> Option<&'static str> {
        match self {
            Target::X86_64Linux => Some("amd64"),
            Target::I686Linux => Some("i386"),
            Target::Aarch64Linux => Some("arm64"),
            Target::Armv7Linux => Some("armhf"),
            Target::X86_64Windows => None,
        }
    }

    /// Whether plain `char` is signed: AAPCS makes it unsigned on ARM.
    pub fn char_is_signed(self) -> bool {
        !matches!(self, Target::Aarch64Linux | Target::Armv7Linux)
    }

    /// Whether a typedef's `aligned(N)` sets its alignment to N even below
    /// the type's own: GCC's does ("When used as part of a typedef, the
    /// aligned attribute can both increase and decrease alignment", GCC
    /// manual, Common Type Attributes); clang's Microsoft layout places such
    /// a type at its own alignment still, so there it only raises.
    pub fn typedef_aligned_lowers(self) -> bool {
        self.bitfield_rule() == BitfieldRule::SysV
    }

    pub fn bitfield_rule(self) -> BitfieldRule {
        if self == Target::X86_64Windows { BitfieldRule::Microsoft } else { BitfieldRule::SysV }
    }

    /// Whether unnamed bitfields (zero-width ones too) add their type's
    /// alignment to the record's: AAPCS and Microsoft say yes, i386 and
    /// x86-64 System V say no.
    pub fn unnamed_bitfields_align(self) -> bool {
        matches!(self, Target::Aarch64Linux | Target::Armv7Linux | Target::X86_64Windows)
    }

    fn pointer_bytes(self) -> u64 {
        match self {
            Target::I686Linux | Target::Armv7Linux => 4,
            _ => 8,
        }
    }

    /// Size and alignment of a scalar as a struct member, with the rule that
    /// decides it when the target differs from the obvious.
    pub fn scalar(self, scalar: Scalar) -> (u64, u64, Option<&'static str>) {
        let pointer = self.pointer_bytes();
        match scalar {
            Scalar::Bool | Scalar::Char | Scalar::I8 => (1, 1, None),
            Scalar::Short | Scalar::I16 | Scalar::Float16 => (2, 2, None),
            Scalar::Int | Scalar::I32 | Scalar::Float => (4, 4, None),
            Scalar::Long => match self {
                Target::X86_64Windows => (4, 4, Some("LLP64: long is 4 bytes on 64-bit Windows")),
                _ => (pointer, pointer, Some("long is as wide as a pointer on Linux (ILP32 / LP64)")),
            },
            Scalar::LongLong | Scalar::I64 | Scalar::Double => match self {
                Target::I686Linux => (8, 4, Some("i386 System V: 8-byte types align to 4 inside structs")),
                _ => (8, 8, None),
            },
            Scalar::LongDouble => match self {
                Target::X86_64Linux | Target::Aarch64Linux => (16, 16, None),
                Target::I686Linux => (12, 4, Some("i386: long double is 80-bit x87, stored in 12 bytes, aligned to 4")),
                Target::Armv7Linux | Target::X86_64Windows => (8, 8, Some("long double is the same as double here")),
            },
            Scalar::Pointer | Scalar::PointerSized => (pointer, pointer, None),
            Scalar::Void => (0, 1, Some("void has no size")),
            Scalar::WChar => match self {
                Target::X86_64Windows => (2, 2, Some("wchar_t is UTF-16 on Windows")),
                _ => (4, 4, None),
            },
            Scalar::Int128 => match self {
                Target::I686Linux | Target::Armv7Linux => (16, 16, Some("no __int128 on a 32-bit target")),
                _ => (16, 16, None),
            },
            Scalar::RustI128 => match self {
                Target::Armv7Linux => (16, 8, Some("Rust: i128 aligns to 8 on 32-bit ARM")),
                _ => (16, 16, Some("Rust 1.77+: i128 aligns to 16, as C's __int128 (it was 8 on x86)")),
            },
            Scalar::Float128 => (16, 16, None),
            Scalar::GnuEnum { .. } if self == Target::X86_64Windows => {
                (4, 4, Some("MSVC: an enum is an int, packed or wide or not"))
            }
            Scalar::GnuEnum { bytes: 8, .. } => self.scalar(Scalar::I64),
            Scalar::GnuEnum { bytes, .. } => (u64::from(bytes), u64::from(bytes), None),
            Scalar::VaList => match self {
                Target::X86_64Linux => (24, 8, Some("x86-64 System V: va_list is an array of one 24-byte struct")),
                Target::Aarch64Linux => (32, 8, Some("AAPCS64: va_list is a 32-byte struct")),
                Target::Armv7Linux => (4, 4, Some("AAPCS: va_list is a struct holding one pointer")),
                Target::I686Linux | Target::X86_64Windows => (pointer, pointer, Some("va_list is a char pointer here")),
            },
        }
    }

    /// `__BIGGEST_ALIGNMENT__`: what a bare `__attribute__((aligned))` means.
    pub fn largest_alignment(self) -> u64 {
        match self {
            Target::Armv7Linux => 8,
            _ => 16,
        }
    }
}
