//! Cross-site WebSocket hijacking defence: a browser's upgrade request must
//! come from an allowed origin (or the same host); non-browser clients send
//! no `Origin` and pass.

use axum::http::{
    HeaderMap,
    header::{HOST, ORIGIN},
};

use crate::error::{Denied, Error};

/// Checks the `Origin` of a WebSocket upgrade against `ALLOWED_ORIGINS`.
pub fn check(headers: &HeaderMap, allowed: &[String]) -> Result<(), Error> {
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .map_err(|_| Error::Forbidden(Denied::Origin))?
        .trim_end_matches('/');
    if allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    // Same origin means same scheme too, and this server speaks plain
    // `http`: behind a TLS proxy the page is `https://…`, an origin to list
    // in `ALLOWED_ORIGINS`.
    let origin_host = origin
        .split_at_checked("http://".len())
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("http://"))
        .map(|(_, host)| host);
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err(Error::Forbidden(Denied::Origin)),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static(host));
        if let Some(o) = origin {
            h.insert(ORIGIN, HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn origins() {
        let allowed = vec!["https://chat.example.com".to_owned()];
        assert!(check(&headers(None, "api:8000"), &allowed).is_ok());
        assert!(
            check(
                &headers(Some("https://chat.example.com"), "api:8000"),
                &allowed
            )
            .is_ok()
        );
        assert!(check(&headers(Some("http://api:8000"), "api:8000"), &allowed).is_ok());
        assert!(check(&headers(Some("https://evil.example"), "api:8000"), &allowed).is_err());
        assert!(check(&headers(Some("null"), "api:8000"), &allowed).is_err());
        assert!(check(&headers(Some("HTTP://api:8000"), "api:8000"), &allowed).is_ok());
        // Same host, other scheme: another origin.
        assert!(check(&headers(Some("evil://api:8000"), "api:8000"), &allowed).is_err());
        assert!(check(&headers(Some("https://api:8000"), "api:8000"), &allowed).is_err());
    }
}
