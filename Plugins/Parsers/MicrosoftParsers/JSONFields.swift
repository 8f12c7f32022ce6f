import SpoorKit

/// Copying JSON values into event fields, with escapes decoded and types kept.
extension EventBuilder {
    /// Sets a string field from a JSON string (or the text of a number or bool).
    func set(_ field: Field, json value: JSONIndex.Value?, _ context: ParseContext) {
        guard let value, value.kind != .null, value.kind != .object, value.kind != .array, value.raw.count > 0 else { return }
        if value.kind == .string {
            set(field, value.text(&context.scratch8))
        } else {
            set(field, value.raw)
        }
    }

    /// Sets a number field from a JSON number or numeric string.
    func set(_ field: Field, jsonInt value: JSONIndex.Value?) {
        if let n = value?.integer { set(field, int: n) }
    }

    /// Sets a label from a JSON scalar.
    func label(_ key: String, json value: JSONIndex.Value?, _ context: ParseContext) {
        guard let value, value.kind != .null, value.kind != .object, value.kind != .array else { return }
        label(key, value.kind == .string ? value.text(&context.scratch8) : value.raw)
    }

    /// `user.name` and `user.domain` from `name@domain`, and `user.email` for the whole.
    func setAccount(_ value: JSONIndex.Value?, _ context: ParseContext) {
        guard let value, value.kind == .string, value.raw.count > 0 else { return }
        let text = value.text(&context.scratch8)
        if let at = text.lastIndex(of: 0x40) {
            set(.userEmail, text)
            set(.userName, text.slice(0, at))
            set(.userDomain, text.dropFirst(at + 1))
        } else {
            set(.userName, text)
        }
    }

    /// `@timestamp` from an ISO 8601 string; false when there is none.
    func setTimestamp(json value: JSONIndex.Value?, _ context: ParseContext) -> Bool {
        guard let value, value.kind == .string, let stamp = Timestamps.iso8601(value.raw, clock: context.clock) else { return false }
        set(.timestamp, int: stamp.micros)
        return true
    }
}
