//! Declarations of C types: `struct`, `union`, `enum`, `typedef`, with
//! bitfields, arrays, pointers and function pointers, nested and anonymous
//! members, `__attribute__((packed, aligned(N)))`, `_Alignas`, and
//! `#pragma pack`; a header's function declarations and bodies, `extern`
//! and `static` declarations and static assertions are passed over. Errors
//! carry line and column; after one, parsing picks up at the next
//! declaration, so the rest of the file is still laid out.

use rustc_hash::FxHashMap;

use super::lexer::{ParseError, Token, TokenKind, tokenize};
use super::standard_names::header_declaring;
use crate::layout::Kind;
use spelling::Spelling;

mod constant_expression;
mod prototypes;
mod spelling;

/// Words before a declaration that make it a function's or an object's.
const STORAGE_AND_FUNCTION_WORDS: [&str; 9] =
    ["extern", "static", "inline", "__inline", "__inline__", "_Noreturn", "_Thread_local", "__thread", "register"];

/// Deepest nesting of records accepted: deeper input is refused, not recursed into.
const MAX_DEPTH: usize = 32;

/// The scalar types, named as C names them; sizes depend on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    Bool,
    Char,
    Short,
    Int,
    Long,
    LongLong,
    Float,
    Double,
    LongDouble,
    Pointer,
    /// `size_t`, `intptr_t` and friends: as wide as a pointer.
    PointerSized,
    WChar,
    I8,
    I16,
    I32,
    I64,
    /// Only behind a pointer: `void *`, `void (*)(…)`.
    Void,
    /// GCC's `__int128`, on the 64-bit targets that have it.
    Int128,
    /// `__float128` / `_Float128`.
    Float128,
    /// `_Float16`.
    Float16,
    /// `__builtin_va_list`: a pointer, or a struct (array), by target.
    VaList,
    /// Rust's `i128`/`u128`, whose alignment is Rust's own on 32-bit ARM.
    RustI128,
    /// An enum GCC stores in other than an `int`: packed
    /// (`__attribute__((packed))`, the smallest integer that holds its
    /// values) or with values past 32 bits; unsigned when none is negative.
    /// MSVC stores every enum in an `int`.
    GnuEnum {
        bytes: u8,
        unsigned: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeRef {
    Scalar(Scalar),
    /// `None`: a flexible array member.
    Array(Box<TypeRef>, Option<u64>),
    Record(usize),
}

impl TypeRef {
    /// An array's element type, through every dimension; any other type itself.
    pub fn element(&self) -> &TypeRef {
        let mut element = self;
        while let TypeRef::Array(inner, _) = element {
            element = inner;
        }
        element
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDef {
    /// `None` for an anonymous struct or union member.
    pub name: Option<String>,
    pub ty: TypeRef,
    /// The type as written, for listings.
    pub ty_text: String,
    /// The integer type it names is unsigned, through any typedefs.
    pub unsigned: bool,
    /// The type is a C enum, through any typedefs: an integer whose
    /// signedness the compiler picks (GCC's is unsigned when no value is
    /// negative, Microsoft's always `int`), so a mirror may use either sign.
    pub enumeration: bool,
    pub bit_width: Option<u64>,
    /// `__attribute__((aligned(N)))` or `_Alignas(N)` on the member.
    pub aligned: Option<u64>,
    pub packed: bool,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDef {
    pub kind: Kind,
    /// As written: `struct stat`, a typedef name, or where an anonymous one stands.
    pub name: String,
    pub members: Vec<MemberDef>,
    /// Whether its body was seen, and read.
    pub body: Body,
    pub packed: bool,
    pub aligned: Option<u64>,
    /// `#pragma pack` in force where the body was.
    pub pack: Option<u64>,
    /// Named (by tag, nested ones too, or by typedef), so it is reported.
    pub reported: bool,
    /// `typedef struct { … } name __attribute__((aligned(N)))`: GCC sets the
    /// typedef's alignment to N, lower too, without padding its size to it
    /// ([`super::abi::Target::typedef_aligned_lowers`]).
    pub alias_aligned: Option<u64>,
    pub line: usize,
}

/// How much of a record the text gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Declared (`struct sqlite3;`) and its body not seen: an opaque
    /// handle, unless a definition comes after.
    Declared,
    /// Defined, and its members read.
    Read,
    /// Defined, but its body has an error: no layout here, and no handle.
    Unreadable,
}

impl RecordDef {
    /// Its members were read: it has a layout.
    pub fn defined(&self) -> bool {
        self.body == Body::Read
    }

    /// `typedef T name __attribute__((aligned(N)))`, as both readers hold it:
    /// a record of one member, `value` of type `ty` (written `text`; whether
    /// it is unsigned and an enum, through typedefs), whose alignment the
    /// typedef sets ([`super::abi::Target::typedef_aligned_lowers`]).
    pub(crate) fn aligned_alias(
        name: &str,
        ty: TypeRef,
        text: &str,
        (unsigned, enumeration): (bool, bool),
        (line, column): (usize, usize),
        aligned: u64,
    ) -> RecordDef {
        let value = MemberDef {
            name: Some("value".to_owned()),
            ty,
            ty_text: text.to_owned(),
            unsigned,
            enumeration,
            bit_width: None,
            aligned: None,
            packed: false,
            line,
            column,
        };
        RecordDef {
            kind: Kind::Struct,
            name: name.to_owned(),
            members: vec![value],
            body: Body::Read,
            packed: false,
            aligned: None,
            pack: None,
            reported: false,
            alias_aligned: Some(aligned),
            line,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declarations {
    pub records: Vec<RecordDef>,
    pub errors: Vec<ParseError>,
    /// Typedef names of tagged records: `z_stream` for `struct z_stream_s`.
    pub typedefs: Vec<(String, usize)>,
    /// Typedefs of scalars and arrays of them (`__fsword_t`, `key_t`).
    pub scalar_typedefs: Vec<ScalarTypedef>,
    /// C's integer constants: enumerators, and the object-like macros whose
    /// value is an integer where the preprocessor kept them (`NCCS`),
    /// sorted by name.
    pub constants: Vec<(String, i128)>,
    /// The object-like macros that stand for a string, its bytes, sorted by name.
    pub strings: Vec<(String, Vec<u8>)>,
    /// The other object-like macros, each with its body as written, sorted
    /// by name: what C says of a name whose value is not read.
    pub unread_macros: Vec<(String, String)>,
    /// The functions C declares, the first declaration of each name, sorted by name.
    pub functions: Vec<FunctionDef>,
}

/// A function C declares: what it takes and what it gives back, each
/// parameter held as a member is (its type, as written, and what kind of
/// integer it names), so that it compares as a field does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDef {
    pub name: String,
    /// The symbol an assembler label gives it (glibc's `__REDIRECT`:
    /// `strerror_r` is `__xpg_strerror_r` outside GNU mode), if one does.
    pub asm_label: Option<String>,
    /// `None`: it returns `void`.
    pub returns: Option<MemberDef>,
    /// An array parameter is the pointer C passes, a function parameter the
    /// pointer to it.
    pub parameters: Vec<MemberDef>,
    /// Beside `parameters`: what each points at, where it is a pointer to
    /// data (`z_streamp strm` at `struct z_stream_s`, `char **out` at a `char *`).
    pub parameter_pointees: Vec<Option<Pointee>>,
    /// What the pointer it returns points at, if it returns one.
    pub returned_pointee: Option<Pointee>,
    /// `...` after the parameters.
    pub variadic: bool,
    /// Declared `f()`: before C23, a function of unknown parameters.
    pub unprototyped: bool,
    /// `static`: no symbol outside its translation unit, so nothing a binding can link.
    pub internal: bool,
    /// Why its types could not be read, if they could not (`returns` and
    /// `parameters` are then what was read before).
    pub unread: Option<String>,
    /// The file and line of the declaration.
    pub file: String,
    pub line: usize,
}

impl FunctionDef {
    /// A function named `name`, declared in `file` (empty for typed text) at
    /// `line`, as yet returning nothing and taking no parameter.
    pub(crate) fn declared(name: String, file: String, line: usize) -> FunctionDef {
        FunctionDef {
            name,
            asm_label: None,
            returns: None,
            parameters: Vec::new(),
            parameter_pointees: Vec::new(),
            returned_pointee: None,
            variadic: false,
            unprototyped: false,
            internal: false,
            unread: None,
            file,
            line,
        }
    }
}

/// What a pointer a function takes or gives back points at: the type C
/// reads or writes through it, and whether it promises not to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointee {
    /// A value of the type pointed at: a record, a scalar, another pointer,
    /// or `void`.
    pub value: MemberDef,
    /// Written `const` (`const char *s`, `char *const *argv`): the function
    /// says it leaves what the pointer points at alone.
    pub constant: bool,
}

impl Pointee {
    /// The record it points at, by name, if it points at one.
    pub fn record<'r>(&self, records: &'r [RecordDef]) -> Option<&'r str> {
        match self.value.ty {
            TypeRef::Record(id) => records.get(id).map(|record| record.name.as_str()),
            _ => None,
        }
    }
}

/// A typedef of a scalar or an array of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalarTypedef {
    pub name: String,
    pub ty: TypeRef,
    /// As [`MemberDef::unsigned`].
    pub unsigned: bool,
    /// As [`MemberDef::enumeration`].
    pub enumeration: bool,
}

/// Typed text names a type nothing declared; a standard one says which
/// header to include (the text then goes through the target's preprocessor).
fn unknown_type(name: &str) -> String {
    match header_declaring(name) {
        Some(header) => format!("unknown type `{name}`: it is declared in <{header}>; add `#include <{header}>` above"),
        None => format!("unknown type `{name}`"),
    }
}

/// A record's type as a member's listing writes it: its tag, or for an
/// anonymous one (named for where it stands) its kind and braces, as C
/// writes it in place (`union {…} u`).
pub(crate) fn written_record(kind: Kind, name: &str) -> String {
    if name.starts_with(['(', '<']) { format!("{} {{…}}", kind.keyword()) } else { name.to_owned() }
}

/// Whether a type written `text` (after any typedef is followed) is an enum.
pub(crate) fn names_an_enum(text: &str) -> bool {
    text.starts_with("enum ")
}

/// The integer GCC stores an enum whose values run from `least` to `most`
/// in: `int` (or `unsigned int`) while they fit, 8 bytes beyond; packed
/// (`__attribute__((packed))`), the smallest integer that holds them all.
pub(crate) fn enum_scalar(least: i128, most: i128, packed: bool) -> Scalar {
    let fits = |bits: u32| {
        if least < 0 { least >= -(1_i128 << (bits - 1)) && most < 1_i128 << (bits - 1) } else { most < 1_i128 << bits }
    };
    match (packed, [8, 16, 32].into_iter().find(|&bits| fits(bits))) {
        (true, Some(bits)) if bits < 32 => Scalar::GnuEnum { bytes: (bits / 8) as u8, unsigned: least >= 0 },
        (_, Some(_)) => Scalar::Int,
        (_, None) => Scalar::GnuEnum { bytes: 8, unsigned: least >= 0 },
    }
}

impl Declarations {
    /// Reports only the records `names` pick out, each by its own name
    /// (`struct stat`) or a typedef's (`z_stream`); every record when there
    /// are no names. Returns why each name that picks out none with a layout
    /// does not.
    pub fn report_only(&mut self, names: &[String]) -> Vec<String> {
        if names.is_empty() {
            return Vec::new();
        }
        let mut picked = Vec::new();
        let mut unmatched = Vec::new();
        for name in names {
            let own = self.records.iter().position(|record| record.name == *name);
            let aliased = || self.typedefs.iter().find(|(alias, _)| alias == name).map(|&(_, index)| index);
            // A bare tag, as pahole's `-C` takes it: struct and union tags
            // share one namespace, so at most one record has it.
            let tagged = || {
                let tagged = [format!("struct {name}"), format!("union {name}")];
                self.records.iter().position(|record| tagged.contains(&record.name))
            };
            match own.or_else(aliased).or_else(tagged) {
                Some(index) if self.records[index].defined() => picked.push(index),
                Some(index) if self.records[index].name == *name => {
                    unmatched.push(format!("`{name}` is declared but never defined: it has no layout"));
                }
                Some(index) => unmatched.push(format!(
                    "`{name}` is `{}`, declared but never defined: it has no layout",
                    self.records[index].name
                )),
                None => unmatched.push(format!("no struct, union or typedef of one is named `{name}`")),
            }
        }
        for (index, record) in self.records.iter_mut().enumerate() {
            record.reported &= picked.contains(&index);
        }
        unmatched
    }
}

/// A pointer's type as both readers write it: `char *`, `char **`.
pub(crate) fn pointer_text(pointee: &str, stars: usize) -> String {
    let stars = "*".repeat(stars);
    if pointee.ends_with('*') { format!("{pointee}{stars}") } else { format!("{pointee} {stars}") }
}

/// A member's type text for a pointer to a function returning `returns`,
/// as both readers write it: `int (*)(…)`. A listing puts the member's
/// name into its `(*)` (`listing::member_declaration`).
pub(crate) fn function_pointer_text(returns: &str) -> String {
    let gap = if returns.ends_with('*') { "" } else { " " };
    format!("{returns}{gap}(*)(…)")
}

/// The pointer C passes for an array parameter whose element is written
/// `element`: `char **` for `char *argv[]`, `double (*)[3]` for `double
/// grid[2][3]` (an element that is an array is written with its dimensions).
pub(crate) fn array_parameter_text(element: &str) -> String {
    match element.find('[') {
        Some(at) => {
            let (before, dims) = element.split_at(at);
            let before = before.trim_end();
            let gap = if before.ends_with('*') { "" } else { " " };
            format!("{before}{gap}(*){dims}")
        }
        None => pointer_text(element, 1),
    }
}

/// Array dimensions as written: `[3][]`.
fn dimensions_text(dims: &[Option<u64>]) -> String {
    dims.iter().map(|d| d.map_or("[]".to_owned(), |n| format!("[{n}]"))).collect()
}

/// Whether `ty` holds no record, so it means the same without the declarations' records.
pub fn holds_no_record(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Scalar(_) => true,
        TypeRef::Array(element, _) => holds_no_record(element),
        TypeRef::Record(_) => false,
    }
}

#[derive(Default)]
struct Attributes {
    packed: bool,
    aligned: Option<u64>,
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    records: Vec<RecordDef>,
    /// Tag (`struct x`) → record.
    tags: FxHashMap<String, usize>,
    /// Typedef name → its type and the type's text.
    typedefs: FxHashMap<String, (TypeRef, String)>,
    /// Typedef names of tagged records.
    record_typedefs: Vec<(String, usize)>,
    scalar_typedefs: Vec<ScalarTypedef>,
    pack_stack: Vec<Option<u64>>,
    pack: Option<u64>,
    /// Tag (`enum e`) → the integer its definition chose.
    enum_scalars: FxHashMap<String, Scalar>,
    /// Every enumerator defined so far, by name: constants, as C scopes them.
    enumerators: FxHashMap<String, i128>,
    depth: usize,
    /// Parentheses and unary operators open in the constant being read.
    expression_depth: usize,
    /// Record bodies entered and not yet closed: where recovery must get out of.
    open_braces: usize,
    /// The functions declared, in the order read.
    functions: Vec<FunctionDef>,
}

type Parsed<T> = Result<T, ParseError>;

/// Parses `source`; never panics, always returns what it could read.
pub fn parse(source: &str) -> Declarations {
    let (tokens, mut errors) = tokenize(source);
    let mut parser = Parser {
        tokens,
        at: 0,
        records: Vec::new(),
        tags: FxHashMap::default(),
        typedefs: FxHashMap::default(),
        record_typedefs: Vec::new(),
        scalar_typedefs: Vec::new(),
        pack_stack: Vec::new(),
        pack: None,
        enum_scalars: FxHashMap::default(),
        enumerators: FxHashMap::default(),
        depth: 0,
        expression_depth: 0,
        open_braces: 0,
        functions: Vec::new(),
    };
    while !parser.is_end() {
        if let Err(error) = parser.top_level() {
            errors.push(error);
            parser.recover();
        }
    }
    errors.sort_by_key(|e| (e.line, e.column));
    let mut constants: Vec<(String, i128)> = parser.enumerators.into_iter().collect();
    constants.sort_unstable();
    Declarations {
        records: parser.records,
        errors,
        typedefs: parser.record_typedefs,
        scalar_typedefs: parser.scalar_typedefs,
        constants,
        strings: Vec::new(),
        unread_macros: Vec::new(),
        functions: first_of_each_name(parser.functions),
    }
}

/// The first declaration of each function's name, sorted by name.
pub(crate) fn first_of_each_name(mut functions: Vec<FunctionDef>) -> Vec<FunctionDef> {
    functions.sort_by(|a, b| a.name.cmp(&b.name));
    functions.dedup_by(|later, first| later.name == first.name);
    functions
}

/// Whether a type spelled `text` (a scalar's words, or a standard name) is
/// an unsigned integer.
pub fn is_unsigned_spelling(text: &str) -> bool {
    let base = text.split('[').next().unwrap_or(text).trim();
    base.split_whitespace().any(|word| word == "unsigned")
        || matches!(base, "uint8_t" | "uint16_t" | "uint32_t" | "uint64_t" | "size_t" | "uintptr_t" | "_Bool" | "bool")
}

/// The standard fixed-width and pointer-sized names, as one scalar each
/// whatever typedef chain a libc spells them with.
pub(crate) fn scalar_named(name: &str) -> Option<Scalar> {
    Some(match name {
        "int8_t" | "uint8_t" => Scalar::I8,
        "int16_t" | "uint16_t" => Scalar::I16,
        "int32_t" | "uint32_t" => Scalar::I32,
        "int64_t" | "uint64_t" => Scalar::I64,
        "size_t" | "ssize_t" | "ptrdiff_t" | "intptr_t" | "uintptr_t" => Scalar::PointerSized,
        "wchar_t" => Scalar::WChar,
        "bool" | "_Bool" => Scalar::Bool,
        _ => return None,
    })
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        &self.tokens[(self.at + ahead).min(self.tokens.len() - 1)]
    }

    fn is_end(&self) -> bool {
        self.peek().kind == TokenKind::End
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::End {
            self.at += 1;
        }
        token
    }

    #[expect(clippy::unused_self, reason = "reads as `self.error(…)` beside the other helpers")]
    fn error<T>(&self, token: &Token, message: impl Into<String>) -> Parsed<T> {
        Err(ParseError { line: token.line, column: token.column, message: message.into() })
    }

    fn is_punct(&self, c: char) -> bool {
        self.peek().kind == TokenKind::Punct(c)
    }

    fn is_ident(&self, word: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Ident(w) if w == word)
    }

    fn expect_punct(&mut self, c: char) -> Parsed<()> {
        let token = self.bump();
        if token.kind == TokenKind::Punct(c) { Ok(()) } else { self.error(&token, format!("expected `{c}`")) }
    }

    fn ident(&mut self) -> Parsed<(String, Token)> {
        let token = self.bump();
        match &token.kind {
            TokenKind::Ident(name) => Ok((name.clone(), token.clone())),
            _ => self.error(&token, "expected a name"),
        }
    }

    fn is_static_assert(&self) -> bool {
        self.is_ident("_Static_assert") || self.is_ident("static_assert")
    }

    /// Whether a function's declarator comes next: `name(`, `*name(`, and
    /// `(*name(` of a function returning a pointer to a function.
    fn at_function_declarator(&self) -> bool {
        let stars_from = |mut ahead: usize| {
            while matches!(&self.peek_at(ahead).kind, TokenKind::Punct('*'))
                || matches!(&self.peek_at(ahead).kind, TokenKind::Ident(word) if ["const", "volatile", "restrict"].contains(&word.as_str()))
            {
                ahead += 1;
            }
            ahead
        };
        let mut ahead = stars_from(0);
        if self.peek_at(ahead).kind == TokenKind::Punct('(') && self.peek_at(ahead + 1).kind == TokenKind::Punct('*') {
            ahead = stars_from(ahead + 1);
        }
        matches!(self.peek_at(ahead).kind, TokenKind::Ident(_)) && self.peek_at(ahead + 1).kind == TokenKind::Punct('(')
    }

    /// A function's or an object's declaration, from its specifiers: a
    /// prototype is kept, anything else passed over.
    fn declaration_passed_over(&mut self, internal: bool) {
        match self.prototype(internal) {
            Some(function) => self.functions.push(function),
            None => self.skip_declaration(),
        }
    }

    /// Passes over the rest of a declaration: to its `;`, or past a
    /// function's body (or an initializer's braces and the `;` after them).
    fn skip_declaration(&mut self) {
        let mut depth = 0_usize;
        loop {
            match self.bump().kind {
                TokenKind::End => return,
                TokenKind::Punct('(' | '[' | '{') => depth += 1,
                TokenKind::Punct(')' | ']') => depth = depth.saturating_sub(1),
                TokenKind::Punct('}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        if self.is_punct(';') {
                            self.bump();
                        }
                        return;
                    }
                }
                TokenKind::Punct(';') if depth == 0 => return,
                _ => {}
            }
        }
    }

    /// Skips out of any record body the error happened in, to just after
    /// the next `;` outside braces (or past a stray `}`).
    fn recover(&mut self) {
        let mut depth = std::mem::take(&mut self.open_braces);
        loop {
            let token = self.bump();
            match token.kind {
                TokenKind::End => return,
                TokenKind::Punct('{') => depth += 1,
                TokenKind::Punct('}') if depth <= 1 => {
                    if self.is_punct(';') {
                        self.bump();
                    }
                    return;
                }
                TokenKind::Punct('}') => depth -= 1,
                TokenKind::Punct(';') if depth == 0 => return,
                _ => {}
            }
        }
    }

    fn top_level(&mut self) -> Parsed<()> {
        if let TokenKind::Directive(text) = &self.peek().kind {
            let (text, token) = (text.clone(), self.peek().clone());
            self.bump();
            return self.directive(&text, &token);
        }
        if self.is_punct(';') {
            self.bump();
            return Ok(());
        }
        if self.is_static_assert() {
            self.skip_declaration();
            return Ok(());
        }
        let is_typedef = self.is_ident("typedef");
        if is_typedef {
            self.bump();
        }
        // A function's or an object's declaration declares no type but what
        // its specifiers define (`static struct s { … } one;`), and changes
        // no layout: a header's prototypes are passed over.
        let mut declares_no_type = false;
        let mut internal = false;
        while STORAGE_AND_FUNCTION_WORDS.iter().any(|word| self.is_ident(word)) {
            internal |= self.is_ident("static");
            self.bump();
            declares_no_type = true;
        }
        if declares_no_type && !["struct", "union", "enum"].iter().any(|keyword| self.is_ident(keyword)) {
            self.declaration_passed_over(internal);
            return Ok(());
        }
        let start = self.peek().clone();
        let specifiers_at = self.at;
        let (base, text, _) = self.specifiers()?;
        if self.is_punct(';') {
            self.bump();
            return Ok(());
        }
        if !is_typedef && (declares_no_type || self.at_function_declarator()) {
            // Read again as a prototype, unless its specifiers define a type
            // (`struct s { … } f(void);`), which reading again would define twice.
            let after_specifiers = self.at;
            let defines = self.tokens[specifiers_at..after_specifiers].iter().any(|t| t.kind == TokenKind::Punct('{'));
            self.at = specifiers_at;
            let read = if defines { None } else { self.prototype(internal) };
            if let Some(function) = read {
                self.functions.push(function);
            } else {
                self.at = after_specifiers;
                self.skip_declaration();
            }
            return Ok(());
        }
        loop {
            let (name, ty, ty_text, token) = self.declarator(base.clone(), &text)?;
            let Some(name) = name else { return self.error(&token, "expected a name") };
            let on_name = self.attributes()?;
            if is_typedef {
                let (mut ty, mut ty_text) = (ty, ty_text);
                if let TypeRef::Record(id) = ty
                    && let Some(record) = self.records.get_mut(id)
                    && record.name.starts_with('(')
                {
                    // An anonymous struct takes the name it is typedef'd to, and
                    // the alignment the typedef gives it.
                    record.name.clone_from(&name);
                    record.reported = true;
                    record.alias_aligned = on_name.aligned;
                    // And a member of it is written with that name, as gcc's reader writes it.
                    ty_text.clone_from(&name);
                } else if let Some(aligned) = on_name.aligned {
                    // Named as itself from here on, as the real-header reader names it.
                    ty = self.aligned_alias(&name, ty, &ty_text, aligned, &token);
                    ty_text.clone_from(&name);
                }
                if let TypeRef::Record(id) = ty
                    && self.records.get(id).is_some_and(|r| r.name != name)
                {
                    self.record_typedefs.push((name.clone(), id));
                }
                if holds_no_record(&ty) {
                    self.scalar_typedefs.push(ScalarTypedef {
                        name: name.clone(),
                        ty: ty.clone(),
                        unsigned: self.spelled_unsigned(&ty_text),
                        enumeration: self.spelled_enum(&ty_text),
                    });
                }
                self.typedefs.insert(name, (ty, ty_text));
            } else {
                return self.error(&start, "only type declarations are laid out (struct, union, enum, typedef)");
            }
            if self.is_punct(',') {
                self.bump();
                continue;
            }
            return self.expect_punct(';');
        }
    }

    /// The type written `text`, typedef names followed to what they name.
    fn spelled_through_typedefs<'t>(&'t self, mut text: &'t str) -> &'t str {
        // A chain of typedefs is as long as the text; `typedef a a;` names itself.
        for _ in 0..self.typedefs.len() {
            let name = text.split(['[', '*']).next().unwrap_or(text).trim();
            match self.typedefs.get(name) {
                Some((_, named)) if named != name => text = named,
                _ => break,
            }
        }
        text
    }

    /// Whether a type written `text` is an unsigned integer, through typedefs.
    fn spelled_unsigned(&self, text: &str) -> bool {
        is_unsigned_spelling(text) || is_unsigned_spelling(self.spelled_through_typedefs(text))
    }

    /// Whether a type written `text` is an enum, through typedefs.
    fn spelled_enum(&self, text: &str) -> bool {
        names_an_enum(text) || names_an_enum(self.spelled_through_typedefs(text))
    }

    /// `typedef int name __attribute__((aligned(N)))`: a record of one
    /// member, `ty`, whose alignment the typedef sets, as the real-header
    /// reader makes one.
    fn aligned_alias(&mut self, name: &str, ty: TypeRef, text: &str, aligned: u64, token: &Token) -> TypeRef {
        let kind = (self.spelled_unsigned(text), self.spelled_enum(text));
        self.records.push(RecordDef::aligned_alias(name, ty, text, kind, (token.line, token.column), aligned));
        TypeRef::Record(self.records.len() - 1)
    }

    fn directive(&mut self, text: &str, token: &Token) -> Parsed<()> {
        let words: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(rest) = words.strip_prefix("pragmapack(").and_then(|r| r.strip_suffix(')')) {
            let value = |s: &str| s.parse::<u64>().ok().filter(|n| n.is_power_of_two() && *n <= 16);
            match rest {
                "" => self.pack = None,
                "pop" => self.pack = self.pack_stack.pop().flatten(),
                "push" => self.pack_stack.push(self.pack),
                _ => {
                    if let Some(n) = rest.strip_prefix("push,") {
                        self.pack_stack.push(self.pack);
                        self.pack = Some(value(n).ok_or_else(|| ParseError {
                            line: token.line,
                            column: token.column,
                            message: format!("#pragma pack takes 1, 2, 4, 8 or 16, not `{n}`"),
                        })?);
                    } else {
                        self.pack = Some(value(rest).ok_or_else(|| ParseError {
                            line: token.line,
                            column: token.column,
                            message: format!("#pragma pack takes 1, 2, 4, 8 or 16, not `{rest}`"),
                        })?);
                    }
                }
            }
            return Ok(());
        }
        if words.starts_with("include<") || words.starts_with("include\"") || words.starts_with("pragmaonce") {
            return Ok(()); // standard headers: their types are known
        }
        if words.starts_with("ifndef")
            || words.starts_with("define")
            || words.starts_with("endif")
            || words.starts_with("pragma")
        {
            return Ok(()); // include guards and other pragmas do not change layouts
        }
        self.error(token, format!("unsupported preprocessor line `#{text}`"))
    }

    /// `__attribute__((…))`, any number of them.
    fn attributes(&mut self) -> Parsed<Attributes> {
        let mut found = Attributes::default();
        while self.is_ident("__attribute__") || self.is_ident("__attribute") {
            self.bump();
            self.expect_punct('(')?;
            self.expect_punct('(')?;
            while !self.is_punct(')') {
                let (name, token) = self.ident()?;
                let name = name.trim_matches('_');
                let argument = if self.is_punct('(') {
                    self.bump();
                    let value = self.constant()?;
                    self.expect_punct(')')?;
                    Some(value)
                } else {
                    None
                };
                match name {
                    "packed" => found.packed = true,
                    "aligned" => {
                        let value = argument.unwrap_or(16);
                        if !value.is_power_of_two() {
                            return self.error(&token, format!("aligned({value}): not a power of two"));
                        }
                        found.aligned = Some(found.aligned.map_or(value, |a| a.max(value)));
                    }
                    // Attributes that change a layout and that only the compilers read here.
                    "vector_size" | "mode" | "ms_struct" | "gcc_struct" => {
                        return self.error(
                            &token,
                            format!(
                                "`{name}` is read only through the compilers: add a line such as \
                                 `#include <stddef.h>` above to have them preprocess this text"
                            ),
                        );
                    }
                    _ => {}
                }
                if self.is_punct(',') {
                    self.bump();
                }
            }
            self.expect_punct(')')?;
            self.expect_punct(')')?;
        }
        Ok(found)
    }

    /// Type specifiers and qualifiers. Returns the type, its text, and
    /// member-level attributes found among them.
    fn specifiers(&mut self) -> Parsed<(TypeRef, String, Attributes)> {
        let start = self.peek().clone();
        let mut attributes = self.attributes()?;
        let mut spelling = Spelling::default();
        let mut base: Option<(TypeRef, String)> = None;
        loop {
            let token = self.peek().clone();
            let TokenKind::Ident(word) = &token.kind else { break };
            let word = word.clone();
            match word.as_str() {
                "const" | "volatile" | "static" | "extern" | "register" | "__extension__" | "restrict" => {
                    self.bump();
                }
                "unsigned" | "signed" | "short" | "long" | "_Complex" | "__complex__" => {
                    self.bump();
                    spelling.take(word);
                }
                "char" | "int" | "float" | "double" | "void" | "_Bool" | "__int128" if base.is_none() => {
                    self.bump();
                    spelling.words.push(word.clone());
                    base = Some((TypeRef::Scalar(Scalar::Int), word));
                }
                "_Alignas" => {
                    self.bump();
                    self.expect_punct('(')?;
                    let value = self.constant()?;
                    self.expect_punct(')')?;
                    if !value.is_power_of_two() {
                        return self.error(&token, format!("_Alignas({value}): not a power of two"));
                    }
                    attributes.aligned = Some(attributes.aligned.map_or(value, |a| a.max(value)));
                }
                "struct" | "union" if base.is_none() => {
                    self.bump();
                    let kind = if word == "struct" { Kind::Struct } else { Kind::Union };
                    let (id, name) = self.record(kind)?;
                    base = Some((TypeRef::Record(id), written_record(kind, &name)));
                }
                "enum" if base.is_none() => {
                    self.bump();
                    let (scalar, text) = self.enumeration()?;
                    base = Some((TypeRef::Scalar(scalar), text));
                }
                "__attribute__" | "__attribute" => {
                    let more = self.attributes()?;
                    attributes.packed |= more.packed;
                    attributes.aligned = attributes.aligned.max(more.aligned);
                }
                _ if base.is_none() && !spelling.has_integer_words() => {
                    if let Some((ty, _)) = self.typedefs.get(&word) {
                        // Written by its name, as the header writes it (`arr_t a`).
                        base = Some((ty.clone(), word.clone()));
                    } else if let Some(scalar) = scalar_named(&word) {
                        base = Some((TypeRef::Scalar(scalar), word.clone()));
                    } else if self.starts_declarator_after_name() {
                        return self.error(&token, unknown_type(&word));
                    } else {
                        break;
                    }
                    self.bump();
                }
                _ => break,
            }
        }
        match spelling.resolved(base) {
            Some((ty, text)) => Ok((ty, text, attributes)),
            None => self.error(&start, "expected a type"),
        }
    }

    /// After an unknown word: does a declarator follow (so the word was meant as a type)?
    fn starts_declarator_after_name(&self) -> bool {
        matches!(self.peek_at(1).kind, TokenKind::Ident(_) | TokenKind::Punct('*'))
    }

    fn record(&mut self, kind: Kind) -> Parsed<(usize, String)> {
        let attributes = self.attributes()?;
        let start = self.peek().clone();
        let tag = if let TokenKind::Ident(name) = &start.kind { Some(name.clone()) } else { None };
        if tag.is_some() {
            self.bump();
        }
        let keyword = if kind == Kind::Struct { "struct" } else { "union" };
        let name = match &tag {
            Some(tag) => format!("{keyword} {tag}"),
            None => format!("(anonymous {keyword} at {}:{})", start.line, start.column),
        };
        let existing = tag.as_ref().and_then(|_| self.tags.get(&name).copied());
        if !self.is_punct('{') {
            let Some(_) = tag else { return self.error(&start, format!("expected a name or `{{` after `{keyword}`")) };
            let id = existing.unwrap_or_else(|| {
                self.records.push(RecordDef {
                    alias_aligned: None,
                    kind,
                    name: name.clone(),
                    members: Vec::new(),
                    body: Body::Declared,
                    packed: false,
                    aligned: None,
                    pack: None,
                    reported: false,
                    line: start.line,
                });
                let id = self.records.len() - 1;
                self.tags.insert(name.clone(), id);
                id
            });
            return Ok((id, name));
        }
        if self.depth >= MAX_DEPTH {
            return self.error(&start, format!("records nested more than {MAX_DEPTH} deep"));
        }
        self.bump();
        self.depth += 1;
        self.open_braces += 1;
        let members = self.members();
        self.depth -= 1;
        let members = members?;
        self.open_braces -= 1;
        let after = self.attributes()?;
        let record = RecordDef {
            alias_aligned: None,
            kind,
            name: name.clone(),
            members,
            body: Body::Read,
            packed: attributes.packed || after.packed,
            aligned: attributes.aligned.max(after.aligned),
            pack: self.pack,
            // A tag declared inside another record is at file scope, as C
            // scopes tags (and as the preprocessed reader reports it).
            reported: tag.is_some(),
            line: start.line,
        };
        let id = match existing {
            Some(id) if !self.records[id].defined() => {
                self.records[id] = record;
                id
            }
            Some(_) => return self.error(&start, format!("`{name}` is defined twice")),
            None => {
                self.records.push(record);
                let id = self.records.len() - 1;
                if tag.is_some() {
                    self.tags.insert(name.clone(), id);
                }
                id
            }
        };
        Ok((id, name))
    }

    fn members(&mut self) -> Parsed<Vec<MemberDef>> {
        let mut members = Vec::new();
        loop {
            if self.is_punct('}') {
                self.bump();
                return Ok(members);
            }
            if self.is_end() {
                return self.error(&self.peek().clone(), "expected `}` before the end of the text");
            }
            if let TokenKind::Directive(text) = &self.peek().kind {
                let (text, token) = (text.clone(), self.peek().clone());
                self.bump();
                self.directive(&text, &token)?;
                continue;
            }
            if self.is_static_assert() {
                self.skip_declaration(); // C11 allows one among the members
                continue;
            }
            let start = self.peek().clone();
            let (base, text, attributes) = self.specifiers()?;
            if self.is_punct(';') {
                self.bump();
                if matches!(base, TypeRef::Record(id) if self.records[id].name.starts_with('(')) {
                    members.push(MemberDef {
                        name: None,
                        ty: base,
                        unsigned: self.spelled_unsigned(&text),
                        enumeration: self.spelled_enum(&text),
                        ty_text: text,
                        bit_width: None,
                        aligned: attributes.aligned,
                        packed: attributes.packed,
                        line: start.line,
                        column: start.column,
                    });
                }
                continue;
            }
            loop {
                let (name, ty, ty_text, token) = if self.is_punct(':') {
                    (None, base.clone(), text.clone(), self.peek().clone())
                } else {
                    self.declarator(base.clone(), &text)?
                };
                let bit_width = if self.is_punct(':') {
                    self.bump();
                    Some(self.constant()?)
                } else {
                    None
                };
                if name.is_none() && bit_width.is_none() {
                    return self.error(&token, "expected a member name");
                }
                let after = self.attributes()?;
                members.push(MemberDef {
                    name,
                    ty,
                    unsigned: self.spelled_unsigned(&ty_text),
                    enumeration: self.spelled_enum(&ty_text),
                    ty_text,
                    bit_width,
                    aligned: attributes.aligned.max(after.aligned),
                    packed: attributes.packed || after.packed,
                    line: token.line,
                    column: token.column,
                });
                if self.is_punct(',') {
                    self.bump();
                    continue;
                }
                self.expect_punct(';')?;
                break;
            }
        }
    }

    /// An enum after its keyword: the integer it is stored in, and its text.
    fn enumeration(&mut self) -> Parsed<(Scalar, String)> {
        let before = self.attributes()?;
        let tag = if let TokenKind::Ident(name) = &self.peek().kind { Some(name.clone()) } else { None };
        if tag.is_some() {
            self.bump();
        }
        let text = format!("enum {}", tag.as_deref().unwrap_or_default()).trim_end().to_owned();
        if !self.is_punct('{') {
            return Ok((self.enum_scalars.get(&text).copied().unwrap_or(Scalar::Int), text));
        }
        self.bump();
        let (mut next, mut least, mut most) = (0_i128, 0_i128, 0_i128);
        while !self.is_punct('}') {
            let (name, _) = self.ident()?;
            if self.is_punct('=') {
                self.bump();
                next = self.constant_value()?;
            }
            self.enumerators.insert(name, next);
            (least, most) = (least.min(next), most.max(next));
            next += 1;
            if self.is_punct(',') {
                self.bump();
            } else if !self.is_punct('}') {
                let token = self.peek().clone();
                return self.error(&token, "expected `,` or `}` in an enum");
            }
        }
        self.bump();
        let after = self.attributes()?;
        let scalar = enum_scalar(least, most, before.packed || after.packed);
        if tag.is_some() {
            self.enum_scalars.insert(text.clone(), scalar);
        }
        Ok((scalar, text))
    }

    /// `*name[2][3]`, `(*fn)(int)`, or nothing (for an unnamed bitfield).
    fn declarator(&mut self, base: TypeRef, text: &str) -> Parsed<(Option<String>, TypeRef, String, Token)> {
        let mut pointers = 0;
        while self.is_punct('*') || self.is_ident("const") || self.is_ident("volatile") || self.is_ident("restrict") {
            if self.bump().kind == TokenKind::Punct('*') {
                pointers += 1;
            }
        }
        let token = self.peek().clone();
        if self.is_punct('(') {
            // A function pointer, or a pointer to an array: `(*name)(…)`.
            self.bump();
            let mut inner_pointers = 0;
            while self.is_punct('*') {
                self.bump();
                inner_pointers += 1;
            }
            let (name, _) = self.ident()?;
            let dims = self.dimensions()?;
            self.expect_punct(')')?;
            if self.is_punct('(') {
                self.skip_balanced()?;
            } else {
                self.dimensions()?;
            }
            if inner_pointers == 0 {
                return self.error(&token, "expected `*` in a function pointer");
            }
            let dims_text = dimensions_text(&dims);
            let ty =
                dims.into_iter().rev().fold(TypeRef::Scalar(Scalar::Pointer), |ty, n| TypeRef::Array(Box::new(ty), n));
            // The stars before the parentheses are what the function returns.
            let returns = if pointers > 0 { pointer_text(text, pointers) } else { text.to_owned() };
            return Ok((Some(name), ty, function_pointer_text(&returns) + &dims_text, token));
        }
        let name = if let TokenKind::Ident(name) = &token.kind {
            let name = name.clone();
            self.bump();
            Some(name)
        } else {
            None
        };
        let dims = self.dimensions()?;
        let element = if pointers > 0 { TypeRef::Scalar(Scalar::Pointer) } else { base };
        let element_text = if pointers > 0 { pointer_text(text, pointers) } else { text.to_owned() };
        let dims_text = dimensions_text(&dims);
        let ty = dims.into_iter().rev().fold(element, |ty, n| TypeRef::Array(Box::new(ty), n));
        Ok((name, ty, element_text + &dims_text, token))
    }

    fn dimensions(&mut self) -> Parsed<Vec<Option<u64>>> {
        let mut dims = Vec::new();
        while self.is_punct('[') {
            // Each dimension nests the type once more: bounded like records.
            if dims.len() >= MAX_DEPTH {
                let at = self.peek().clone();
                return self.error(&at, format!("an array of more than {MAX_DEPTH} dimensions"));
            }
            self.bump();
            if self.is_punct(']') {
                self.bump();
                dims.push(None);
                continue;
            }
            dims.push(Some(self.constant()?));
            self.expect_punct(']')?;
        }
        Ok(dims)
    }

    fn skip_balanced(&mut self) -> Parsed<()> {
        let open = self.peek().clone();
        let mut depth = 0usize;
        loop {
            let token = self.bump();
            match token.kind {
                TokenKind::Punct('(') => depth += 1,
                TokenKind::Punct(')') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(());
                    }
                }
                TokenKind::End => return self.error(&open, "`(` never closed"),
                _ => {}
            }
        }
    }
}
