#pragma once
// Builds DNS messages for tests (uncompressed unless a pointer is written by hand).
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "wire.hpp"

namespace consolegate::dns::test {

struct msg_builder {
    std::vector<std::uint8_t> b;
    msg_builder(std::uint16_t id, std::uint16_t flags, std::uint16_t qd, std::uint16_t an,
                std::uint16_t ns, std::uint16_t ar) {
        for (auto v : {id, flags, qd, an, ns, ar}) u16(v);
    }
    void u16(std::uint16_t v) {
        b.push_back(static_cast<std::uint8_t>(v >> 8));
        b.push_back(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(v >> 16));
        u16(static_cast<std::uint16_t>(v));
    }
    void name(std::string_view text) {
        wire_name n;
        if (!from_text(text, n)) throw std::runtime_error("bad test name");
        b.insert(b.end(), n.bytes.begin(), n.bytes.begin() + static_cast<std::ptrdiff_t>(n.size));
    }
    void question(std::string_view n, std::uint16_t type) {
        name(n);
        u16(type);
        u16(class_in);
    }
    void rr(std::string_view owner, std::uint16_t type, std::uint32_t ttl,
            std::vector<std::uint8_t> rdata) {
        name(owner);
        u16(type);
        u16(class_in);
        u32(ttl);
        u16(static_cast<std::uint16_t>(rdata.size()));
        b.insert(b.end(), rdata.begin(), rdata.end());
    }
    static std::vector<std::uint8_t> name_rdata(std::string_view text) {
        wire_name n;
        from_text(text, n);
        return {n.bytes.begin(), n.bytes.begin() + static_cast<std::ptrdiff_t>(n.size)};
    }
    void opt(std::uint16_t size, bool do_bit, std::uint8_t version = 0) {
        b.push_back(0);
        u16(rr_type::opt);
        u16(size);
        u32((std::uint32_t{version} << 16) | (do_bit ? 0x8000u : 0u));
        u16(0);
    }
};

}  // namespace consolegate::dns::test
