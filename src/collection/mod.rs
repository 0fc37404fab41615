//! Postman collection model and loaders (collection, environment, globals, data files).

pub mod model;

pub use model::*;
