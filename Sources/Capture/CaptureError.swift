import Bytes

/// Damaged or unusable input, located precisely enough for a person to find it.
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case cannotOpen = "cannot_open"
        case readFailed = "read_failed"
        case notACapture = "not_a_capture"
        case truncatedFileHeader = "truncated_file_header"
        case truncatedRecord = "truncated_record"
        case recordTooLong = "record_too_long"
        case recordLongerThanSnapLength = "record_longer_than_snaplen"
        case blockLengthMismatch = "block_length_mismatch"
        case badBlock = "bad_block"
        case unknownInterface = "unknown_interface"
        case unknownLinkType = "unknown_link_type"
        case libpcapRefused = "libpcap_refused"
        case badFilter = "bad_filter"
        // Live capture (the `file` of such an error is the interface name).
        case permissionDenied = "permission_denied"
        case noSuchInterface = "no_such_interface"
        case interfaceDown = "interface_down"
        case captureFailed = "capture_failed"
        case writeFailed = "write_failed"
    }

    public var file: String
    public var offset: Int64?
    public var frame: UInt64?
    public var reason: Reason
    public var message: String
    /// A fatal error ends the file; after a non-fatal one the reader goes on with the next record.
    public var isFatal: Bool

    public init(
        file: String, offset: Int64? = nil, frame: UInt64? = nil, reason: Reason, message: String,
        isFatal: Bool = true
    ) {
        self.file = file
        self.offset = offset
        self.frame = frame
        self.reason = reason
        self.message = message
        self.isFatal = isFatal
    }

    /// One line, naming the file and where in it.
    public var description: String {
        var location = file
        if let offset { location += ": offset \(offset)" }
        if let frame { location += (offset == nil ? ": " : ", ") + "frame \(frame)" }
        return "\(location): \(message)"
    }
}
