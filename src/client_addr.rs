//! Who the client is, by address: the peer, unless the peer is a trusted
//! proxy (`TRUSTED_PROXIES`), in which case the right-most address in
//! `X-Forwarded-For` that is not itself a trusted proxy. Entries to the
//! left of that one are whatever the client chose to send, so they are
//! never believed.

use std::{
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};

use crate::{config::TrustedProxies, domain::state::AppState};

/// The client's address, as the throttles count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// Without a peer address (a request not served by `http::serve`, which
    /// inserts one), every such request shares one unspecified address.
    pub fn from_parts(parts: &Parts, trusted: &TrustedProxies) -> Self {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        Self(resolve(peer, &parts.headers, trusted))
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Self::from_parts(parts, &state.config.trusted_proxies))
    }
}

/// The rule in the module doc. An entry that is not an address ends the
/// walk: the last address believed so far is the client.
fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        let Ok(hop) = entry.parse::<IpAddr>() else {
            break;
        };
        client = hop.to_canonical();
        if !trusted.contains(client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", HeaderValue::from_str(v).expect("value"));
        }
        map
    }

    #[test]
    fn the_peer_unless_it_is_a_trusted_proxy() {
        let none = TrustedProxies::default();
        let proxy = TrustedProxies::parse("10.0.0.0/8").expect("valid");
        let spoofed = headers(&["1.1.1.1"]);
        assert_eq!(resolve(ip("8.8.8.8"), &spoofed, &none), ip("8.8.8.8"));
        assert_eq!(resolve(ip("8.8.8.8"), &spoofed, &proxy), ip("8.8.8.8"));
        assert_eq!(resolve(ip("10.0.0.1"), &spoofed, &proxy), ip("1.1.1.1"));
        assert_eq!(
            resolve(ip("10.0.0.1"), &HeaderMap::new(), &proxy),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn the_right_most_untrusted_entry_wins() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").expect("valid");
        let chain = headers(&["6.6.6.6, 2.2.2.2", "10.0.0.7"]);
        assert_eq!(resolve(ip("10.0.0.1"), &chain, &proxies), ip("2.2.2.2"));
        let garbage = headers(&["6.6.6.6, not-an-ip, 10.0.0.9"]);
        assert_eq!(resolve(ip("10.0.0.1"), &garbage, &proxies), ip("10.0.0.9"));
        let mapped = headers(&["::ffff:3.3.3.3"]);
        assert_eq!(resolve(ip("10.0.0.1"), &mapped, &proxies), ip("3.3.3.3"));
    }
}
