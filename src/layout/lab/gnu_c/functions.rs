//! The functions a header declares: each one's return type and parameters,
//! read as C adjusts them (an array or function parameter is the pointer C
//! passes, a transparent union its first member), the record each pointer
//! points at, and the symbol an `__asm__` label gives, for a Rust binding's
//! `extern "C"` declarations to be compared with.

use lang_c::ast::{
    DeclarationSpecifier, Declarator, DeclaratorKind, DerivedDeclarator, Ellipsis, Extension, FunctionDefinition,
    ParameterDeclaration, PointerQualifier, StorageClassSpecifier, TypeQualifier,
};
use lang_c::span::Node;

use super::{Attributes, Part, Pointing, Read, Reader, Shape, array_dimensions, declarator_name, pointing, written};
use crate::layout::lab::parser::{
    FunctionDef, MemberDef, Pointee, Scalar, TypeRef, array_parameter_text, function_pointer_text, pointer_text,
};

/// What a declarator makes of its name.
enum NameIs<'d> {
    /// A function: the declarator without that derivation (what declares
    /// its return type), and the derivation, with the parameters.
    Function(Declarator, &'d DerivedDeclarator),
    /// Data: a variable, a pointer to a function, an array.
    Data,
    /// Nothing yet: a parenthesised name (`(f)`), decided a level out.
    Undecided,
}

/// C reads a name's type from the name outward: the suffix nearest the
/// name, failing one its pointers, at the innermost level that derives it.
fn name_is(declarator: &Declarator) -> NameIs<'_> {
    if let DeclaratorKind::Declarator(inner) = &declarator.kind.node {
        match name_is(&inner.node) {
            NameIs::Function(stripped, function) => {
                let mut outer = declarator.clone();
                outer.kind.node = DeclaratorKind::Declarator(Box::new(Node { node: stripped, span: inner.span }));
                return NameIs::Function(outer, function);
            }
            NameIs::Data => return NameIs::Data,
            NameIs::Undecided => {}
        }
    }
    let is_pointer =
        |d: &Node<DerivedDeclarator>| matches!(d.node, DerivedDeclarator::Pointer(_) | DerivedDeclarator::Block(_));
    match declarator.derived.iter().position(|d| !is_pointer(d)) {
        Some(at) => match &declarator.derived[at].node {
            function @ (DerivedDeclarator::Function(_) | DerivedDeclarator::KRFunction(_)) => {
                let mut stripped = declarator.clone();
                stripped.derived.remove(at);
                NameIs::Function(stripped, function)
            }
            _ => NameIs::Data,
        },
        None if declarator.derived.is_empty() => NameIs::Undecided,
        None => NameIs::Data,
    }
}

/// The symbol `__asm__("" "name")` after the declarator names, its pieces joined.
fn asm_label(declarator: &Declarator) -> Option<String> {
    declarator.extensions.iter().find_map(|extension| match &extension.node {
        Extension::AsmLabel(label) => {
            let joined: String = label.node.iter().map(|piece| piece.trim_matches('"')).collect();
            Some(joined).filter(|symbol| !symbol.is_empty())
        }
        _ => None,
    })
}

/// Whether the specifiers qualify the type `const`.
pub(super) fn is_const(specifiers: &[Node<DeclarationSpecifier>]) -> bool {
    specifiers
        .iter()
        .any(|s| matches!(&s.node, DeclarationSpecifier::TypeQualifier(q) if q.node == TypeQualifier::Const))
}

/// The type as written with its `const`.
fn qualified(text: &str, constant: bool) -> String {
    if constant { format!("const {text}") } else { text.to_owned() }
}

/// Whether the specifiers declare with internal linkage.
fn is_static(specifiers: &[Node<DeclarationSpecifier>]) -> bool {
    specifiers
        .iter()
        .any(|s| matches!(&s.node, DeclarationSpecifier::StorageClass(c) if c.node == StorageClassSpecifier::Static))
}

impl Reader<'_> {
    /// A function defined in the header (`static inline int f(…) { … }`),
    /// kept as its declaration would be. A type its specifiers name that
    /// cannot be read leaves it out: no layout depends on it.
    pub(super) fn function_definition(&mut self, definition: &FunctionDefinition) {
        let read = self
            .specifier_parts(&definition.specifiers, |s| match s {
                DeclarationSpecifier::TypeSpecifier(t) => Part::Type(t),
                DeclarationSpecifier::Extension(extensions) => Part::Extensions(extensions),
                _ => Part::Other,
            })
            .and_then(|(types, attributes)| self.specified_type(&types, &attributes));
        self.failed_at = None;
        if let Ok((base, text)) = read
            && let Some(function) = self.function((&base, &text), &definition.specifiers, &definition.declarator)
        {
            self.functions.push(function);
        }
    }

    /// The function `declarator` declares, returning `base` (written
    /// `text`) as its own derivations make it; `None` when it declares
    /// data. A type it cannot read is said in the function's `unread`,
    /// never as an error of the header: no layout depends on it.
    pub(super) fn function(
        &mut self,
        (base, text): (&TypeRef, &str),
        specifiers: &[Node<DeclarationSpecifier>],
        declarator: &Node<Declarator>,
    ) -> Option<FunctionDef> {
        let NameIs::Function(returning, derivation) = name_is(&declarator.node) else { return None };
        let name = declarator_name(&declarator.node)?;
        let at = self.declared_at(declarator.span.start);
        let mut function = FunctionDef {
            asm_label: asm_label(&declarator.node),
            internal: is_static(specifiers),
            ..FunctionDef::declared(name, at.file, at.line)
        };
        let constant = is_const(specifiers);
        let read = self.returned(base, (text, constant), &returning).and_then(|returns| {
            function.returned_pointee =
                returns.as_ref().and_then(|_| self.pointee((base, text, constant), Some(&returning)));
            function.returns = returns;
            match derivation {
                DerivedDeclarator::Function(list) => {
                    function.variadic = list.node.ellipsis == Ellipsis::Some;
                    let read = self.parameters(&list.node.parameters)?;
                    (function.parameters, function.parameter_pointees) = read.into_iter().unzip();
                }
                _ => function.unprototyped = true,
            }
            Ok(())
        });
        if let Err(why) = read {
            self.failed_at = None;
            function.unread = Some(why);
        }
        Some(function)
    }

    /// What a function whose declarator, without its own parameters, is
    /// `returning` gives back: `None` for `void`.
    fn returned(
        &mut self,
        base: &TypeRef,
        (text, constant): (&str, bool),
        returning: &Declarator,
    ) -> Read<Option<MemberDef>> {
        let ty = match self.shaped(Shape::Data(base.clone()), returning)? {
            Shape::Data(ty) => ty,
            Shape::Function => return Err("a function returning a function, which C refuses".to_owned()),
        };
        if ty == TypeRef::Scalar(Scalar::Void) {
            return Ok(None);
        }
        let ty_text = written(&qualified(text, constant), &ty, pointing(returning), array_dimensions(returning));
        Ok(Some(self.value(None, ty, text, ty_text)))
    }

    /// A prototype's parameters, adjusted as C adjusts them, each with what
    /// it points at if it is a pointer to data; `(void)` is none.
    fn parameters(&mut self, parameters: &[Node<ParameterDeclaration>]) -> Read<Vec<(MemberDef, Option<Pointee>)>> {
        let mut read = Vec::with_capacity(parameters.len());
        for parameter in parameters {
            let (types, attributes) = self.specifier_parts(&parameter.node.specifiers, |s| match s {
                DeclarationSpecifier::TypeSpecifier(t) => Part::Type(t),
                DeclarationSpecifier::Extension(extensions) => Part::Extensions(extensions),
                _ => Part::Other,
            })?;
            let (base, text) = self.specified_type(&types, &Attributes { vector_size: None, ..attributes })?;
            // As written, `const` and all: the class reads the words it needs.
            let constant = is_const(&parameter.node.specifiers);
            let shown = qualified(&text, constant);
            let Some(declarator) = &parameter.node.declarator else {
                if base == TypeRef::Scalar(Scalar::Void) && parameters.len() == 1 {
                    return Ok(Vec::new());
                }
                let pointee = self.pointee((&base, &text, constant), None);
                let mut value = self.value(None, base, &text, shown);
                self.pass_transparent_union(&mut value);
                read.push((value, pointee));
                continue;
            };
            let declarator = &declarator.node;
            let name = declarator_name(declarator);
            let pointee = self.pointee((&base, &text, constant), Some(declarator));
            // An array parameter is a pointer, whatever its length says
            // (`double a[n]` names another parameter): it is not evaluated.
            let (ty, ty_text) = match name_is(declarator) {
                NameIs::Function(..) => (TypeRef::Scalar(Scalar::Pointer), function_pointer_text(&shown)),
                _ if passes_an_array(declarator) => {
                    (TypeRef::Scalar(Scalar::Pointer), self.array_as_pointer(&base, &shown, declarator))
                }
                _ => match self.shaped(Shape::Data(base), declarator)? {
                    Shape::Data(ty) => {
                        let ty_text = written(&shown, &ty, pointing(declarator), array_dimensions(declarator));
                        (ty, ty_text)
                    }
                    Shape::Function => (TypeRef::Scalar(Scalar::Pointer), function_pointer_text(&shown)),
                },
            };
            let mut value = self.value(name, ty, &text, ty_text);
            self.pass_transparent_union(&mut value);
            read.push((value, pointee));
        }
        Ok(read)
    }

    /// What a value of `base` (written `text`, `const` if `constant`) as
    /// `declarator` makes it points at, as C passes it: `char *s` at a
    /// `char`, `char *argv[]` at a `char *`, `sp p` at what `typedef struct
    /// s *sp;` does. `None` for anything but a pointer to data (a function
    /// pointer, a function, an array of arrays).
    pub(super) fn pointee(
        &self,
        (base, text, base_constant): (&TypeRef, &str, bool),
        declarator: Option<&Declarator>,
    ) -> Option<Pointee> {
        let Some(declarator) = declarator else { return self.pointer_typedefs.get(text).cloned() };
        // An array of arrays, or a pointer to an array (`int (*rows)[4]`),
        // points at an array: not compared.
        let an_array = passes_an_array(declarator);
        if matches!(name_is(declarator), NameIs::Function(..)) || array_dimensions(declarator) > usize::from(an_array) {
            return None;
        }
        // Each star's `const`, the star nearest the name first; an array
        // parameter is a pointer to its element, a star nearer than them all.
        let stars = match pointing(declarator) {
            Pointing::AtTheType(_) | Pointing::Not => stars_from_the_name(declarator),
            Pointing::AtAFunction(_) => return None,
        };
        let beyond = usize::from(!an_array);
        let Some(left) = stars.len().checked_sub(beyond) else { return self.pointer_typedefs.get(text).cloned() };
        let base_shown = qualified(text, base_constant);
        let (ty, shown, constant) = match left {
            0 => (base.clone(), base_shown, base_constant),
            _ if stars[beyond] => (TypeRef::Scalar(Scalar::Pointer), pointer_text(&base_shown, left) + "const", true),
            _ => (TypeRef::Scalar(Scalar::Pointer), pointer_text(&base_shown, left), false),
        };
        Some(Pointee { value: self.value(None, ty, text, shown), constant })
    }

    /// An array parameter as the pointer C passes, written: `char *` of
    /// `char name[16]`, `char **` of `char *argv[]`, `double (*)[3]` of
    /// `double grid[2][3]`. Only an array of arrays is shaped, for its
    /// element's length: the outer length is not evaluated (`double a[n]`
    /// names another parameter).
    fn array_as_pointer(&mut self, base: &TypeRef, text: &str, declarator: &Declarator) -> String {
        let dimensions = array_dimensions(declarator);
        if dimensions > 1
            && let Ok(Shape::Data(TypeRef::Array(element, _))) = self.shaped(Shape::Data(base.clone()), declarator)
        {
            return array_parameter_text(&written(text, &element, pointing(declarator), dimensions - 1));
        }
        self.failed_at = None;
        let stars = declarator.derived.iter().filter(|d| matches!(d.node, DerivedDeclarator::Pointer(_))).count();
        pointer_text(text, stars + 1)
    }

    /// A parameter of a `__transparent_union__` type (glibc's
    /// `__SOCKADDR_ARG`) is passed as the union's first member is: its
    /// type, as written, stays the union's.
    fn pass_transparent_union(&self, value: &mut MemberDef) {
        if let TypeRef::Record(id) = value.ty
            && self.transparent_unions.contains(&id)
            && let Some(first) = self.records.get(id).and_then(|union| union.members.first())
        {
            value.ty = first.ty.clone();
            value.unsigned = first.unsigned;
            value.enumeration = first.enumeration;
        }
    }

    /// A parameter or returned value as a member: its integer's kind read from its base type `text`.
    fn value(&self, name: Option<String>, ty: TypeRef, text: &str, ty_text: String) -> MemberDef {
        MemberDef {
            name,
            ty,
            ty_text,
            unsigned: self.is_unsigned(text),
            enumeration: self.is_enum(text),
            bit_width: None,
            aligned: None,
            packed: false,
            line: 0,
            column: 0,
        }
    }
}

/// Whether each pointer the declarator derives is `const`, the one nearest
/// the name first (`char *const *p`: `false`, `true`).
fn stars_from_the_name(declarator: &Declarator) -> Vec<bool> {
    let mut stars = match &declarator.kind.node {
        DeclaratorKind::Declarator(inner) => stars_from_the_name(&inner.node),
        _ => Vec::new(),
    };
    let own = declarator.derived.iter().rev().filter_map(|d| match &d.node {
        DerivedDeclarator::Pointer(qualifiers) | DerivedDeclarator::Block(qualifiers) => Some(
            qualifiers
                .iter()
                .any(|q| matches!(&q.node, PointerQualifier::TypeQualifier(t) if t.node == TypeQualifier::Const)),
        ),
        _ => None,
    });
    stars.extend(own);
    stars
}

/// Whether the parameter's own outermost derivation is an array, which C passes as a pointer.
fn passes_an_array(declarator: &Declarator) -> bool {
    let mut level = declarator;
    loop {
        if let DeclaratorKind::Declarator(inner) = &level.kind.node
            && inner_derives(&inner.node)
        {
            level = &inner.node;
            continue;
        }
        let is_pointer = |d: &&Node<DerivedDeclarator>| {
            matches!(d.node, DerivedDeclarator::Pointer(_) | DerivedDeclarator::Block(_))
        };
        return level
            .derived
            .iter()
            .find(|d| !is_pointer(d))
            .is_some_and(|d| matches!(d.node, DerivedDeclarator::Array(_)));
    }
}

/// Whether a nested declarator derives its name's type itself.
fn inner_derives(declarator: &Declarator) -> bool {
    !declarator.derived.is_empty()
        || matches!(&declarator.kind.node, DeclaratorKind::Declarator(inner) if inner_derives(&inner.node))
}
