#include "consolegate/identity/address_map_api.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <vector>

#include "consolegate/core/time.hpp"
#include "consolegate/identity/user_name.hpp"

namespace consolegate::identity {

namespace json = boost::json;

namespace {

constexpr std::size_t max_batch = 10000;

struct push {
    core::ip_address address;
    std::string user;
    std::chrono::seconds ttl{0};
    std::optional<time_point> at;
};

api_answer bad(std::string message) {
    json::object o;
    o["error"] = message;
    return {400, "application/json", json::serialize(o) + "\n"};
}

// One item of a POST; "" when valid, else why not.
std::string read_push(const json::value& v, std::chrono::milliseconds max_ttl, push& out) {
    const auto* o = v.if_object();
    if (!o) return "expected an object {\"address\", \"user\", \"ttl_seconds\"}";
    for (const auto& kv : *o) {
        auto k = kv.key();
        if (k != "address" && k != "user" && k != "ttl_seconds" && k != "at")
            return "unknown field \"" + std::string(k.substr(0, 32)) + "\"";
    }
    const auto* address = o->if_contains("address");
    if (!address || !address->is_string()) return "\"address\" (a string) is required";
    std::string unusable;
    auto parsed = core::parse_client_address(address->get_string(), &unusable);
    if (!parsed) return "\"address\": " + unusable;
    out.address = *parsed;
    const auto* user = o->if_contains("user");
    if (!user || !user->is_string()) return "\"user\" (a string) is required";
    if (auto why = check_user_name(user->get_string()); !why.empty()) return std::string(why);
    out.user = std::string(user->get_string());
    const auto* ttl = o->if_contains("ttl_seconds");
    if (!ttl || !ttl->is_int64() || ttl->get_int64() < 1)
        return "\"ttl_seconds\" (a whole number of seconds, at least 1) is required";
    // Compared in whole seconds: a pushed number converted to milliseconds could overflow.
    const auto max_seconds = std::chrono::duration_cast<std::chrono::seconds>(max_ttl).count();
    if (ttl->get_int64() > max_seconds)
        return "\"ttl_seconds\" is longer than identity.address_map_max_ttl (" +
               std::to_string(max_seconds) + "s)";
    out.ttl = std::chrono::seconds(ttl->get_int64());
    if (const auto* at = o->if_contains("at")) {
        auto t = at->is_string() ? core::parse_rfc3339(at->get_string()) : std::nullopt;
        if (!t) return "\"at\" is not an RFC 3339 time";
        out.at = *t;
    }
    return "";
}

}  // namespace

api_answer post_mappings(address_map& map, std::string_view body, std::chrono::milliseconds max_ttl,
                         time_point now) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) return bad("the body is not JSON");
    std::vector<push> pushes;
    if (const auto* a = v.if_array()) {
        if (a->size() > max_batch) return bad("at most 10000 mappings per request");
        for (std::size_t i = 0; i < a->size(); ++i) {
            push p;
            if (auto why = read_push((*a)[i], max_ttl, p); !why.empty())
                return bad("item " + std::to_string(i) + ": " + why);
            pushes.push_back(std::move(p));
        }
    } else {
        push p;
        if (auto why = read_push(v, max_ttl, p); !why.empty()) return bad(why);
        pushes.push_back(std::move(p));
    }
    std::uint64_t stored = 0, replaced = 0, stale = 0, full = 0;
    for (auto& p : pushes) {
        // A lease that began in the future (a skewed DHCP server) counts from now.
        auto at = p.at ? std::min(*p.at, now) : now;
        switch (map.put(p.address, std::move(p.user), at, at + p.ttl, now)) {
            case put_outcome::stored: ++stored; break;
            case put_outcome::replaced: ++replaced; break;
            case put_outcome::stale: ++stale; break;
            case put_outcome::full: ++full; break;
        }
    }
    json::object o;
    o["stored"] = stored;
    o["replaced"] = replaced;
    o["stale"] = stale;
    o["refused_full"] = full;
    // 507 Insufficient Storage (RFC 4918 §11.5): the caller learns that some were not kept.
    return {full ? 507u : 200u, "application/json", json::serialize(o) + "\n"};
}

api_answer delete_mapping(address_map& map, std::string_view address,
                          const std::optional<std::string>& user) {
    std::string why;
    auto a = core::parse_client_address(address, &why);
    if (!a) return bad(why);
    json::object o;
    o["removed"] = map.remove(*a, user);
    return {o["removed"].as_bool() ? 200u : 404u, "application/json", json::serialize(o) + "\n"};
}

api_answer list_mappings(const address_map& map, time_point now) {
    std::string out;
    for (const auto& m : map.list(now)) {
        json::object o;
        o["address"] = m.address.str();
        o["user"] = m.user;
        o["origin"] = m.origin == mapping_origin::pushed ? "api" : "file";
        o["at"] = core::format_rfc3339(m.at);
        if (m.origin == mapping_origin::pushed) o["expires"] = core::format_rfc3339(m.expires);
        out += json::serialize(o);
        out += '\n';
    }
    return {200, "application/x-ndjson", std::move(out)};
}

}  // namespace consolegate::identity
