//! Integer constant expressions, as the compiler evaluates them where a
//! layout needs one: array bounds, bitfield widths, enumerator values and
//! alignments, with `sizeof`, `_Alignof` and `offsetof` on the target.

use lang_c::ast::{BinaryOperator, Constant, Expression, IntegerBase, OffsetMember, OffsetOfExpression, UnaryOperator};
use lang_c::span::Node;

use super::{MAX_DEPTH, Read, Reader};
use crate::layout::lab::engine;
use crate::layout::lab::macro_values::character_literal;
use crate::layout::lab::parser::{RecordDef, TypeRef};

impl Reader<'_> {
    /// A constant that counts something (`what`: an array size, a bit
    /// width, an alignment), so neither negative nor past 64 bits.
    pub(super) fn evaluate_count(&mut self, expression: &Node<Expression>, what: &str) -> Read<u64> {
        let value = self.evaluate(expression)?;
        u64::try_from(value).map_err(|_| {
            self.failed_at.get_or_insert(expression.span.start);
            if value < 0 { format!("a negative {what}") } else { format!("{what} {value} is too large") }
        })
    }

    /// An integer constant expression, as the compiler evaluates it. The
    /// innermost part that cannot be evaluated is where its error is said.
    pub(super) fn evaluate(&mut self, expression: &Node<Expression>) -> Read<i128> {
        if self.depth >= MAX_DEPTH {
            return Err(format!("an expression nested deeper than {MAX_DEPTH}"));
        }
        self.depth += 1;
        let value = self.evaluate_inner(&expression.node);
        self.depth -= 1;
        if value.is_err() && self.failed_at.is_none() {
            self.failed_at = Some(expression.span.start);
        }
        value
    }

    fn evaluate_inner(&mut self, expression: &Expression) -> Read<i128> {
        let overflow = || "the value does not fit".to_owned();
        Ok(match expression {
            Expression::Constant(constant) => match &constant.node {
                Constant::Integer(integer) => {
                    let radix = match integer.base {
                        IntegerBase::Decimal => 10,
                        IntegerBase::Octal => 8,
                        IntegerBase::Hexadecimal => 16,
                        IntegerBase::Binary => 2,
                    };
                    i128::from_str_radix(&integer.number, radix).map_err(|_| overflow())?
                }
                Constant::Character(text) => {
                    let quoted = text.trim_start_matches(['L', 'u', 'U']);
                    character_literal(quoted)
                        .filter(|(_, used)| *used == quoted.len())
                        .map(|(value, _)| value)
                        .ok_or_else(|| format!("the character constant {text}, which this does not read"))?
                }
                Constant::Float(_) => return Err("a floating constant where an integer is needed".to_owned()),
            },
            Expression::Identifier(name) => *self
                .constants
                .get(&name.node.name)
                .ok_or_else(|| format!("`{}` is not a constant this header declares", name.node.name))?,
            Expression::SizeOfTy(ty) => {
                let (ty, _) = self.type_name(&ty.node.0.node)?;
                i128::from(self.size_and_align(&ty)?.0)
            }
            Expression::AlignOf(ty) => {
                let (ty, _) = self.type_name(&ty.node.0.node)?;
                i128::from(self.size_and_align(&ty)?.1)
            }
            Expression::Cast(cast) => self.evaluate(&cast.node.expression)?,
            Expression::UnaryOperator(unary) => {
                let operand = self.evaluate(&unary.node.operand)?;
                match unary.node.operator.node {
                    UnaryOperator::Plus => operand,
                    UnaryOperator::Minus => -operand,
                    UnaryOperator::Complement => !operand,
                    UnaryOperator::Negate => i128::from(operand == 0),
                    _ => return Err("an operator a constant cannot have".to_owned()),
                }
            }
            Expression::Conditional(conditional) => {
                if self.evaluate(&conditional.node.condition)? != 0 {
                    self.evaluate(&conditional.node.then_expression)?
                } else {
                    self.evaluate(&conditional.node.else_expression)?
                }
            }
            Expression::BinaryOperator(binary) => {
                let lhs = self.evaluate(&binary.node.lhs)?;
                let rhs = self.evaluate(&binary.node.rhs)?;
                let shift = || u32::try_from(rhs).ok().filter(|&s| s < 127).ok_or_else(overflow);
                match binary.node.operator.node {
                    BinaryOperator::Multiply => lhs.checked_mul(rhs).ok_or_else(overflow)?,
                    BinaryOperator::Divide => lhs.checked_div(rhs).ok_or("a division by zero")?,
                    BinaryOperator::Modulo => lhs.checked_rem(rhs).ok_or("a division by zero")?,
                    BinaryOperator::Plus => lhs.checked_add(rhs).ok_or_else(overflow)?,
                    BinaryOperator::Minus => lhs.checked_sub(rhs).ok_or_else(overflow)?,
                    BinaryOperator::ShiftLeft => lhs.checked_shl(shift()?).ok_or_else(overflow)?,
                    BinaryOperator::ShiftRight => lhs >> shift()?,
                    BinaryOperator::Less => i128::from(lhs < rhs),
                    BinaryOperator::Greater => i128::from(lhs > rhs),
                    BinaryOperator::LessOrEqual => i128::from(lhs <= rhs),
                    BinaryOperator::GreaterOrEqual => i128::from(lhs >= rhs),
                    BinaryOperator::Equals => i128::from(lhs == rhs),
                    BinaryOperator::NotEquals => i128::from(lhs != rhs),
                    BinaryOperator::BitwiseAnd => lhs & rhs,
                    BinaryOperator::BitwiseXor => lhs ^ rhs,
                    BinaryOperator::BitwiseOr => lhs | rhs,
                    BinaryOperator::LogicalAnd => i128::from(lhs != 0 && rhs != 0),
                    BinaryOperator::LogicalOr => i128::from(lhs != 0 || rhs != 0),
                    _ => return Err("an operator a constant cannot have".to_owned()),
                }
            }
            Expression::OffsetOf(offset_of) => self.offset_of(&offset_of.node)?,
            Expression::SizeOfVal(_) => {
                return Err("`sizeof` of an expression is not evaluated here; `sizeof(type)` is".to_owned());
            }
            _ => return Err("not an integer constant expression this reader evaluates".to_owned()),
        })
    }

    /// `sizeof` and `_Alignof` of a type, on this reader's target.
    pub(super) fn size_and_align(&self, ty: &TypeRef) -> Read<(u64, u64)> {
        engine::size_and_align(&self.records, ty, self.target)
    }

    /// The alignment `_Alignas(name)` asks for: a typedef's alignment, or
    /// a constant's value.
    pub(super) fn alignas_name(&self, argument: Option<&Node<Expression>>) -> Read<u64> {
        let Some(Expression::StringLiteral(literal)) = argument.map(|a| &a.node) else {
            return Err("`_Alignas` without its argument".to_owned());
        };
        let name = literal.node.concat().trim_matches('"').to_owned();
        if let Some((ty, _)) = self.typedefs.get(&name) {
            return Ok(self.size_and_align(ty)?.1);
        }
        let value = *self
            .constants
            .get(&name)
            .ok_or_else(|| format!("`{name}` in `_Alignas` is neither a type nor a constant declared above"))?;
        u64::try_from(value).map_err(|_| "a negative alignment".to_owned())
    }

    /// `offsetof(type, member.member[index]…)`: where the member lies in
    /// the type, as the target lays the type out.
    fn offset_of(&mut self, offset_of: &OffsetOfExpression) -> Read<i128> {
        let (mut ty, _) = self.type_name(&offset_of.type_name.node)?;
        let designator = &offset_of.designator.node;
        let mut offset = i128::from(self.member_offset(&mut ty, &designator.base.node.name)?);
        for step in &designator.members {
            let at = match &step.node {
                OffsetMember::Member(name) => i128::from(self.member_offset(&mut ty, &name.node.name)?),
                OffsetMember::Index(index) => {
                    let TypeRef::Array(element, _) = &ty else {
                        return Err("`offsetof` indexes a member that is not an array".to_owned());
                    };
                    let element = (**element).clone();
                    let (size, _) = self.size_and_align(&element)?;
                    ty = element;
                    self.evaluate(index)?.checked_mul(i128::from(size)).ok_or("the offset does not fit")?
                }
                OffsetMember::IndirectMember(_) => return Err("`->` in `offsetof`, which C does not allow".to_owned()),
            };
            offset = offset.checked_add(at).ok_or("the offset does not fit")?;
        }
        Ok(offset)
    }

    /// Where member `name` of the record `ty` lies in it, in bytes; `ty`
    /// becomes the member's type.
    fn member_offset(&self, ty: &mut TypeRef, name: &str) -> Read<u64> {
        let TypeRef::Record(id) = *ty else {
            return Err(format!("`offsetof` names `{name}` in a type that is not a struct or union"));
        };
        let record = &self.records[id];
        let layout = engine::record_layout(&self.records, id, self.target)?;
        let field = layout.field(name).ok_or_else(|| format!("`{}` has no member `{name}`", record.name))?;
        if field.bit_width.is_some() {
            return Err(format!("`{name}` is a bitfield, which `offsetof` cannot name"));
        }
        let offset = field.offset;
        *ty = member_type(&self.records, record, name, 0)
            .ok_or_else(|| format!("`{}` has no member `{name}`", record.name))?;
        Ok(offset)
    }
}

/// The type of `record`'s member `name`, looked for inside its anonymous
/// members too, as C finds it.
fn member_type(records: &[RecordDef], record: &RecordDef, name: &str, depth: usize) -> Option<TypeRef> {
    if depth > MAX_DEPTH {
        return None;
    }
    record.members.iter().find_map(|member| match (&member.name, &member.ty) {
        (Some(named), ty) if named == name => Some(ty.clone()),
        (None, TypeRef::Record(inner)) => member_type(records, records.get(*inner)?, name, depth + 1),
        _ => None,
    })
}
