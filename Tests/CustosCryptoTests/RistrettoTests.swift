@testable import CustosCrypto
import Foundation
import Testing

/// The kind of `CryptoError` a call throws ("no error" if it returns), so tests can assert the failure mode.
func cryptoErrorKind<T>(_ body: () throws -> T) -> String {
    do {
        _ = try body()
        return "no error"
    } catch let error as CryptoError {
        switch error {
        case .invalidKey: return "invalidKey"
        case .invalidInput: return "invalidInput"
        case .authenticationFailed: return "authenticationFailed"
        case .operationFailed: return "operationFailed"
        }
    } catch {
        return "other error: \(type(of: error))"
    }
}

/// Hex test input that is known to be well-formed.
func hexBytes(_ hex: String) -> [UInt8] {
    Corpus.bytes(hex: hex) ?? []
}

/// ristretto255 group and scalar arithmetic against RFC 9496 appendix A and algebraic identities.
@Suite struct RistrettoTests {
    typealias Scalar = Ristretto255.Scalar
    typealias Point = Ristretto255.Point

    /// RFC 9496 A.1: encodings of 0·B … 15·B.
    static let generatorMultiples = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
        "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
        "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
        "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57",
        "e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e",
        "f64746d3c92b13050ed8d80236a7f0007c3b3f962f5ba793d19a601ebb1df403",
        "44f53520926ec81fbd5a387845beb7df85a96a24ece18738bdcfa6a7822a176d",
        "903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c",
        "02622ace8f7303a31cafc63f8fc48fdc16e1c8c8d234b2f0d6685282a9076031",
        "20706fd788b2720a1ed2a5dad4952b01f413bcf0e7564de8cdc816689e2db95f",
        "bce83f8ba5dd2fa572864c24ba1810f9522bc6004afe95877ac73241cafdab42",
        "e4549ee16b9aa03099ca208c67adafcafa4c3f3e4e5303de6026e3ca8ff84460",
        "aa52e000df2e16f55fb1032fc33bc42742dad6bd5a8fc0be0167436c5948501f",
        "46376b80f409b29dc2b5f6f0c52591990896e5716f41477cd30085ab7f10301e",
        "e0c418f7c8d9c4cdd7395b93ea124f3ad99021bb681dfc3302a9d99a2e53e64e",
    ]

    /// RFC 9496 A.2: non-canonical field encodings, negative field elements, non-square x², and others.
    static let badEncodings = [
        "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
        "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
        "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
        "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
        "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
        "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
        "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
        "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
        "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
    ]

    /// ℓ, the group order, little-endian.
    static let order = hexBytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")

    @Test func generatorMultiplesMatchRFC9496() throws {
        #expect(Point.generator.bytes == hexBytes(Self.generatorMultiples[1]))
        var sum = Point.identity
        for (i, hex) in Self.generatorMultiples.enumerated() {
            #expect(sum.bytes == hexBytes(hex), "\(i)·B by addition")
            #expect(try Point(bytes: hexBytes(hex)).bytes == hexBytes(hex), "\(i)·B decodes")
            #expect(Point.isValidEncoding(hexBytes(hex)))
            if i > 0 { #expect(try Point.baseMultiple(Scalar(UInt64(i))).bytes == hexBytes(hex), "\(i)·B by base mult") }
            sum = try sum.adding(.generator)
        }
    }

    @Test func badEncodingsAreRefused() {
        for hex in Self.badEncodings {
            #expect(cryptoErrorKind { try Point(bytes: hexBytes(hex)) } == "invalidInput", "\(hex)")
            #expect(!Point.isValidEncoding(hexBytes(hex)), "\(hex)")
        }
        #expect(cryptoErrorKind { try Point(bytes: [UInt8](repeating: 0, count: 31)) } == "invalidInput")
        #expect(cryptoErrorKind { try Point(bytes: Point.generator.bytes + [0]) } == "invalidInput")
        #expect(cryptoErrorKind { try Point(bytes: []) } == "invalidInput")
    }

    @Test func identityResultsAreRefused() {
        #expect(cryptoErrorKind { try Point.baseMultiple(.zero) } == "invalidInput")
        #expect(cryptoErrorKind { try Point.identity.multiplied(by: Scalar(7)) } == "invalidInput")
        #expect(cryptoErrorKind { try Point.generator.multiplied(by: .zero) } == "invalidInput")
        #expect(cryptoErrorKind { try Point.generator.multiplied(by: Scalar(7)) } == "no error")
    }

    @Test func scalarsMustBeCanonical() throws {
        #expect(cryptoErrorKind { try Scalar(canonicalBytes: Self.order) } == "invalidInput")
        #expect(cryptoErrorKind { try Scalar(canonicalBytes: [UInt8](repeating: 0xff, count: 32)) } == "invalidInput")
        #expect(cryptoErrorKind { try Scalar(canonicalBytes: [1, 2, 3]) } == "invalidInput")
        var orderMinusOne = Self.order
        orderMinusOne[0] -= 1
        let largest = try Scalar(canonicalBytes: orderMinusOne)
        #expect(largest + .one == .zero)
        #expect(-Scalar.one == largest)
        #expect(cryptoErrorKind { try Scalar(reducing: [UInt8](repeating: 1, count: 63)) } == "invalidInput")
    }

    @Test func scalarArithmetic() throws {
        #expect(Scalar(3) * Scalar(5) == Scalar(15))
        #expect(Scalar(3) - Scalar(5) + Scalar(2) == .zero)
        #expect(Scalar(UInt64.max).bytes == [UInt8](repeating: 0xff, count: 8) + [UInt8](repeating: 0, count: 24))
        #expect(cryptoErrorKind { try Scalar.zero.inverted() } == "invalidInput")
        for _ in 0..<20 {
            let a = Scalar.random(), b = Scalar.random()
            #expect(!a.isZero)
            #expect((a + b) - b == a)
            #expect(try a * a.inverted() == .one)
            #expect(-a + a == .zero)
            #expect(a * (b + .one) == a * b + a)
        }
    }

    @Test func groupHomomorphism() throws {
        let a = Scalar.random(), b = Scalar.random()
        let aG = try Point.baseMultiple(a), bG = try Point.baseMultiple(b)
        #expect(try Point.baseMultiple(a + b) == aG.adding(bG))
        #expect(try Point.baseMultiple(a - b) == aG.subtracting(bG))
        #expect(try Point.baseMultiple(a * b) == aG.multiplied(by: b))
        #expect(try Point.generator.multiplied(by: a) == aG)
        #expect(aG != bG)
    }

    @Test func codableRoundTripAndStrictBase64() throws {
        let point = try Point.baseMultiple(.random())
        let scalar = Scalar.random()
        let json = try JSONEncoder().encode([point])
        #expect(try JSONDecoder().decode([Point].self, from: json) == [point])
        #expect(try JSONDecoder().decode([Scalar].self, from: JSONEncoder().encode([scalar])) == [scalar])
        let badPoint = Data("[\"\(ThresholdWire.base64(hexBytes(Self.badEncodings[0])))\"]".utf8)
        #expect(throws: CryptoError.self) { try JSONDecoder().decode([Point].self, from: badPoint) }
        #expect(cryptoErrorKind { try ThresholdWire.bytes(base64: "AAE=x") } == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdWire.bytes(base64: "AAF=") } == "invalidInput")  // non-zero spare bits
        #expect(try ThresholdWire.bytes(base64: ThresholdWire.base64([0, 1, 2, 255])) == [0, 1, 2, 255])
    }
}
