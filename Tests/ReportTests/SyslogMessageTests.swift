import Bytes
import Diagnosis
import Report
import Testing

struct SyslogMessageTests {
    private func finding(explanation: String = "It timed out.") -> Finding {
        Finding(kind: .firewallSessionTimeout, severity: .error, level: .confirmed, detail: .droppedAtGateway,
                firstTime: 1_732_456_789_123_456_789, lastTime: 1_732_456_790_000_000_001, frames: [171, 183],
                client: Endpoint(address: IPAddress(ipv4: 0x0A4D_0102), port: 37143),
                server: Endpoint(address: IPAddress(ipv4: 0x0A4E_0102), port: 4000), peer: nil, uin: 1001,
                requirement: .udp4000Replies, explanation: explanation, advice: "Raise it.")
    }

    @Test func aFindingIsAnRFC5424MessageWithStructuredData() {
        let bytes = SyslogMessage.format(finding(), facility: 3, hostname: "gw 1", processID: 42,
                                         timestampNanos: 1_732_456_790_036_490_123)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("<27>1 2024-11-24T13:59:50.036490Z gw1 icqscope 42 finding [finding@32473 kind=\"firewall_session_timeout\" severity=\"error\" level=\"confirmed\" detail=\"dropped_at_gateway\" "))
        #expect(text.contains(" client=\"10.77.1.2:37143\" server=\"10.78.1.2:4000\" uin=\"1001\" first_time=\"1732456789.123456789\" last_time=\"1732456790.000000001\" frames=\"171 183\"] "))
        #expect(text.hasSuffix("\u{FEFF}It timed out. Advice: Raise it."))
        // Warnings are severity 4; local0 is facility 16.
        var warning = finding()
        warning.severity = .warning
        #expect(String(decoding: SyslogMessage.format(warning, facility: 16, hostname: "", processID: 1, timestampNanos: 0), as: UTF8.self)
            .hasPrefix("<132>1 1970-01-01T00:00:00.000000Z - icqscope 1 finding "))
    }

    @Test func parameterValuesAreEscaped() {
        #expect(SyslogMessage.escaped(#"a"b\c]d"#) == #"a\"b\\c\]d"#)
    }
}
