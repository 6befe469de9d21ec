// CRC-32C with the SSE 4.2 `crc32` instruction. The Swift side (FreshetCore's CRC32C) checks
// `cfreshet_crc32c_hardware_available()` once and falls back to its table code elsewhere.
#include "CFreshetCRC32C.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

int cfreshet_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
uint32_t cfreshet_crc32c_hardware(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = (const unsigned char *)bytes;
    uint64_t c = (uint32_t)~crc;
    // One stream of 8-byte steps (~8 bytes per 3 cycles): far beyond what the producer
    // needs; interleaving three streams would be faster still on long inputs.
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        count -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (count > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *p);
        p += 1;
        count -= 1;
    }
    return ~c32;
}

#else

int cfreshet_crc32c_hardware_available(void) { return 0; }

uint32_t cfreshet_crc32c_hardware(uint32_t crc, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return crc;
}

#endif
