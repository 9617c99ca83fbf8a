//! landtrace's event model, shared by every stage that handles events.
//!
//! - [`schema`]: every Landlock event, its fields and their types, the
//!   builtins, and every access right with its bit (docs/events.md is
//!   generated from it and tested against it).
//! - [`record`]: the flat, fixed-layout record compiled code reads, and
//!   [`Event`], which owns one together with its strings.
//! - [`kernel`]: what kernel records mean where a value is derived.
//! - [`time`] and [`escape`]: how times and untrusted bytes are written
//!   and read as text.
//!
//! It depends on nothing: decoders, output and fuzz targets use it
//! without linking the compiler.

pub mod escape;
pub mod kernel;
pub mod record;
pub mod schema;
pub mod time;
pub mod value;

pub use record::Event;
