// CRC32C (Castagnoli), the checksum of every journal record and metadata file.
// Uses the SSE4.2 crc32 instruction when the CPU has it, a table otherwise; both give the
// same values (checked against the RFC 3720 test vectors in the unit tests).
#pragma once

#include <cstddef>
#include <cstdint>

namespace zd::journal {

// Continues a CRC32C over more bytes: crc32c(crc32c(0, a), b) == crc32c(0, a + b).
std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size);

// The same, always by table: what crc32c() does on CPUs without SSE4.2 (tests compare both).
std::uint32_t crc32c_portable(std::uint32_t crc, const void* data, std::size_t size);

} // namespace zd::journal
