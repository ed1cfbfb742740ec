import Bytes
import Capture
import Wire

extension FlowTable {
    /// Accounts one decoded packet to its flow (creating the flow on its first packet) and ties
    /// an ICMP error to the flow of the datagram it quotes. Returns nil for packets that belong to
    /// no flow (no IP, a later fragment, a truncated transport header); they are counted.
    ///
    /// - Parameters:
    ///   - decoded: the frame decoded, or a reassembled IP datagram decoded (then pass `bytes`).
    ///   - bytes: what `decoded`'s offsets point into; the frame when nil.
    ///   - vlan: the frame's VLAN when `decoded` is a reassembled datagram that no longer has its
    ///     link layer; taken from `decoded` when nil.
    @discardableResult
    public mutating func process(_ packet: CapturedPacket, _ decoded: DecodedPacket,
                                 bytes: UnsafeRawBufferPointer? = nil, vlan: UInt16? = nil) -> FlowObservation? {
        statistics.packetsSeen += 1
        advance(to: packet.timestampNanos)

        var facts = PacketFlowFacts()
        guard facts.read(decoded, bytes: bytes ?? packet.bytes, vlan: vlan ?? decoded.link?.innermostVLAN ?? 0) else {
            switch decoded.network {
            case nil: statistics.packetsWithoutIP += 1
            case .ipv4(let h) where h.fragmentOffset > 0: statistics.fragmentsNotTracked += 1
            case .ipv6(let h) where h.isFragment && h.fragmentOffset > 0: statistics.fragmentsNotTracked += 1
            default: statistics.truncatedTransport += 1
            }
            return nil
        }

        let key = facts.tuple.key
        let slotIndex: Int32
        let isNew: Bool
        if let existing = lookup(key) {
            slotIndex = existing
            isNew = false
        } else {
            slotIndex = createFlow(key: key, facts: facts, time: packet.timestampNanos, frame: packet.frameNumber)
            isNew = true
        }

        // The payload's length on the wire (Wireshark's tcp.len), not what the snap length kept.
        let payloadLength = max(decoded.payloadLength, decoded.payloadWireLength)
        let fromOriginator = account(facts, packet: packet, payloadLength: payloadLength, in: slotIndex)
        touch(slotIndex)
        statistics.packetsTracked += 1

        if let quoted = facts.quotedError {
            tieICMPError(facts, quoted: quoted, packet: packet)
        }
        return FlowObservation(
            handle: FlowHandle(index: slotIndex, generation: slots[Int(slotIndex)].generation),
            fromOriginator: fromOriginator, isNewFlow: isNew)
    }

    private mutating func createFlow(key: FlowKey, facts: PacketFlowFacts, time: Int64, frame: UInt64) -> Int32 {
        let i = allocateSlot()
        var slot = FlowSlot(
            key: retainCompact(key),
            originatorIsLow: facts.tuple.sourceIsLow)
        slot.inUse = true
        slot.generation = slots[Int(i)].generation
        slot.sequence = nextSequence
        slot.isOneWay = facts.isOneWay
        slot.firstTime = time
        slot.lastTime = time
        slot.firstFrame = frame
        slot.lastActivity = clock
        // The originator is the side that sent the first packet, except that a SYN-ACK seen first
        // was sent by the responder (the SYN was missed): Zeek flips such a connection and marks
        // the history with `^`.
        if let segment = facts.tcp, segment.syn, segment.ack, !segment.rst, !segment.fin {
            slot.flipRoles()
        }
        slots[Int(i)] = slot
        nextSequence += 1
        index.insert(i, hash: Self.hash(key))
        linkAtTail(i, class: slot.currentTimeoutClass)
        statistics.flowsCreated += 1
        statistics.peakActiveFlows = max(statistics.peakActiveFlows, index.count)
        return i
    }

    /// Updates counters, times and TCP state; returns whether the originator sent the packet.
    private mutating func account(_ facts: PacketFlowFacts, packet: CapturedPacket, payloadLength: Int,
                                  in i: Int32) -> Bool {
        let now = clock
        return Self.update(&slots[Int(i)], facts, time: packet.timestampNanos, frame: packet.frameNumber,
                           payloadLength: payloadLength, clock: now)
    }

    private static func update(_ slot: inout FlowSlot, _ facts: PacketFlowFacts, time: Int64, frame: UInt64,
                               payloadLength: Int, clock: Int64) -> Bool {
        let fromOriginator = facts.tuple.sourceIsLow == slot.originatorIsLow
        if time < slot.firstTime { slot.firstTime = time }
        if time > slot.lastTime { slot.lastTime = time }
        slot.lastFrame = max(slot.lastFrame, frame)
        slot.lastActivity = clock
        if fromOriginator {
            count(&slot.originatorCounters, facts: facts, payloadLength: payloadLength)
        } else {
            count(&slot.responderCounters, facts: facts, payloadLength: payloadLength)
        }
        switch slot.protocolNumber {
        case 6:
            if let segment = facts.tcp {
                slot.tcp.update(segment, fromOriginator: fromOriginator, history: &slot.history)
            }
        case 17:
            // Zeek's UDP history: D/d once per direction.
            let packets = fromOriginator ? slot.originatorCounters.packets : slot.responderCounters.packets
            if packets == 1 { slot.history.append(UInt8(ascii: fromOriginator ? "D" : "d")) }
        default:
            break
        }
        return fromOriginator
    }

    private static func count(_ counters: inout DirectionCounters, facts: PacketFlowFacts, payloadLength: Int) {
        counters.packets &+= 1
        counters.ipBytes &+= UInt64(facts.ipBytes)
    }
}

/// The flow-relevant facts of one decoded packet, gathered once.
struct PacketFlowFacts {
    var tuple = FlowTuple(source: IPAddress(ipv4: 0), destination: IPAddress(ipv4: 0), sourcePort: 0,
                          destinationPort: 0, protocolNumber: 0)
    var isIPv6 = false
    var isOneWay = false
    /// IPv4 total length, or 40 + the IPv6 payload length: the bytes Zeek counts as IP bytes.
    var ipBytes = 0
    /// TTL or hop limit as received.
    var ttl: UInt8 = 0
    var tcp: TCPSegmentInfo? = nil
    /// For ICMP errors: the message type and code and what it quotes.
    var quotedError: QuotedDatagram? = nil
    var icmpType: UInt8 = 0
    var icmpCode: UInt8 = 0

    /// Reads a packet's facts into these (filled in place, at every packet: a failable
    /// initializer passed its 186 bytes on through four copies). False when the packet has no
    /// IP layer or no usable transport header.
    mutating func read(_ decoded: borrowing DecodedPacket, bytes frame: UnsafeRawBufferPointer, vlan: UInt16) -> Bool {
        let source: IPAddress, destination: IPAddress, protocolNumber: UInt8
        switch decoded.network {
        case .ipv4(let h):
            guard h.fragmentOffset == 0 else { return false }
            source = h.source; destination = h.destination; protocolNumber = h.protocolNumber
            ipBytes = h.totalLength
            ttl = h.ttl
            isIPv6 = false
        case .ipv6(let h):
            guard !(h.isFragment && h.fragmentOffset > 0) else { return false }
            source = h.source; destination = h.destination; protocolNumber = h.upperProtocol
            ipBytes = 40 + h.payloadLength
            ttl = h.hopLimit
            isIPv6 = true
        case nil:
            return false
        }
        var sourcePort: UInt16 = 0, destinationPort: UInt16 = 0
        switch decoded.transport {
        case .tcp(let h):
            sourcePort = h.sourcePort; destinationPort = h.destinationPort
            tcp = TCPSegmentInfo(flags: h.flags, sequence: h.sequenceNumber, window: h.window,
                                 payloadLength: max(decoded.payloadLength, decoded.payloadWireLength))
        case .udp(let h):
            sourcePort = h.sourcePort; destinationPort = h.destinationPort
        case .icmp(let m), .icmpv6(let m):
            let ports = ICMPFlowPorts.ports(type: m.type, code: m.code, isIPv6: isIPv6)
            sourcePort = ports.source; destinationPort = ports.destination
            isOneWay = ports.isOneWay
            quotedError = m.quoted
            icmpType = m.type
            icmpCode = m.code
        case nil:
            switch protocolNumber {
            case IPProtocol.tcp, IPProtocol.udp, IPProtocol.icmp, IPProtocol.icmpv6:
                return false  // header cut off
            case 132:
                // SCTP: the Community ID hashes its ports, the first 4 bytes of its common header.
                let offset = decoded.payloadOffset
                guard decoded.payloadLength >= 4, offset >= 0, offset + 4 <= frame.count else { return false }
                sourcePort = frame.u16BE(at: offset); destinationPort = frame.u16BE(at: offset + 2)
            default:
                break
            }
        }
        tuple = FlowTuple(source: source, destination: destination, sourcePort: sourcePort,
                          destinationPort: destinationPort, protocolNumber: protocolNumber, vlan: vlan)
        return true
    }
}
