//! A Rust file of `#[repr(C)]` mirrors, read with `syn`: its structs and
//! unions (also inside item macros such as the libc crate's `s! { … }` and
//! the file's own `macro_rules!`), type aliases, constants and functions
//! (`extern "C"` blocks), each with its `#[cfg]`, its `repr`s (from
//! `#[repr]` and `#[cfg_attr(…, repr(…))]`), the C type a `// mirrors:`
//! comment pairs it with, and where it is written.

use std::cell::Cell;

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, Fields, Item, Meta, Type};

use super::cfg::Cfg;
use super::cfg_if::{Branch, CfgIf};
use super::type_macros::{MAX_EXPANDED_TOKENS, TypeMacro};
use crate::layout::Kind;
use crate::layout::lab::bindings::is_rust_keyword;
use crate::layout::lab::lexer::Cursor;
use crate::layout::lab::{ParseError, Target};

mod functions;
pub use functions::{RustFunction, RustParameter};

/// A struct or union of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustItem {
    pub name: String,
    pub kind: Kind,
    pub cfg: Option<Cfg>,
    pub reprs: Vec<Repr>,
    /// Its type and const parameters: a generic item (bindgen's
    /// `__IncompleteArrayField<T>`) is laid out where a field names it
    /// with its arguments, and mirrors no C type itself.
    pub generics: Vec<GenericParam>,
    pub fields: Vec<RustField>,
    /// The C type a `// mirrors: struct foo` comment above it names.
    pub mirrors: Option<String>,
    /// Which of the files read together it is written in (0 for one file).
    pub file: usize,
    pub line: usize,
    pub column: usize,
    /// The item as written, attributes included.
    pub source: String,
}

/// One `repr(…)`, and the cfg it is under (`#[cfg_attr(p, repr(packed))]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repr {
    pub cfg: Option<Cfg>,
    pub c: bool,
    pub transparent: bool,
    /// `packed` is `packed(1)`.
    pub packed: Option<u64>,
    pub align: Option<u64>,
    /// An enum's integer: `u8` of `repr(u8)`.
    pub integer: Option<String>,
}

/// A type or const parameter of a generic item (`struct Wrapper<T, const N: usize>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenericParam {
    Type(String),
    Const(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustField {
    pub name: String,
    pub ty: RustType,
    /// The type as written.
    pub text: String,
    pub cfg: Option<Cfg>,
    pub line: usize,
    pub column: usize,
}

/// A fieldless `enum`, a C enum's mirror: laid out as its `repr` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustEnum {
    pub name: String,
    pub cfg: Option<Cfg>,
    pub reprs: Vec<Repr>,
    /// A variant holds data: no C enum is laid out like that.
    pub holds_data: bool,
    pub variants: Vec<RustVariant>,
    pub source: String,
    /// Which of the files read together it is written in (0 for one file).
    pub file: usize,
}

impl RustEnum {
    /// No variant at all (`pub enum SSL {}`): the older way to write an
    /// opaque type, which Rust code only holds pointers to.
    pub fn is_empty(&self) -> bool {
        self.variants.is_empty()
    }
}

/// A fieldless enum's variant: its name, its discriminant if one is written, and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustVariant {
    pub name: String,
    pub discriminant: Option<Length>,
    pub line: usize,
}

/// `type name = …;`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustAlias {
    pub name: String,
    pub ty: RustType,
    pub text: String,
    pub cfg: Option<Cfg>,
    pub source: String,
}

/// `const NAME: T = …;`: an array length, or a value of C's (a macro's,
/// an enumerator's) that the mirror repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustConst {
    pub name: String,
    pub value: Length,
    /// A string's bytes (`b"3.40.1\0"`, `"3.40.1"`, `c"3.40.1"`), as written.
    pub bytes: Option<Vec<u8>>,
    pub ty: RustType,
    /// The type as written.
    pub text: String,
    pub cfg: Option<Cfg>,
    pub source: String,
    /// Which of the files read together it is written in (0 for one file).
    pub file: usize,
    pub line: usize,
}

/// A type as far as layout needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RustType {
    /// `u32`, `libc::c_long`, `Option<NonNull<T>>`, `Foo`: the last path
    /// segment and its type arguments.
    Named {
        name: String,
        args: Vec<RustType>,
    },
    /// `*const T`, `*mut T`: may be null.
    RawPointer(Pointer),
    /// `&T`, `&mut T`: never null, so `Option` of one is one pointer.
    Reference(Pointer),
    /// `extern "C" fn(…)`.
    FnPointer,
    Array(Box<RustType>, Length),
    /// A const argument, `4` in `Wrapper<u8, 4>`.
    Const(Length),
    /// A type written with one of the file's own macros (`if_zng!(usize,
    /// c_ulong)`): what each definition of it expands to, under that
    /// definition's cfg, or why it does not expand to a type.
    Expanded {
        text: String,
        by_cfg: Vec<(Option<Cfg>, Result<RustType, String>)>,
    },
    /// `()`.
    Unit,
    /// Anything else, as written.
    Unsupported(String),
}

/// What a raw pointer or a reference points at, and whether it lets the
/// one holding it write there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    pub pointee: Box<RustType>,
    /// `*mut`, `&mut`.
    pub mutable: bool,
}

impl RustType {
    /// Takes each of `set` as set in the cfgs of the macro definitions the
    /// type was expanded with.
    fn set_cfgs(&mut self, set: &[Cfg]) {
        match self {
            RustType::Named { args, .. } => args.iter_mut().for_each(|a| a.set_cfgs(set)),
            RustType::Array(element, _) => element.set_cfgs(set),
            RustType::RawPointer(pointer) | RustType::Reference(pointer) => pointer.pointee.set_cfgs(set),
            RustType::Expanded { by_cfg, .. } => {
                for (cfg, ty) in by_cfg {
                    if let Some(predicate) = cfg.take() {
                        *cfg = Some(predicate.with_set(set));
                    }
                    if let Ok(ty) = ty {
                        ty.set_cfgs(set);
                    }
                }
            }
            _ => {}
        }
    }
}

/// An array length or constant, evaluated per target (constants can be cfg'd).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Length {
    Value(u64),
    Named(String),
    /// `-x`.
    Negated(Box<Length>),
    /// `!x`: every bit flipped, in the constant's type.
    Flipped(Box<Length>),
    /// `+ - * / % << >> | & ^`, the shifts written `<` and `>`.
    Binary(Box<Length>, char, Box<Length>),
    Unsupported(String),
}

/// What a file of mirrors declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RustFile {
    pub items: Vec<RustItem>,
    pub enums: Vec<RustEnum>,
    pub aliases: Vec<RustAlias>,
    pub consts: Vec<RustConst>,
    /// The functions it declares in `extern "C"` blocks, and those it defines for C to call.
    pub functions: Vec<RustFunction>,
    /// `use` items as written: the probe compiles them with the items.
    pub uses: Vec<String>,
    /// `macro_rules!` definitions as written: the probe defines them first.
    pub macros: Vec<String>,
    pub errors: Vec<ParseError>,
    /// Cfgs set for it, as a build script would (`ossl300`): rustc's probe
    /// is given them too.
    pub set: Vec<Cfg>,
}

impl RustFile {
    /// The alias named `name` in force on `target`, if the file has one.
    pub fn alias_on(&self, name: &str, target: Target) -> Option<&RustAlias> {
        self.aliases.iter().find(|a| a.name == name && a.cfg.as_ref().is_none_or(|cfg| cfg.holds(target)))
    }

    /// Adds what `other`, the file numbered `file` of those read together
    /// (one crate's modules), declares: a type one file names is found in
    /// another. A `use` both files write is kept once.
    pub fn absorb(&mut self, other: RustFile, file: usize) {
        self.items.extend(other.items.into_iter().map(|item| RustItem { file, ..item }));
        self.enums.extend(other.enums.into_iter().map(|e| RustEnum { file, ..e }));
        self.aliases.extend(other.aliases);
        self.consts.extend(other.consts.into_iter().map(|constant| RustConst { file, ..constant }));
        self.functions.extend(other.functions.into_iter().map(|function| RustFunction { file, ..function }));
        for written in other.uses {
            if !self.uses.contains(&written) {
                self.uses.push(written);
            }
        }
        self.macros.extend(other.macros);
        self.errors.extend(other.errors);
    }

    /// Takes each of `set` as set wherever the file's cfgs name it.
    pub fn set_cfgs(&mut self, set: &[Cfg]) {
        let apply = |cfg: &mut Option<Cfg>| {
            if let Some(predicate) = cfg.take() {
                *cfg = Some(predicate.with_set(set));
            }
        };
        for item in &mut self.items {
            apply(&mut item.cfg);
            item.reprs.iter_mut().for_each(|r| apply(&mut r.cfg));
            for field in &mut item.fields {
                apply(&mut field.cfg);
                field.ty.set_cfgs(set);
            }
        }
        for e in &mut self.enums {
            apply(&mut e.cfg);
            e.reprs.iter_mut().for_each(|r| apply(&mut r.cfg));
        }
        for alias in &mut self.aliases {
            apply(&mut alias.cfg);
            alias.ty.set_cfgs(set);
        }
        self.consts.iter_mut().for_each(|c| apply(&mut c.cfg));
        for function in &mut self.functions {
            apply(&mut function.cfg);
            for (cfg, _) in &mut function.link_names {
                *cfg = cfg.clone().with_set(set);
            }
            for value in function.parameters.iter_mut().chain(function.returns.as_mut()) {
                apply(&mut value.cfg);
                value.ty.set_cfgs(set);
            }
        }
        self.set.extend(set.iter().cloned());
    }
}

/// Brackets, braces, parentheses and angle brackets nested past this are
/// refused before `syn`, whose parser recurses once per level.
const MAX_NESTING: usize = 128;

/// The libc crate's item macros that declare their structs and unions
/// `#[repr(C)]` (its `src/macros.rs`); `s_paren!` leaves the `repr` to its items.
const LIBC_REPR_C_MACROS: [&str; 4] = ["s", "s2", "s_no_extra_traits", "s_no_extra_traits2"];

/// Item macros (`s! { … }`) opened inside one another at most this deep.
const MAX_MACRO_DEPTH: usize = 4;

/// Type macros expanded in one file at most (each definition of a macro
/// expands each invocation of it once): a bound on macros that expand to
/// several invocations of themselves.
const MAX_EXPANSIONS: usize = 4096;

/// Stack for `syn`: [`MAX_NESTING`] levels in a debug build, whichever
/// thread asked.
const READER_STACK: usize = 64 * 1024 * 1024;

/// Reads `source`, never panicking: what could not be read is in `errors`.
pub fn read_rust(source: &str) -> RustFile {
    read_rust_with(source, &[])
}

/// As [`read_rust`], with the `macro_rules!` definitions of the other files
/// of its crate (`shared`, as [`RustFile::macros`] holds them) known too,
/// after the file's own: x11's `xlib.rs` writes its functions with the
/// `x11_link!` of its `link.rs`.
pub fn read_rust_with(source: &str, shared: &[String]) -> RustFile {
    if let Some((line, column)) = too_deep(source) {
        let message = format!("brackets nested deeper than {MAX_NESTING}: too deep to read");
        return RustFile { errors: vec![ParseError { line, column, message }], ..RustFile::default() };
    }
    let read = std::thread::scope(|scope| {
        let reading = std::thread::Builder::new()
            .name("ffiscope-rust-reader".into())
            .stack_size(READER_STACK)
            .spawn_scoped(scope, || {
                let file = read_on_this_thread(source, shared);
                // `syn` keeps every text it read for its spans: let it go.
                proc_macro2::extra::invalidate_current_thread_spans();
                file
            });
        reading.map_err(|e| e.to_string()).and_then(|handle| handle.join().map_err(|_| "it failed".to_owned()))
    });
    read.unwrap_or_else(|why| RustFile {
        errors: vec![ParseError { line: 1, column: 1, message: format!("the Rust reader could not run: {why}") }],
        ..RustFile::default()
    })
}

fn read_on_this_thread(source: &str, shared: &[String]) -> RustFile {
    let mut file = RustFile::default();
    match syn::parse_file(source) {
        Ok(parsed) => {
            let mut macros = type_macros(&parsed.items, &mut file);
            let own: Vec<String> = macros.iter().map(|m| m.name.clone()).collect();
            for text in shared {
                let Ok(other) = syn::parse_file(text) else { continue };
                // What another file's definitions would say wrong is that file's to say.
                let found = type_macros(&other.items, &mut RustFile::default());
                macros.extend(found.into_iter().filter(|m| !own.contains(&m.name)));
            }
            let budget = Budget { expansions: Cell::new(MAX_EXPANSIONS), tokens: Cell::new(MAX_EXPANDED_TOKENS) };
            let reader =
                Reader { source, lines: source.lines().collect(), macros: &macros, expansions: 0, budget: &budget };
            reader.items(&parsed.items, &mut file, 0, false);
        }
        Err(error) => {
            let (line, column) = position(error.span());
            file.errors.push(ParseError { line, column, message: error.to_string() });
        }
    }
    file
}

/// Where brackets of any kind first nest past [`MAX_NESTING`] (line and column
/// from 1), counted as `syn` will nest them: outside comments, strings and
/// character literals, and with a `<` open only while it can still be a
/// generic's. A bracket that closes, or a `;`, ends every `<` opened inside
/// it that no `>` closed (`1 << 25`, `a < b`), as no generic runs past
/// either; so shifts and comparisons never add up from item to item.
fn too_deep(source: &str) -> Option<(usize, usize)> {
    let mut open: Vec<char> = Vec::new();
    let mut scan = Scan(Cursor::new(source));
    while let Some(c) = scan.peek(0) {
        let (line, column) = scan.0.position();
        match c {
            '/' if scan.peek(1) == Some('/') => scan.skip_line(),
            '/' if scan.peek(1) == Some('*') => scan.skip_block_comment(),
            '"' => scan.skip_string(0),
            'r' | 'b' | 'c' => match scan.raw_string_hashes() {
                Some(hashes) => scan.skip_raw_string(hashes),
                None => scan.bump(),
            },
            '\'' => scan.skip_char_literal(),
            '(' | '[' | '{' | '<' => {
                // `<=` compares; `<<` is taken as two, as a qualified path may be.
                if !(c == '<' && scan.peek(1) == Some('=')) {
                    open.push(c);
                    if open.len() > MAX_NESTING {
                        return Some((line, column));
                    }
                }
                scan.bump();
            }
            '>' => {
                let arrow = matches!(scan.previous(), Some('-' | '='));
                if !arrow && open.last() == Some(&'<') {
                    open.pop();
                }
                scan.bump();
            }
            ')' | ']' | '}' => {
                let opener = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                while let Some(top) = open.pop() {
                    if top == opener {
                        break;
                    }
                }
                scan.bump();
            }
            ';' => {
                while open.last() == Some(&'<') {
                    open.pop();
                }
                scan.bump();
            }
            _ => scan.bump(),
        }
    }
    None
}

/// A cursor over Rust text (the lab's own, which keeps its line and
/// column) and the tokens it steps over whole.
struct Scan(Cursor);

impl Scan {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.0.peek_at(ahead)
    }

    fn previous(&self) -> Option<char> {
        self.0.previous()
    }

    fn bump(&mut self) {
        self.0.bump();
    }

    fn skip_line(&mut self) {
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.bump();
        }
    }

    /// A block comment, nested ones within it (as Rust nests them).
    fn skip_block_comment(&mut self) {
        let mut depth = 0_usize;
        while let Some(c) = self.peek(0) {
            if c == '/' && self.peek(1) == Some('*') {
                depth += 1;
                self.bump();
            } else if c == '*' && self.peek(1) == Some('/') {
                depth -= 1;
                self.bump();
                if depth == 0 {
                    self.bump();
                    return;
                }
            }
            self.bump();
        }
    }

    /// A string from its opening quote, `prefix` characters before it.
    fn skip_string(&mut self, prefix: usize) {
        for _ in 0..=prefix {
            self.bump();
        }
        while let Some(c) = self.peek(0) {
            self.bump();
            match c {
                '\\' => self.bump(),
                '"' => return,
                _ => {}
            }
        }
    }

    /// The number of `#`s of a raw string starting here (`r"`, `br#"`,
    /// `cr##"`), or `None` if none starts here.
    fn raw_string_hashes(&self) -> Option<usize> {
        if self.previous().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return None; // inside an identifier such as `for`
        }
        let mut ahead = usize::from(matches!(self.peek(0), Some('b' | 'c')));
        if self.peek(ahead) != Some('r') {
            return None;
        }
        ahead += 1;
        let mut hashes = 0;
        while self.peek(ahead) == Some('#') {
            hashes += 1;
            ahead += 1;
        }
        (self.peek(ahead) == Some('"')).then_some(hashes)
    }

    fn skip_raw_string(&mut self, hashes: usize) {
        while self.peek(0) != Some('"') {
            self.bump();
        }
        self.bump();
        while self.peek(0).is_some() {
            if self.peek(0) == Some('"') && (1..=hashes).all(|i| self.peek(i) == Some('#')) {
                for _ in 0..=hashes {
                    self.bump();
                }
                return;
            }
            self.bump();
        }
    }

    /// A character literal (`'<'`, `'\\''`); a lifetime (`'a`) is left as it is.
    fn skip_char_literal(&mut self) {
        let literal_ends = match self.peek(1) {
            Some('\\') => (3..12).find(|&i| self.peek(i) == Some('\'')),
            Some(_) => (self.peek(2) == Some('\'')).then_some(2),
            None => None,
        };
        for _ in 0..=literal_ends.unwrap_or(0) {
            self.bump();
        }
    }
}

/// Line and column (both from 1) of a span's start.
fn position(span: Span) -> (usize, usize) {
    let start = span.start();
    (start.line.max(1), start.column + 1)
}

struct Reader<'a> {
    source: &'a str,
    lines: Vec<&'a str>,
    /// The file's `macro_rules!` definitions.
    macros: &'a [TypeMacro],
    /// How many macro expansions deep `source` is (0: the file itself).
    expansions: usize,
    /// How many more expansions the file may have.
    budget: &'a Budget,
}

/// What the file's macros may still expand: how many invocations, and tokens in all.
struct Budget {
    expansions: Cell<usize>,
    tokens: Cell<usize>,
}

/// How many of each kind of declaration a file had read at some point.
struct ItemCounts {
    items: usize,
    enums: usize,
    aliases: usize,
    consts: usize,
    functions: usize,
    macros: usize,
}

impl ItemCounts {
    fn of(file: &RustFile) -> ItemCounts {
        ItemCounts {
            items: file.items.len(),
            enums: file.enums.len(),
            aliases: file.aliases.len(),
            consts: file.consts.len(),
            functions: file.functions.len(),
            macros: file.macros.len(),
        }
    }

    /// Says every declaration read since is written at `line` (a macro's invocation).
    fn place_at(&self, file: &mut RustFile, line: usize) {
        file.items[self.items..].iter_mut().for_each(|i| i.line = line);
        file.consts[self.consts..].iter_mut().for_each(|c| c.line = line);
        file.functions[self.functions..].iter_mut().for_each(|f| f.line = line);
    }

    /// Puts every declaration read since under `cfg` too, in the model and
    /// in the text rustc's probe compiles.
    fn restrict(&self, file: &mut RustFile, cfg: &Cfg) {
        let under = |own: &mut Option<Cfg>, source: &mut String| {
            *own = Some(match own.take() {
                Some(own) => Cfg::All(vec![cfg.clone(), own]),
                None => cfg.clone(),
            });
            *source = format!("#[cfg({})]\n{source}", cfg.as_source());
        };
        file.items[self.items..].iter_mut().for_each(|i| under(&mut i.cfg, &mut i.source));
        file.enums[self.enums..].iter_mut().for_each(|e| under(&mut e.cfg, &mut e.source));
        file.aliases[self.aliases..].iter_mut().for_each(|a| under(&mut a.cfg, &mut a.source));
        file.consts[self.consts..].iter_mut().for_each(|c| under(&mut c.cfg, &mut c.source));
        for function in &mut file.functions[self.functions..] {
            function.cfg = Some(match function.cfg.take() {
                Some(own) => Cfg::All(vec![cfg.clone(), own]),
                None => cfg.clone(),
            });
        }
        // A definition in a branch is the probe's only under the branch's cfg.
        for source in &mut file.macros[self.macros..] {
            *source = format!("#[cfg({})]\n{source}", cfg.as_source());
        }
    }
}

/// The file's `macro_rules!` definitions, at the top level and in each
/// branch of a `cfg_if!` (openssl-sys's `ssl_op_type!`, `u64` for OpenSSL 3
/// and `c_ulong` before), each under its cfg; their text goes to
/// `file.macros` for the probe.
fn type_macros(items: &[Item], file: &mut RustFile) -> Vec<TypeMacro> {
    let mut macros = Vec::new();
    collect_type_macros(items, None, 0, file, &mut macros);
    macros
}

/// The definitions among `items`, each also under `outer`, the cfg of the
/// `cfg_if!` branch they are in. A branch's cfg that cannot be read is
/// said where its items are read.
fn collect_type_macros(
    items: &[Item],
    outer: Option<&Cfg>,
    depth: usize,
    file: &mut RustFile,
    macros: &mut Vec<TypeMacro>,
) {
    let under = |cfg: Option<Cfg>| match (outer, cfg) {
        (None, cfg) => cfg,
        (Some(outer), None) => Some(outer.clone()),
        (Some(outer), Some(own)) => Some(Cfg::All(vec![outer.clone(), own])),
    };
    for item in items {
        let Item::Macro(invocation) = item else { continue };
        if let Some(name) = invocation.ident.as_ref().filter(|_| invocation.mac.path.is_ident("macro_rules")) {
            match cfg_of(&invocation.attrs) {
                Ok(cfg) => macros.push(TypeMacro::new(name.to_string(), under(cfg), invocation.mac.tokens.clone())),
                Err((span, message)) => Reader::error(file, span, message),
            }
            continue;
        }
        let is_cfg_if = invocation.mac.path.segments.last().is_some_and(|s| s.ident == "cfg_if");
        if !is_cfg_if || depth >= MAX_MACRO_DEPTH {
            continue;
        }
        let Ok(CfgIf(branches)) = syn::parse2::<CfgIf>(invocation.mac.tokens.clone()) else { continue };
        let mut earlier: Vec<Cfg> = Vec::new();
        for branch in branches {
            let Ok(own) = cfg_of(&branch.cfg) else { break };
            let mut parts: Vec<Cfg> = earlier.iter().map(|e| Cfg::Not(Box::new(e.clone()))).collect();
            parts.extend(own.clone());
            let branch_cfg = match parts.len() {
                0 => None,
                1 => parts.pop(),
                _ => Some(Cfg::All(parts)),
            };
            let cfg = under(branch_cfg);
            collect_type_macros(&branch.items, cfg.as_ref(), depth + 1, file, macros);
            earlier.extend(own);
        }
    }
}

/// Whether `path` invokes the macro `name`: by that name alone, or through
/// the crate that defines it (`dlib::external_library!`, and
/// `$crate::link_external_library!` inside another of its macros).
fn names_macro(path: &syn::Path, name: &str) -> bool {
    path.segments.last().is_some_and(|last| last.ident == name && last.arguments.is_none())
}

/// What names a struct or union: its attributes, its name and its generics.
#[derive(Clone, Copy)]
struct Named<'a> {
    attrs: &'a [Attribute],
    ident: &'a syn::Ident,
    generics: &'a syn::Generics,
}

impl<'a> Reader<'a> {
    /// The definitions of the file's macro `path` names, if it names one,
    /// expansions nest no deeper than [`MAX_MACRO_DEPTH`] here and the
    /// file's have not run out: each spends one.
    fn definitions_to_expand(&self, path: &syn::Path) -> Option<Vec<&'a TypeMacro>> {
        let definitions: Vec<&TypeMacro> = self.macros.iter().filter(|m| names_macro(path, &m.name)).collect();
        if definitions.is_empty() || self.expansions >= MAX_MACRO_DEPTH {
            return None;
        }
        let left = self.budget.expansions.get().checked_sub(definitions.len())?;
        self.budget.expansions.set(left);
        Some(definitions)
    }

    /// A reader of an expansion's own text, `written`, one expansion deeper.
    fn reading_expansion<'w>(&self, written: &'w str) -> Reader<'w>
    where
        'a: 'w,
    {
        Reader {
            source: written,
            lines: Vec::new(),
            macros: self.macros,
            expansions: self.expansions + 1,
            budget: self.budget,
        }
    }
}

impl Reader<'_> {
    /// The text a span covers.
    fn text(&self, span: Span) -> String {
        self.source.get(span.byte_range()).unwrap_or_default().to_owned()
    }

    fn error(file: &mut RustFile, span: Span, message: String) {
        let (line, column) = position(span);
        file.errors.push(ParseError { line, column, message });
    }

    /// Reads `items`; `in_s_macro`: they are inside one of the libc crate's
    /// `s! { … }` macros, which marks each struct and union `#[repr(C)]` itself.
    fn items(&self, items: &[Item], file: &mut RustFile, depth: usize, in_s_macro: bool) {
        for item in items {
            match item {
                Item::Struct(s) => {
                    let fields = match &s.fields {
                        Fields::Named(named) => named.named.iter().collect::<Vec<_>>(),
                        Fields::Unnamed(unnamed) => unnamed.unnamed.iter().collect(),
                        Fields::Unit => Vec::new(),
                    };
                    let named = Named { attrs: &s.attrs, ident: &s.ident, generics: &s.generics };
                    if self.record(file, item, named, Kind::Struct, &fields) && in_s_macro {
                        mark_repr_c(file);
                    }
                }
                Item::Union(u) => {
                    let fields: Vec<&syn::Field> = u.fields.named.iter().collect();
                    let named = Named { attrs: &u.attrs, ident: &u.ident, generics: &u.generics };
                    if self.record(file, item, named, Kind::Union, &fields) && in_s_macro {
                        mark_repr_c(file);
                    }
                }
                Item::Enum(e) => match (cfg_of(&e.attrs), reprs_of(&e.attrs)) {
                    (Ok(cfg), Ok(reprs)) => file.enums.push(RustEnum {
                        name: e.ident.to_string(),
                        cfg,
                        reprs,
                        holds_data: e.variants.iter().any(|v| !matches!(v.fields, Fields::Unit)),
                        variants: e
                            .variants
                            .iter()
                            .map(|v| RustVariant {
                                name: v.ident.to_string(),
                                discriminant: v.discriminant.as_ref().map(|(_, expr)| length(expr)),
                                line: position(v.ident.span()).0,
                            })
                            .collect(),
                        source: self.text(item.span()),
                        file: 0,
                    }),
                    (Err((span, message)), _) | (_, Err((span, message))) => Reader::error(file, span, message),
                },
                Item::Type(alias) => match cfg_of(&alias.attrs) {
                    Ok(cfg) => file.aliases.push(RustAlias {
                        name: alias.ident.to_string(),
                        ty: self.rust_type(&alias.ty),
                        text: self.text(alias.ty.span()),
                        cfg,
                        source: self.text(item.span()),
                    }),
                    Err((span, message)) => Reader::error(file, span, message),
                },
                Item::Const(constant) => match cfg_of(&constant.attrs) {
                    Ok(cfg) => file.consts.push(RustConst {
                        name: constant.ident.to_string(),
                        value: length(&constant.expr),
                        bytes: string_bytes(&constant.expr),
                        ty: self.rust_type(&constant.ty),
                        text: self.text(constant.ty.span()),
                        cfg,
                        source: self.text(item.span()),
                        file: 0,
                        line: position(constant.ident.span()).0,
                    }),
                    Err((span, message)) => Reader::error(file, span, message),
                },
                Item::Use(_) => file.uses.push(self.text(item.span())),
                Item::ForeignMod(block) => self.foreign_functions(block, file),
                Item::Fn(function) => self.defined_function(function, file),
                Item::Macro(definition) if definition.mac.path.is_ident("macro_rules") => {
                    file.macros.push(self.text(item.span()));
                }
                Item::Macro(invocation) if depth < MAX_MACRO_DEPTH => {
                    self.invoked_items(invocation, file, depth, in_s_macro);
                }
                _ => {}
            }
        }
    }

    /// The items a macro invocation writes, where this reads them: each
    /// branch of a `cfg_if!` under its cfg; what one of the file's own
    /// macros (bzip2-sys's `abi_compat! { pub fn … }`), or one of another
    /// file read with it (dlib's `external_library!`), expands to, under
    /// the invocation's own cfg; and the items inside the libc crate's `s!
    /// { pub struct … }`.
    fn invoked_items(&self, invocation: &syn::ItemMacro, file: &mut RustFile, depth: usize, in_s_macro: bool) {
        let path = &invocation.mac.path;
        if path.segments.last().is_some_and(|s| s.ident == "cfg_if") {
            match syn::parse2::<CfgIf>(invocation.mac.tokens.clone()) {
                Ok(CfgIf(branches)) => self.cfg_if_branches(branches, file, depth, in_s_macro),
                Err(error) => Reader::error(file, error.span(), format!("cannot read this `cfg_if!`: {error}")),
            }
        } else if self.macros.iter().any(|m| names_macro(path, &m.name)) {
            match cfg_of(&invocation.attrs) {
                Ok(cfg) => {
                    let from = ItemCounts::of(file);
                    self.expanded_items(&invocation.mac, file, depth, in_s_macro);
                    if let Some(cfg) = cfg {
                        from.restrict(file, &cfg);
                    }
                }
                Err((span, message)) => Reader::error(file, span, message),
            }
        } else if let Ok(inner) = syn::parse2::<syn::File>(invocation.mac.tokens.clone()) {
            let adds_repr_c = LIBC_REPR_C_MACROS.iter().any(|name| path.is_ident(name));
            self.items(&inner.items, file, depth + 1, adds_repr_c);
        }
    }

    /// The items an invocation of one of the file's macros writes: what each
    /// of its definitions expands to, read under that definition's cfg, as
    /// written at the invocation's line. An expansion that is no items is
    /// passed over, as any macro this does not read.
    fn expanded_items(&self, invocation: &syn::Macro, file: &mut RustFile, depth: usize, in_s_macro: bool) {
        let Some(definitions) = self.definitions_to_expand(&invocation.path) else { return };
        let line = position(invocation.path.span()).0;
        for definition in definitions {
            let Ok(tokens) = definition.expand(&invocation.tokens, &self.budget.tokens) else { continue };
            // Read from its own text, so that each item's text is its own.
            let written = tokens.to_string();
            let Ok(parsed) = syn::parse_file(&written) else { continue };
            let inner = self.reading_expansion(&written);
            let from = ItemCounts::of(file);
            inner.items(&parsed.items, file, depth + 1, in_s_macro);
            from.place_at(file, line);
            if let Some(cfg) = &definition.cfg {
                from.restrict(file, cfg);
            }
        }
    }

    /// Reads each branch of a `cfg_if!`, its items under its own cfg and not
    /// that of any branch before it.
    fn cfg_if_branches(&self, branches: Vec<Branch>, file: &mut RustFile, depth: usize, in_s_macro: bool) {
        let mut earlier: Vec<Cfg> = Vec::new();
        for branch in branches {
            let own = match cfg_of(&branch.cfg) {
                Ok(own) => own,
                Err((span, message)) => return Reader::error(file, span, message),
            };
            let mut parts: Vec<Cfg> = earlier.iter().map(|e| Cfg::Not(Box::new(e.clone()))).collect();
            parts.extend(own.clone());
            let from = ItemCounts::of(file);
            self.items(&branch.items, file, depth + 1, in_s_macro);
            if !parts.is_empty() {
                let cfg = if parts.len() == 1 { parts.remove(0) } else { Cfg::All(parts) };
                from.restrict(file, &cfg);
            }
            earlier.extend(own);
        }
    }

    fn record(&self, file: &mut RustFile, item: &Item, named: Named<'_>, kind: Kind, fields: &[&syn::Field]) -> bool {
        let (cfg, reprs) = match (cfg_of(named.attrs), reprs_of(named.attrs)) {
            (Ok(cfg), Ok(reprs)) => (cfg, reprs),
            (Err((span, message)), _) | (_, Err((span, message))) => {
                Reader::error(file, span, message);
                return false;
            }
        };
        let mut read = Vec::new();
        for (index, field) in fields.iter().enumerate() {
            let cfg = match cfg_of(&field.attrs) {
                Ok(cfg) => cfg,
                Err((span, message)) => {
                    Reader::error(file, span, message);
                    return false;
                }
            };
            let (line, column) = position(field.ty.span());
            let name = field.ident.as_ref().map_or_else(|| index.to_string(), ToString::to_string);
            read.push(RustField {
                name: name.trim_start_matches("r#").to_owned(),
                ty: self.rust_type(&field.ty),
                text: self.text(field.ty.span()),
                cfg,
                line,
                column,
            });
        }
        let span = item.span();
        let (line, column) = position(span);
        let generics = named
            .generics
            .params
            .iter()
            .filter_map(|param| match param {
                syn::GenericParam::Type(ty) => Some(GenericParam::Type(ty.ident.to_string())),
                syn::GenericParam::Const(constant) => Some(GenericParam::Const(constant.ident.to_string())),
                syn::GenericParam::Lifetime(_) => None,
            })
            .collect();
        file.items.push(RustItem {
            name: named.ident.to_string(),
            kind,
            cfg,
            reprs,
            generics,
            fields: read,
            mirrors: self.mirrors_comment(line),
            file: 0,
            line,
            column,
            source: self.text(span),
        });
        true
    }

    /// `// mirrors: struct foo` in the comments right above line `line`.
    fn mirrors_comment(&self, line: usize) -> Option<String> {
        let above = self.lines.get(..line.saturating_sub(1))?;
        above
            .iter()
            .rev()
            .map(|l| l.trim())
            .take_while(|l| l.starts_with("//"))
            .find_map(|l| l.split_once("mirrors:").map(|(_, name)| name.trim().to_owned()))
            .filter(|name| !name.is_empty())
    }

    fn rust_type(&self, ty: &Type) -> RustType {
        match ty {
            Type::Path(path) if path.qself.is_none() => {
                let Some(last) = path.path.segments.last() else { return RustType::Unsupported(self.text(ty.span())) };
                let args = match &last.arguments {
                    syn::PathArguments::AngleBracketed(angle) => angle
                        .args
                        .iter()
                        .filter_map(|a| match a {
                            syn::GenericArgument::Type(t) => Some(self.rust_type(t)),
                            syn::GenericArgument::Const(value) => Some(RustType::Const(length(value))),
                            _ => None,
                        })
                        .collect(),
                    syn::PathArguments::None => Vec::new(),
                    // `Option<extern "C" fn(…) -> …>` keeps its parenthesised form only on Fn traits.
                    syn::PathArguments::Parenthesized(_) => return RustType::Unsupported(self.text(ty.span())),
                };
                RustType::Named { name: last.ident.to_string(), args }
            }
            Type::Ptr(pointer) => RustType::RawPointer(Pointer {
                pointee: Box::new(self.rust_type(&pointer.elem)),
                mutable: pointer.mutability.is_some(),
            }),
            Type::Reference(reference) => RustType::Reference(Pointer {
                pointee: Box::new(self.rust_type(&reference.elem)),
                mutable: reference.mutability.is_some(),
            }),
            Type::BareFn(_) => RustType::FnPointer,
            Type::Array(array) => RustType::Array(Box::new(self.rust_type(&array.elem)), length(&array.len)),
            Type::Tuple(tuple) if tuple.elems.is_empty() => RustType::Unit,
            Type::Paren(inner) => self.rust_type(&inner.elem),
            Type::Group(inner) => self.rust_type(&inner.elem),
            Type::Macro(invocation) => self.expanded(&invocation.mac, self.text(ty.span())),
            _ => RustType::Unsupported(self.text(ty.span())),
        }
    }

    /// A type written with one of the file's macros, expanded by each of
    /// its definitions; one the file does not define is not read.
    fn expanded(&self, invocation: &syn::Macro, text: String) -> RustType {
        let Some(definitions) = self.definitions_to_expand(&invocation.path) else {
            return RustType::Unsupported(text);
        };
        let by_cfg = definitions
            .into_iter()
            .map(|definition| {
                let expanded = definition.expand(&invocation.tokens, &self.budget.tokens).and_then(|tokens| {
                    let written = tokens.to_string();
                    let ty: Type = syn::parse_str(&written)
                        .map_err(|_| format!("`{}!` expands to `{written}`, which is not a type", definition.name))?;
                    Ok(self.reading_expansion(&written).rust_type(&ty))
                });
                (definition.cfg.clone(), expanded)
            })
            .collect();
        RustType::Expanded { text, by_cfg }
    }
}

/// A field's name as Rust code must write it: `r#type` for the `type` the
/// reader read from it.
pub fn field_as_written(name: &str) -> String {
    let raw_allowed = !matches!(name, "self" | "Self" | "super" | "crate");
    if is_rust_keyword(name) && raw_allowed { format!("r#{name}") } else { name.to_owned() }
}

/// Marks the item just read `#[repr(C)]`, as the libc crate's `s!` does.
fn mark_repr_c(file: &mut RustFile) {
    if let Some(item) = file.items.last_mut() {
        item.reprs.insert(0, Repr { c: true, ..Repr::default() });
        // The probe compiles it outside the macro: the macro's repr goes with it.
        item.source.insert_str(0, "#[repr(C)]\n");
    }
}

/// An array length or a constant's value: literals, constants, `-` and `!`
/// of them and `+ - * / % << >> | & ^` between them.
fn length(expr: &Expr) -> Length {
    match expr {
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(int), .. }) => {
            int.base10_parse::<u64>().map_or_else(|e| Length::Unsupported(e.to_string()), Length::Value)
        }
        Expr::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(|| Length::Unsupported("a path".to_owned()), |s| Length::Named(s.ident.to_string())),
        Expr::Paren(inner) => length(&inner.expr),
        Expr::Group(inner) => length(&inner.expr),
        Expr::Cast(cast) => length(&cast.expr),
        Expr::Block(block) if block.block.stmts.len() == 1 => match &block.block.stmts[0] {
            syn::Stmt::Expr(inner, None) => length(inner),
            _ => Length::Unsupported("a block".to_owned()),
        },
        Expr::Binary(binary) => {
            let op = match binary.op {
                syn::BinOp::Add(_) => '+',
                syn::BinOp::Sub(_) => '-',
                syn::BinOp::Mul(_) => '*',
                syn::BinOp::Div(_) => '/',
                syn::BinOp::Shl(_) => '<',
                syn::BinOp::Shr(_) => '>',
                syn::BinOp::Rem(_) => '%',
                syn::BinOp::BitOr(_) => '|',
                syn::BinOp::BitAnd(_) => '&',
                syn::BinOp::BitXor(_) => '^',
                _ => return Length::Unsupported("an operator other than + - * / % << >> | & ^".to_owned()),
            };
            Length::Binary(Box::new(length(&binary.left)), op, Box::new(length(&binary.right)))
        }
        Expr::Unary(unary) => match unary.op {
            syn::UnOp::Neg(_) => Length::Negated(Box::new(length(&unary.expr))),
            syn::UnOp::Not(_) => Length::Flipped(Box::new(length(&unary.expr))),
            _ => Length::Unsupported("a dereference".to_owned()),
        },
        _ => {
            Length::Unsupported("an expression other than numbers, constants, - ! and + - * / % << >> | & ^".to_owned())
        }
    }
}

/// The bytes of a string literal, byte string or C string, if `expr` is one.
fn string_bytes(expr: &Expr) -> Option<Vec<u8>> {
    match expr {
        Expr::Lit(syn::ExprLit { lit: syn::Lit::ByteStr(bytes), .. }) => Some(bytes.value()),
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) => Some(text.value().into_bytes()),
        Expr::Lit(syn::ExprLit { lit: syn::Lit::CStr(text), .. }) => Some(text.value().into_bytes_with_nul()),
        Expr::Reference(reference) => string_bytes(&reference.expr),
        Expr::Paren(inner) => string_bytes(&inner.expr),
        _ => None,
    }
}

/// The item's `#[cfg(…)]`s, as one predicate.
fn cfg_of(attrs: &[Attribute]) -> Result<Option<Cfg>, (Span, String)> {
    let mut all = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("cfg")) {
        let meta: Meta = attr.parse_args().map_err(|e| (attr.span(), format!("cannot read this cfg: {e}")))?;
        all.push(Cfg::parse(&meta).map_err(|e| (attr.span(), e))?);
    }
    Ok(match all.len() {
        0 => None,
        1 => all.pop(),
        _ => Some(Cfg::All(all)),
    })
}

/// Every `repr(…)` of the item, with the cfg of the `cfg_attr` it came from.
fn reprs_of(attrs: &[Attribute]) -> Result<Vec<Repr>, (Span, String)> {
    let mut reprs = Vec::new();
    for attr in attrs {
        if attr.path().is_ident("repr") {
            reprs.push(repr(&attr.meta, None).map_err(|e| (attr.span(), e))?);
        } else if attr.path().is_ident("cfg_attr") {
            let parts = attr
                .parse_args_with(syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated)
                .map_err(|e| (attr.span(), format!("cannot read this cfg_attr: {e}")))?;
            let mut parts = parts.into_iter();
            let Some(predicate) = parts.next() else { continue };
            let cfg = Cfg::parse(&predicate).map_err(|e| (attr.span(), e))?;
            for meta in parts.filter(|m| m.path().is_ident("repr")) {
                reprs.push(repr(&meta, Some(cfg.clone())).map_err(|e| (attr.span(), e))?);
            }
        }
    }
    Ok(reprs)
}

/// `repr(C, packed(2), align(8))`.
fn repr(meta: &Meta, cfg: Option<Cfg>) -> Result<Repr, String> {
    let Meta::List(list) = meta else { return Err("`repr` takes a list: `#[repr(C)]`".to_owned()) };
    let hints = list
        .parse_args_with(syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated)
        .map_err(|e| format!("cannot read this repr: {e}"))?;
    let mut repr = Repr { cfg, ..Repr::default() };
    for hint in hints {
        let name = hint.path().get_ident().map(ToString::to_string).unwrap_or_default();
        let number = || -> Result<u64, String> {
            let Meta::List(list) = &hint else { return Err(format!("`{name}` takes a number")) };
            list.parse_args::<syn::LitInt>()
                .and_then(|n| n.base10_parse::<u64>())
                .map_err(|e| format!("`{name}(…)`: {e}"))
        };
        match name.as_str() {
            "C" => repr.c = true,
            "transparent" => repr.transparent = true,
            "packed" => repr.packed = Some(if matches!(hint, Meta::Path(_)) { 1 } else { number()? }),
            "align" => repr.align = Some(number()?),
            "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64" | "u128" | "i128" | "usize" | "isize" => {
                repr.integer = Some(name);
            }
            _ => {}
        }
    }
    Ok(repr)
}

#[cfg(test)]
mod tests {
    use super::{Length, RustType, read_rust};

    #[test]
    fn items_fields_reprs_and_comments_are_read() {
        let file = read_rust(
            "use core::ffi::c_int;\n\
             const N: usize = 4 * 2;\n\
             // mirrors: struct wire_header\n\
             #[repr(C)]\n\
             #[cfg_attr(target_arch = \"x86_64\", repr(packed))]\n\
             pub struct Header { pub tag: u8, pub r#len: [u32; N], #[cfg(unix)] pub next: Option<NonNull<Header>> }\n\
             s! { pub union Either { a: c_int, b: f32 } }\n\
             s_no_extra_traits! { pub struct epoll_event { pub events: u32, pub u64: u64 } }\n\
             s_paren! { pub struct Wrapped(u32); }\n",
        );
        assert_eq!(file.errors, []);
        let header = &file.items[0];
        assert_eq!(header.mirrors.as_deref(), Some("struct wire_header"));
        assert_eq!(header.reprs.len(), 2);
        assert_eq!(header.reprs[1].packed, Some(1));
        assert_eq!(header.fields[1].name, "len");
        assert_eq!(
            header.fields[1].ty,
            RustType::Array(Box::new(RustType::Named { name: "u32".into(), args: vec![] }), Length::Named("N".into()))
        );
        assert_eq!(header.fields[2].text, "Option<NonNull<Header>>");
        assert!(header.fields[2].cfg.is_some());
        assert_eq!(file.items[1].name, "Either", "read inside the s! macro");
        let repr_c = |index: usize| file.items[index].reprs.iter().any(|r| r.c);
        assert_eq!((file.items[2].name.as_str(), repr_c(2)), ("epoll_event", true), "s_no_extra_traits! marks it");
        assert_eq!(file.consts[0].name, "N");
        assert_eq!(file.uses, ["use core::ffi::c_int;"]);
    }

    #[test]
    fn errors_say_where() {
        let file = read_rust("#[repr(C)]\nstruct Broken { a: u8,, }\n");
        assert_eq!(file.errors.len(), 1);
        assert_eq!((file.errors[0].line, file.errors[0].column), (2, 23));
        let deep = format!("struct D {{ a: {}u8{} }}", "[".repeat(1000), "; 1]".repeat(1000));
        let file = read_rust(&deep);
        assert!(file.errors[0].message.contains("too deep"), "{:?}", file.errors);
    }

    /// Shifts, comparisons and brackets in comments, strings and character
    /// literals are no nesting (curl-sys's 300 `1 << n` constants were "too
    /// deep to read"); generics are, however they are dressed.
    #[test]
    fn only_what_syn_nests_counts_as_nesting() {
        let constants = (0..300).map(|n| {
            format!(
                "pub const C{n}: i32 = 1 << {};\npub const L{n}: bool = {n} < 3; // [[ ((< {{ \n\
                 pub const S{n}: &str = \"((<[{{\"; pub const R{n}: &str = r#\"[[\"#; pub const Q{n}: char = '<';\n\
                 /* (( /* nested [[ */ << */ pub const B{n}: &[u8] = b\"[(\";\n",
                n % 31
            )
        });
        let flat = format!("#[repr(C)] pub struct S {{ pub a: u8 }}\n{}", constants.collect::<String>());
        let file = read_rust(&flat);
        assert_eq!(file.errors, []);
        assert_eq!(file.items.len(), 1);
        assert!(!file.consts.is_empty());
        let generic = format!("type T = {}u8{};", "Vec<".repeat(200), ">".repeat(200));
        assert!(read_rust(&generic).errors[0].message.contains("too deep"));
        // A `>>` inside a const argument's braces closes none of the generics outside them.
        let dressed = format!("type T = {}u8{};", "A<{1>>1}, ".repeat(200), ">".repeat(200));
        assert!(read_rust(&dressed).errors[0].message.contains("too deep"));
        let lifetimes = format!("type T<'a> = {}&'a u8{};", "Box<".repeat(100), ">".repeat(100));
        assert_eq!(read_rust(&lifetimes).errors, []);
    }
}
