//! C's integer constant expressions, as array lengths, bitfield widths,
//! alignments and enumerator values are written: every operator C allows
//! there but the casts and `sizeof`, whose values depend on the target,
//! and the enumerators defined above. Values are computed exactly, wider
//! than any C type; one that leaves the 64-bit range is an error, as is a
//! division by zero or a shift past 63 bits.

use super::{Parsed, Parser};
use crate::layout::lab::lexer::{ParseError, Token, TokenKind};

/// Deepest nesting of parentheses and unary operators accepted (C asks
/// compilers for 63 levels of parentheses): deeper input is refused, not
/// recursed into, as each level takes a dozen calls.
const MAX_NESTING: usize = 64;

/// The binary operators, loosest first: each level's operands are the next.
const LEVELS: [&[&str]; 10] = [
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<=", ">=", "<", ">"],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

impl Parser {
    /// A constant that must not be negative: an array's length, a
    /// bitfield's width, an alignment.
    pub(super) fn constant(&mut self) -> Parsed<u64> {
        let start = self.peek().clone();
        let value = self.constant_value()?;
        u64::try_from(value).or_else(|_| self.error(&start, format!("{value} is negative here")))
    }

    /// A constant expression's value, conditional operator included.
    pub(super) fn constant_value(&mut self) -> Parsed<i128> {
        self.nested(|parser| {
            let condition = parser.binary_level(0)?;
            if !parser.is_punct('?') {
                return Ok(condition);
            }
            parser.bump();
            let then = parser.constant_value()?;
            parser.expect_punct(':')?;
            let otherwise = parser.constant_value()?;
            Ok(if condition != 0 { then } else { otherwise })
        })
    }

    /// `operand (op operand)*` for the operators of `LEVELS[level]`, left to right.
    fn binary_level(&mut self, level: usize) -> Parsed<i128> {
        let operand = |parser: &mut Self| {
            if level + 1 < LEVELS.len() { parser.binary_level(level + 1) } else { parser.unary() }
        };
        let mut value = operand(self)?;
        while let Some(op) = LEVELS[level].iter().copied().find(|op| self.is_operator(op)) {
            let token = self.peek().clone();
            self.at += op.len();
            let rhs = operand(self)?;
            value = apply(op, value, rhs).map_err(|why| at(&token, why))?;
        }
        Ok(value)
    }

    fn unary(&mut self) -> Parsed<i128> {
        let token = self.peek().clone();
        let TokenKind::Punct(op @ ('-' | '+' | '~' | '!')) = token.kind else {
            return self.primary();
        };
        self.bump();
        let value = self.nested(Self::unary)?;
        let result = match op {
            '-' => value.checked_neg(),
            '+' => Some(value),
            '~' => Some(!value),
            _ => Some(i128::from(value == 0)),
        };
        result.filter(|v| in_range(*v)).ok_or_else(|| at(&token, "constant out of range".into()))
    }

    fn primary(&mut self) -> Parsed<i128> {
        let token = self.bump();
        match &token.kind {
            TokenKind::Number(n) => Ok(i128::from(*n)),
            TokenKind::Punct('(') => {
                let value = self.constant_value()?;
                self.expect_punct(')')?;
                Ok(value)
            }
            TokenKind::Ident(name) if name == "sizeof" || name == "_Alignof" || name == "__alignof__" => self.error(
                &token,
                format!(
                    "`{name}` is read only through the compilers: add a line such as `#include <stddef.h>` \
                     above to have them preprocess this text"
                ),
            ),
            TokenKind::Ident(name) => match self.enumerators.get(name) {
                Some(&value) => Ok(value),
                None => self.error(&token, format!("`{name}` is not a constant defined above")),
            },
            _ => self.error(&token, "expected an integer constant"),
        }
    }

    /// Whether the next tokens spell `op`, its characters side by side.
    fn is_operator(&self, op: &str) -> bool {
        let first = self.peek();
        op.chars().enumerate().all(|(i, c)| {
            let token = self.peek_at(i);
            token.kind == TokenKind::Punct(c) && token.line == first.line && token.column == first.column + i
        }) && !self.continues_past(op)
    }

    /// `<` is not `<=`'s start, nor `&` `&&`'s: the operator is longest match.
    fn continues_past(&self, op: &str) -> bool {
        let next = self.peek_at(op.len());
        let last = self.peek_at(op.len() - 1);
        let adjacent = next.line == last.line && next.column == last.column + 1;
        let longer = matches!(
            (op, &next.kind),
            ("<" | ">", TokenKind::Punct('='))
                | ("<", TokenKind::Punct('<'))
                | (">", TokenKind::Punct('>'))
                | ("&", TokenKind::Punct('&'))
                | ("|", TokenKind::Punct('|'))
        );
        adjacent && longer
    }

    /// Runs `inner` one level deeper, refusing input nested past [`MAX_NESTING`].
    fn nested(&mut self, inner: impl FnOnce(&mut Self) -> Parsed<i128>) -> Parsed<i128> {
        if self.expression_depth >= MAX_NESTING {
            let token = self.peek().clone();
            return self.error(&token, "constant expression nested too deeply");
        }
        self.expression_depth += 1;
        let value = inner(self);
        self.expression_depth -= 1;
        value
    }
}

fn apply(op: &str, lhs: i128, rhs: i128) -> Result<i128, String> {
    let value = match op {
        "||" => Some(i128::from(lhs != 0 || rhs != 0)),
        "&&" => Some(i128::from(lhs != 0 && rhs != 0)),
        "|" => Some(lhs | rhs),
        "^" => Some(lhs ^ rhs),
        "&" => Some(lhs & rhs),
        "==" => Some(i128::from(lhs == rhs)),
        "!=" => Some(i128::from(lhs != rhs)),
        "<=" => Some(i128::from(lhs <= rhs)),
        ">=" => Some(i128::from(lhs >= rhs)),
        "<" => Some(i128::from(lhs < rhs)),
        ">" => Some(i128::from(lhs > rhs)),
        "<<" | ">>" => {
            let Ok(shift @ 0..64) = u32::try_from(rhs) else {
                return Err(format!("a shift by {rhs} bits: a 64-bit integer shifts by 0 to 63"));
            };
            if op == "<<" { lhs.checked_shl(shift) } else { Some(lhs >> shift) }
        }
        "+" => lhs.checked_add(rhs),
        "-" => lhs.checked_sub(rhs),
        "*" => lhs.checked_mul(rhs),
        _ if rhs == 0 => return Err("division by zero".into()),
        "/" => lhs.checked_div(rhs),
        _ => lhs.checked_rem(rhs),
    };
    value.filter(|v| in_range(*v)).ok_or_else(|| "constant out of range".into())
}

/// Within what C's widest integer types hold: `long long` and `unsigned long long`.
fn in_range(value: i128) -> bool {
    (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&value)
}

fn at(token: &Token, message: String) -> ParseError {
    ParseError { line: token.line, column: token.column, message }
}
