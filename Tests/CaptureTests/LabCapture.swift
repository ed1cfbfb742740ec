import LiveTestSupport
@testable import Capture

extension NetworkLab {
    /// A live capture opened in the lab's gateway, as the capture tests open it: on both of the
    /// gateway's interfaces unless named, leaving signals to the test runner. `boundedTo`: a
    /// tick every 200 ms and a stop after that many seconds at the latest (a bound, not an
    /// expectation). `configure` sets what the test itself is about.
    func openCapture(on interfaces: [String]? = nil, immediate: Bool = false, filter: String? = nil,
                     boundedTo seconds: Int64? = nil,
                     _ configure: (inout LiveCaptureOptions) -> Void = { _ in }) throws -> LiveCapture {
        var options = LiveCaptureOptions(interfaces: interfaces ?? [insideInterface, outsideInterface])
        options.immediate = immediate
        options.filter = filter
        if let seconds {
            options.tickIntervalNanos = 200_000_000
            options.durationNanos = seconds * 1_000_000_000
        }
        options.stopOnSignals = false
        configure(&options)
        return try inGateway { try LiveCapture(options: options) }
    }
}
