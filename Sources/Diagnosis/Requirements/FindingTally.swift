/// What the end of a run needs of its findings, kept as they come, so that the findings
/// themselves need not all be kept (a flood of failed peer connections makes one each): per
/// requirement, how many break it, which kinds, the first frames and the first advice (the
/// report card); and the worst severity (`--fail-on`).
public struct FindingTally: Sendable {
    public struct Broken: Sendable {
        public private(set) var count = 0
        /// The first `RequirementCard.framesShown` distinct frames, in the order the findings came.
        public private(set) var frames: [UInt64] = []
        public private(set) var kinds: Set<String> = []
        /// The first finding's advice.
        public private(set) var advice = ""

        mutating func add(_ finding: Finding) {
            if count == 0 { advice = finding.advice }
            count += 1
            kinds.insert(finding.kind.rawValue)
            for frame in finding.frames where frames.count < RequirementCard.framesShown && !frames.contains(frame) {
                frames.append(frame)
            }
        }
    }

    public private(set) var broken: [Finding.Requirement: Broken] = [:]
    public private(set) var worst: Finding.Severity? = nil
    public private(set) var count = 0

    public init() {}

    public init(_ findings: [Finding]) {
        for finding in findings { add(finding) }
    }

    public mutating func add(_ finding: Finding) {
        count += 1
        broken[finding.requirement, default: Broken()].add(finding)
        if worst.map({ finding.severity > $0 }) ?? true { worst = finding.severity }
    }
}
