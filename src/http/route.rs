//! Host routing for `--emulator`: a DNS resolver that sends chosen hosts to one address and
//! resolves every other name with the system resolver.
//!
//! A route is an exact host (`login.salesforce.com`) or a wildcard (`*.my.salesforce.com`,
//! matching any name that ends in `.my.salesforce.com`). The address includes the port, so
//! `https://login.salesforce.com/...` (no port in the URL) reaches the emulator's port.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Resolves routed hosts to fixed addresses and asks the system for all others.
#[derive(Debug, Clone, Default)]
pub struct RouteResolver {
    routes: Vec<(String, SocketAddr)>,
}

impl RouteResolver {
    /// A resolver for `routes`: `(host or *.suffix, address)`; the first match wins.
    pub fn new(routes: &[(String, SocketAddr)]) -> Self {
        RouteResolver {
            routes: routes
                .iter()
                .map(|(pattern, addr)| (pattern.trim().to_ascii_lowercase(), *addr))
                .collect(),
        }
    }

    /// The address `host` is routed to, if any route matches it.
    pub fn route(&self, host: &str) -> Option<SocketAddr> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.routes
            .iter()
            .find(|(pattern, _)| matches(pattern, &host))
            .map(|(_, addr)| *addr)
    }
}

/// Whether `host` (lower-case) matches `pattern` (an exact host or `*.suffix`).
fn matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .and_then(|label| label.strip_suffix('.'))
            .is_some_and(|label| !label.is_empty()),
        None => pattern == host,
    }
}

impl Resolve for RouteResolver {
    fn resolve(&self, name: Name) -> Resolving {
        if let Some(addr) = self.route(name.as_str()) {
            let addrs: Addrs = Box::new(std::iter::once(addr));
            return Box::pin(async move { Ok(addrs) });
        }
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: the connector puts the URL's port in.
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let addrs: Addrs = Box::new(found.collect::<Vec<_>>().into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver() -> RouteResolver {
        let addr: SocketAddr = "127.0.0.1:4444".parse().expect("addr");
        RouteResolver::new(&[
            ("login.salesforce.com".to_owned(), addr),
            ("*.my.salesforce.com".to_owned(), addr),
        ])
    }

    #[test]
    fn exact_and_wildcard_hosts_are_routed() {
        let r = resolver();
        assert_eq!(
            r.route("LOGIN.salesforce.com").map(|a| a.port()),
            Some(4444)
        );
        assert_eq!(
            r.route("acme.my.salesforce.com").map(|a| a.port()),
            Some(4444)
        );
        assert_eq!(
            r.route("a.b.my.salesforce.com").map(|a| a.port()),
            Some(4444)
        );
    }

    #[test]
    fn other_hosts_are_not_routed() {
        let r = resolver();
        assert_eq!(r.route("my.salesforce.com"), None);
        assert_eq!(r.route("evilmy.salesforce.com"), None);
        assert_eq!(r.route("salesforce.com"), None);
        assert_eq!(r.route("login.salesforce.com.evil.example"), None);
    }
}
