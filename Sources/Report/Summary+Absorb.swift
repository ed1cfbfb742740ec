/// `read --threads`: a shard's counts added into the run's (each shard counted the frames it
/// analysed; the counts are sums, the times the outermost).
extension Summary {
    public mutating func absorb(_ shard: Summary) {
        packets &+= shard.packets
        wireBytes &+= shard.wireBytes
        capturedBytes &+= shard.capturedBytes
        if let t = shard.firstTime, firstTime.map({ t < $0 }) ?? true { firstTime = t }
        if let t = shard.lastTime, lastTime.map({ t > $0 }) ?? true { lastTime = t }
        filteredOut &+= shard.filteredOut
        for i in protocolCounts.indices { protocolCounts[i] &+= shard.protocolCounts[i] }
        for (linkType, count) in shard.linkTypeCounts { countsOfEarlierLinkTypes[linkType, default: 0] &+= count }
        for (key, value) in shard.malformedCounts {
            if let existing = malformedCounts[key] {
                malformedCounts[key] = (existing.0, existing.1 &+ value.1)
            } else {
                malformedCounts[key] = value
            }
        }
        icq.absorb(shard.icq)
    }
}

extension ICQCounts {
    public mutating func absorb(_ shard: ICQCounts) {
        for i in perVersion.indices { perVersion[i] &+= shard.perVersion[i] }
        for (key, count) in shard.perCommand { perCommand[key, default: 0] &+= count }
    }
}
