import Bytes
import Wire

/// What the HTML page (and the evidence file's comments) say about one frame: when, where, between
/// whom, and what it was, in a few fixed-size fields. Kept only with `--html`; the words are made
/// when the page is written.
public struct PacketBrief: Sendable {
    public enum Kind: UInt8, Sendable {
        case other, udp, tcp, icmp, icq
    }

    public var frame: UInt64
    public var time: Int64
    /// The capture side: the interface index, or the cooked-v2 ifindex.
    public var side: Int32
    /// Which input file (0 for the first, or for a live capture).
    public var sourceIndex: UInt16
    public var kind: Kind
    public var source: Endpoint
    public var destination: Endpoint
    /// Frame length on the wire.
    public var length: UInt32
    /// TCP flags (`TCPHeader.flags`).
    public var tcpFlags: UInt16 = 0
    /// ICMP type and code, and the source of the datagram an error quotes (which way it answers).
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    public var quotedSource: Endpoint? = nil
    public var quotedDestination: Endpoint? = nil
    public var quotedProtocol: UInt8 = 0
    /// Classic ICQ: the command, its version, direction and sequence numbers.
    public var icqCommand: UInt16 = 0
    public var icqVersion: UInt8 = 0
    public var icqFromServer = false
    public var seq1: UInt16 = 0
    public var seq2: UInt16 = 0
    public var uin: UInt32? = nil
    public var sessionID: UInt32? = nil
    /// The gateway matcher found no copy of this packet on the gateway's other side: the gateway
    /// dropped it if it was travelling toward the gateway, and sent it itself (a forged reset, an
    /// ICMP error) if it was travelling away from it (`EvidenceGeometry.stoppedAtGateway`).
    public var unforwarded = false

    public init(frame: UInt64, time: Int64, side: Int32, sourceIndex: UInt16, kind: Kind,
                source: Endpoint, destination: Endpoint, length: UInt32) {
        self.frame = frame
        self.time = time
        self.side = side
        self.sourceIndex = sourceIndex
        self.kind = kind
        self.source = source
        self.destination = destination
        self.length = length
    }

    public var isTCPSyn: Bool { tcpFlags & TCPHeader.syn != 0 && tcpFlags & TCPHeader.ack == 0 }
    public var isTCPSynAck: Bool { tcpFlags & TCPHeader.syn != 0 && tcpFlags & TCPHeader.ack != 0 }
    public var isTCPReset: Bool { tcpFlags & TCPHeader.rst != 0 }

    /// The ICQ command's name, e.g. `SRV_SYS_DELIVERED_MESS`.
    public var icqCommandName: String {
        let direction: ICQDirection = icqFromServer ? .serverToClient : .clientToServer
        if let name = ICQCommandNames.name(icqCommand, direction: direction, version: icqVersion) { return "\(name)" }
        return "command 0x" + String(icqCommand, radix: 16)
    }

    /// A few words for a label: `CMD_KEEP_ALIVE seq 0x1a2f/0`, `SYN → 5001`, `ICMP 3/13 admin prohibited`.
    public var summary: String {
        switch kind {
        case .icq:
            return "\(icqCommandName) seq 0x\(hex(seq1))/\(seq2)"
        case .tcp:
            return "TCP \(tcpFlagNames) \(source.port) → \(destination.port)"
        case .icmp:
            return "ICMP \(icmpType)/\(icmpCode) \(Self.icmpName(type: icmpType, code: icmpCode))"
        case .udp:
            return "UDP \(source.port) → \(destination.port)"
        case .other:
            return "frame"
        }
    }

    /// `SYN`, `SYN, ACK`, `RST, ACK`, ...
    public var tcpFlagNames: String {
        let names: [(UInt16, String)] = [(TCPHeader.syn, "SYN"), (TCPHeader.fin, "FIN"), (TCPHeader.rst, "RST"),
                                         (TCPHeader.psh, "PSH"), (TCPHeader.ack, "ACK")]
        let set = names.filter { tcpFlags & $0.0 != 0 }.map(\.1)
        return set.isEmpty ? "(no flags)" : set.joined(separator: ", ")
    }

    static func icmpName(type: UInt8, code: UInt8) -> String {
        switch (type, code) {
        case (3, 0): "network unreachable"
        case (3, 1): "host unreachable"
        case (3, 3): "port unreachable"
        case (3, 9), (3, 10), (3, 13): "administratively prohibited"
        case (3, _): "destination unreachable"
        case (11, _): "time exceeded"
        case (8, _): "echo request"
        case (0, _): "echo reply"
        default: ""
        }
    }

    private func hex(_ v: UInt16) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
