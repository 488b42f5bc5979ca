//! The lab's own reading of a function's prototype, for the text typed in
//! Struct Lab: `int add(int a, int b);`, pointers, arrays and function
//! pointers among the parameters, `(void)`, `...`. What it does not read
//! is passed over as before: a prototype changes no layout.

use super::{FunctionDef, MemberDef, Parsed, Parser, Scalar, TokenKind, TypeRef, function_pointer_text, pointer_text};

impl Parser {
    /// The function declared from here (its specifiers) to its `;` or past
    /// its body, which the parser is then past; `None`, and the parser
    /// where it was, if this is no prototype it reads.
    pub(super) fn prototype(&mut self, internal: bool) -> Option<FunctionDef> {
        let start = self.at;
        if let Ok(Some(function)) = self.read_prototype(internal) {
            Some(function)
        } else {
            self.at = start;
            None
        }
    }

    fn read_prototype(&mut self, internal: bool) -> Parsed<Option<FunctionDef>> {
        let (returned, text) = self.value_type()?;
        let stars = self.stars();
        let (name, token) = self.ident()?;
        if !self.is_punct('(') {
            return Ok(None);
        }
        self.bump();
        let mut function = FunctionDef { internal, ..FunctionDef::declared(name, String::new(), token.line) };
        if stars > 0 || returned != TypeRef::Scalar(Scalar::Void) {
            function.returned_pointee = self.pointee(&returned, stars);
            let (ty, ty_text) = if stars > 0 {
                (TypeRef::Scalar(Scalar::Pointer), pointer_text(&text, stars))
            } else {
                (returned, text.clone())
            };
            function.returns = Some(self.passed(None, ty, &text, ty_text));
        }
        self.parameters(&mut function)?;
        self.attributes()?;
        if self.is_punct(';') {
            self.bump();
        } else if self.is_punct('{') {
            // A header's inline function: its body is passed over, braces and all.
            self.skip_declaration();
        } else {
            return Ok(None);
        }
        Ok(Some(function))
    }

    /// The parameter list after its `(`, to its `)`.
    fn parameters(&mut self, function: &mut FunctionDef) -> Parsed<()> {
        if self.is_punct(')') {
            self.bump();
            function.unprototyped = true;
            return Ok(());
        }
        if self.is_ident("void") && self.peek_at(1).kind == TokenKind::Punct(')') {
            self.bump();
            self.bump();
            return Ok(());
        }
        loop {
            if self.is_punct('.') {
                for _ in 0..3 {
                    self.expect_punct('.')?;
                }
                function.variadic = true;
                return self.expect_punct(')');
            }
            let (parameter, pointee) = self.parameter()?;
            function.parameters.push(parameter);
            function.parameter_pointees.push(pointee);
            if self.is_punct(',') {
                self.bump();
                continue;
            }
            return self.expect_punct(')');
        }
    }

    /// One parameter, adjusted as C adjusts it (an array is a pointer, and
    /// so is a function), and the record it points at if it does.
    fn parameter(&mut self) -> Parsed<(MemberDef, Option<String>)> {
        let (base, text) = self.value_type()?;
        let stars = self.stars();
        if self.is_punct('(') {
            // `int (*each)(int)`: a pointer to a function, its stars what it returns.
            self.skip_balanced()?;
            self.skip_balanced()?;
            let returns = if stars > 0 { pointer_text(&text, stars) } else { text.clone() };
            let pointer = TypeRef::Scalar(Scalar::Pointer);
            return Ok((self.passed(None, pointer, &text, function_pointer_text(&returns)), None));
        }
        let name = match &self.peek().kind {
            TokenKind::Ident(name) => Some(name.clone()),
            _ => None,
        };
        if name.is_some() {
            self.bump();
        }
        // What is passed, and how many stars lead from it to `base`.
        let (ty, ty_text, passed_stars) = if self.is_punct('[') {
            self.dimensions()?;
            (TypeRef::Scalar(Scalar::Pointer), pointer_text(&text, stars + 1), Some(stars + 1))
        } else if self.is_punct('(') {
            self.skip_balanced()?;
            (TypeRef::Scalar(Scalar::Pointer), function_pointer_text(&text), None)
        } else if stars > 0 {
            (TypeRef::Scalar(Scalar::Pointer), pointer_text(&text, stars), Some(stars))
        } else {
            (base.clone(), text.clone(), None)
        };
        self.attributes()?;
        let pointee = passed_stars.and_then(|stars| self.pointee(&base, stars));
        Ok((self.passed(name, ty, &text, ty_text), pointee))
    }

    /// The record a value of `base` behind `stars` stars points at: `struct s *p`.
    fn pointee(&self, base: &TypeRef, stars: usize) -> Option<String> {
        match base {
            TypeRef::Record(id) if stars == 1 => self.records.get(*id).map(|record| record.name.clone()),
            _ => None,
        }
    }

    /// A parameter's or a returned value's type from its specifiers, as
    /// written with its `const`.
    fn value_type(&mut self) -> Parsed<(TypeRef, String)> {
        let start = self.at;
        let (ty, text, _) = self.specifiers()?;
        let constant =
            self.tokens[start..self.at].iter().any(|t| matches!(&t.kind, TokenKind::Ident(w) if w == "const"));
        Ok((ty, if constant { format!("const {text}") } else { text }))
    }

    /// How many `*` come next, their qualifiers passed over.
    fn stars(&mut self) -> usize {
        let mut stars = 0;
        while self.is_punct('*') || self.is_ident("const") || self.is_ident("volatile") || self.is_ident("restrict") {
            if self.bump().kind == TokenKind::Punct('*') {
                stars += 1;
            }
        }
        stars
    }

    /// A value of type `ty` as a member is held, its integer's kind read from `text`.
    fn passed(&self, name: Option<String>, ty: TypeRef, text: &str, ty_text: String) -> MemberDef {
        let spelled = text.strip_prefix("const ").unwrap_or(text);
        MemberDef {
            name,
            ty,
            ty_text,
            unsigned: self.spelled_unsigned(spelled),
            enumeration: self.spelled_enum(spelled),
            bit_width: None,
            aligned: None,
            packed: false,
            line: 0,
            column: 0,
        }
    }
}
