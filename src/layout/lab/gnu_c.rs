//! C as a compiler's preprocessor emits it, read by the `lang-c` parser and
//! turned into the declarations the layout engine lays out: every struct and
//! union a header brings, each with the file and line that declared it.
//!
//! The text is one target's (`__x86_64__`, `__WORDSIZE` and the system
//! headers differ), so it is read for that target: `sizeof` in an array
//! bound, `long`, `__int128` and `va_list` take the target's sizes.

use std::sync::Arc;

use lang_c::ast::{
    ArraySize, DeclarationSpecifier, Declarator, DeclaratorKind, DerivedDeclarator, Extension, ExternalDeclaration,
    SpecifierQualifier, StorageClassSpecifier, StructField, StructKind, StructType, TS18661FloatFormat, TypeName,
    TypeSpecifier,
};
use lang_c::driver::{Config, parse_preprocessed};
use lang_c::span::Node;
use rustc_hash::FxHashMap;

use super::abi::Target;
use super::lexer::{ParseError, excerpt};
use super::parser::{
    Body, Declarations, FunctionDef, MemberDef, Pointee, RecordDef, Scalar, ScalarTypedef, TypeRef, enum_scalar,
    first_of_each_name, holds_no_record, is_unsigned_spelling, names_an_enum, scalar_named, written_record,
};
use super::readable::{ALIGNAS_NAME_ATTRIBUTE, line_end, readable, skip_literal, starts_a_directive};
use super::report::DeclaredAt;
use super::standard_names::header_declaring;
use crate::layout::Kind;

mod constants;
mod functions;

/// Deepest nesting of records, declarators and expressions followed.
const MAX_DEPTH: usize = 64;

/// GCC's builtin types, as the reader knows them, and as a listing writes
/// them (the 128-bit integers under the names `readable` gives them).
const BUILTIN_TYPES: [(&str, Scalar, &str); 4] = [
    ("__ffiscope_int128", Scalar::Int128, "__int128"),
    ("__ffiscope_uint128", Scalar::Int128, "unsigned __int128"),
    ("__builtin_va_list", Scalar::VaList, "__builtin_va_list"),
    ("__float128", Scalar::Float128, "__float128"),
];
const PRELUDE: &str = "typedef int __ffiscope_int128; typedef int __ffiscope_uint128; typedef double __float128;\n";

/// Where each line of preprocessed text came from, from its line markers.
struct LineMap {
    starts: Vec<usize>,
    /// For each line: (file, line in that file).
    origin: Vec<(Arc<str>, usize)>,
}

impl LineMap {
    fn new(text: &str) -> LineMap {
        let mut starts = Vec::new();
        let mut origin = Vec::new();
        let mut file: Arc<str> = Arc::from("");
        let mut next_line = 1;
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            starts.push(at);
            at += line.len();
            origin.push((Arc::clone(&file), next_line));
            match line_marker(line) {
                Some((number, name)) => {
                    if name != &*file {
                        file = Arc::from(name);
                    }
                    next_line = number;
                }
                None => next_line += 1,
            }
        }
        LineMap { starts, origin }
    }

    /// The file, line and column of a byte of the text.
    fn locate(&self, offset: usize) -> (Arc<str>, usize, usize) {
        let index = self.starts.partition_point(|&start| start <= offset).saturating_sub(1);
        let (file, line) = self.origin.get(index).cloned().unwrap_or_else(|| (Arc::from(""), 1));
        let column = offset - self.starts.get(index).copied().unwrap_or(0) + 1;
        (file, line, column)
    }
}

/// `# 12 "zlib.h" 1 3` → (12, "zlib.h").
fn line_marker(line: &str) -> Option<(usize, &str)> {
    let rest = line.strip_prefix("# ")?;
    let (number, rest) = rest.split_once(' ')?;
    let name = rest.trim_end().strip_prefix('"')?.split('"').next()?;
    Some((number.parse().ok()?, name))
}

/// Declarations read from preprocessed text, with where each record was declared.
#[derive(Debug, Clone, Default)]
pub struct HeaderDeclarations {
    pub declarations: Declarations,
    /// Beside `declarations.records`, index for index.
    pub declared_in: Vec<DeclaredAt>,
}

/// Reads `text` (one target's preprocessor output, with line markers) for
/// `target`. `main_file` is the header asked for: errors in it keep its own
/// line and column; errors elsewhere name their file in the message.
pub fn read_preprocessed(text: &str, target: Target, main_file: &str) -> HeaderDeclarations {
    let mut prepared = String::with_capacity(text.len() + PRELUDE.len());
    prepared.push_str(PRELUDE);
    prepared.push_str(&readable(text));
    let packs = pack_changes(&prepared);
    let lines = LineMap::new(&prepared);
    let mut reader = Reader {
        target,
        text: &prepared,
        lines: &lines,
        packs: &packs,
        main_file,
        records: Vec::new(),
        declared_in: Vec::new(),
        tags: FxHashMap::default(),
        typedefs: FxHashMap::default(),
        unsigned_typedefs: rustc_hash::FxHashSet::default(),
        enum_typedefs: rustc_hash::FxHashSet::default(),
        record_typedefs: Vec::new(),
        scalar_typedefs: Vec::new(),
        constants: FxHashMap::default(),
        enum_scalars: FxHashMap::default(),
        functions: Vec::new(),
        transparent_unions: rustc_hash::FxHashSet::default(),
        pointer_typedefs: FxHashMap::default(),
        errors: Vec::new(),
        depth: 0,
        failed_at: None,
    };
    for (name, scalar, written) in BUILTIN_TYPES {
        reader.typedefs.insert(name.to_owned(), (TypeRef::Scalar(scalar), written.to_owned()));
    }
    if let Some((offset, message)) = too_deep_to_read(&prepared) {
        reader.error(offset, &message);
    } else {
        read_declarations(&mut reader, &prepared);
    }
    let errors = reader.errors;
    let mut constants: Vec<(String, i128)> = reader.constants.into_iter().collect();
    constants.sort_unstable();
    let functions = first_of_each_name(reader.functions);
    HeaderDeclarations {
        declarations: Declarations {
            records: reader.records,
            errors,
            typedefs: reader.record_typedefs,
            scalar_typedefs: reader.scalar_typedefs,
            constants,
            strings: Vec::new(),
            unread_macros: Vec::new(),
            functions,
        },
        declared_in: reader.declared_in,
    }
}

/// Nesting, runs of prefix operators, array dimensions and `?:` chains past
/// this are refused before `lang-c`, whose parser recurses once per level.
const MAX_NESTING: usize = 256;

/// Stack for `lang-c`'s parser and the reader: enough for [`MAX_NESTING`]
/// levels in a debug build, whichever thread asked (a worker's is 2 MiB).
const PARSER_STACK: usize = 64 * 1024 * 1024;

/// Where `text` nests brackets, prefix operators, dimensions or conditionals deeper than
/// [`MAX_NESTING`], which no real header does; and what it does there.
fn too_deep_to_read(text: &str) -> Option<(usize, String)> {
    let bytes = text.as_bytes();
    let mut brackets = 0_usize;
    let mut operators = 0_usize;
    let mut conditionals = 0_usize;
    let mut dimensions = 0_usize;
    let mut last_visible = b' ';
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'[' {
            dimensions = if last_visible == b']' { dimensions + 1 } else { 1 };
        }
        if !bytes[at].is_ascii_whitespace() {
            last_visible = bytes[at];
        }
        match bytes[at] {
            b'"' | b'\'' => {
                at = skip_literal(bytes, at) + 1;
                operators = 0;
                continue;
            }
            b'#' if starts_a_directive(bytes, at) => {
                at = line_end(bytes, at);
                continue;
            }
            b'(' | b'[' | b'{' => brackets += 1,
            b')' | b']' | b'}' => brackets = brackets.saturating_sub(1),
            b'-' | b'+' | b'!' | b'~' | b'*' | b'&' => operators += 1,
            b'?' => conditionals += 1,
            _ => {}
        }
        if matches!(bytes[at], b';' | b'{' | b'}') {
            conditionals = 0;
        }
        if !matches!(bytes[at], b'-' | b'+' | b'!' | b'~' | b'*' | b'&') && !bytes[at].is_ascii_whitespace() {
            operators = 0;
        }
        let what = if brackets > MAX_NESTING {
            "brackets nested"
        } else if operators > MAX_NESTING {
            "prefix operators in a row"
        } else if conditionals > MAX_NESTING {
            "`?:` conditionals in one declaration"
        } else if dimensions > MAX_NESTING {
            "array dimensions in a row"
        } else {
            at += 1;
            continue;
        };
        return Some((at, format!("more than {MAX_NESTING} {what}: too deep to read")));
    }
    None
}

/// Reads every declaration `lang-c` finds in `prepared` into `reader`, on a
/// thread with a known stack (see [`PARSER_STACK`]).
fn read_declarations(reader: &mut Reader<'_>, prepared: &str) {
    let parsed = std::thread::scope(|scope| {
        let parsing = std::thread::Builder::new()
            .name("ffiscope-c-reader".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, || read_into(reader, prepared));
        match parsing {
            Ok(handle) => handle.join().map_err(|_| "the C reader failed on this text".to_owned()),
            Err(e) => Err(format!("could not start the C reader: {e}")),
        }
    });
    if let Err(message) = parsed {
        reader.error(0, &message);
    }
}

fn read_into(reader: &mut Reader<'_>, prepared: &str) {
    let config = Config { flavor: lang_c::driver::Flavor::GnuC11, ..Config::with_gcc() };
    match parse_preprocessed(&config, prepared.to_owned()) {
        Ok(parse) => {
            for external in &parse.unit.0 {
                match &external.node {
                    ExternalDeclaration::Declaration(declaration) => {
                        let result = reader.declaration(&declaration.node.specifiers, &declaration.node.declarators);
                        let failed_at = reader.failed_at.take();
                        if let Err(message) = result {
                            reader.error(failed_at.unwrap_or(declaration.span.start), &message);
                        }
                    }
                    // A header's inline function: declared as a prototype declares it.
                    ExternalDeclaration::FunctionDefinition(definition) => reader.function_definition(&definition.node),
                    ExternalDeclaration::StaticAssert(_) => {}
                }
            }
        }
        Err(error) => {
            let mut expected: Vec<&str> = error.expected.iter().copied().collect();
            expected.sort_unstable();
            let word = name_at(prepared, error.offset);
            let starts_a_name = word.chars().next().is_some_and(|c| !c.is_ascii_digit());
            if starts_a_name && expected.contains(&"<typedef_name>") {
                reader.error(error.offset, &unknown_type_name(word));
            } else if let Some((at, first)) = unknown_parameter_type(prepared, error.offset, &expected) {
                reader.error(at, &unknown_type_name(first));
            } else {
                reader.error(error.offset, &format!("cannot read this: expected {}", expected.join(", ")));
            }
        }
    }
}

/// The identifier that starts at `offset` (empty if none does).
fn name_at(text: &str, offset: usize) -> &str {
    let rest = text.get(offset..).unwrap_or("");
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    &rest[..end]
}

/// How an unknown type name's error ends when a standard header declares it.
const NOT_INCLUDED_BEFORE: &str = ">, which is not included before it";

/// What gcc calls an unknown type name: nothing before declared it.
fn unknown_type_name(name: &str) -> String {
    let declared = header_declaring(name)
        .map(|header| format!("; it is declared in <{header}{NOT_INCLUDED_BEFORE}"))
        .unwrap_or_default();
    format!("unknown type name `{name}`: no typedef of it comes before this line{declared}")
}

/// The standard header an unknown type name's error says was not included
/// before its line (`stddef.h`), if it says so.
pub fn header_wanted_before(message: &str) -> Option<&str> {
    let before = &message[..message.find(NOT_INCLUDED_BEFORE)?];
    before.rsplit_once('<').map(|(_, header)| header)
}

/// A parameter that starts with a name no typedef declared, followed by its
/// own name or a pointer (`(j_compress_ptr cinfo)`, `(FILE *)`, in a header
/// that expects another included first): the parser took the first as the
/// parameter's name and stopped at what follows, wanting `)` or `,`.
/// Returns where the first starts, and it.
fn unknown_parameter_type<'t>(text: &'t str, offset: usize, expected: &[&str]) -> Option<(usize, &'t str)> {
    let pointer = text.get(offset..).is_some_and(|rest| rest.starts_with('*'));
    // After a name with nothing between (`Boolean*`), it could also go on.
    let wants_end_of_parameter = expected == [")", ","] || expected == [")", ",", "[_a-zA-Z0-9]"];
    if !wants_end_of_parameter || (name_at(text, offset).is_empty() && !pointer) {
        return None;
    }
    let before = text.get(..offset)?.trim_end_matches([' ', '\t']);
    let start = before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    let first = &before[start..];
    let opens_parameter = before[..start].trim_end().ends_with(['(', ',']);
    let is_name = first.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    (opens_parameter && is_name && first.len() < before.len()).then_some((start, first))
}

/// A TS 18661 type as written: `_Float32`, `_Float64x`.
fn float_name(float: &lang_c::ast::TS18661FloatType) -> String {
    let extended = if float.format == TS18661FloatFormat::BinaryExtended { "x" } else { "" };
    format!("_Float{}{extended}", float.width)
}

/// Where `#pragma pack` takes effect in `text` (which the preprocessor
/// passes through and `lang-c` does not read), and the packing from there on.
fn pack_changes(text: &str) -> Vec<(usize, Option<u64>)> {
    let mut changes = Vec::new();
    let mut stack: Vec<Option<u64>> = Vec::new();
    let mut current = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let Some(rest) = line.trim_start().strip_prefix('#') else { continue };
        let Some(arguments) = rest.trim_start().strip_prefix("pragma") else { continue };
        let Some(arguments) = arguments.trim_start().strip_prefix("pack") else { continue };
        let inside = arguments.trim().trim_start_matches('(').trim_end_matches(')');
        let parts: Vec<&str> = inside.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
        let number = |text: &str| text.parse::<u64>().ok();
        current = match parts.as_slice() {
            ["push", rest @ ..] => {
                stack.push(current);
                rest.first().and_then(|n| number(n)).or(current)
            }
            ["pop", ..] => stack.pop().flatten(),
            [n] => number(n),
            _ => None,
        };
        changes.push((start, current));
    }
    changes
}

type Read<T> = Result<T, String>;

struct Reader<'a> {
    target: Target,
    /// The text being read, as `lang-c` reads it.
    text: &'a str,
    lines: &'a LineMap,
    /// Where `#pragma pack` changed, and to what.
    packs: &'a [(usize, Option<u64>)],
    main_file: &'a str,
    records: Vec<RecordDef>,
    declared_in: Vec<DeclaredAt>,
    /// `struct x` / `union x` → record.
    tags: FxHashMap<String, usize>,
    /// Typedef name → its type, and how a member of it is written: by the
    /// name, or GCC's builtins by theirs (`__int128`).
    typedefs: FxHashMap<String, (TypeRef, String)>,
    /// Typedef names of tagged records.
    record_typedefs: Vec<(String, usize)>,
    scalar_typedefs: Vec<ScalarTypedef>,
    /// Typedef names of unsigned integers, through any chain of typedefs.
    unsigned_typedefs: rustc_hash::FxHashSet<String>,
    /// Typedef names of enums, through any chain of typedefs.
    enum_typedefs: rustc_hash::FxHashSet<String>,
    /// Enumerators' values.
    constants: FxHashMap<String, i128>,
    /// Tag (`enum e`) → the integer its definition chose.
    enum_scalars: FxHashMap<String, Scalar>,
    /// The functions declared, in the order read (a name again, redeclared).
    functions: Vec<FunctionDef>,
    /// Records declared `__transparent_union__`.
    transparent_unions: rustc_hash::FxHashSet<usize>,
    /// Typedefs of a pointer to data (`z_streamp`, `LPCSTR`) → what it points at.
    pointer_typedefs: FxHashMap<String, Pointee>,
    errors: Vec<ParseError>,
    depth: usize,
    /// Where the constant expression that failed failed: its error is said there.
    failed_at: Option<usize>,
}

/// What a declaration's specifiers say, besides its type.
#[derive(Default)]
struct Attributes {
    packed: bool,
    aligned: Option<u64>,
    /// `__attribute__((vector_size(N)))`: a SIMD vector of N bytes.
    vector_size: Option<u64>,
    /// `__attribute__((transparent_union))`: a parameter of it is passed as its first member.
    transparent_union: bool,
}

impl Attributes {
    /// Another `aligned` (or `_Alignas`): the largest asked for holds.
    fn raise_alignment(&mut self, value: u64) {
        self.aligned = Some(self.aligned.map_or(value, |a| a.max(value)));
    }
}

impl Reader<'_> {
    fn error(&mut self, offset: usize, message: &str) {
        let (file, line, column) = self.lines.locate(offset);
        let error = if &*file == self.main_file || file.is_empty() {
            // A line marker can say line 0; the error is still in this text.
            ParseError { line: line.max(1), column, message: message.to_owned() }
        } else {
            // Not in the text the user has: the line goes with the message.
            let start = self.text.get(..offset).and_then(|before| before.rfind('\n')).map_or(0, |n| n + 1);
            let rest = self.text.get(start..).unwrap_or("");
            let shown = excerpt(rest.lines().next().unwrap_or(""), column);
            ParseError { line: 0, column: 0, message: format!("{file}:{line}:{column}: {message}\n{shown}") }
        };
        self.errors.push(error);
    }

    /// Whether the type spelled `text` (words or a typedef name) is an unsigned integer.
    fn is_unsigned(&self, text: &str) -> bool {
        is_unsigned_spelling(text) || self.unsigned_typedefs.contains(text)
    }

    /// Whether the type spelled `text` (`enum e` or a typedef name) is an enum.
    fn is_enum(&self, text: &str) -> bool {
        names_an_enum(text) || self.enum_typedefs.contains(text)
    }

    fn declared_at(&self, offset: usize) -> DeclaredAt {
        let (file, line, _) = self.lines.locate(offset);
        DeclaredAt { file: file.to_string(), line }
    }

    fn declaration(
        &mut self,
        specifiers: &[Node<DeclarationSpecifier>],
        declarators: &[Node<lang_c::ast::InitDeclarator>],
    ) -> Read<()> {
        let is_typedef = specifiers.iter().any(
            |s| matches!(&s.node, DeclarationSpecifier::StorageClass(c) if c.node == StorageClassSpecifier::Typedef),
        );
        let (types, attributes) = self.specifier_parts(specifiers, |s| match s {
            DeclarationSpecifier::TypeSpecifier(t) => Part::Type(t),
            DeclarationSpecifier::Extension(extensions) => Part::Extensions(extensions),
            _ => Part::Other,
        })?;
        let (base, text) = self.specified_type(&types, &attributes)?;
        for init in declarators {
            let declarator = &init.node.declarator;
            let Some(name) = declarator_name(&declarator.node) else { continue };
            if !is_typedef {
                // A variable or a function: no layout of its own; a function's types are kept.
                if let Some(function) = self.function((&base, &text), specifiers, declarator) {
                    self.functions.push(function);
                }
                continue;
            }
            // A typedef of a pointer names what a parameter of it points at.
            let specified = (&base, text.as_str(), functions::is_const(specifiers));
            if let Some(pointee) = self.pointee(specified, Some(&declarator.node)) {
                self.pointer_typedefs.insert(name.clone(), pointee);
            }
            // A function type has no layout, like `void`: only a pointer to it has.
            let ty = match self.shaped(Shape::Data(base.clone()), &declarator.node)? {
                Shape::Data(ty) => ty,
                Shape::Function => TypeRef::Scalar(Scalar::Void),
            };
            if let TypeRef::Record(id) = ty
                && self.records[id].name.starts_with('<')
            {
                // `typedef struct { … } name;`: the typedef names the record, and
                // attributes on the name (`name __attribute__((aligned))`) are its.
                let mut on_name = Attributes::default();
                self.attributes(&declarator.node.extensions, &mut on_name)?;
                let record = &mut self.records[id];
                record.name.clone_from(&name);
                record.reported = true;
                record.packed |= on_name.packed;
                record.alias_aligned = on_name.aligned;
                if on_name.transparent_union {
                    self.transparent_unions.insert(id);
                }
            }
            // `typedef int name[64] __attribute__((aligned(8)))`: an aligned alias,
            // held as a record of one member that only the alias's members see.
            let ty = match ty {
                TypeRef::Record(id) if self.records[id].name == name => TypeRef::Record(id),
                other => {
                    let mut on_name = Attributes::default();
                    self.attributes(&declarator.node.extensions, &mut on_name)?;
                    for specifier in specifiers {
                        if let DeclarationSpecifier::Extension(extensions) = &specifier.node {
                            self.attributes(extensions, &mut on_name)?;
                        }
                    }
                    let at = declarator.span.start;
                    match (on_name.vector_size, on_name.aligned) {
                        // A vector of N bytes is N bytes and aligned to N, unless
                        // the typedef says otherwise (glibc's `La_x86_64_ymm`, 32
                        // bytes aligned to 16).
                        (Some(bytes), aligned) => {
                            let (element, _) = self.size_and_align(&other)?;
                            let count = bytes.checked_div(element).ok_or("a vector of a zero-sized type")?;
                            let lanes = TypeRef::Array(Box::new(other), Some(count));
                            let vector = self.aligned_alias(&name, lanes, &text, aligned.unwrap_or(bytes), at);
                            if let TypeRef::Record(id) = vector {
                                self.records[id].aligned = Some(bytes);
                            }
                            vector
                        }
                        (None, Some(aligned)) => self.aligned_alias(&name, other, &text, aligned, at),
                        (None, None) => other,
                    }
                }
            };
            // The prelude's stand-ins for GCC's builtin types keep their real meaning.
            if !BUILTIN_TYPES.iter().any(|(builtin, ..)| *builtin == name) {
                if self.is_unsigned(&text) {
                    self.unsigned_typedefs.insert(name.clone());
                }
                if self.is_enum(&text) {
                    self.enum_typedefs.insert(name.clone());
                }
                if let TypeRef::Record(id) = ty
                    && self.records[id].name != name
                {
                    self.record_typedefs.push((name.clone(), id));
                }
                if holds_no_record(&ty) {
                    self.scalar_typedefs.push(ScalarTypedef {
                        name: name.clone(),
                        ty: ty.clone(),
                        unsigned: self.is_unsigned(&text),
                        enumeration: self.is_enum(&text),
                    });
                }
                self.typedefs.insert(name.clone(), (ty, name));
            }
        }
        Ok(())
    }

    /// A record holding `ty` whose alignment is set to `aligned` and its
    /// size left as it is, as GCC makes an aligned typedef (see
    /// [`Target::typedef_aligned_lowers`]).
    fn aligned_alias(&mut self, name: &str, ty: TypeRef, text: &str, aligned: u64, offset: usize) -> TypeRef {
        let (_, line, column) = self.lines.locate(offset);
        let kind = (self.is_unsigned(text), self.is_enum(text));
        self.records.push(RecordDef::aligned_alias(name, ty, text, kind, (line, column), aligned));
        self.declared_in.push(self.declared_at(offset));
        TypeRef::Record(self.records.len() - 1)
    }

    /// A specifier list's type specifiers, and the attributes its extensions give.
    fn specifier_parts<'s, S>(
        &mut self,
        specifiers: &'s [Node<S>],
        part: impl Fn(&'s S) -> Part<'s>,
    ) -> Read<(Vec<&'s Node<TypeSpecifier>>, Attributes)> {
        let mut types = Vec::new();
        let mut attributes = Attributes::default();
        for specifier in specifiers {
            match part(&specifier.node) {
                Part::Type(t) => types.push(t),
                Part::Extensions(extensions) => self.attributes(extensions, &mut attributes)?,
                Part::Other => {}
            }
        }
        Ok((types, attributes))
    }

    fn attributes(&mut self, extensions: &[Node<Extension>], into: &mut Attributes) -> Read<()> {
        for extension in extensions {
            let Extension::Attribute(attribute) = &extension.node else { continue };
            match attribute.name.node.trim_matches('_') {
                "packed" => into.packed = true,
                "transparent_union" => into.transparent_union = true,
                "vector_size" => {
                    let bytes = attribute.arguments.first().ok_or("vector_size without a size")?;
                    let bytes = self.evaluate_count(bytes, "vector size")?;
                    into.vector_size = Some(bytes);
                }
                "aligned" => {
                    let value = match attribute.arguments.first() {
                        Some(argument) => self.evaluate_count(argument, "alignment")?,
                        None => self.target.largest_alignment(),
                    };
                    into.raise_alignment(value);
                }
                // `_Alignas(name)`, of a typedef or a constant (see `readable`).
                name if name == ALIGNAS_NAME_ATTRIBUTE.trim_matches('_') => {
                    into.raise_alignment(self.alignas_name(attribute.arguments.first())?);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The type the specifiers name, and how it is written.
    fn specified_type(&mut self, types: &[&Node<TypeSpecifier>], attributes: &Attributes) -> Read<(TypeRef, String)> {
        let mut counts = Counts::default();
        for specifier in types {
            match &specifier.node {
                TypeSpecifier::Struct(record) => return self.record_type(record, attributes),
                TypeSpecifier::Enum(enumeration) => {
                    let name = enumeration.node.identifier.as_ref().map_or("enum", |i| i.node.name.as_str());
                    let text = format!("enum {name}");
                    if enumeration.node.enumerators.is_empty() {
                        // `enum e` named after its definition: the integer that chose.
                        let scalar = self.enum_scalars.get(&text).copied().unwrap_or(Scalar::Int);
                        return Ok((TypeRef::Scalar(scalar), text));
                    }
                    let (mut next, mut least, mut most) = (0_i128, 0_i128, 0_i128);
                    for enumerator in &enumeration.node.enumerators {
                        if let Some(expression) = &enumerator.node.expression {
                            next = self.evaluate(expression)?;
                        }
                        (least, most) = (least.min(next), most.max(next));
                        self.constants.insert(enumerator.node.identifier.node.name.clone(), next);
                        next += 1;
                    }
                    let scalar = enum_scalar(least, most, attributes.packed);
                    if enumeration.node.identifier.is_some() {
                        self.enum_scalars.insert(text.clone(), scalar);
                    }
                    return Ok((TypeRef::Scalar(scalar), text));
                }
                TypeSpecifier::TypedefName(name) => {
                    // `int64_t` is `long` in glibc and `long long` elsewhere: named
                    // as itself, its bindings are `i64` on every target.
                    if let Some(scalar) = scalar_named(&name.node.name) {
                        return Ok((TypeRef::Scalar(scalar), name.node.name.clone()));
                    }
                    let name = &name.node.name;
                    return self
                        .typedefs
                        .get(name)
                        .cloned()
                        .ok_or_else(|| format!("`{name}` is not a type this header declares"));
                }
                TypeSpecifier::Atomic(inner) => return self.type_name(&inner.node),
                TypeSpecifier::TypeOf(_) => return Err("`typeof` in a declaration is not read".to_owned()),
                TypeSpecifier::TS18661Float(float) => {
                    let scalar = match (&float.format, float.width) {
                        (TS18661FloatFormat::BinaryInterchange, 16) => Scalar::Float16,
                        (TS18661FloatFormat::BinaryInterchange, 32) => Scalar::Float,
                        // GCC's `_Float32x` is `double` and `_Float64x` is `long double`
                        // wherever it has them (glibc declares them with _GNU_SOURCE).
                        (TS18661FloatFormat::BinaryInterchange, 64) | (TS18661FloatFormat::BinaryExtended, 32) => {
                            Scalar::Double
                        }
                        (TS18661FloatFormat::BinaryInterchange, 128) => Scalar::Float128,
                        (TS18661FloatFormat::BinaryExtended, 64) => Scalar::LongDouble,
                        _ => return Err(format!("{} is not read", float_name(float))),
                    };
                    return Ok((TypeRef::Scalar(scalar), float_name(float)));
                }
                TypeSpecifier::Void => counts.void = true,
                TypeSpecifier::Char => counts.char = true,
                TypeSpecifier::Short => counts.short = true,
                TypeSpecifier::Int => counts.int = true,
                TypeSpecifier::Long => counts.long += 1,
                TypeSpecifier::Float => counts.float = true,
                TypeSpecifier::Double => counts.double = true,
                TypeSpecifier::Signed => counts.signed = true,
                TypeSpecifier::Unsigned => counts.unsigned = true,
                TypeSpecifier::Bool => counts.bool = true,
                TypeSpecifier::Complex => counts.complex = true,
            }
        }
        counts.scalar()
    }

    fn type_name(&mut self, name: &TypeName) -> Read<(TypeRef, String)> {
        let (types, _) = self.specifier_parts(&name.specifiers, specifier_qualifier_part)?;
        let (base, text) = self.specified_type(&types, &Attributes::default())?;
        match &name.declarator {
            Some(declarator) => Ok((self.derived_type(base, &declarator.node)?, text)),
            None => Ok((base, text)),
        }
    }

    /// A struct or union, defined here or named: its record.
    fn record_type(&mut self, record: &Node<StructType>, attributes: &Attributes) -> Read<(TypeRef, String)> {
        let kind = match record.node.kind.node {
            StructKind::Struct => Kind::Struct,
            StructKind::Union => Kind::Union,
        };
        let keyword = if kind == Kind::Union { "union" } else { "struct" };
        let tag = record.node.identifier.as_ref().map(|i| format!("{keyword} {}", i.node.name));
        let known = tag.as_ref().and_then(|t| self.tags.get(t)).copied();
        let id = known.unwrap_or_else(|| self.new_record(kind, tag.as_deref(), record.span.start));
        if let Some(fields) = &record.node.declarations {
            if self.depth >= MAX_DEPTH {
                return Err(format!("records nested deeper than {MAX_DEPTH}"));
            }
            self.depth += 1;
            let members = self.members(fields);
            self.depth -= 1;
            let (_, line, _) = self.lines.locate(record.span.start);
            let definition = &mut self.records[id];
            definition.body = if members.is_ok() { Body::Read } else { Body::Unreadable };
            definition.members = members?;
            let in_force = self.packs.partition_point(|&(at, _)| at <= record.span.start);
            definition.pack = in_force.checked_sub(1).and_then(|i| self.packs[i].1);
            definition.packed |= attributes.packed;
            definition.aligned = attributes.aligned.or(definition.aligned);
            definition.line = line;
            self.declared_in[id] = self.declared_at(record.span.start);
        }
        let text = written_record(kind, &self.records[id].name);
        Ok((TypeRef::Record(id), text))
    }

    /// A record seen for the first time, by its tag or anonymous.
    fn new_record(&mut self, kind: Kind, tag: Option<&str>, offset: usize) -> usize {
        let id = self.records.len();
        let keyword = if kind == Kind::Union { "union" } else { "struct" };
        let (_, line, _) = self.lines.locate(offset);
        self.records.push(RecordDef {
            kind,
            name: tag.map_or_else(|| format!("<anonymous {keyword}>"), str::to_owned),
            members: Vec::new(),
            body: Body::Declared,
            packed: false,
            aligned: None,
            pack: None,
            reported: tag.is_some(),
            alias_aligned: None,
            line,
        });
        self.declared_in.push(self.declared_at(offset));
        if let Some(tag) = tag {
            self.tags.insert(tag.to_owned(), id);
        }
        id
    }

    fn members(&mut self, fields: &[Node<lang_c::ast::StructDeclaration>]) -> Read<Vec<MemberDef>> {
        let mut members = Vec::new();
        for field in fields {
            let lang_c::ast::StructDeclaration::Field(field) = &field.node else { continue };
            members.extend(self.field(field)?);
        }
        Ok(members)
    }

    fn field(&mut self, field: &Node<StructField>) -> Read<Vec<MemberDef>> {
        // Attributes among a member's specifiers are the member's, but those
        // after a record's or an enum's closing brace are the type's too, as
        // GCC reads them: `struct { char a; int b; } __attribute__((packed)) m;`
        // packs `b`, and `enum { A } __attribute__((packed)) e;` is one byte.
        let (types, attributes) = self.specifier_parts(&field.node.specifiers, specifier_qualifier_part)?;
        let mut on_type = Attributes::default();
        let mut after_body = false;
        for specifier in &field.node.specifiers {
            match &specifier.node {
                SpecifierQualifier::TypeSpecifier(t) => {
                    after_body |= match &t.node {
                        TypeSpecifier::Struct(record) => record.node.declarations.is_some(),
                        TypeSpecifier::Enum(enumeration) => !enumeration.node.enumerators.is_empty(),
                        _ => false,
                    };
                }
                SpecifierQualifier::Extension(extensions) if after_body => self.attributes(extensions, &mut on_type)?,
                _ => {}
            }
        }
        let (base, text) = self.specified_type(&types, &on_type)?;
        let (_, line, column) = self.lines.locate(field.span.start);
        if field.node.declarators.is_empty() {
            // An anonymous struct or union member.
            return Ok(vec![MemberDef {
                name: None,
                ty: base,
                unsigned: self.is_unsigned(&text),
                enumeration: self.is_enum(&text),
                ty_text: text,
                bit_width: None,
                aligned: attributes.aligned,
                packed: attributes.packed,
                line,
                column,
            }]);
        }
        let mut members = Vec::new();
        for declarator in &field.node.declarators {
            let mut own = Attributes {
                packed: attributes.packed,
                aligned: attributes.aligned,
                vector_size: None,
                transparent_union: false,
            };
            let (name, ty, pointing, own_dimensions) = match &declarator.node.declarator {
                Some(d) => {
                    self.attributes(&d.node.extensions, &mut own)?;
                    let ty = self.derived_type(base.clone(), &d.node)?;
                    (declarator_name(&d.node), ty, pointing(&d.node), array_dimensions(&d.node))
                }
                None => (None, base.clone(), Pointing::Not, 0),
            };
            let bit_width = match &declarator.node.bit_width {
                Some(width) => Some(self.evaluate_count(width, "bit width")?),
                None => None,
            };
            let ty_text = written(&text, &ty, pointing, own_dimensions);
            members.push(MemberDef {
                name,
                ty,
                unsigned: self.is_unsigned(&text),
                enumeration: self.is_enum(&text),
                ty_text,
                bit_width,
                aligned: own.aligned,
                packed: own.packed,
                line,
                column,
            });
        }
        Ok(members)
    }

    /// `base` as the declarator's pointers and arrays make it.
    fn derived_type(&mut self, base: TypeRef, declarator: &Declarator) -> Read<TypeRef> {
        match self.shaped(Shape::Data(base), declarator)? {
            Shape::Data(ty) => Ok(ty),
            Shape::Function => Err("a function has no layout".to_owned()),
        }
    }

    /// C reads a declarator outward from its name: `*a[3]` is an array of
    /// three pointers, `(*a)[3]` a pointer to an array of three. The
    /// prefix pointers apply to the base first, then the suffixes from the
    /// innermost (rightmost) out; a parenthesised declarator applies last.
    fn shaped(&mut self, base: Shape, declarator: &Declarator) -> Read<Shape> {
        if self.depth >= MAX_DEPTH {
            return Err(format!("declarators nested deeper than {MAX_DEPTH}"));
        }
        let mut shape = base;
        if declarator
            .derived
            .iter()
            .any(|d| matches!(d.node, DerivedDeclarator::Pointer(_) | DerivedDeclarator::Block(_)))
        {
            shape = Shape::Data(TypeRef::Scalar(Scalar::Pointer));
        }
        for derived in declarator.derived.iter().rev() {
            shape = match (&derived.node, shape) {
                (DerivedDeclarator::Pointer(_) | DerivedDeclarator::Block(_), shape) => shape,
                (DerivedDeclarator::Function(_) | DerivedDeclarator::KRFunction(_), _) => Shape::Function,
                (DerivedDeclarator::Array(_), Shape::Function) => return Err("an array of functions".to_owned()),
                (DerivedDeclarator::Array(array), Shape::Data(element)) => {
                    let count = match &array.node.size {
                        ArraySize::Unknown | ArraySize::VariableUnknown => None,
                        ArraySize::VariableExpression(e) | ArraySize::StaticExpression(e) => {
                            Some(self.evaluate_count(e, "array size")?)
                        }
                    };
                    Shape::Data(TypeRef::Array(Box::new(element), count))
                }
            };
        }
        match &declarator.kind.node {
            DeclaratorKind::Declarator(inner) => {
                self.depth += 1;
                let shaped = self.shaped(shape, &inner.node);
                self.depth -= 1;
                shaped
            }
            _ => Ok(shape),
        }
    }
}

/// Whether a member's own declarator points, and at what. A pointer its
/// type name stands for (`voidpf opaque`, `alloc_func zalloc`) is not the
/// declarator's: the listing shows the name as written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Pointing {
    Not,
    /// `char *name`, `char *names[3]`, `char **argv`: how many stars.
    AtTheType(usize),
    /// `int (*compare)(const void *, const void *)`; `char *(*name)(void)`
    /// with the stars of what the function returns.
    AtAFunction(usize),
}

fn pointing(declarator: &Declarator) -> Pointing {
    let mut pointing = Pointing::Not;
    let mut returned_stars = None;
    // Outward in: a function's parentheses hold the pointer to it, and the
    // stars beside its parameters are what it returns. Nesting is bounded
    // by `shaped`, which read this declarator first.
    let mut level = Some(declarator);
    while let Some(declarator) = level {
        let derived = declarator.derived.iter().map(|d| &d.node);
        let is_function =
            derived.clone().any(|d| matches!(d, DerivedDeclarator::Function(_) | DerivedDeclarator::KRFunction(_)));
        let stars =
            derived.filter(|d| matches!(d, DerivedDeclarator::Pointer(_) | DerivedDeclarator::Block(_))).count();
        if is_function && returned_stars.is_none() {
            returned_stars = Some(stars);
        } else if stars > 0 {
            pointing = match (pointing, returned_stars) {
                (_, Some(returned)) => Pointing::AtAFunction(returned),
                (Pointing::AtTheType(outer), None) => Pointing::AtTheType(outer + stars),
                _ => Pointing::AtTheType(stars),
            };
        }
        level = match &declarator.kind.node {
            DeclaratorKind::Declarator(inner) => Some(&inner.node),
            _ => None,
        };
    }
    pointing
}

/// A member's type as a listing shows it: `char *`, `int[2]`, `voidpf`,
/// `int (*)(…)`. Only the declarator's own `dimensions` are written: a
/// typedef of an array (`arr_t a`) is its name alone.
fn written(base: &str, ty: &TypeRef, pointing: Pointing, dimensions: usize) -> String {
    match (ty, pointing) {
        (TypeRef::Array(element, count), _) if dimensions > 0 => {
            let element = written(base, element, pointing, dimensions - 1);
            format!("{element}[{}]", count.map(|n| n.to_string()).unwrap_or_default())
        }
        (TypeRef::Scalar(Scalar::Pointer), Pointing::AtTheType(stars)) => super::parser::pointer_text(base, stars),
        (TypeRef::Scalar(Scalar::Pointer), Pointing::AtAFunction(0)) => super::parser::function_pointer_text(base),
        (TypeRef::Scalar(Scalar::Pointer), Pointing::AtAFunction(returned)) => {
            super::parser::function_pointer_text(&super::parser::pointer_text(base, returned))
        }
        _ => base.to_owned(),
    }
}

/// How many array dimensions the declarator itself writes, nested
/// declarators' too (bounded by `shaped`, which read it first).
fn array_dimensions(declarator: &Declarator) -> usize {
    let own = declarator.derived.iter().filter(|d| matches!(d.node, DerivedDeclarator::Array(_))).count();
    own + match &declarator.kind.node {
        DeclaratorKind::Declarator(inner) => array_dimensions(&inner.node),
        _ => 0,
    }
}

fn declarator_name(declarator: &Declarator) -> Option<String> {
    match &declarator.kind.node {
        DeclaratorKind::Identifier(name) => Some(name.node.name.clone()),
        DeclaratorKind::Declarator(inner) => declarator_name(&inner.node),
        DeclaratorKind::Abstract => None,
    }
}

/// What one specifier of a list contributes.
enum Part<'s> {
    Type(&'s Node<TypeSpecifier>),
    Extensions(&'s [Node<Extension>]),
    Other,
}

fn specifier_qualifier_part(specifier: &SpecifierQualifier) -> Part<'_> {
    match specifier {
        SpecifierQualifier::TypeSpecifier(t) => Part::Type(t),
        SpecifierQualifier::Extension(extensions) => Part::Extensions(extensions),
        SpecifierQualifier::TypeQualifier(_) => Part::Other,
    }
}

/// A declarator's type so far: data, or a function (only a pointer to
/// which has a layout).
enum Shape {
    Data(TypeRef),
    Function,
}

/// The basic type keywords of one declaration.
#[derive(Default)]
#[expect(clippy::struct_excessive_bools, reason = "one flag per keyword of C's basic types")]
struct Counts {
    void: bool,
    char: bool,
    short: bool,
    int: bool,
    long: u8,
    float: bool,
    double: bool,
    signed: bool,
    unsigned: bool,
    bool: bool,
    complex: bool,
}

impl Counts {
    fn scalar(&self) -> Read<(TypeRef, String)> {
        let sign = if self.unsigned { "unsigned " } else { "" };
        let (scalar, text) = if self.void {
            (Scalar::Void, "void".to_owned())
        } else if self.bool {
            (Scalar::Bool, "_Bool".to_owned())
        } else if self.char {
            (Scalar::Char, format!("{sign}char"))
        } else if self.short {
            (Scalar::Short, format!("{sign}short"))
        } else if self.float {
            (Scalar::Float, "float".to_owned())
        } else if self.double && self.long > 0 {
            (Scalar::LongDouble, "long double".to_owned())
        } else if self.double {
            (Scalar::Double, "double".to_owned())
        } else if self.long >= 2 {
            (Scalar::LongLong, format!("{sign}long long"))
        } else if self.long == 1 {
            (Scalar::Long, format!("{sign}long"))
        } else if self.int || self.signed || self.unsigned {
            (Scalar::Int, format!("{sign}int"))
        } else {
            return Err("a declaration without a type".to_owned());
        };
        if self.complex {
            // Laid out as its real and imaginary parts, one after the other.
            return Ok((TypeRef::Array(Box::new(TypeRef::Scalar(scalar)), Some(2)), format!("_Complex {text}")));
        }
        Ok((TypeRef::Scalar(scalar), text))
    }
}
