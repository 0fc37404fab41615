//! Variable scopes, precedence, `{{var}}` templating and dynamic variables, with Postman's semantics.

mod convert;
pub mod cycles;
pub mod dynamic;
pub mod scope;
pub mod template;
mod words;

pub use dynamic::{dynamic_names, dynamic_value};
pub use scope::{EnabledMode, VariableScope, parse_key_value};
pub use template::Scopes;
