import Bytes
import Testing

/// IPv4 addresses and endpoints are written digit by digit (`IPAddress.withDottedQuad`): the text
/// must be the dotted quad and port that interpolating the four numbers gives, at the edges of
/// each octet and port and on addresses spread over the whole range.
struct AddressTextTests {
    static func interpolated(_ v: UInt32) -> String {
        "\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }

    @Test func dottedQuadsAreTheInterpolatedText() {
        var values: [UInt32] = [0, 1, 9, 10, 99, 100, 255, 0x0A00_0001, 0xC0A8_0102, 0x7F00_0001, 0xFFFF_FFFF, 0x0909_0909, 0x6464_6464]
        var x: UInt32 = 0x1234_5678
        for _ in 0..<2_000 {
            x = x &* 1_664_525 &+ 1_013_904_223
            values.append(x)
        }
        for v in values {
            #expect(IPAddress(ipv4: v).description == Self.interpolated(v))
        }
        #expect(IPAddress(ipv4: 0xC633_6414).description == "198.51.100.20")
    }

    @Test func endpointsAreAddressColonPort() {
        for port: UInt16 in [0, 1, 9, 10, 99, 100, 999, 1000, 4000, 9999, 10_000, 65_535] {
            for v: UInt32 in [0, 0xC0A8_0102, 0xFFFF_FFFF] {
                #expect(Endpoint(address: IPAddress(ipv4: v), port: port).description == "\(Self.interpolated(v)):\(port)")
            }
        }
        let v6 = IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: 1)
        #expect(Endpoint(address: v6, port: 443).description == "[2001:db8::1]:443")
    }
}
