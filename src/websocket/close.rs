//! Every close code the server sends, on either protocol, in one table.

/// Why the server closes a WebSocket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseCode {
    /// 1000: the client asked to terminate (graphql-ws legacy protocol).
    Normal,
    /// 1001: the node is shutting down.
    GoingAway,
    /// 1009: a client frame over `MAX_BODY_BYTES`.
    TooBig,
    /// 1011: the server failed (storage), after an error frame.
    ServerError,
    /// 4001: no valid token, or the token expired or the account was
    /// deactivated while the socket was open (legacy protocol).
    Unauthenticated,
    /// 4003: not a participant, or no such conversation (legacy protocol).
    NotParticipant,
    /// 4008: the subscriber stayed too far behind; reconnect with `since`.
    SlowConsumer,
    /// 4029: the user holds `MAX_SOCKETS_PER_USER` sockets already (legacy
    /// protocol; the 4xxx analogue of HTTP 429, as 4001 and 4003 are of
    /// 401 and 403).
    TooManySockets,
    /// 4400: a frame or parameter that is not valid.
    BadRequest,
    /// 4401: `subscribe` before `connection_ack` (graphql-ws).
    Unauthorized,
    /// 4403: `connection_init` refused, or later the token expired or the
    /// account was deactivated (graphql-ws; the reason says which).
    Forbidden,
    /// 4408: no `connection_init` in time (graphql-ws).
    InitTimeout,
    /// 4409: an operation id already in use (graphql-ws).
    DuplicateId,
    /// 4429: a second `connection_init`, or the user holds
    /// `MAX_SOCKETS_PER_USER` sockets already (graphql-ws; the reason says
    /// which).
    TooMany,
}

impl CloseCode {
    /// The number on the wire.
    pub fn number(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::TooBig => 1009,
            CloseCode::ServerError => 1011,
            CloseCode::Unauthenticated => 4001,
            CloseCode::NotParticipant => 4003,
            CloseCode::SlowConsumer => 4008,
            CloseCode::TooManySockets => 4029,
            CloseCode::BadRequest => 4400,
            CloseCode::Unauthorized => 4401,
            CloseCode::Forbidden => 4403,
            CloseCode::InitTimeout => 4408,
            CloseCode::DuplicateId => 4409,
            CloseCode::TooMany => 4429,
        }
    }
}
