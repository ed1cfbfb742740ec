import Bytes
import Diagnosis
import Tracking
import Wire

/// Rule R4 as the analyzer wires it: Tracking's `ConnectionAttempts` fed the packets, and the
/// rule judging what became of each attempt. Tests that start from packets drive this; tests of
/// the rule alone hand `PeerPortDiagnosis` events.
final class PeerPortPipeline {
    let attempts: ConnectionAttempts
    let rule: PeerPortDiagnosis

    init(thresholds: Thresholds, emit: @escaping (Finding) -> Void, maximumAttempts: Int = 4096) {
        var configuration = ConnectionAttempts.Configuration(synProvisional: thresholds.synProvisional,
                                                             synFinal: thresholds.synFinal)
        configuration.maximumAttempts = maximumAttempts
        attempts = ConnectionAttempts(configuration: configuration)
        rule = PeerPortDiagnosis(thresholds: thresholds, attempts: attempts, emit: emit)
    }

    var ledger: PeerPortLedger { rule.ledger }
    var openAttempts: Int { attempts.openAttempts }

    func advertise(_ endpoint: Endpoint, uin: UInt32?, source: AdvertisedEndpoints.Source, isLANAddress: Bool = false,
                   frame: UInt64, connectionMode: UInt8? = nil, application: UInt8? = nil) {
        attempts.advertise(endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                           connectionMode: connectionMode, application: application)
        rule.advertised(endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                        connectionMode: connectionMode, application: application)
    }

    func tcp(_ header: TCPHeader, decoded: DecodedPacket, frame: UInt64, time: Int64, twoSided: Bool, isCopy: Bool) {
        attempts.tcp(header, decoded: decoded, frame: frame, time: time, twoSided: twoSided, isCopy: isCopy)
    }

    func icmp(_ message: ICMPMessage, decoded: DecodedPacket, frame: UInt64, time: Int64, twoSided: Bool) {
        attempts.icmp(message, decoded: decoded, frame: frame, time: time, twoSided: twoSided)
    }

    func gatewayVerdict(frame: UInt64, forwarded: Bool, time: Int64) {
        attempts.gatewayVerdict(frame: frame, forwarded: forwarded, time: time)
    }

    func noteSender(_ decoded: DecodedPacket, time: Int64) { attempts.noteSender(decoded, time: time) }
    func advance(to time: Int64) { attempts.advance(to: time) }
    func noteLogin(uin: UInt32, from address: IPAddress) { attempts.noteLogin(uin: uin, from: address) }
    func finish() { attempts.finish() }
}
