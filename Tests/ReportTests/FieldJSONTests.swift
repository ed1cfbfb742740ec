import Bytes
import Report
import Testing
import Wire

/// Stream-decoder fields written as NDJSON members: nested objects, arrays for lists, masking.
struct FieldJSONTests {
    func render(_ body: (inout JSONFieldVisitor) -> Void, skip: Int = 0) -> String {
        var json = JSONWriter()
        json.beginObject()
        JSONFieldVisitor.write(into: &json, skipComponents: skip, body)
        json.endObject()
        return String(decoding: json.buffer, as: UTF8.self)
    }

    @Test func socksGreetingAndAuth() {
        let greeting: [UInt8] = [5, 3, 0, 1, 2]
        guard case .message(let m) = greeting.withUnsafeBytes({ SOCKSParser.v5Greeting($0) }) else { Issue.record(); return }
        let text = greeting.withUnsafeBytes { bytes in render { m.visitFields(bytes, revealSecrets: false, into: &$0) } }
        #expect(text == #"{"socks":{"version":5,"auth_method_count":3,"auth_method":[0,1,2]}}"#)
        let auth: [UInt8] = [1, 2] + Array("me".utf8) + [3] + Array("pw!".utf8)
        guard case .message(let a) = auth.withUnsafeBytes({ SOCKSParser.v5AuthRequest($0) }) else { Issue.record(); return }
        let masked = auth.withUnsafeBytes { bytes in render { a.visitFields(bytes, revealSecrets: false, into: &$0) } }
        #expect(masked == #"{"socks":{"version":5,"subnegotiation_version":1,"username":"me","password":"********"}}"#)
        // Inside an array the caller opened ("socks":[{…}]), the first component is skipped.
        let inArray = auth.withUnsafeBytes { bytes in
            render({ a.visitFields(bytes, revealSecrets: true, into: &$0) }, skip: 1)
        }
        #expect(inArray == #"{"version":5,"subnegotiation_version":1,"username":"me","password":"pw!"}"#)
    }

    @Test func peerInitNests() {
        let frame: [UInt8] = [
            0x30, 0x00, 0xFF, 0x08, 0x00, 0x2B, 0x00, 0x9A, 0x67, 0xD4, 0x09, 0x00, 0x00, 0x58, 0x20, 0x00, 0x00, 0xCD,
            0x69, 0x3D, 0x00, 0xD4, 0x38, 0xC4, 0x82, 0xD4, 0x38, 0xC4, 0x82, 0x04, 0x58, 0x20, 0x00, 0x00, 0x97, 0x48,
            0x4F, 0x4C, 0x50, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]
        let scratch = PeerScratch()
        var c = PeerConnection()
        guard case .pdu(let pdu) = frame.withUnsafeBytes({ c.consume($0, fromInitiator: true, scratch: scratch) }) else {
            Issue.record(); return
        }
        let text = frame.withUnsafeBytes { bytes in render { pdu.visitFields(frame: bytes, scratch: scratch, into: &$0) } }
        #expect(text == #"{"icq":{"peer":{"type":"init","length":48,"version":8,"uin":4024781,"init":{"dst_uin":164915098,"port":8280,"ip":"212.56.196.130","realip":"212.56.196.130","mode":4,"port2":8280,"cookie":1280264343,"conn_id":0}}}}"#)
    }
}
