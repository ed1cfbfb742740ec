import Bytes

/// One generated capture with what a test needs to check an analyzer against it: the pcapng
/// bytes, the frame numbers of the packets that matter (by name, so tests hold no magic numbers),
/// each frame's timestamp, the session's identity, and the findings a correct analyzer reports.
public struct ScenarioCapture: Sendable {
    public let name: String
    /// A pcapng file: one interface per side of the gateway the capture saw.
    public let bytes: [UInt8]
    /// Named frames, 1-based, in frame order. On a two-sided capture a name holds both sides'
    /// copies; `name@inside` and `name@outside` hold each side's alone.
    public let marks: [String: [UInt64]]
    /// Capture time of each frame in nanoseconds since the Unix epoch; index = frame number − 1.
    public let times: [Int64]
    /// The pcapng interface (0-based) of each frame; index = frame number − 1.
    public let interfaces: [Int]
    /// The client's UDP endpoint as the capture sees it (on a two-sided capture: inside).
    public let client: Endpoint
    /// The client's endpoint after NAT, when the gateway translates (first mapping).
    public let clientOutside: Endpoint?
    /// The ICQ server (UDP 4000), or the SOCKS5 relay when ICQ goes through one.
    public let server: Endpoint
    public let uin: UInt32
    public let sessionID: UInt32
    /// What a correct analyzer with the contract's default thresholds reports. Empty for a
    /// healthy capture or a near miss.
    public let expected: [ExpectedFinding]
    /// Finding kinds that must not fire on this capture (for a near miss: the kind it nearly is).
    public let absent: [String]

    /// The one frame of that name (the first, when a name holds several).
    public func frame(_ name: String) -> UInt64 {
        guard let f = marks[name]?.first else { preconditionFailure("scenario \(self.name) has no frame named \(name)") }
        return f
    }

    /// All frames of that name, in frame order (empty when none).
    public func frames(_ name: String) -> [UInt64] { marks[name] ?? [] }

    /// The capture time of a frame, in nanoseconds since the epoch.
    public func time(of frame: UInt64) -> Int64 { times[Int(frame) - 1] }

    /// Total number of frames.
    public var frameCount: Int { times.count }
}

/// A finding as the output contract describes it (OUTPUT.md "Finding records"): the scenario's
/// statement of what must be reported. Kinds, severities, levels and details are the contract's
/// strings. `frames` are the frames that prove it (the contract's `frames`); a test may require
/// them exactly or as a subset, as the analyzer's policy decides.
public struct ExpectedFinding: Sendable, Equatable {
    public var kind: String
    public var severity: String
    public var level: String?
    public var detail: String?
    public var client: Endpoint?
    public var server: Endpoint?
    public var peer: Endpoint?
    public var uin: UInt32?
    public var frames: [UInt64]

    public init(kind: String, severity: String, level: String? = nil, detail: String? = nil,
                client: Endpoint? = nil, server: Endpoint? = nil, peer: Endpoint? = nil,
                uin: UInt32? = nil, frames: [UInt64]) {
        self.kind = kind
        self.severity = severity
        self.level = level
        self.detail = detail
        self.client = client
        self.server = server
        self.peer = peer
        self.uin = uin
        self.frames = frames
    }
}
