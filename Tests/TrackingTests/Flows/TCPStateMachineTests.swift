import Testing
import Tracking

/// conn_state and history for TCP exchanges no shared capture holds, on hand-built segments,
/// against Zeek's definitions (docs/flow-semantics.md#conn-state).
@Suite struct TCPStateMachineTests {
    static let c = (UInt8(10), UInt8(1), UInt8(1), UInt8(1))
    static let s = (UInt8(10), UInt8(2), UInt8(2), UInt8(2))
    static let syn: UInt16 = 0x002, ack: UInt16 = 0x010, rst: UInt16 = 0x004, fin: UInt16 = 0x001, psh: UInt16 = 0x008

    /// (from client?, flags, seq, payload) per segment; returns the one flow's record.
    func run(_ segments: [(Bool, UInt16, UInt32, Int)]) -> FlowRecord {
        var table = FlowTable()
        for (i, (fromClient, flags, seq, payload)) in segments.enumerated() {
            let frame = fromClient
                ? tcpFrame(Self.c, 40000, Self.s, 40002, flags: flags, seq: seq, payload: payload)
                : tcpFrame(Self.s, 40002, Self.c, 40000, flags: flags, seq: seq, payload: payload)
            feed(&table, frame, time: Int64(i + 1) * 1_000_000, frame: UInt64(i + 1))
        }
        table.finish()
        var records: [FlowRecord] = []
        table.drainEndedFlows { records.append($0) }
        #expect(records.count == 1)
        return records[0]
    }

    /// A peer that never answers: the SYN and its retransmissions (same ISN) — S0, one S, the
    /// retransmissions visible only in the packet count.
    @Test func unansweredSYNs() {
        let r = run([(true, Self.syn, 100, 0), (true, Self.syn, 100, 0), (true, Self.syn, 100, 0)])
        #expect(r.connState == .S0 && r.history == "S" && r.originatorCounters.packets == 3)
    }

    /// Zeek re-numbers from a SYN with a new ISN while the first is unanswered, so even then no
    /// second S.
    @Test func synWithNewISN() {
        let r = run([(true, Self.syn, 100, 0), (true, Self.syn, 900, 0)])
        #expect(r.connState == .S0 && r.history == "S")
    }

    @Test func rejected() {
        let r = run([(true, Self.syn, 100, 0), (false, Self.rst | Self.ack, 0, 0)])
        #expect(r.connState == .REJ && r.history == "Sr")
    }

    /// The originator gives up with a RST before any answer: RSTOS0.
    @Test func originatorAbortsAttempt() {
        let r = run([(true, Self.syn, 100, 0), (true, Self.rst, 101, 0)])
        #expect(r.connState == .RSTOS0 && r.history == "SR")
    }

    /// SYN then FIN, no SYN-ACK: SH.
    @Test func halfOpenClose() {
        let r = run([(true, Self.syn, 100, 0), (true, Self.fin | Self.ack, 101, 0)])
        #expect(r.connState == .SH && r.history == "SF")
    }

    /// The capture starts at the SYN-ACK: the SYN-ACK's receiver is the originator, the history
    /// starts with ^, and the handshake's last ACK establishes both sides: S1.
    @Test func synAckFirstFlipsRoles() {
        let r = run([(false, Self.syn | Self.ack, 500, 0), (true, Self.ack, 101, 0), (true, Self.ack | Self.psh, 101, 10)])
        #expect(r.originator.port == 40000 && r.responder.port == 40002)
        #expect(r.history == "^hAD" && r.connState == .S1)
        #expect(r.originatorCounters.packets == 2 && r.responderCounters.packets == 1)
    }

    /// Established, then the originator closes and the responder never does: S2; the responder
    /// closes alone: S3.
    @Test func halfClosed() {
        let handshake: [(Bool, UInt16, UInt32, Int)] = [(true, Self.syn, 100, 0), (false, Self.syn | Self.ack, 500, 0), (true, Self.ack, 101, 0)]
        #expect(run(handshake + [(true, Self.fin | Self.ack, 101, 0)]).connState == .S2)
        #expect(run(handshake + [(false, Self.fin | Self.ack, 501, 0)]).connState == .S3)
        #expect(run(handshake + [(true, Self.fin | Self.ack, 101, 0), (false, Self.fin | Self.ack, 501, 0)]).history == "ShAFf")
    }

    /// SYN+FIN in one segment is Zeek's multi-flag Q.
    @Test func multiFlag() {
        #expect(run([(true, Self.syn | Self.fin, 100, 0)]).history == "Q")
    }
}
