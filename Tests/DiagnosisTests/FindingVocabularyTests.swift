import Diagnosis
import Testing

/// Levels and details are typed, and their raw values are the output contract's words (OUTPUT.md,
/// "Finding records"): renaming a case must not change what the JSON says.
@Suite struct FindingVocabularyTests {
    @Test func levelsAreTheContractsWords() {
        #expect(Finding.Level.allCases.map(\.rawValue) == ["suspected", "probable", "confirmed", "provisional", "final"])
    }

    @Test func detailsAreTheContractsWords() {
        #expect(Set(Finding.Detail.allCases.map(\.rawValue)) == [
            "recovered", "abandoned", "session_lost",
            "undelivered",
            "server_retransmits", "icmp_from_client_side", "nat_rebinding", "server_sequence_gap", "dropped_at_gateway",
            "no_answer", "rst_from_middlebox", "rst_from_peer", "icmp_admin_prohibited", "icmp_port_unreachable",
            "icmp",
        ])
        #expect(Finding.Detail.allCases.count == 15)
    }
}
