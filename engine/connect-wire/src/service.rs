//! The model of a service that generated code exposes: procedures, stream kinds, idempotency.

/// How many messages each side of an RPC sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// One request, one response.
    Unary,
    /// Many requests, one response.
    ClientStream,
    /// One request, many responses.
    ServerStream,
    /// Many requests, many responses (half-duplex over HTTP/1.1: all requests, then all
    /// responses).
    BidiStream,
}

impl StreamKind {
    /// Whether the client may send more than one message.
    #[must_use]
    pub const fn client_streams(self) -> bool {
        matches!(self, Self::ClientStream | Self::BidiStream)
    }

    /// Whether the server may send more than one message.
    #[must_use]
    pub const fn server_streams(self) -> bool {
        matches!(self, Self::ServerStream | Self::BidiStream)
    }
}

/// The `idempotency_level` method option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Idempotency {
    /// No option given.
    #[default]
    Unknown,
    /// `NO_SIDE_EFFECTS`: the method may be called with HTTP GET.
    NoSideEffects,
    /// `IDEMPOTENT`.
    Idempotent,
}

/// One RPC method of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MethodDescriptor {
    /// The method's name as declared, e.g. `Say`.
    pub name: &'static str,
    /// The HTTP path, `/<package>.<Service>/<Method>`.
    pub path: &'static str,
    /// Full name of the request message type.
    pub input_type: &'static str,
    /// Full name of the response message type.
    pub output_type: &'static str,
    /// The stream kind.
    pub kind: StreamKind,
    /// The idempotency level.
    pub idempotency: Idempotency,
}

impl MethodDescriptor {
    /// Whether clients may call this method with HTTP GET.
    #[must_use]
    pub const fn allows_get(&self) -> bool {
        matches!(self.idempotency, Idempotency::NoSideEffects)
            && matches!(self.kind, StreamKind::Unary)
    }
}

/// A service: its full name and methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ServiceDescriptor {
    /// Full name, e.g. `connectrpc.eliza.v1.ElizaService`.
    pub name: &'static str,
    /// The methods, in declaration order.
    pub methods: &'static [MethodDescriptor],
}
