import Bytes
import Tracking
import Wire

/// Rule R6: ICQ keeps going over a SOCKS5 UDP association after its TCP control connection ended.
/// The association ends with the control connection (RFC 1928 §6) and the relay then drops the
/// datagrams silently: the client's packets continue with nothing coming back.
public final class SOCKSDiagnosis {
    public let thresholds: Thresholds
    public let handshakes = SOCKSHandshakes()
    private let emit: (Finding) -> Void

    struct AfterClose {
        var association: SOCKSHandshakes.Association
        var clientFrames: [UInt64] = []
        var firstTime: Int64? = nil
        var relayAnswered = false
        var reported = false
        var uin: UInt32? = nil
        var udpClient: Endpoint? = nil
    }

    private var afterClose: [Endpoint: AfterClose] = [:]

    public init(thresholds: Thresholds, emit: @escaping (Finding) -> Void) {
        self.thresholds = thresholds
        self.emit = emit
    }

    public func segment(_ header: TCPHeader, payload: UnsafeRawBufferPointer, source: Endpoint, destination: Endpoint,
                        frame: UInt64, time: Int64) {
        if let closed = handshakes.segment(header, payload: payload, source: source, destination: destination,
                                           frame: frame, time: time) {
            afterClose[closed.relay] = AfterClose(association: closed)
        }
    }

    /// A datagram between a client and a relay; `toRelay` gives its direction, `uin` the ICQ user
    /// inside it when the datagram carried classic ICQ.
    public func datagram(relay: Endpoint, client: Endpoint, toRelay: Bool, frame: UInt64, time: Int64, uin: UInt32?) {
        guard var state = afterClose[relay], let closedTime = state.association.closedTime, time > closedTime,
              !state.reported else { return }
        if !toRelay {
            state.relayAnswered = true
            afterClose[relay] = state
            return
        }
        state.clientFrames.append(frame)
        state.udpClient = client
        if state.firstTime == nil { state.firstTime = time }
        if state.uin == nil { state.uin = uin }
        if !state.relayAnswered, let first = state.firstTime, time - first > thresholds.ackWait {
            state.reported = true
            let a = state.association
            emit(Finding(
                kind: .socksAssociationLost, severity: .error, firstTime: closedTime, lastTime: time,
                frames: [a.closedFrame!] + state.clientFrames, client: state.udpClient ?? a.client, server: a.relay, uin: state.uin,
                requirement: .proxy,
                explanation: "The TCP control connection \(a.client) ↔ \(a.proxy) of the SOCKS5 UDP association ended (frame \(a.closedFrame!)), which ends the association; the client kept sending its ICQ datagrams to the relay \(a.relay) (\(state.clientFrames.count) of them over \(seconds(time - first)) s) and nothing came back: the relay drops them.",
                advice: "Keep the SOCKS5 control connection open for as long as ICQ runs (a proxy or firewall idle timeout on TCP 1080 ends it), or let the client re-associate when it closes; where the firewall allows, send ICQ's UDP 4000 directly."))
        }
        afterClose[relay] = state
    }
}
