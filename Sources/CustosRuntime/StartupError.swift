/// A configuration or installation problem found at start-up, with a message for the operator.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
