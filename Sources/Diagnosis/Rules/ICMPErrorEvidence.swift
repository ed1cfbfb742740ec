import Tracking
import Wire

extension ICQDiagnosis {
    /// The ICQ packet an ICMP error quotes, as far as the rules need it.
    public struct QuotedPacket: Sendable, Equatable {
        public var command: UInt16
        public var seq1: UInt16
        public init(command: UInt16, seq1: UInt16) {
            self.command = command
            self.seq1 = seq1
        }
    }

    /// An ICMP destination unreachable about one of a session's datagrams.
    struct ICMPErrorEvidence {
        var frame: UInt64
        var time: Int64
        var code: UInt8
        /// It quotes a server packet (else a client packet).
        var aboutServerPacket: Bool
        /// The ICQ header it quotes, when the quote reaches that far.
        var quoted: QuotedPacket?

        /// Whether the error answers a copy of this exchange: the very packet when the quote shows
        /// its ICQ header (same command and sequence number), else any packet sent since the
        /// exchange began.
        func concerns(_ exchange: ICQExchange) -> Bool {
            guard time >= exchange.firstTime else { return false }
            guard let quoted else { return true }
            return quoted.command == exchange.command && quoted.seq1 == exchange.seq1
        }

        /// The proof of a push lost to a firewall timeout that this error gives.
        var clientSideProof: String {
            "an ICMP destination unreachable (code \(code)) came back from the client's side quoting the server's packet\(quotedText(fromClient: false)): nothing there would take it"
        }

        /// ` (SRV_…, seq 0x…)` for explanations; empty when the quote shows no ICQ.
        func quotedText(fromClient: Bool) -> String {
            guard let quoted else { return "" }
            let name = (fromClient ? ICQCommandNames.client(quoted.command) : ICQCommandNames.server(quoted.command))
                .map { "\($0)" } ?? "command 0x" + String(quoted.command, radix: 16)
            return " (\(name), seq 0x\(String(quoted.seq1, radix: 16)))"
        }
    }
}
