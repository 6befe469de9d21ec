#if canImport(Glibc)
    import FreshetContracts
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open file descriptor, closed when the last reference goes away (so a reader that
/// snapshotted a segment can finish its `pread` even if retention deletes the file).
final class FileRef: Sendable {
    let fd: Int32
    let path: String

    init(path: String, flags: Int32, mode: mode_t = 0o644) throws {
        let fd = open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw LogError.io("opening", path: path, errno: errno) }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    var size: Int64 {
        get throws {
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw LogError.io("stat of", path: path, errno: errno) }
            return Int64(st.st_size)
        }
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (short only at EOF).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw LogError.io("reading", path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func read(count: Int, at offset: Int64) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var err: (any Error)?
        let n = result.withUnsafeMutableBytes { buf -> Int in
            do { return try read(into: buf, at: offset) } catch {
                err = error
                return 0
            }
        }
        if let err { throw err }
        if n < count { result.removeLast(count - n) }
        return result
    }

    func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws {
        var done = 0
        while done < buffer.count {
            let n = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw LogError.io("writing", path: path, errno: errno)
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8], at offset: Int64) throws {
        var err: (any Error)?
        bytes.withUnsafeBytes { buf in
            do { try write(buf, at: offset) } catch { err = error }
        }
        if let err { throw err }
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw LogError.io("fsync of", path: path, errno: errno) }
    }

    func truncate(to size: Int64) throws {
        guard ftruncate(fd, off_t(size)) == 0 else { throw LogError.io("truncating", path: path, errno: errno) }
    }
}

enum FS {
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw LogError.io("creating directory", path: path, errno: errno)
        }
        var st = stat()
        if stat(path, &st) != 0 { throw LogError.io("stat of", path: path, errno: errno) }
        if (st.st_mode & S_IFMT) != S_IFDIR { throw LogError.io("creating directory", path: path, errno: ENOTDIR) }
    }

    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            try makeDirectory(current)
        }
    }

    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw LogError.io("listing", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw LogError.io("deleting", path: path, errno: errno) }
    }

    static func removeTree(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try removeTree(path + "/" + name) }
            if rmdir(path) != 0 { throw LogError.io("deleting directory", path: path, errno: errno) }
        } else {
            try remove(path)
        }
    }

    /// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync of the directory.
    static func atomicWrite(_ bytes: [UInt8], to path: String, sync: Bool) throws {
        let tmp = path + ".tmp"
        let file = try FileRef(path: tmp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try file.write(bytes, at: 0)
        if sync { try file.sync() }
        guard rename(tmp, path) == 0 else { throw LogError.io("renaming to", path: path, errno: errno) }
        if sync, let slash = path.lastIndex(of: "/") { syncDirectory(String(path[..<slash])) }
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        let file = try FileRef(path: path, flags: O_RDONLY)
        return try file.read(count: Int(try file.size), at: 0)
    }
}

/// Twenty-digit zero-padded offset, as in Kafka's segment file names.
func paddedOffset(_ offset: Int64) -> String {
    let s = String(offset)
    return String(repeating: "0", count: max(0, 20 - s.count)) + s
}
