//! The lab's own reading of a function's prototype, for the text typed in
//! Struct Lab: `int add(int a, int b);`, pointers, arrays and function
//! pointers among the parameters, `(void)`, `...`. What it does not read
//! is passed over as before: a prototype changes no layout.

use super::{
    FunctionDef, MemberDef, Parsed, Parser, Pointee, Scalar, TokenKind, TypeRef, function_pointer_text, pointer_text,
};

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
        let star_consts = self.stars();
        let stars = star_consts.len();
        let (name, token) = self.ident()?;
        if !self.is_punct('(') {
            return Ok(None);
        }
        self.bump();
        let mut function = FunctionDef { internal, ..FunctionDef::declared(name, String::new(), token.line) };
        if stars > 0 || returned != TypeRef::Scalar(Scalar::Void) {
            function.returned_pointee = self.pointee(&returned, &text, &star_consts, false);
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
    fn parameter(&mut self) -> Parsed<(MemberDef, Option<Pointee>)> {
        let (base, text) = self.value_type()?;
        let star_consts = self.stars();
        let stars = star_consts.len();
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
        // What is passed, and what it points at.
        let (ty, ty_text, pointee) = if self.is_punct('[') {
            let dimensions = self.dimensions()?.len();
            let pointee = (dimensions == 1).then(|| self.pointee(&base, &text, &star_consts, true)).flatten();
            (TypeRef::Scalar(Scalar::Pointer), pointer_text(&text, stars + 1), pointee)
        } else if self.is_punct('(') {
            self.skip_balanced()?;
            (TypeRef::Scalar(Scalar::Pointer), function_pointer_text(&text), None)
        } else if stars > 0 {
            let pointee = self.pointee(&base, &text, &star_consts, false);
            (TypeRef::Scalar(Scalar::Pointer), pointer_text(&text, stars), pointee)
        } else {
            (base.clone(), text.clone(), None)
        };
        self.attributes()?;
        Ok((self.passed(name, ty, &text, ty_text), pointee))
    }

    /// What a value of `base` (written `text`) behind stars each `const` or
    /// not as `star_consts` says, in the order written, points at; an array
    /// of them (`char *argv[]`) at its element. `None` where no star is.
    fn pointee(&self, base: &TypeRef, text: &str, star_consts: &[bool], array: bool) -> Option<Pointee> {
        let beyond = usize::from(!array);
        let left = star_consts.len().checked_sub(beyond)?;
        // The star nearest the name is the last written.
        let (ty, shown, constant) = match star_consts.iter().rev().nth(beyond) {
            None => (base.clone(), text.to_owned(), text.starts_with("const ")),
            Some(true) => (TypeRef::Scalar(Scalar::Pointer), pointer_text(text, left) + "const", true),
            Some(false) => (TypeRef::Scalar(Scalar::Pointer), pointer_text(text, left), false),
        };
        Some(Pointee { value: self.passed(None, ty, text, shown), constant })
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

    /// The `*` that come next, in the order written: whether each is `const`.
    fn stars(&mut self) -> Vec<bool> {
        let mut stars = Vec::new();
        while self.is_punct('*') || self.is_ident("const") || self.is_ident("volatile") || self.is_ident("restrict") {
            match self.bump().kind {
                TokenKind::Punct('*') => stars.push(false),
                TokenKind::Ident(ref word) if word == "const" => {
                    if let Some(last) = stars.last_mut() {
                        *last = true;
                    }
                }
                _ => {}
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
