import Crypto
import Foundation
import LabPeers
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The lab's OSCAR server on loopback, driven by a minimal OSCAR client written here from the
/// protocol (libfaim's MD5 login, docs/protocol.md's FLAP, SNAC and TLV layouts): what a real
/// client (bitlbee, in the oscar-* lab scenarios) relies on. No root needed.
@Suite(.serialized)
struct OSCARServerTests {
    /// A blocking TCP client that reads and writes FLAP frames (1 s receive timeout).
    final class Client {
        let fd: Int32
        var buffer: [UInt8] = []
        var sequence: UInt16 = 0

        init(port: UInt16) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            sa.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            for _ in 0..<50 {  // the server thread may not listen yet
                let rc = withUnsafePointer(to: &sa) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                if rc == 0 { return }
                usleep(20_000)
            }
            throw POSIXError(.ECONNREFUSED)
        }

        deinit { close(fd) }

        func send(channel: UInt8, _ data: [UInt8]) {
            sequence &+= 1
            let frame = [0x2A, channel] + be16(sequence) + be16(UInt16(data.count)) + data
            _ = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        }

        func sendSNAC(_ family: UInt16, _ subtype: UInt16, _ body: [UInt8] = []) {
            send(channel: 2, be16(family) + be16(subtype) + be16(0) + be16(0) + be16(UInt16(subtype)) + body)
        }

        /// The next FLAP frame, or nil after the timeout or a close.
        func frame() -> (channel: UInt8, data: [UInt8])? {
            while true {
                if buffer.count >= 6 {
                    let length = Int(buffer[4]) << 8 | Int(buffer[5])
                    if buffer.count >= 6 + length {
                        let result = (buffer[1], Array(buffer[6..<6 + length]))
                        buffer.removeFirst(6 + length)
                        return result
                    }
                }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { return nil }
                buffer += chunk[0..<count]
            }
        }

        /// The body of the next SNAC (family, subtype), skipping others; nil if none comes.
        func snac(_ family: UInt16, _ subtype: UInt16) -> [UInt8]? {
            while let (channel, data) = frame() {
                if channel == 2, data.count >= 10, u16(data, 0) == family, u16(data, 2) == subtype { return Array(data[10...]) }
            }
            return nil
        }
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) << 8 | UInt16(b[at + 1]) }
    static func tlv(_ type: UInt16, _ value: [UInt8]) -> [UInt8] { be16(type) + be16(UInt16(value.count)) + value }
    /// TLVs of a chain, by type (the first of each).
    static func tlvs(_ bytes: [UInt8], from start: Int = 0) -> [UInt16: [UInt8]] {
        var result: [UInt16: [UInt8]] = [:], i = start
        while i + 4 <= bytes.count {
            let type = u16(bytes, i), length = Int(u16(bytes, i + 2))
            guard i + 4 + length <= bytes.count else { break }
            if result[type] == nil { result[type] = Array(bytes[(i + 4)..<(i + 4 + length)]) }
            i += 4 + length
        }
        return result
    }

    static func startServer(login: UInt16, bos: UInt16) {
        var configuration = OSCARServer.Configuration(login: LabEndpoint("127.0.0.1:\(login)")!, bos: LabEndpoint("127.0.0.1:\(bos)")!)
        configuration.accounts = ["1001": "secret-a", "1002": "secret-b"]
        configuration.buddies = ["1001": ["1002"], "1002": ["1001"]]
        configuration.runFor = 4
        let settled = configuration
        Thread.detachNewThread { try? OSCARServer(configuration: settled).run() }
    }

    /// libfaim's MD5 login: the key request (17,06), the digest md5(key + password + "AOL Instant
    /// Messenger (SM)") in TLV 0x25 of 17,02; returns 17,03's TLVs.
    static func login(port: UInt16, uin: String, password: String) throws -> [UInt16: [UInt8]] {
        let client = try Client(port: port)
        #expect(client.frame()?.data == [0, 0, 0, 1])  // the server's hello comes first
        client.send(channel: 1, [0, 0, 0, 1])
        client.sendSNAC(0x17, 0x06, tlv(1, Array(uin.utf8)))
        let keyBody = try #require(client.snac(0x17, 0x07))
        let key = Array(keyBody[2..<(2 + Int(u16(keyBody, 0)))])
        let digest = Array(Insecure.MD5.hash(data: key + Array(password.utf8) + Array("AOL Instant Messenger (SM)".utf8)))
        client.sendSNAC(0x17, 0x02, tlv(1, Array(uin.utf8)) + tlv(0x25, digest))
        return tlvs(try #require(client.snac(0x17, 0x03)))
    }

    /// On BOS with the cookie; the server offers its families, hands out the buddy list, and
    /// takes 01,02 (client ready) as signed on. `before` runs before client ready.
    static func signOn(bos: UInt16, cookie: [UInt8], before: (Client) -> Void = { _ in }) throws -> (Client, families: [UInt8], list: [UInt8]) {
        let client = try Client(port: bos)
        #expect(client.frame()?.data == [0, 0, 0, 1])
        client.send(channel: 1, [0, 0, 0, 1] + tlv(6, cookie))
        let families = try #require(client.snac(0x01, 0x03))
        client.sendSNAC(0x13, 0x04)
        let list = try #require(client.snac(0x13, 0x06))
        before(client)
        client.sendSNAC(0x01, 0x02)
        return (client, families, list)
    }

    @Test func wrongPasswordIsRefusedWithError5() throws {
        let port = UInt16.random(in: 40_000...49_000)
        Self.startServer(login: port, bos: port + 1)
        let reply = try Self.login(port: port, uin: "1001", password: "wrong")
        #expect(reply[8] == [0, 5])
        #expect(reply[5] == nil && reply[6] == nil)
    }

    @Test func loginRedirectBuddyArrivalAndMessageRelay() throws {
        let port = UInt16.random(in: 50_000...59_000)
        Self.startServer(login: port, bos: port + 1)
        let replyA = try Self.login(port: port, uin: "1001", password: "secret-a")
        #expect(replyA[1] == Array("1001".utf8))
        #expect(replyA[5] == Array("127.0.0.1:\(port + 1)".utf8))
        let cookieA = try #require(replyA[6])
        #expect(cookieA.count == 256)
        let (a, families, list) = try Self.signOn(bos: port + 1, cookie: cookieA)
        #expect(families == [0, 1, 0, 2, 0, 3, 0, 4, 0, 9, 0, 0x13, 0, 0x15])
        // Version 0, 2 items: the group "Buddies" (gid 1, type 1) and buddy "1002" (gid 1, id 1, type 0).
        let group: [UInt8] = [0, 7] + Array("Buddies".utf8) + [0, 1, 0, 0, 0, 1, 0, 0]
        let buddy: [UInt8] = [0, 4] + Array("1002".utf8) + [0, 1, 0, 1, 0, 0, 0, 0]
        let expectedList: [UInt8] = [0, 0, 2] + group + buddy + [0, 0, 0, 0]
        #expect(list == expectedList)

        // B gives its DC info (01,1E TLV 0x0C: 127.0.0.1 port 5002, type 4, version 8) before
        // client ready; A is told of B's arrival with exactly that DC info.
        let dcInfo: [UInt8] = [127, 0, 0, 1, 0, 0, 0x13, 0x8A, 4, 0, 8] + [UInt8](repeating: 0, count: 26)
        let replyB = try Self.login(port: port, uin: "1002", password: "secret-b")
        let (b, _, _) = try Self.signOn(bos: port + 1, cookie: try #require(replyB[6])) {
            $0.sendSNAC(0x01, 0x1E, Self.tlv(6, [0, 0, 0, 0]) + Self.tlv(0x0C, dcInfo))
        }
        let arrival = try #require(a.snac(0x03, 0x0B))
        #expect(arrival[0] == 4 && Array(arrival[1..<5]) == Array("1002".utf8))
        #expect(Self.tlvs(arrival, from: 9)[0x0C] == dcInfo)
        #expect(Self.tlvs(arrival, from: 9)[0x0A] == [127, 0, 0, 1])

        // B's message to A (04,06, channel 1, TLV 2 and an ack request) comes to A as 04,07 from
        // 1002 with the same cookie and TLV 2; B gets the server's ack (04,0C).
        let cookie: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let block = Self.tlv(0x0501, [1]) + Self.tlv(0x0101, [0, 0, 0, 0] + Array("hi".utf8))
        b.sendSNAC(0x04, 0x06, cookie + [0, 1, 4] + Array("1001".utf8) + Self.tlv(2, block) + Self.tlv(3, []))
        let incoming = try #require(a.snac(0x04, 0x07))
        #expect(Array(incoming[0..<8]) == cookie)
        #expect(Self.u16(incoming, 8) == 1)
        #expect(incoming[10] == 4 && Array(incoming[11..<15]) == Array("1002".utf8))
        let tlvCount = Int(Self.u16(incoming, 17))
        var offset = 19
        for _ in 0..<tlvCount { offset += 4 + Int(Self.u16(incoming, offset + 2)) }
        let messageTLVs = Self.tlvs(incoming, from: offset)
        #expect(messageTLVs[2] == block)
        #expect(messageTLVs[3] == nil)
        let ack = try #require(b.snac(0x04, 0x0C))
        #expect(Array(ack[0..<8]) == cookie)
    }
}
