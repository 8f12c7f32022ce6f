import Foundation
import SpoorKit

/// The links of a STIX bundle from indicators toward actors: `indicates` and
/// `attributed-to` relationships, walked breadth-first from each indicator.
///
/// Ids are numbered once, when the graph is built, in a table keyed by their bytes: a
/// bundle names some 20,000 ids, and a `[String: …]` spent more on hashing them than the
/// JSON reader spent on the whole file. A walk then allocates nothing.
struct STIXActorGraph {
    /// Open addressing: a number per slot, or -1.
    private var slots: [Int32]
    /// Per number: its key's hash and bytes (`keys[keyStarts[n]..<keyStarts[n + 1]]`).
    private var hashes: [UInt64] = []
    private var keyStarts: [Int32] = [0]
    private var keys: [UInt8] = []
    /// Per number: the index of the object with that id (the last one, as a dictionary
    /// keyed by id keeps it), or -1.
    private var objectOf: [Int32] = []
    /// Per object: the number of its id, or -1 when it has none.
    private var numberOfObject: [Int32] = []
    /// Per number: its targets, in bundle order, as `targets[offsets[n]..<offsets[n + 1]]`.
    private var offsets: [Int32] = []
    private var targets: [Int32] = []
    private var kinds: [STIXBundleReader.BundleObject.Kind]
    /// Per number, the walk that last reached it (no set to clear per walk).
    private var seen: [UInt32] = []
    private var walk: UInt32 = 0
    private var queue: [Int32] = []

    init(_ objects: [STIXBundleReader.BundleObject], _ tree: JSONTree) {
        kinds = objects.map(\.kind)
        var size = 1024
        while size < objects.count * 4 { size *= 2 }
        slots = [Int32](repeating: -1, count: size)
        numberOfObject = [Int32](repeating: -1, count: objects.count)
        for i in objects.indices {
            guard let node = objects[i].id, let id = tree.text(node) else { continue }
            let n = number(id, adding: true)!
            objectOf[Int(n)] = Int32(i)
            numberOfObject[i] = n
        }
        var pairs: [(Int32, Int32)] = []
        for i in objects.indices where objects[i].kind == .relationship {
            let o = objects[i]
            guard let kind = o.relationshipType, tree.equals(kind, "indicates") || tree.equals(kind, "attributed-to"),
                  let sourceNode = o.sourceRef, let targetNode = o.targetRef, tree.kind(sourceNode) == .string,
                  tree.kind(targetNode) == .string else { continue }
            let s = number(tree.text(sourceNode)!, adding: true)!
            let t = number(tree.text(targetNode)!, adding: true)!
            pairs.append((s, t))
        }
        // Edges grouped by source, bundle order kept within a source (a counting sort).
        offsets = [Int32](repeating: 0, count: objectOf.count + 1)
        for (s, _) in pairs { offsets[Int(s) + 1] += 1 }
        for n in 0..<objectOf.count { offsets[n + 1] += offsets[n] }
        targets = [Int32](repeating: 0, count: pairs.count)
        var fill = Array(offsets.dropLast())
        for (s, t) in pairs {
            targets[Int(fill[Int(s)])] = t
            fill[Int(s)] += 1
        }
        seen = [UInt32](repeating: 0, count: objectOf.count)
    }

    /// The number of an id, added when new if `adding`. Ids compare as `String`s do (by
    /// canonical equivalence): one that is not ASCII is keyed by its NFC form.
    private mutating func number(_ id: Bytes, adding: Bool) -> Int32? {
        if id.contains(where: { $0 >= 0x80 }) {
            let nfc = Array(String(decoding: id, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
            return nfc.withUnsafeBytes { number(key: $0, adding: adding) }
        }
        return number(key: id, adding: adding)
    }

    private mutating func number(key: Bytes, adding: Bool) -> Int32? {
        let h = Hash.fnv1a(key)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let n = slots[slot]
            if n < 0 { break }
            if hashes[Int(n)] == h, keyEquals(Int(n), key) { return n }
            slot = (slot + 1) & mask
        }
        guard adding else { return nil }
        let n = Int32(objectOf.count)
        slots[slot] = n
        hashes.append(h)
        keys.append(contentsOf: key)
        keyStarts.append(Int32(keys.count))
        objectOf.append(-1)
        if objectOf.count * 2 > slots.count { grow() }
        return n
    }

    private func keyEquals(_ n: Int, _ key: Bytes) -> Bool {
        let start = Int(keyStarts[n]), end = Int(keyStarts[n + 1])
        guard end - start == key.count else { return false }
        return keys.withUnsafeBytes { key.count == 0 || memcmp($0.baseAddress! + start, key.baseAddress!, key.count) == 0 }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (n, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(n)
        }
    }

    /// The index of the first threat-actor object reached from the indicator at `object`,
    /// else of the first intrusion set reached; nil when the walk reaches neither. An
    /// indicator without an id starts from the id `?` (as the reader names it).
    mutating func actorObject(fromIndicator object: Int) -> Int? {
        var start = numberOfObject[object]
        if start < 0 {
            guard let n = withBytes(of: "?", { number($0, adding: false) }) else { return nil }
            start = n
        }
        walk &+= 1
        if walk == 0 {   // wrapped: forget every old mark
            for i in seen.indices { seen[i] = 0 }
            walk = 1
        }
        queue.removeAll(keepingCapacity: true)
        appendTargets(of: Int(start))
        var head = 0
        var fallback: Int?
        while head < queue.count {
            let n = Int(queue[head])
            head += 1
            guard seen[n] != walk else { continue }
            seen[n] = walk
            let found = Int(objectOf[n])
            guard found >= 0 else { continue }
            if kinds[found] == .threatActor { return found }
            if kinds[found] == .intrusionSet, fallback == nil { fallback = found }
            appendTargets(of: n)
        }
        return fallback
    }

    private mutating func appendTargets(of n: Int) {
        for k in Int(offsets[n])..<Int(offsets[n + 1]) { queue.append(targets[k]) }
    }
}
