/// What a stream decoder did with the in-order bytes a TCP reassembler offered it.
///
/// Decoders never copy: they read the offered bytes in place and answer with one of these.
/// The reassembler keeps only the bytes not consumed, and only as many as it is told to wait for.
public enum StreamStep: Sendable, Equatable {
    /// The first `count` bytes were used (one PDU, or junk skipped while resynchronising);
    /// offer the rest again.
    case consumed(Int)
    /// Nothing can be done until at least `count` more bytes follow the ones offered.
    case needMore(Int)
    /// Discard `count` bytes without offering them, even if they run past what was offered
    /// (bulk data the decoder only counts, or a PDU too large to hold).
    case skip(Int)
    /// The bytes are not this decoder's protocol (or it has seen enough): ignore the rest of
    /// this direction, buffering nothing more.
    case stop
}
