//! Postman collection model and loaders (collection, environment, globals, data files).

pub mod data;
pub mod load;
mod locate;
pub mod model;
pub mod source;

pub use data::{load_data_file, parse_data};
pub use load::{LoadedCollection, SchemaVersion, load_collection, load_variable_file};
pub use model::*;
pub use source::{LoadError, SourceError};
