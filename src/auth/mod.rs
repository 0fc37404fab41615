//! Authentication: Postman auth blocks, and (later) the Salesforce JWT bearer flow.

pub mod postman;
