import CMaxMindDB
import Foundation
import SpoorKit

/// `source.geo.country_iso_code`, `source.as.number` and `source.as.organization.name` from
/// MaxMind DB files (GeoLite2-Country/City/ASN, DB-IP lite), memory-mapped by libmaxminddb
/// and shared by every worker; each worker keeps a cache of its recent lookups.
public final class GeoIPEnricher: Enricher, @unchecked Sendable {
    public static let manifest = PluginManifest(
        id: "geoip", kind: .enricher, version: "1.0.0",
        summary: "Country and autonomous system of source.ip from MaxMind DB (.mmdb) files",
        options: [OptionSpec("files", .list, default: .list([]), "One or more .mmdb files (country or city, ASN); each fills what it knows.")])

    /// Opened read-only at start; libmaxminddb lookups on an opened database are thread-safe.
    private var databases: [UnsafeMutablePointer<MMDB_s>] = []

    public required init(config: PluginConfig) throws {
        let files = config.list("files") ?? []
        guard !files.isEmpty else {
            throw ConfigError(origin: config.origin, message: "the geoip enricher needs at least one .mmdb file",
                              hint: "geoip: {files: [GeoLite2-Country.mmdb, GeoLite2-ASN.mmdb]}")
        }
        for path in files {
            let db = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
            let rc = MMDB_open(path, UInt32(MMDB_MODE_MMAP), db)
            guard rc == MMDB_SUCCESS else {
                db.deallocate()
                throw ConfigError(origin: config.origin, message: "cannot open the MaxMind DB \(path): \(String(cString: MMDB_strerror(rc)))",
                                  hint: "give a .mmdb file (GeoLite2-Country, -City or -ASN, or DB-IP lite)")
            }
            databases.append(db)
        }
    }

    deinit {
        for db in databases { MMDB_close(db); db.deallocate() }
    }

    /// What one address resolved to.
    struct Answer {
        var country: String?
        var asNumber: Int64?
        var asOrganization: String?
    }

    /// A worker's recent answers, by address.
    final class Cache {
        var answers: [String: Answer] = [:]
    }

    public func enrich(_ event: EventBuilder, context: ParseContext) {
        guard let ip = event.value(of: .sourceIP), ip.count > 0, ip.count < 64 else { return }
        let key = ip.string
        let cache = context.state(for: "geoip") { Cache() }
        let answer: Answer
        if let hit = cache.answers[key] {
            answer = hit
        } else {
            answer = lookup(key)
            if cache.answers.count >= 65_536 { cache.answers.removeAll(keepingCapacity: true) }
            cache.answers[key] = answer
        }
        if let c = answer.country { event.set(.sourceGeoCountry, string: c) }
        if let n = answer.asNumber { event.set(.sourceASNumber, int: n) }
        if let o = answer.asOrganization { event.set(.sourceASOrganization, string: o) }
    }

    private func lookup(_ ip: String) -> Answer {
        var answer = Answer()
        for db in databases {
            var gaiError: Int32 = 0, mmdbError: Int32 = 0
            var result = MMDB_lookup_string(db, ip, &gaiError, &mmdbError)
            guard gaiError == 0, mmdbError == MMDB_SUCCESS, result.found_entry else { continue }
            if answer.country == nil {
                answer.country = string(&result.entry, ["country", "iso_code"]) ?? string(&result.entry, ["registered_country", "iso_code"])
            }
            if answer.asNumber == nil, let n = number(&result.entry, ["autonomous_system_number"]) { answer.asNumber = n }
            if answer.asOrganization == nil { answer.asOrganization = string(&result.entry, ["autonomous_system_organization"]) }
        }
        return answer
    }

    private func value(_ entry: inout MMDB_entry_s, _ path: [String]) -> MMDB_entry_data_s? {
        var data = MMDB_entry_data_s()
        let cStrings = path.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) } + [nil]
        let rc = pointers.withUnsafeMutableBufferPointer { MMDB_aget_value(&entry, &data, $0.baseAddress) }
        guard rc == MMDB_SUCCESS, data.has_data else { return nil }
        return data
    }

    private func string(_ entry: inout MMDB_entry_s, _ path: [String]) -> String? {
        guard let data = value(&entry, path), data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING), let p = data.utf8_string else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: Int(data.data_size)), as: UTF8.self)
    }

    private func number(_ entry: inout MMDB_entry_s, _ path: [String]) -> Int64? {
        guard let data = value(&entry, path) else { return nil }
        switch Int32(data.type) {
        case MMDB_DATA_TYPE_UINT32: return Int64(data.uint32)
        case MMDB_DATA_TYPE_UINT16: return Int64(data.uint16)
        case MMDB_DATA_TYPE_UINT64: return Int64(data.uint64)
        case MMDB_DATA_TYPE_INT32: return Int64(data.int32)
        default: return nil
        }
    }
}
