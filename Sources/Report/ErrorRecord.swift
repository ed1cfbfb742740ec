import Capture

/// The `error` record and its one-line stderr twin.
public enum ErrorRecord {
    public static func write(_ json: inout JSONWriter, _ error: CaptureError) {
        json.beginObject()
        json.field("type", static: "error")
        json.field("file", error.file)
        if let offset = error.offset { json.field("offset", offset) }
        if let frame = error.frame { json.field("frame", frame) }
        json.field("reason", error.reason.rawValue)
        json.field("message", error.message)
        json.field("fatal", error.isFatal)
        json.endObject()
        json.endLine()
    }

    /// The stderr line: `icqscope: FILE: offset N, frame M: what is wrong`.
    public static func line(_ error: CaptureError) -> String {
        "icqscope: \(error.description)\n"
    }
}
