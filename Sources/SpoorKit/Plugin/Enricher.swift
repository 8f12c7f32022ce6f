/// Adds fields from outside the record (GeoIP, an account directory, IP lists).
///
/// Contract: called on worker threads after a parser produced an event and before it is
/// committed; reads fields with `event.value(of:)` and sets others. Immutable state only.
public protocol Enricher: Plugin {
    func enrich(_ event: EventBuilder, context: ParseContext)
}
