import CustosCore
import Foundation
import Hummingbird
import NIOCore

/// A parsed `application/x-www-form-urlencoded` body. Fields may repeat (checkbox groups).
public struct Form: Sendable {
    private var fields: [(String, String)]

    /// The largest form accepted; larger bodies get 413 and nothing changes.
    public static let maxBytes = 64 * 1024

    /// Reads and parses the request body; malformed or oversized bodies throw an HTTPError (4xx).
    public static func read(_ request: Request, context: AppContext) async throws -> Form {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            throw HTTPError(.unsupportedMediaType, message: "Forms must be sent as application/x-www-form-urlencoded.")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBytes)
        } catch {
            throw HTTPError(.contentTooLarge, message: "The form is too large.")
        }
        return try Form(parsing: String(buffer: buffer))
    }

    /// Parses an encoded body.
    public init(parsing body: String) throws {
        fields = []
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : "") else {
                throw HTTPError(.badRequest, message: "The form could not be read.")
            }
            fields.append((name, value))
        }
    }

    /// The first value of `name`, or nil.
    public subscript(_ name: String) -> String? {
        fields.first { $0.0 == name }?.1
    }

    /// Every field, in the order sent (for forms whose field names come from data, such as a coding layout).
    public var pairs: [(String, String)] { fields }

    /// Every value of `name`, in order.
    public func all(_ name: String) -> [String] {
        fields.filter { $0.0 == name }.map(\.1)
    }

    /// A required field, trimmed; throws a clear 400 naming it when absent.
    public func require(_ name: String, label: String) throws -> String {
        guard let v = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else {
            throw DomainErrorBridge.missing(label)
        }
        return v
    }

    private static func decode(_ s: Substring) -> String? {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

/// Builds domain errors for the web layer's own validation.
enum DomainErrorBridge {
    static func missing(_ label: String) -> any Error {
        CustosCore.DomainError.invalidInput("\(label) is required.")
    }
}
