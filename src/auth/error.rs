//! Errors of the token flows: diagnosed OAuth errors, network, server and response problems.

use crate::error::Error;

/// Why minting, exchanging or generating failed. Messages never contain secrets.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token endpoint answered with an OAuth error; `diagnosis` says what to fix.
    #[error("token request failed: {error}: {error_description}\n{diagnosis}")]
    Diagnosed {
        /// The OAuth `error` code, e.g. `invalid_grant`.
        error: String,
        /// The `error_description`, e.g. `invalid assertion`.
        error_description: String,
        /// What is wrong and which setup step fixes it.
        diagnosis: String,
    },
    /// The endpoint could not be reached, even after retries.
    #[error("could not reach {url} after {attempts} attempt(s): {message}")]
    Network {
        /// The token URL.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last transport error.
        message: String,
    },
    /// The endpoint kept answering 5xx.
    #[error(
        "{url} answered HTTP {status} after {attempts} attempt(s); the login service is failing, try again later"
    )]
    Server5xx {
        /// The token URL.
        url: String,
        /// The last status code.
        status: u16,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The response could not be understood.
    #[error("unexpected response from {url}: {reason}")]
    Malformed {
        /// The token URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The assertion could not be signed.
    #[error("failed to sign the JWT assertion: {0}")]
    Sign(String),
    /// Key or certificate generation failed.
    #[error("failed to generate keys: {0}")]
    KeyGen(String),
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        Error::Auth(e.to_string())
    }
}
