import Wire

/// Visits every field and renders it as text, as the output writers do, so the fields' ranges
/// and text decoding are exercised on damaged input too.
struct RenderingVisitor: FieldVisitor {
    var fields = 0
    var characters = 0

    mutating func visit(_ name: StaticString, _ value: FieldValue) {
        fields += 1
        characters &+= value.renderedText.utf8.count &+ name.utf8CodeUnitCount
    }
}
