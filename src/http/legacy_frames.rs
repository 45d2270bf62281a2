//! The legacy protocol's frames (django-chat's JSON), typed as graphql-ws's
//! `protocol.rs` types its own: what a client may send, and the error
//! frames the sender gets back. Message frames are rendered once per
//! delivery and shared (see `legacy_ws::message_frame`).

use serde::Serialize;
use serde_json::Value;

/// A frame from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum ClientFrame {
    /// `{"type":"message.send","content":"…"}`; a missing content is empty
    /// content, which the domain refuses like any blank message.
    Send { content: String },
    /// `{"type":"typing"}`, or with `"typing": false` to stop: chatstream's
    /// addition. A socket that sends one receives typing and presence
    /// frames from then on; other sockets never see them.
    Typing { typing: bool },
    /// Anything else: answered with this error frame, the socket stays open.
    Invalid(ErrorFrame),
}

impl ClientFrame {
    pub fn decode(text: &str) -> ClientFrame {
        let Ok(Value::Object(mut frame)) = serde_json::from_str::<Value>(text) else {
            return ClientFrame::Invalid(ErrorFrame::invalid_json());
        };
        match frame.get("type").and_then(Value::as_str) {
            Some("message.send") => {}
            Some("typing") => {
                return match frame.remove("typing") {
                    None => ClientFrame::Typing { typing: true },
                    Some(Value::Bool(typing)) => ClientFrame::Typing { typing },
                    Some(_) => ClientFrame::Invalid(ErrorFrame::new(
                        "INVALID_TYPE",
                        "typing must be a boolean",
                    )),
                };
            }
            _ => {
                return ClientFrame::Invalid(ErrorFrame::new(
                    "INVALID_TYPE",
                    "Unknown message type",
                ));
            }
        }
        match frame.remove("content") {
            None => ClientFrame::Send {
                content: String::new(),
            },
            Some(Value::String(content)) => ClientFrame::Send { content },
            Some(_) => {
                ClientFrame::Invalid(ErrorFrame::new("INVALID_TYPE", "content must be a string"))
            }
        }
    }
}

/// `{"type":"error","code":C,"message":M}` (plus `retry_after` when
/// throttled), to the sender only.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct ErrorFrame {
    #[serde(rename = "type")]
    kind: &'static str,
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl ErrorFrame {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind: "error",
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A frame that is not a JSON object (binary frames included).
    pub fn invalid_json() -> Self {
        Self::new("INVALID_JSON", "Invalid JSON")
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn encode(&self) -> String {
        // A struct of strings and a number always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_decode_or_say_why_not() {
        assert_eq!(
            ClientFrame::decode(r#"{"type":"message.send","content":"hi"}"#),
            ClientFrame::Send {
                content: "hi".into()
            }
        );
        assert_eq!(
            ClientFrame::decode(r#"{"type":"message.send"}"#),
            ClientFrame::Send {
                content: String::new()
            }
        );
        assert_eq!(
            ClientFrame::decode("nope"),
            ClientFrame::Invalid(ErrorFrame::invalid_json())
        );
        assert_eq!(
            ClientFrame::decode(r#"{"type":"typing"}"#),
            ClientFrame::Typing { typing: true }
        );
        assert_eq!(
            ClientFrame::decode(r#"{"type":"typing","typing":false}"#),
            ClientFrame::Typing { typing: false }
        );
        assert_eq!(
            ClientFrame::decode(r#"{"type":"typing","typing":"no"}"#),
            ClientFrame::Invalid(ErrorFrame::new("INVALID_TYPE", "typing must be a boolean"))
        );
        assert_eq!(
            ClientFrame::decode(r#"{"type":"message.edit"}"#),
            ClientFrame::Invalid(ErrorFrame::new("INVALID_TYPE", "Unknown message type"))
        );
        assert_eq!(
            ClientFrame::decode(r#"{"type":"message.send","content":5}"#),
            ClientFrame::Invalid(ErrorFrame::new("INVALID_TYPE", "content must be a string"))
        );
    }

    #[test]
    fn error_frames_carry_retry_after_only_when_throttled() {
        assert_eq!(
            ErrorFrame::new("THROTTLED", "wait").retry_after(3).encode(),
            r#"{"type":"error","code":"THROTTLED","message":"wait","retry_after":3}"#
        );
        assert_eq!(
            ErrorFrame::invalid_json().encode(),
            r#"{"type":"error","code":"INVALID_JSON","message":"Invalid JSON"}"#
        );
    }
}
