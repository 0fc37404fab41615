//! Building requests from resolved specs, sending them, and capturing what happened.

pub mod call;
