/// Builds a string from parts with one allocation: the generator's hot path avoids
/// repeated `+`, each of which would allocate and copy.
@inline(__always)
func joined(_ a: String, _ b: String, _ c: String = "", _ d: String = "") -> String {
    let count = a.utf8.count + b.utf8.count + c.utf8.count + d.utf8.count
    return String(unsafeUninitializedCapacity: count) { buffer in
        var i = 0
        copyUTF8(a, into: buffer, at: &i)
        copyUTF8(b, into: buffer, at: &i)
        copyUTF8(c, into: buffer, at: &i)
        copyUTF8(d, into: buffer, at: &i)
        return i
    }
}

@inline(__always)
func copyUTF8(_ s: String, into buffer: UnsafeMutableBufferPointer<UInt8>, at i: inout Int) {
    let done: Void? = s.utf8.withContiguousStorageIfAvailable { source in
        guard source.count > 0 else { return }
        UnsafeMutableRawPointer(buffer.baseAddress! + i).copyMemory(from: source.baseAddress!, byteCount: source.count)
        i += source.count
    }
    if done == nil {
        for byte in s.utf8 {
            buffer[i] = byte
            i += 1
        }
    }
}
