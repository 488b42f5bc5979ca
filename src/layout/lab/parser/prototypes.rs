//! The lab's own reading of a function's prototype, for the text typed in
//! Struct Lab: `int add(int a, int b);`, pointers, arrays and function
//! pointers among the parameters, `(void)`, `...`. What it does not read
//! is passed over as before: a prototype changes no layout.

use super::{
    FunctionDef, MemberDef, Parsed, Parser, Pointee, Scalar, TokenKind, TypeRef, array_parameter_text, dimensions_text,
    function_pointer_text, pointer_text,
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
        if self.is_punct('(') {
            return self.returning_a_function_pointer(internal, &text, stars);
        }
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
        self.declaration_end(function)
    }

    /// `void (*signal(int sig, void (*handler)(int)))(int);`, from its `(`:
    /// a function returning a pointer to a function that returns `text`
    /// behind `stars` stars.
    fn returning_a_function_pointer(
        &mut self,
        internal: bool,
        text: &str,
        stars: usize,
    ) -> Parsed<Option<FunctionDef>> {
        self.bump();
        if self.stars().len() != 1 {
            return Ok(None);
        }
        let (name, token) = self.ident()?;
        if !self.is_punct('(') {
            return Ok(None);
        }
        self.bump();
        let mut function = FunctionDef { internal, ..FunctionDef::declared(name, String::new(), token.line) };
        self.parameters(&mut function)?;
        self.expect_punct(')')?;
        if !self.is_punct('(') {
            return Ok(None);
        }
        // What the function pointed at takes: not compared.
        self.skip_balanced()?;
        let returns = if stars > 0 { pointer_text(text, stars) } else { text.to_owned() };
        let pointer = TypeRef::Scalar(Scalar::Pointer);
        function.returns = Some(self.passed(None, pointer, text, function_pointer_text(&returns)));
        self.declaration_end(function)
    }

    /// After a prototype's parameters: its attributes, and its `;` or the
    /// body of a header's inline function, passed over braces and all.
    fn declaration_end(&mut self, function: FunctionDef) -> Parsed<Option<FunctionDef>> {
        self.attributes()?;
        if self.is_punct(';') {
            self.bump();
        } else if self.is_punct('{') {
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
    /// so is a function), and what it points at if it does.
    fn parameter(&mut self) -> Parsed<(MemberDef, Option<Pointee>)> {
        let (base, text) = self.value_type()?;
        let star_consts = self.stars();
        let stars = star_consts.len();
        let pointer = TypeRef::Scalar(Scalar::Pointer);
        let element = if stars > 0 { pointer_text(&text, stars) } else { text.clone() };
        if self.is_punct('(') {
            return self.parenthesised_parameter(&text, &element);
        }
        let name = self.parameter_name();
        // What is passed, and what it points at.
        let (ty, ty_text, pointee) = if self.is_punct('[') {
            let dims = self.dimensions()?;
            let pointee = (dims.len() == 1).then(|| self.pointee(&base, &text, &star_consts, true)).flatten();
            (pointer, array_parameter_text(&format!("{element}{}", dimensions_text(&dims[1..]))), pointee)
        } else if self.is_punct('(') {
            self.skip_balanced()?;
            (pointer, function_pointer_text(&text), None)
        } else if stars > 0 {
            (pointer, element, self.pointee(&base, &text, &star_consts, false))
        } else {
            (base.clone(), text.clone(), None)
        };
        self.attributes()?;
        Ok((self.passed(name, ty, &text, ty_text), pointee))
    }

    /// The parameter's name, if one comes next.
    fn parameter_name(&mut self) -> Option<String> {
        let TokenKind::Ident(name) = &self.peek().kind else { return None };
        let name = name.clone();
        self.bump();
        Some(name)
    }

    /// A parameter whose declarator is parenthesised, from its `(`:
    /// `int (*each)(int)`, a pointer to a function returning `element`;
    /// `int (*rows)[4]`, a pointer to an array of them. What either points
    /// at is not compared.
    fn parenthesised_parameter(&mut self, text: &str, element: &str) -> Parsed<(MemberDef, Option<Pointee>)> {
        self.expect_punct('(')?;
        let inner = self.stars().len();
        let name = self.parameter_name();
        // An array of function pointers is passed as a pointer all the same.
        if self.is_punct('[') {
            self.dimensions()?;
        }
        self.expect_punct(')')?;
        let ty_text = if self.is_punct('[') {
            let dims = self.dimensions()?;
            let pointed = format!("{element}{}", dimensions_text(&dims));
            if inner == 1 { array_parameter_text(&pointed) } else { pointer_text(&pointed, inner) }
        } else if self.is_punct('(') {
            self.skip_balanced()?;
            function_pointer_text(element)
        } else {
            pointer_text(element, inner)
        };
        self.attributes()?;
        Ok((self.passed(name, TypeRef::Scalar(Scalar::Pointer), text, ty_text), None))
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
