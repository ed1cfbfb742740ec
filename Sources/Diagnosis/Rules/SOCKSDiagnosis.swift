import Bytes
import Capture
import Tracking
import Wire

/// Rule R6: ICQ keeps going over a SOCKS5 UDP association after its TCP control connection ended.
/// The association ends with the control connection (RFC 1928 §6) and the relay then drops the
/// datagrams silently: the client's packets continue with nothing coming back.
public final class SOCKSDiagnosis {
    public let thresholds: Thresholds
    private let emit: (Finding) -> Void

    struct AfterClose {
        var association: SOCKSAssociation
        var clientFrames: [UInt64] = []
        var firstTime: Int64? = nil
        var relayAnswered = false
        var reported = false
        var uin: UInt32? = nil
        var udpClient: Endpoint? = nil
    }

    /// Associations whose control connection ended, by relay; at most `maximumClosed`, the
    /// oldest forgotten first (counted in `closedForgotten`).
    private var afterClose: [Endpoint: AfterClose] = [:]
    /// The relays of `afterClose` in the order their association closed: a ring whose oldest is
    /// at `oldestClosed` once it is full.
    private var closedOrder: [Endpoint] = []
    private var oldestClosed = 0
    public let maximumClosed: Int
    public private(set) var closedForgotten: UInt64 = 0

    public init(thresholds: Thresholds, maximumClosed: Int = 4096, emit: @escaping (Finding) -> Void) {
        self.thresholds = thresholds
        self.maximumClosed = max(1, maximumClosed)
        self.emit = emit
    }

    /// The control connection of a granted association ended (`SOCKSAssociations`): datagrams
    /// the client still sends to the relay from now on go nowhere.
    public func associationEnded(_ closed: SOCKSAssociation) {
        if afterClose.updateValue(AfterClose(association: closed), forKey: closed.relay) == nil {
            if closedOrder.count < maximumClosed {
                closedOrder.append(closed.relay)
            } else {
                afterClose.removeValue(forKey: closedOrder[oldestClosed])
                closedForgotten += 1
                closedOrder[oldestClosed] = closed.relay
                oldestClosed = oldestClosed + 1 == closedOrder.count ? 0 : oldestClosed + 1
            }
        }
    }

    /// A datagram between a client and a relay; `toRelay` gives its direction, `uin` the ICQ user
    /// inside it when the datagram carried classic ICQ.
    public func datagram(relay: Endpoint, client: Endpoint, toRelay: Bool, frame: UInt64, time: Int64, uin: UInt32?) {
        // Read and changed in place: a copy of the entry would make every append copy its frames.
        guard !afterClose.isEmpty, let i = afterClose.index(forKey: relay),
              let closedTime = afterClose.values[i].association.closedTime, time > closedTime,
              !afterClose.values[i].reported, !afterClose.values[i].relayAnswered else { return }
        if !toRelay {
            // Once the relay answered, the association was not lost: nothing more to collect.
            afterClose.values[i].relayAnswered = true
            afterClose.values[i].clientFrames = []
            return
        }
        afterClose.values[i].clientFrames.append(frame)
        afterClose.values[i].udpClient = client
        if afterClose.values[i].firstTime == nil { afterClose.values[i].firstTime = time }
        if afterClose.values[i].uin == nil { afterClose.values[i].uin = uin }
        if let first = afterClose.values[i].firstTime, CaptureTime.elapsed(from: first, to: time) > thresholds.ackWait {
            afterClose.values[i].reported = true
            let state = afterClose.values[i]
            afterClose.values[i].clientFrames = []
            let a = state.association
            emit(Finding(
                kind: .socksAssociationLost, severity: .error, firstTime: closedTime, lastTime: time,
                frames: [a.closedFrame!] + state.clientFrames, client: state.udpClient ?? a.client, server: a.relay, uin: state.uin,
                requirement: .proxy,
                explanation: "The TCP control connection \(a.client) ↔ \(a.proxy) of the SOCKS5 UDP association ended (frame \(a.closedFrame!)), which ends the association; the client kept sending its ICQ datagrams to the relay \(a.relay) (\(state.clientFrames.count) of them over \(seconds(CaptureTime.elapsed(from: first, to: time))) s) and nothing came back: the relay drops them.",
                advice: "Keep the SOCKS5 control connection open for as long as ICQ runs (a proxy or firewall idle timeout on TCP 1080 ends it), or let the client re-associate when it closes; where the firewall allows, send ICQ's UDP 4000 directly."))
        }
    }
}
