import CustosWeb
import Testing

/// CIDR blocks are read strictly and matched by bits; mapped IPv6 addresses count as IPv4.
@Suite struct IPNetworkTests {
    /// The address `text` names; a text that does not parse is recorded as a failure.
    func address(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> IPAddress {
        guard let address = IPAddress(text) else {
            Issue.record("\(text) is not read as an address", sourceLocation: sourceLocation)
            return IPAddress("255.255.255.255")!
        }
        return address
    }

    @Test func anIPv4BlockHoldsItsAddressesAndTheirMappedForms() throws {
        let block = try IPNetwork("10.0.0.0/8")
        #expect(block.description == "10.0.0.0/8")
        #expect(block.contains(address("10.0.0.1")) && block.contains(address("10.255.255.255")))
        #expect(block.contains(address("::ffff:10.0.0.1")) && block.contains(address("::FFFF:a00:1")))
        #expect(!block.contains(address("11.0.0.1")) && !block.contains(address("9.255.255.255")))
        #expect(!block.contains(address("::ffff:11.0.0.1")) && !block.contains(address("::a00:1")))
        #expect(!block.contains(address("10::1")))
        let odd = try IPNetwork("192.0.2.128/25")
        #expect(odd.contains(address("192.0.2.200")) && !odd.contains(address("192.0.2.127")))
    }

    @Test func anIPv6BlockHoldsOnlyIPv6Addresses() throws {
        let block = try IPNetwork("2001:db8::/32")
        #expect(block.contains(address("2001:db8::1")) && block.contains(address("2001:DB8:ffff:ffff::")))
        #expect(!block.contains(address("2001:db9::1")) && !block.contains(address("10.0.0.1")))
        let narrow = try IPNetwork("fd00:1:2:8::/61")
        #expect(narrow.contains(address("fd00:1:2:f::9")) && narrow.contains(address("fd00:1:2:8::")))
        #expect(!narrow.contains(address("fd00:1:2:7:ffff::")) && !narrow.contains(address("fd00:1:2:10::")))
    }

    @Test func aBareAddressIsABlockOfOne() throws {
        let v4 = try IPNetwork("192.0.2.7")
        #expect(v4.prefixLength == 32 && v4.contains(address("192.0.2.7")) && !v4.contains(address("192.0.2.6")))
        let v6 = try IPNetwork("2001:db8::7")
        #expect(v6.prefixLength == 128 && v6.contains(address("2001:db8:0:0::7")) && !v6.contains(address("2001:db8::8")))
        let loopback = try IPNetwork("::1")
        #expect(loopback.contains(address("::1")) && !loopback.contains(address("127.0.0.1")))
    }

    @Test func zeroPrefixesHoldAWholeFamily() throws {
        let v4 = try IPNetwork("0.0.0.0/0")
        #expect(v4.contains(address("203.0.113.9")) && v4.contains(address("::ffff:203.0.113.9")))
        #expect(!v4.contains(address("2001:db8::1")))
        let v6 = try IPNetwork("::/0")
        #expect(v6.contains(address("2001:db8::1")) && v6.contains(address("::1")))
        #expect(!v6.contains(address("203.0.113.9")))
    }

    @Test func mappedFormsAreReadAsIPv4() throws {
        #expect(try IPNetwork("::ffff:10.0.0.0/104") == IPNetwork("10.0.0.0/8"))
        #expect(try IPNetwork("::ffff:192.0.2.7") == IPNetwork("192.0.2.7/32"))
        #expect(address("::ffff:192.0.2.7").description == "192.0.2.7")
        #expect(address("2001:0DB8:0:0:0:0:0:1").description == "2001:db8::1")
    }

    @Test func badPrefixesAreRefusedWithTheRange() {
        #expect(throws: IPNetwork.ParseError.prefixOutOfRange("0–32 for IPv4")) { try IPNetwork("10.0.0.0/33") }
        #expect(throws: IPNetwork.ParseError.prefixOutOfRange("0–128 for IPv6")) { try IPNetwork("2001:db8::/129") }
        #expect(throws: IPNetwork.ParseError.prefixOutOfRange("96–128 for an IPv4-mapped IPv6 address")) {
            try IPNetwork("::ffff:10.0.0.0/64")
        }
        #expect(IPNetwork.ParseError.prefixOutOfRange("0–32 for IPv4").description == "prefix length must be 0–32 for IPv4")
        for text in ["10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08", "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0.0/8 ",
                     "10.0.0.0/0x8", "10.0.0.0/1000", "10.0.0.0/８"] {
            #expect(throws: IPNetwork.ParseError.prefixNotANumber, "\(text)") { try IPNetwork(text) }
        }
    }

    @Test func hostBitsAreRefusedWithTheNetworkMeant() {
        #expect(throws: IPNetwork.ParseError.hostBitsSet(network: "10.0.0.0/24")) { try IPNetwork("10.0.0.1/24") }
        #expect(throws: IPNetwork.ParseError.hostBitsSet(network: "2001:db8::/32")) { try IPNetwork("2001:db8::1/32") }
        #expect(throws: IPNetwork.ParseError.hostBitsSet(network: "0.0.0.0/0")) { try IPNetwork("10.0.0.0/0") }
    }

    @Test func garbageIsNotAnAddress() {
        for text in ["", "/8", "proxy.example.com", "10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.1.", " 10.0.0.1", "10.0.0.1 ",
                     "10.0.0.1:80", "[::1]", "[::1]:80", "fe80::1%eth0", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "10.0.0.1\0garbage",
                     "0x0a.0.0.1", "unknown", "-", "::ffff:10.0.0.256"] {
            #expect(throws: IPNetwork.ParseError.notAnAddress, "\(text.debugDescription)") { try IPNetwork(text) }
            #expect(IPAddress(text) == nil, "\(text.debugDescription)")
        }
    }
}

/// The client behind trusted proxies: the rightmost hop that is not one of them, and only from a trusted peer.
@Suite struct TrustedProxiesTests {
    let proxies = TrustedProxies([try! IPNetwork("10.0.0.0/8"), try! IPNetwork("2001:db8:ff::/48")])

    @Test func theHeaderIsIgnoredUnlessThePeerIsTrusted() {
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: "198.51.100.7") == "127.0.0.1")
        #expect(proxies.clientAddress(peer: "2001:db8::1", forwardedFor: "198.51.100.7") == "2001:db8::1")
        #expect(proxies.clientAddress(peer: "unknown", forwardedFor: "198.51.100.7") == "unknown")
        #expect(TrustedProxies([]).clientAddress(peer: "10.0.0.1", forwardedFor: "198.51.100.7") == "10.0.0.1")
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: nil) == "10.0.0.1")
    }

    @Test func theRightmostUntrustedHopIsTheClient() {
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: "198.51.100.7") == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "::ffff:10.0.0.1", forwardedFor: "198.51.100.7") == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "2001:db8:ff::2", forwardedFor: "198.51.100.7, 10.9.8.7") == "198.51.100.7")
        // What the client wrote itself, left of the hop a trusted proxy added, is never the answer.
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: "192.0.2.66, 198.51.100.7, 10.0.0.2") == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: "not an address, 198.51.100.7") == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: "10.0.0.3,\t2001:DB8::7 ,10.0.0.2") == "2001:db8::7")
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: "::ffff:198.51.100.7") == "198.51.100.7")
    }

    @Test func whenEveryHopIsTrustedTheLeftmostIsTheClient() {
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: "10.0.0.9, 10.0.0.2") == "10.0.0.9")
    }

    @Test func aMalformedHopLeavesThePeer() {
        for header in ["", " ", "198.51.100.7, ", "198.51.100.7,,10.0.0.2", "198.51.100.7:4711", "[2001:db8::7]",
                       "198.51.100.7, proxy.internal", "unknown", "198.51.100.7, 10.0.0.2:80"] {
            #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: header) == "10.0.0.1", "\(header.debugDescription)")
        }
    }
}
