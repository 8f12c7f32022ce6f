import SpoorKit
#if canImport(Glibc)
import Glibc
#endif

/// Files, directory trees (recursive, include/exclude globs) and stdin (`-`), each decoded
/// by content: plain, gzip, zstd, xz, bzip2, lz4, tar and their nestings.
public struct FileSource: Source {
    public static let manifest = PluginManifest(
        id: "files", kind: .source, version: "1.0.0",
        summary: "Files, directories and stdin; gzip/zstd/xz/bzip2/lz4/tar found by magic bytes",
        options: [
            OptionSpec("paths", .list, default: .list([]), "Files or directories to read; '-' is stdin."),
            OptionSpec("include", .list, default: .list([]), "Globs a file's path or name must match (none: every file)."),
            OptionSpec("exclude", .list, default: .list([]), "Globs of files to leave out."),
        ])

    let paths: [String]
    let include: [String]
    let exclude: [String]

    public init(config: PluginConfig) throws {
        paths = config.list("paths") ?? []
        include = config.list("include") ?? []
        exclude = config.list("exclude") ?? []
        for path in paths where path != "-" {
            var st = stat()
            if stat(path, &st) != 0 {
                throw ConfigError(origin: config.origin, message: "input '\(path)' does not exist or cannot be read: \(String(cString: strerror(errno)))",
                                  hint: "give files or directories that exist, or '-' for stdin")
            }
        }
    }

    public func inputs() throws -> [InputDescriptor] {
        var found: [InputDescriptor] = []
        for path in paths {
            if path == "-" {
                found.append(InputDescriptor(path: "-", size: 0, modified: Int64(time(nil)), inode: 0))
                continue
            }
            var visited = Set<DirectoryID>()
            walk(path, relative: lastComponent(path), explicit: true, visited: &visited, into: &found)
        }
        return found
    }

    public func open(_ input: InputDescriptor, member: (DecodedStream) throws -> Void) throws {
        let fd = input.path == "-" ? 0 : Glibc.open(input.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DecodeError("cannot open: \(String(cString: strerror(errno)))") }
        let root = DescriptorReader(fd: fd, path: input.path)
        try Decoder(root: root).decode(root, member: nil, layers: [], reference: input.modified, emit: member)
    }

    /// A directory by device and inode: symlinks can lead back to one already walked.
    private struct DirectoryID: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    private func walk(_ path: String, relative: String, explicit: Bool, visited: inout Set<DirectoryID>,
                      into found: inout [InputDescriptor]) {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            guard visited.insert(DirectoryID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))).inserted else { return }
            guard let dir = opendir(path) else { return }
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names.sorted() {
                walk(path + "/" + name, relative: relative + "/" + name, explicit: false, visited: &visited, into: &found)
            }
        } else if (st.st_mode & S_IFMT) == S_IFREG {
            // A file named on the command line is read even if the globs would skip it.
            guard explicit || selected(relative) else { return }
            found.append(InputDescriptor(path: path, size: Int64(st.st_size), modified: Int64(st.st_mtim.tv_sec),
                                         inode: UInt64(st.st_ino)))
        }
    }

    private func selected(_ relative: String) -> Bool {
        let name = lastComponent(relative)
        func matches(_ glob: String) -> Bool {
            fnmatch(glob, relative, 0) == 0 || fnmatch(glob, name, 0) == 0
        }
        if !include.isEmpty && !include.contains(where: matches) { return false }
        return !exclude.contains(where: matches)
    }

    private func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
