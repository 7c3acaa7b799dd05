import Foundation

/// Any JSON document, typed and Sendable, so exports can be read without `Any` and re-encoded
/// canonically (sorted keys) for the content of chat messages.
enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Decodes one JSON document; nil if it is not valid JSON.
    static func parse(_ bytes: some Collection<UInt8>) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var fields: [String: JSONValue] = [:]
            for key in object.allKeys { fields[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(fields)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let value = try? single.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? single.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? single.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try single.decode(String.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .int(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .double(let value):
            var single = encoder.singleValueContainer()
            // JSON has no NaN or infinity; they cannot come from a parsed document anyway.
            try single.encode(value.isFinite ? value : 0)
        case .string(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .array(let items):
            var array = encoder.unkeyedContainer()
            for item in items { try array.encode(item) }
        case .object(let fields):
            var object = encoder.container(keyedBy: AnyKey.self)
            for (key, value) in fields { try object.encode(value, forKey: AnyKey(key)) }
        }
    }

    /// The canonical UTF-8 encoding: sorted keys, no escaped slashes; same value, same bytes.
    var canonicalBytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail: every case maps to a JSON value.
        return (try? encoder.encode(self)).map { Array($0) } ?? Array("null".utf8)
    }

    /// The field `key` of an object, else nil.
    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    /// The string, if this is a string.
    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The string, or a number written as a string (exports mix both for ids).
    var stringOrNumber: String? {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        default: nil
        }
    }

    /// The integer, if this is an integral number.
    var int: Int64? {
        switch self {
        case .int(let value): value
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e15: Int64(value)
        default: nil
        }
    }

    /// The elements, if this is an array.
    var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// Whether this is an object.
    var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// A short name of the JSON type, for error reasons.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A coding key for arbitrary object keys.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// Builds the canonical JSON document of a chat message, the content a reviewer reads later.
struct ChatDocument {
    private var fields: [String: JSONValue] = [:]

    /// Sets `key` unless `value` is nil.
    mutating func set(_ key: String, _ value: JSONValue?) {
        if let value { fields[key] = value }
    }

    /// Sets a string field unless it is nil.
    mutating func set(_ key: String, string value: String?) {
        if let value { fields[key] = .string(value) }
    }

    /// The canonical bytes.
    var bytes: [UInt8] { JSONValue.object(fields).canonicalBytes }

    /// `{"name":…, "media_type":…, "size":…}` of one attachment.
    static func attachment(name: String?, mediaType: String, size: Int64?) -> JSONValue {
        var item: [String: JSONValue] = ["media_type": .string(mediaType)]
        if let name { item["name"] = .string(name) }
        if let size { item["size"] = .int(size) }
        return .object(item)
    }

    /// `{"id":…, "name":…}` of a sender or conversation.
    static func party(id: String?, name: String?, extra: [String: JSONValue] = [:]) -> JSONValue {
        var item = extra
        if let id { item["id"] = .string(id) }
        if let name { item["name"] = .string(name) }
        return .object(item)
    }

    /// RFC 3339 UTC text of a unix time, so the document shows a readable time.
    static func timestamp(_ seconds: Int64) -> JSONValue {
        .string(CivilTime.rfc3339(seconds))
    }
}
