//! Salesforce login emulator.
