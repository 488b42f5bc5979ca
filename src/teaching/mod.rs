//! Teaching a room: the lesson plan that walks a 90-minute workshop through
//! the lessons in the seed's order.

pub mod plan;
pub mod quiz;
