import CustosCore
import Hummingbird
import NIOCore

/// Per-request state: who is signed in (if anyone), the CSRF token for forms and the client address.
public struct AppContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer address, or "unknown" when there is none (in-process tests).
    public var peerAddress: String
    /// The address used for throttling and audit: the peer, or the client a trusted proxy names (`ClientAddressMiddleware`).
    public var clientAddress: String
    /// The signed-in person, set by `SessionMiddleware`.
    public var auth: Authenticated?
    /// The CSRF token to embed in forms rendered for this request.
    public var csrfToken: String = ""
    /// The capture token presented to the ingest API, set by `CaptureTokenMiddleware`.
    public var captureToken: CaptureTokenRecord?
    /// The custodian device that signed this API request, set by `DeviceSignatureMiddleware`.
    public var device: AuthenticatedDevice?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        clientAddress = peerAddress
    }

    /// Form and JSON bodies are read by hand with explicit limits; this is the cap for both.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}

/// A live session and the person behind it.
public struct Authenticated: Sendable {
    public var token: String
    public var session: Session
    public var user: User

    /// The acting identity for audit entries.
    public func actor(client: String) -> Actor {
        Actor(userID: user.id, username: user.username, role: session.activeRole, client: client)
    }
}

/// A custodian device whose signature on this request verified, and the person it belongs to.
public struct AuthenticatedDevice: Sendable {
    public var user: User
    public var device: DeviceRecord

    /// The acting identity for audit entries: the custodian, acting as custodian.
    public func actor(client: String) -> Actor {
        Actor(userID: user.id, username: user.username, role: .custodian, client: client)
    }
}

extension AppContext {
    /// The actor for audit entries; anonymous requests act as "(anonymous)".
    public var actor: Actor {
        auth?.actor(client: clientAddress) ?? Actor(userID: nil, username: "(anonymous)", role: nil, client: clientAddress)
    }
}
