/// One frame waiting for its time in the gateway mix. The bytes are built when the frame is due
/// (`build`), not when its episode planned it: conversations overlap in time (at 10 users a
/// user's next OSCAR message leaves before the server has answered the last one), and the
/// sequence numbers of TCP, FLAP and ICQ must follow the order the frames go out in.
struct MixPacket {
    var time: Int64
    /// Queue order: frames of the same time come out in the order they were queued.
    var order: UInt64 = 0
    var category: GatewayMix.Category
    var carried: GatewayMix.Carried
    var opensWebConnection: Bool
    var encryptedICQ: Bool
    var build: () -> [UInt8]

    func precedes(_ other: MixPacket) -> Bool {
        time != other.time ? time < other.time : order < other.order
    }
}

/// A binary min-heap of frames by (time, order): episodes queue frames up to a few seconds
/// ahead (retransmissions come 10 s later), and the mix takes them out in time order.
struct MixPacketQueue {
    private var heap: [MixPacket] = []
    private var queued: UInt64 = 0

    var first: MixPacket? { heap.first }
    var count: Int { heap.count }

    mutating func insert(_ packet: MixPacket) {
        var packet = packet
        packet.order = queued
        queued += 1
        heap.append(packet)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func removeFirst() -> MixPacket {
        let top = heap[0]
        let last = heap.removeLast()
        guard !heap.isEmpty else { return top }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var smallest = left
            if left + 1 < heap.count && heap[left + 1].precedes(heap[left]) { smallest = left + 1 }
            guard heap[smallest].precedes(heap[parent]) else { break }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
        return top
    }
}
