import Bytes
import SampleKit
import Testing
import Tracking

/// The pools' building blocks, against plain models (arrays, dictionaries, sorting).
struct SlotStructureTests {
    @Test func deadlineHeapHandsOutDeadlineOrderThenTheGivenOrder() {
        var heap = DeadlineHeap()
        var random = SeededRandom(seed: 3)
        // 50,000 ids, deadlines with many ties; some moved, some removed.
        var model: [Int32: (deadline: Int64, order: UInt64)] = [:]
        for id in 0..<50_000 {
            let deadline = Int64(random.next() % 5_000)
            heap.schedule(Int32(id), at: deadline, order: UInt64(id))
            model[Int32(id)] = (deadline, UInt64(id))
        }
        for _ in 0..<10_000 {
            let id = Int32(random.next() % 50_000)
            if random.next() % 2 == 0 {
                heap.remove(id)
                model[id] = nil
            } else {
                let deadline = Int64(random.next() % 5_000)
                heap.schedule(id, at: deadline, order: UInt64(id))
                model[id] = (deadline, UInt64(id))
            }
        }
        #expect(heap.count == model.count)
        let expected = model.sorted { ($0.value.deadline, $0.value.order) < ($1.value.deadline, $1.value.order) }
        var popped: [Int32] = []
        // Expired strictly before each time, in steps.
        var time: Int64 = 0
        while !heap.isEmpty {
            time += 100
            while let id = heap.popExpired(before: time) {
                #expect(model[id]!.deadline < time)
                popped.append(id)
            }
            if let first = heap.first { #expect(first.deadline >= time) }
        }
        #expect(popped == expected.map(\.key))
    }

    @Test func slotIndexFindsWhatADictionaryFinds() {
        var index = SlotIndex()
        let hasher = SlotHasher(seed: 7)
        var keys: [UInt64] = []  // slot -> key
        var model: [UInt64: Int32] = [:]
        var random = SeededRandom(seed: 4)
        for step in 0..<60_000 {
            // Few distinct keys, and a weak hash for some, so that runs and collisions happen.
            let key = random.next() % 20_000
            let hash = key % 5 == 0 ? key % 64 : hasher.hash(key, 0)
            if let slot = model[key] {
                #expect(index.find(hash, where: { keys[Int($0)] == key }) == slot)
                if step % 2 == 0 {
                    index.remove(slot, hash: hash)
                    model[key] = nil
                    #expect(index.find(hash, where: { keys[Int($0)] == key }) == nil)
                }
            } else {
                #expect(index.find(hash, where: { keys[Int($0)] == key }) == nil)
                keys.append(key)
                let slot = Int32(keys.count - 1)
                index.insert(slot, hash: hash)
                model[key] = slot
            }
        }
        #expect(index.count == model.count)
        for (key, slot) in model {
            let hash = key % 5 == 0 ? key % 64 : hasher.hash(key, 0)
            #expect(index.find(hash, where: { keys[Int($0)] == key }) == slot)
        }
    }

    @Test func recencyMapForgetsTheLeastRecentlySetAndCountsIt() {
        var map = RecencyMap<IPAddress, Int>(capacity: 100)
        var model: [UInt32] = []  // least recently set first
        var forgotten: UInt64 = 0
        var random = SeededRandom(seed: 5)
        for step in 0..<100_000 {
            let address = UInt32(random.next() % 300)
            map.set(step, for: IPAddress(ipv4: address))
            model.removeAll { $0 == address }
            model.append(address)
            if model.count > 100 {
                model.removeFirst()
                forgotten += 1
            }
        }
        #expect(map.count == 100)
        for address in 0..<300 as Range<UInt32> {
            #expect((map[IPAddress(ipv4: address)] != nil) == model.contains(address))
        }
        #expect(map.forgotten == forgotten)
        #expect(map[IPAddress(ipv4: model.last!)] == 99_999)
    }

    @Test func recencyListKeepsUseOrder() {
        var list = RecencyList()
        for id in 0..<10 as Range<Int32> { list.append(id) }
        list.touch(3)
        list.touch(0)
        list.remove(5)
        var order: [Int32] = []
        var id = list.head
        while id >= 0 {
            order.append(id)
            id = list.next(after: id)
        }
        #expect(order == [1, 2, 4, 6, 7, 8, 9, 3, 0])
        #expect(list.count == 9 && list.tail == 0)
    }

    @Test func advertisedEndpointsForgetTheOldestAndCountIt() {
        var advertised = AdvertisedEndpoints(capacity: 1_000)
        for i in 0..<50_000 {
            advertised.add(Endpoint(address: IPAddress(ipv4: 0xC633_6400 + UInt32(i)), port: 3456), uin: UInt32(i),
                           source: .userOnline, frame: UInt64(i))
        }
        #expect(advertised.count == 1_000)
        #expect(advertised.forgotten == 49_000)
        #expect(advertised.lookup(Endpoint(address: IPAddress(ipv4: 0xC633_6400 + 48_999), port: 3456)) == nil)
        #expect(advertised.lookup(Endpoint(address: IPAddress(ipv4: 0xC633_6400 + 49_000), port: 3456))?.uin == 49_000)
    }
}
