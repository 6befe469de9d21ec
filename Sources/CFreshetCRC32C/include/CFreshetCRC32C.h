#ifndef CFRESHET_CRC32C_H
#define CFRESHET_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SSE 4.2 `crc32` instruction (x86-64 only), else 0.
int cfreshet_crc32c_hardware_available(void);

/// The CRC-32C of `count` bytes at `bytes`, continuing from `crc` (0 to start), with the
/// `crc32` instruction. Call only when `cfreshet_crc32c_hardware_available()` returned 1;
/// otherwise it returns `crc` unchanged.
uint32_t cfreshet_crc32c_hardware(uint32_t crc, const void *bytes, size_t count);

#endif
