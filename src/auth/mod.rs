//! Authentication: Postman auth blocks, and the Salesforce JWT bearer flow (private keys,
//! assertion minting, token exchange and key generation).

mod diagnose;
mod error;
mod exchange;
mod jwt;
mod key;
mod keygen;
pub mod postman;
pub mod postman_asap;
pub mod postman_awsv4;
pub mod postman_digest;
pub mod postman_edgegrid;
pub mod postman_hawk;
pub mod postman_jwt;
pub mod postman_ntlm;
pub mod postman_oauth1;
pub mod postman_oauth2;
mod postman_params;
mod session;
mod sf_org;

pub use diagnose::diagnose;
pub use error::AuthError;
pub use exchange::{
    ClientAuth, OAuth2Client, OAuth2Token, SfAuthConfig, TokenResponse, client_credentials_grant,
    exchange_jwt, password_grant,
};
pub use jwt::{
    DEFAULT_EXP_SECONDS, JWT_BEARER_GRANT, JwtClaims, PRODUCTION_LOGIN_URL, SANDBOX_LOGIN_URL,
    mint_assertion, mint_assertion_at,
};
pub use key::{KeyError, KeySource, PrivateKey, load_private_key};
pub use keygen::{GeneratedKeys, generate, next_steps, write_keys};
pub use session::{EXCHANGE_RETRIES, SessionVar, SfSession, SfVarNames};
pub use sf_org::{OrgJsonError, org_session_vars};
