#pragma once
// Transaction IDs for upstream queries: unpredictable (RFC 5452 §9.2), drawn from getrandom in
// batches so the hot path makes no system call per query. One per worker; not thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>

namespace consolegate::dns {

class id_source {
  public:
    // Throws std::runtime_error when the kernel gives no randomness (nothing safe to send then).
    std::uint16_t next() {
        if (pos_ + 2 > buf_.size()) refill();
        const auto v = static_cast<std::uint16_t>((buf_[pos_] << 8) | buf_[pos_ + 1]);
        pos_ += 2;
        return v;
    }

  private:
    void refill();
    std::array<std::uint8_t, 4096> buf_{};
    std::size_t pos_ = sizeof buf_;
};

}  // namespace consolegate::dns
