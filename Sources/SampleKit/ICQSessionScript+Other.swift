import Bytes

extension ICQSessionScript {
    /// A DNS lookup by the client (A record of `host`) through the ISP's resolver 203.0.113.53 and
    /// its answer, at `now`: ordinary traffic that carries the capture's clock past the deadlines
    /// of earlier packets, so that a finding can be final instead of open at the end of capture.
    /// Frames: `dns`.
    public mutating func dnsLookup(_ host: String = "icq.mirabilis.com", answer: UInt32 = 0xC633_6404) {
        let resolver: UInt32 = 0xCB00_7135
        let localPort: UInt16 = 1900 &+ UInt16(truncatingIfNeeded: timeline.entries.count)
        let mappedPort: UInt16 = setup.natIP == nil ? localPort : 62500 &+ UInt16(truncatingIfNeeded: timeline.entries.count)
        let id = UInt16(truncatingIfNeeded: randomU32())
        var question: [UInt8] = []
        for label in host.split(separator: ".") {
            question.append(UInt8(label.utf8.count))
            question += Array(label.utf8)
        }
        question += [0, 0, 1, 0, 1]
        var query: [UInt8] = []
        query.appendBE16(id)
        query += [0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        query += question
        var response: [UInt8] = []
        response.appendBE16(id)
        response += [0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]
        response += question
        response += [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x01, 0x2C, 0, 4]
        response.appendBE32(answer)
        let t = now
        let queryID = clientHost.identification()
        if hasInside {
            timeline.add(time: t, interface: insideInterface, names: ["dns"], frame: SimPacket.frame(SimPacket.udp(
                from: setup.clientIP, localPort, to: resolver, 53, payload: query, ttl: clientHost.ttl, id: queryID)))
        }
        if hasOutside {
            timeline.add(time: t + Self.forwardDelay, interface: outsideInterface, names: ["dns"], frame: SimPacket.frame(
                SimPacket.udp(from: publicClientIP, mappedPort, to: resolver, 53, payload: query,
                              ttl: clientHost.ttl - 1, id: queryID)))
        }
        let back = t + Self.forwardDelay + 6 * Self.millisecond
        if hasOutside {
            timeline.add(time: back, interface: outsideInterface, names: ["dns"], frame: SimPacket.frame(SimPacket.udp(
                from: resolver, 53, to: publicClientIP, mappedPort, payload: response, ttl: 63, id: 0)))
        }
        if hasInside {
            timeline.add(time: back + Self.forwardDelay, interface: insideInterface, names: ["dns"], frame: SimPacket.frame(
                SimPacket.udp(from: resolver, 53, to: setup.clientIP, localPort, payload: response, ttl: 62, id: 0)))
        }
        at(back + Self.forwardDelay + 1_000_000)
    }

    /// The time of the latest frame emitted so far (the end of the capture so far).
    public var lastFrameTime: Int64 { timeline.entries.map(\.time).max() ?? setup.start }
}

extension Timeline {
    mutating func add(time: Int64, interface: Int, names: [String], frame: [UInt8]) {
        add(time: time, interface: interface, frame: frame, names: names)
    }
}
