#pragma once
// One HTTP/2 request's header block as the HTTP/1.1 request head the inspection hook reads
// (private to the sessions; socket-free, no nghttp2). RFC 9113 §8.3.1: the pseudo-header fields
// give method, target and authority; §8.2.2: connection-specific fields make a request malformed;
// §8.2.3: several `cookie` fields are one Cookie joined with "; ". The result is what the
// HTTP/1.1 path builds from the wire, so both judge the same request view.

#include <boost/beast/http/message.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consolegate/proxy/refusal.hpp"

namespace consolegate::proxy {

// Field names as received (HTTP/2 names are lowercase), values as sent, in order.
using h2_fields = std::vector<std::pair<std::string, std::string>>;

struct h2_request_head {
    refusal_code refusal;  // "" = usable; else why it is malformed
    std::optional<std::uint64_t> content_length;
};

// Fills `out` (cleared first: method, origin-form target, version 1.1, Host from :authority or
// host, the regular fields in order with the cookies joined at the first one's place). A
// malformed block gives a refusal reason ("h2-malformed", "h2-connection-field",
// "h2-authority-conflict", "bad-request-target", "h2-content-length").
h2_request_head h2_to_http1(const h2_fields& fields, boost::beast::http::request_header<>& out);

}  // namespace consolegate::proxy
