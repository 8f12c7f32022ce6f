/// One fact about a queued Postfix message, taken from an event by the worker that parsed
/// it; the sink thread puts the facts of a queue id together, whichever worker saw them.
public struct MessageFact: Sendable {
    var key: String        // host + queue id
    var host: String
    var queueID: String
    var time: Int64
    var path: String
    var from: String?
    var to: [String]
    var messageID: String?
    /// A delivery attempt's outcome (nil for other lines).
    var delivered: Bool?
    var removed: Bool
}

/// Puts Postfix's lines of one message together by queue id and emits one `email` event per
/// message (sender, every recipient, message-id, final status) at the end of the job: files
/// are read in any order and in parallel, so a message's lines can arrive after the queue
/// manager's removal. Memory is bounded by the messages held (the oldest are emitted early
/// beyond `maxOpen`, marked incomplete when not yet removed).
final class MessageCorrelator {
    struct Message {
        var host: String
        var queueID: String
        var first: Int64
        var path: String
        var from: String?
        var to: [String] = []
        var messageID: String?
        var sent = 0
        var failed = 0
        var complete = false
    }

    private var open: [String: Message] = [:]
    private var order: [String] = []
    private let maxOpen: Int

    init(maxOpen: Int = 500_000) { self.maxOpen = maxOpen }

    /// Adds facts; returns the messages held beyond the bound (the oldest), if any.
    func add(_ facts: [MessageFact]) -> [Message] {
        var done: [Message] = []
        for f in facts {
            if open[f.key] == nil {
                open[f.key] = Message(host: f.host, queueID: f.queueID, first: f.time, path: f.path)
                order.append(f.key)
            }
            var m = open[f.key]!
            m.first = min(m.first, f.time)
            if let from = f.from { m.from = from }
            for t in f.to where !m.to.contains(t) { m.to.append(t) }
            if let id = f.messageID { m.messageID = id }
            if let d = f.delivered { if d { m.sent += 1 } else { m.failed += 1 } }
            // A removal completes the message but does not close it: lines of the same message
            // in another file (a rotation) may still come, in any order.
            if f.removed { m.complete = true }
            open[f.key] = m
        }
        if open.count > maxOpen { done += evict(open.count - maxOpen) }
        if order.count > 2 * max(open.count, 1024) { order.removeAll { open[$0] == nil } }
        return done
    }

    /// Every message still open (end of the job).
    func flush() -> [Message] {
        let rest = order.compactMap { open[$0] }
        open.removeAll()
        order.removeAll()
        return rest
    }

    private func evict(_ n: Int) -> [Message] {
        var out: [Message] = []
        var i = 0
        while out.count < n, i < order.count {
            if let m = open.removeValue(forKey: order[i]) { out.append(m) }
            i += 1
        }
        order.removeFirst(i)
        return out
    }

    /// The facts of a batch's Postfix events (those with a queue id).
    static func facts(_ batch: EventBatch, path: String) -> [MessageFact] {
        var out: [MessageFact] = []
        batch.withReader { r in
            for event in r.events {
                let dataset = r.bytes(r.slots[Int(event.datasetSlot)])
                guard dataset.hasPrefix("postfix.") else { continue }
                var qid: String?, host = "", from: String?, to: [String] = [], mid: String?, action = "", outcome = ""
                for s in r.slots(of: event) {
                    switch s.field {
                    case .emailLocalID: qid = r.bytes(s).string
                    case .hostName: host = r.bytes(s).string
                    case .emailFrom: from = r.bytes(s).string
                    case .emailTo: to.append(r.bytes(s).string)
                    case .emailMessageID: mid = r.bytes(s).string
                    case .eventAction: action = r.bytes(s).string
                    case .eventOutcome: outcome = r.bytes(s).string
                    default: break
                    }
                }
                guard let qid, !qid.isEmpty, qid != "NOQUEUE" else { continue }
                out.append(MessageFact(key: host + " " + qid, host: host, queueID: qid, time: event.timestamp, path: path,
                                       from: from, to: action == "delivery" ? to : [], messageID: mid,
                                       delivered: action == "delivery" ? outcome == "success" : nil,
                                       removed: action == "removed"))
                if action == "delivery" { out[out.count - 1].to = to }
            }
        }
        return out
    }

    /// The messages as events, in a batch a sink can encode.
    static func events(_ messages: [Message], builder: EventBuilder) {
        builder.reset()
        for m in messages {
            withBytes(of: "") { empty in
                builder.begin(record: empty)
                builder.set(.timestamp, int: m.first)
                builder.set(.eventDataset, "postfix.message")
                builder.set(.eventKind, "event")
                builder.set(.eventCategory, "email")
                builder.set(.eventAction, "message")
                builder.set(.hostName, string: m.host)
                builder.set(.emailLocalID, string: m.queueID)
                if let f = m.from { builder.set(.emailFrom, string: f) }
                for t in m.to { builder.append(.emailTo, string: t) }
                if let id = m.messageID { builder.set(.emailMessageID, string: id) }
                builder.set(outcome: !m.complete ? .unknown : m.failed > 0 ? .failure : m.sent > 0 ? .success : .unknown)
                builder.label("delivered", string: String(m.sent))
                builder.label("failed", string: String(m.failed))
                if !m.complete { builder.label("incomplete", string: "true") }
                let h = withBytes(of: m.host + " " + m.queueID + " " + String(m.first)) { (Hash.mix(Hash.fnv1a($0)), Hash.mix(Hash.fnv1a($0, seed: 99))) }
                builder.set(.eventID, string: Hash.hex(h))
                builder.set(.logFilePath, string: m.path)
                builder.commit()
            }
        }
    }
}
