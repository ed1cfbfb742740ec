import Bytes
import Testing
import Tracking
import Wire

/// What is inside the PDUs of the real captures: the values the tool exists to show (where the
/// BOS server is, the peers' direct-connection ports, the messages), checked against tshark's
/// dissection and the capture notes.
@Suite
struct OSCARContentTests {
    /// Strings are made here, in the test, from the views the decoder hands out.
    static func text(_ bytes: UnsafeRawBufferPointer?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    final class Found {
        var values: [String: String] = [:]
        func put(_ key: String, _ value: Any?) { if let value { values[key] = "\(value)" } }
    }

    @Test func climmLoginRedirectPresenceAndMessages() throws {
        let found = Found()
        let (sink, _) = try decodeOSCAR(FixtureCaptures.path("real-software/oscar__iserverd-climm.pcap")) { pdu, frame in
            switch (frame, pdu.body) {
            case (6, .signOn(let s)):
                found.put("6.version", s.flapVersion)
                found.put("6.uin", Self.text(s.screenName))
                found.put("6.password", s.roastedPassword.map(PasswordRoasting.unroast))
                found.put("6.client", Self.text(s.clientIDString))
            case (8, .signOff(let r)):
                found.put("8.bos", Self.text(r.bosAddress))
                found.put("8.port", r.bosPort)
                found.put("8.cookie", r.cookie?.count)
            case (18, .signOn(let s)):
                found.put("18.cookie", s.cookie?.count)
            case (26, .rateInfo(let r)):
                found.put("26.classes", r.classCount)
                found.put("26.class1.window", r.rateClass(0)?.windowSize)
            case (40, .ssi(let l)):
                found.put("40.items", l.itemCount)
                found.put("40.read", l.itemsRead)
            case (41, .setStatus(let p)):
                found.put("41.dc", p.dcInfo.map { "\($0.internalAddress.description):\($0.tcpPort) v\($0.protocolVersion)" })
            case (43, .icq(let q)):
                found.put("43.icq", "\(q.ownerUIN) \(q.requestType)")
            case (94, .userInfo(let u)), (95, .userInfo(let u)):
                found.put("\(frame).buddy", u.first.uin)
                found.put("\(frame).dc", u.first.presence.dcInfo.map { "\($0.internalAddress.description):\($0.tcpPort) v\($0.protocolVersion) type \($0.type)" })
            case (103, .icbm(let m)):
                found.put("103.to", Self.text(m.screenName))
                found.put("103.channel", m.channel)
                found.put("103.text", Self.text(m.text))
            case (155, .keepAlive):
                found.put("155.keepalive", true)
            default: break
            }
        }
        let v = found.values
        #expect(sink.rows.count == 103)
        #expect(v["6.version"] == "1")
        #expect(v["6.uin"] == "1003")
        #expect(v["6.password"] == "pass1003")  // test account; masked at output unless revealed
        #expect(v["6.client"] == "ICQ Inc. - Product of ICQ (TM).2003b.5.37.1.3728.85")
        #expect(v["8.bos"] == "127.0.0.1:5190")
        #expect(v["8.port"] == "5190")
        #expect(v["8.cookie"] == "256")
        #expect(v["18.cookie"] == "256")
        #expect(v["26.classes"] == "5")  // tshark aim_generic.rateinfo.numclasses 0x0005
        #expect(v["40.items"] == "5" && v["40.read"] == "5")  // tshark aim_ssi.fnac.numitems 0x0005
        #expect(v["41.dc"] == "127.0.0.1:40003 v8")
        #expect(v["43.icq"] == "1003 60")  // tshark aim_icq.owner_uid, request_type
        #expect(v["94.buddy"] == "1003")
        #expect(v["94.dc"] == "127.0.0.1:40003 v8 type 3")  // tshark aim.dcinfo.addr / tcpport / proto_version / type
        #expect(v["95.dc"] == "127.0.0.1:40004 v8 type 3")
        #expect(v["103.to"] == "1004")
        #expect(v["103.channel"] == "2")
        #expect(v["103.text"] == "Hello dave (server relayed OSCAR)")
        #expect(v["155.keepalive"] == "true")
    }

    @Test func pyserverChannelOneTexts() throws {
        var texts: [String] = []
        var rate: (Int, Int)? = nil
        _ = try decodeOSCAR(FixtureCaptures.path("real-software/oscar__pyserver-micq-sample.pcap")) { pdu, _ in
            if case .icbm(let m) = pdu.body, pdu.snac?.subtype == 0x0006, let t = Self.text(m.text) {
                #expect(m.channel == 1)
                #expect(m.charset == 3)  // tshark aim.messageblock.charset 0x0003 (ISO-8859-1)
                texts.append(t)
            }
            if case .rateInfo(let r) = pdu.body { rate = (r.classCount, r.classLength) }
        }
        // The three messages of the capture notes, as tshark's aim.messageblock.message shows them.
        #expect(texts == ["Hello frank via the Python OSCAR server", "Reply from frank", "direct message"])
        // Five classes but a single rate group: still the 35-byte class layout.
        #expect(rate?.0 == 5 && rate?.1 == 35)
    }
}
