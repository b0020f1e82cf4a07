// Certificate texts the tests share: what CZMQ 4.2 writes, byte for byte in layout.
#pragma once

#include "security/z85_key.hpp"

#include <string>

namespace zd::test {

// A secret certificate as zcert_save writes it, for keys.
inline std::string czmq_secret_text(const zd::security::key_pair_t& keys,
                                    const std::string& name = "hub-a") {
    return "#   ****  Generated on 2026-12-03 10:00:00 by CZMQ  ****\n"
           "#   ZeroMQ CURVE **Secret** Certificate\n"
           "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n"
           "\n"
           "metadata\n"
           "    name = \"" +
           name +
           "\"\n"
           "curve\n"
           "    public-key = \"" +
           keys.public_key +
           "\"\n"
           "    secret-key = \"" +
           keys.secret_key + "\"\n";
}

// The public certificate zcert_save writes beside it.
inline std::string czmq_public_text(const std::string& public_key,
                                    const std::string& name = "hub-a") {
    return "#   ****  Generated on 2026-12-03 10:00:00 by CZMQ  ****\n"
           "#   ZeroMQ CURVE Public Certificate\n"
           "\n"
           "metadata\n"
           "    name = \"" +
           name +
           "\"\n"
           "curve\n"
           "    public-key = \"" +
           public_key + "\"\n";
}

} // namespace zd::test
