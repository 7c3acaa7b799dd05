/// Who is acting: a signed-in person in one role, or the system, and from which client address.
public struct Actor: Sendable, Equatable {
    public var userID: Int64?
    public var username: String
    public var role: Role?
    public var client: String

    public init(userID: Int64?, username: String, role: Role?, client: String) {
        self.userID = userID
        self.username = username
        self.role = role
        self.client = client
    }

    /// The system itself (set-up, scheduled jobs, the command line).
    public static func system(_ name: String = "system") -> Actor {
        Actor(userID: nil, username: name, role: nil, client: "local")
    }

    /// An audit draft attributed to this actor.
    public func draft(_ action: AuditAction, target: String = "", details: [String: String] = [:]) -> AuditDraft {
        AuditDraft(actor: username, role: role?.rawValue ?? "none", action: action, target: target,
                   details: details, client: client)
    }
}
