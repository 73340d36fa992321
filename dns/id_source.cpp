#include "id_source.hpp"

#include <sys/random.h>

#include <stdexcept>

namespace consolegate::dns {

void id_source::refill() {
    std::size_t got = 0;
    while (got < buf_.size()) {
        const auto n = getrandom(buf_.data() + got, buf_.size() - got, 0);
        if (n <= 0) throw std::runtime_error("dns: getrandom failed");
        got += static_cast<std::size_t>(n);
    }
    pos_ = 0;
}

}  // namespace consolegate::dns
