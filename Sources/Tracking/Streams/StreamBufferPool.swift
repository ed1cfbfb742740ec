/// The reassembly buffers of a stream table, lent to a direction only while it holds bytes (an
/// unfinished PDU or out-of-order data) and taken back as soon as it holds none. Most directions
/// never hold any (PDUs that arrive whole are decoded straight from the packet), so a table
/// follows a connection for the price of its slot, and memory grows with the bytes waiting, not
/// with the connections. Bounded: at most `maximumBlocks` are ever allocated; a freed block is
/// kept for the next borrower, so a steady state allocates nothing.
///
/// Each block is the buffer (`bufferBytes`) followed by the table of held ranges.
public final class StreamBufferPool {
    public let bufferBytes: Int
    public let holeCapacity: Int
    public let maximumBlocks: Int
    let heldOffset: Int
    let blockBytes: Int
    private var free: [UnsafeMutableRawPointer] = []
    /// Blocks allocated so far (lent or free).
    public private(set) var allocatedBlocks = 0
    /// Times a direction needed a block and none was left.
    public private(set) var refusals = 0

    public init(limits: StreamLimits) {
        bufferBytes = limits.bytesPerDirection
        holeCapacity = limits.holesPerDirection
        let alignment = MemoryLayout<ReassemblyDirection.HeldRange>.alignment
        heldOffset = (bufferBytes + alignment - 1) / alignment * alignment
        blockBytes = heldOffset + holeCapacity * MemoryLayout<ReassemblyDirection.HeldRange>.stride
        maximumBlocks = max(1, limits.maxTotalBytes / blockBytes)
    }

    deinit {
        for block in free { block.deallocate() }
    }

    /// A block for a direction that has bytes to hold; nil when every block is lent.
    func borrow() -> UnsafeMutableRawPointer? {
        if let block = free.popLast() { return block }
        guard allocatedBlocks < maximumBlocks else {
            refusals += 1
            return nil
        }
        allocatedBlocks += 1
        if free.capacity == 0 { free.reserveCapacity(min(maximumBlocks, 1024)) }
        return UnsafeMutableRawPointer.allocate(
            byteCount: blockBytes, alignment: max(8, MemoryLayout<ReassemblyDirection.HeldRange>.alignment))
    }

    func giveBack(_ block: UnsafeMutableRawPointer) {
        free.append(block)
    }

    /// Blocks lent now.
    public var lentBlocks: Int { allocatedBlocks - free.count }
}
