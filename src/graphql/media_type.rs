//! The response media type, chosen from the request's `Accept`.

use axum::http::{HeaderMap, HeaderValue, header::ACCEPT};

/// The media types a GraphQL response is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: status codes tell request
    /// errors from execution.
    GraphQLResponse,
    /// `application/json`: always 200 for a GraphQL response.
    Json,
}

impl MediaType {
    const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
    pub const JSON: &str = "application/json";

    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            MediaType::GraphQLResponse => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        })
    }

    /// From the request's `Accept`; `None` when it accepts neither type.
    ///
    /// Without `Accept`, or with only wildcards (`*/*`, `application/*`),
    /// the answer is `application/json`: the spec recommends it for such
    /// requests (until every client knows the newer type), and it is what
    /// clients that send no `Accept` were written against. A client that
    /// names `application/graphql-response+json` gets it, also when it names
    /// both with the same quality.
    pub fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let ranges: Vec<&str> = headers
            .get_all(ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect();
        if ranges.is_empty() {
            return Some(MediaType::Json);
        }
        let graphql = acceptance(&ranges, Self::GRAPHQL_RESPONSE);
        let json = acceptance(&ranges, Self::JSON);
        match (graphql, json) {
            (None, None) => None,
            (Some(_), None) => Some(MediaType::GraphQLResponse),
            (None, Some(_)) => Some(MediaType::Json),
            (Some(g), Some(j)) if g.quality != j.quality => Some(if g.quality > j.quality {
                MediaType::GraphQLResponse
            } else {
                MediaType::Json
            }),
            (Some(g), Some(_)) if g.exact => Some(MediaType::GraphQLResponse),
            (Some(_), Some(_)) => Some(MediaType::Json),
        }
    }
}

/// How a client accepts one media type: through its most specific range.
#[derive(Clone, Copy, Debug)]
struct Acceptance {
    /// Quality in thousandths (`q=0.5` is 500).
    quality: u16,
    /// Named exactly, not through a wildcard.
    exact: bool,
}

/// `None` when no range matches `media`, or the most specific one has `q=0`.
fn acceptance(ranges: &[&str], media: &str) -> Option<Acceptance> {
    let (kind, _) = media.split_once('/')?;
    let mut best: Option<(u8, u16)> = None;
    for range in ranges {
        let mut parts = range.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default().to_ascii_lowercase();
        let specificity = if name == media {
            2
        } else if name.strip_suffix("/*") == Some(kind) {
            1
        } else if name == "*/*" {
            0
        } else {
            continue;
        };
        let quality = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(1000, |(_, q)| parse_quality(q.trim()));
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, quality));
        }
    }
    best.filter(|&(_, q)| q > 0)
        .map(|(specificity, quality)| Acceptance {
            quality,
            exact: specificity == 2,
        })
}

/// `q` per RFC 9110 (`0`, `0.5`, `1.000`), in thousandths; anything else
/// counts as 0 (not acceptable) rather than guessing.
fn parse_quality(q: &str) -> u16 {
    match q.parse::<f32>() {
        Ok(q) if (0.0..=1.0).contains(&q) => (q * 1000.0).round() as u16,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negotiate(accept: &str) -> Option<MediaType> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(accept).expect("header"));
        MediaType::negotiate(&headers)
    }

    #[test]
    fn accept_chooses_the_media_type() {
        use MediaType::{GraphQLResponse, Json};
        assert_eq!(MediaType::negotiate(&HeaderMap::new()), Some(Json));
        assert_eq!(negotiate("*/*"), Some(Json));
        assert_eq!(negotiate("application/*"), Some(Json));
        assert_eq!(negotiate("application/json"), Some(Json));
        assert_eq!(
            negotiate("application/graphql-response+json"),
            Some(GraphQLResponse)
        );
        assert_eq!(
            negotiate("application/json, application/graphql-response+json"),
            Some(GraphQLResponse)
        );
        assert_eq!(
            negotiate("application/graphql-response+json;q=0.5, application/json"),
            Some(Json)
        );
        assert_eq!(
            negotiate("application/graphql-response+json, */*;q=0.1"),
            Some(GraphQLResponse)
        );
        assert_eq!(
            negotiate("application/json;q=0, */*"),
            Some(GraphQLResponse)
        );
        assert_eq!(negotiate("text/html, application/xhtml+xml"), None);
        assert_eq!(negotiate("application/json;q=0"), None);
        assert_eq!(negotiate("application/json;q=abc"), None);
    }
}
