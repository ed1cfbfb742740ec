extension RandomAccessCollection where Index == Int {
    /// The first index whose element satisfies `isAtOrPast`, in a collection where every element
    /// that does comes after every one that does not (a binary search); `endIndex` when none does.
    func firstPlace(where isAtOrPast: (Element) -> Bool) -> Int {
        var low = startIndex, high = endIndex
        while low < high {
            let middle = (low + high) / 2
            if isAtOrPast(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
