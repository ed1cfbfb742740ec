import Bytes
import Diagnosis
import Foundation
import Report
import Testing

struct JSONWriterTests {
    static func parse(_ writer: JSONWriter) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(writer.buffer)) as! [String: Any]
    }

    @Test func nestedObjectsArraysAndEscapes() throws {
        var json = JSONWriter()
        json.beginObject()
        json.field("type", static: "packet")
        json.beginObject("frame")
        json.field("number", UInt64(7))
        json.field("time_epoch", nanoseconds: 1_732_456_789_000_000_042)
        json.endObject()
        json.beginArray("aim")
        json.beginObject(); json.field("channel", 2); json.endObject()
        json.beginObject(); json.field("channel", 5); json.endObject()
        json.endArray()
        json.field("text", "quote \" backslash \\ newline \n tab \t bell \u{07} ünïcødé")
        json.field("negative", -42)
        json.field("ok", true)
        json.fieldNull("nothing")
        json.field("v4", IPAddress(ipv4: 0xC0A8_0001))
        json.field("v6", IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: 1))
        json.endObject()
        json.endLine()
        #expect(json.buffer.last == 0x0A)
        let object = try Self.parse(json)
        #expect((object["frame"] as? [String: Any])?["time_epoch"] as? String == "1732456789.000000042")
        #expect((object["aim"] as? [[String: Any]])?.map { $0["channel"] as? Int } == [2, 5])
        #expect(object["text"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} ünïcødé")
        #expect(object["negative"] as? Int == -42)
        #expect(object["nothing"] is NSNull)
        #expect(object["v4"] as? String == "192.168.0.1")
        #expect(object["v6"] as? String == "2001:db8::1")
    }

    @Test func extremeIntegersAndTimes() throws {
        var json = JSONWriter()
        json.beginObject()
        json.field("max", UInt64.max)
        json.field("min", Int64.min)
        json.field("t", nanoseconds: Int64.min)
        json.endObject()
        let text = String(decoding: json.buffer, as: UTF8.self)
        #expect(text == #"{"max":18446744073709551615,"min":-9223372036854775808,"t":"-9223372036.854775808"}"#)
    }

    @Test func findingRecordHasTheContractsShape() throws {
        let finding = Finding(
            kind: .firewallSessionTimeout, severity: .error, level: .confirmed, detail: .droppedAtGateway,
            firstTime: 1_000_000_000, lastTime: 2_500_000_000, frames: [171, 183, 195],
            client: Endpoint(address: IPAddress(ipv4: 0xC0A8_0102), port: 37143),
            server: Endpoint(address: IPAddress(ipv4: 0xC633_6404), port: 4000), uin: 1001,
            requirement: .sessionTimeout, explanation: "e", advice: "a")
        var json = JSONWriter()
        FindingRecord.writeNDJSON(&json, finding)
        let object = try Self.parse(json)
        #expect(object["type"] as? String == "finding")
        #expect(object["kind"] as? String == "firewall_session_timeout")
        #expect(object["severity"] as? String == "error")
        #expect(object["level"] as? String == "confirmed")
        #expect(object["detail"] as? String == "dropped_at_gateway")
        #expect(object["frames"] as? [Int] == [171, 183, 195])
        #expect((object["client"] as? [String: Any])?["port"] as? Int == 37143)
        #expect((object["server"] as? [String: Any])?["ip"] as? String == "198.51.100.4")
        #expect(object["peer"] is NSNull)
        #expect(object["uin"] as? Int == 1001)
        #expect(object["requirement"] as? String == "session-timeout")
        #expect(object["first_time"] as? String == "1.000000000")
        let text = FindingRecord.text([finding])
        #expect(text.contains("Requirement session-timeout"))
        #expect(text.contains("[ERROR] firewall_session_timeout (confirmed, dropped_at_gateway)"))
        #expect(text.contains("frames 171, 183, 195"))
    }
}
