#include "consolegate/audit/event.hpp"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cstdint>
#include <cstring>
#include <vector>

#include "consolegate/core/time.hpp"

namespace consolegate::audit {
namespace json = boost::json;

namespace {

constexpr const auto& string_fields = event_string_fields;

constexpr std::string_view kept_values[] = {"Action", "region", "SessionDuration"};

}  // namespace

std::string redact_query(std::string_view query) {
    constexpr std::size_t cap = 512;
    std::string out;
    while (!query.empty() && out.size() < cap) {
        auto amp = query.find('&');
        auto param = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (param.empty()) continue;
        auto eq = param.find('=');
        auto name = param.substr(0, eq);
        if (!out.empty()) out += '&';
        out += name;
        if (eq == std::string_view::npos) continue;
        out += '=';
        for (auto k : kept_values) {
            if (name == k) out += param.substr(eq + 1);
        }
    }
    if (out.size() > cap) out.resize(cap);
    return out;
}

std::string principal_arn(const core::sign_in_attempt& a) {
    if (!a.account) return "";
    auto prefix = "arn:aws:iam::" + a.account->str() + ":";
    using core::sign_in_flow;
    switch (a.flow) {
        case sign_in_flow::root: return prefix + "root";
        case sign_in_flow::iam_user: return a.user.empty() ? "" : prefix + "user/" + a.user;
        case sign_in_flow::saml:
        case sign_in_flow::switch_role:
        case sign_in_flow::custom_broker:
            return a.role_name.empty() ? "" : prefix + "role/" + a.role_name;
        default: return "";
    }
}

event make_event(std::string id, const core::sign_in_attempt& a, const core::decision& d,
                 std::string_view method, std::string_view target, const event_context& ctx) {
    event e;
    e.id = std::move(id);
    e.time = core::format_rfc3339(a.time);
    e.gateway = std::string(ctx.gateway);
    e.client = a.client.str();
    e.flow = std::string(core::to_string(a.flow));
    e.phase = std::string(core::to_string(a.phase));
    e.host = a.host;
    if (a.account) {
        e.account = a.account->str();
        if (ctx.org) {
            if (auto* p = ctx.org->path_of(*a.account)) e.ou_path = *p;
            e.org = std::string(ctx.org->org_of(*a.account));
        }
    }
    e.alias = a.alias;
    e.principal_arn = principal_arn(a);
    e.role = a.role_name;
    e.permission_set = a.permission_set;
    e.user = a.user;
    e.source = a.source;
    e.change_type = a.change_type;
    e.parse_error = a.parse_error;
    e.idc_instance = a.idc_instance;
    e.corp_user = a.corp.user;
    e.corp_source = std::string(core::to_string(a.corp.source));
    for (int f = 0; f < core::sign_in_flow_count; ++f) {
        auto flow = static_cast<core::sign_in_flow>(f);
        if ((a.also_flows & core::flow_bit(flow)) == 0) continue;
        if (!e.also_flows.empty()) e.also_flows += ',';
        e.also_flows += core::to_string(flow);
    }
    e.also_flows_either = a.also_flows_either && !e.also_flows.empty();
    e.session_corp_user = a.session_corp_user;
    e.oauth_action = std::string(core::to_string(a.oauth_action));
    e.method = std::string(method);
    auto q = target.find('?');
    e.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) e.query = redact_query(target.substr(q + 1));
    e.effect = std::string(core::to_string(d.verdict));
    e.enforced = std::string(core::to_string(d.enforced()));
    e.reason = std::string(core::to_string(d.why));
    e.rule = d.rule;
    e.report_only = d.report_only;
    e.flagged = d.flagged;
    // The TEAM elevation that decided (active, or expired/revoked for a deny), for the reviewer.
    e.team_request_id = d.elevation_id;
    e.team_ticket = d.elevation_ticket;
    if (d.elevation_end) e.team_end = core::format_rfc3339(*d.elevation_end);
    // Request bytes (a percent-decoded user name, a Host) reach every sink as valid UTF-8; the
    // event says that something was replaced.
    bool replaced = false;
    for (auto& f : string_fields) {
        auto& v = e.*(f.member);
        if (!is_valid_utf8(v)) v = valid_utf8(v, &replaced);
    }
    if (replaced) e.flagged = true;
    return e;
}

std::string also_flows_shown(const event& e) {
    auto out = e.also_flows;
    if (e.also_flows_either) std::replace(out.begin(), out.end(), ',', '|');
    return out;
}

std::string flow_shown(const event& e) {
    return e.oauth_action.empty() ? e.flow : e.flow + ":" + e.oauth_action;
}

bool is_valid_utf8(std::string_view s) {
    // Most fields are ASCII: skip eight bytes at a time while no high bit is set.
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        if (w & 0x8080808080808080ULL) break;
    }
    for (; i < s.size(); ++i) {
        if (static_cast<unsigned char>(s[i]) >= 0x80) break;
    }
    if (i == s.size()) return true;
    bool replaced = false;
    (void)valid_utf8(s.substr(i), &replaced);
    return !replaced;
}

std::string valid_utf8(std::string_view s, bool* replaced) {
    std::string out;
    out.reserve(s.size());
    auto u = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = u(i);
        std::size_t n = c < 0x80                   ? 1
                        : (c >= 0xC2 && c <= 0xDF) ? 2
                        : (c >= 0xE0 && c <= 0xEF) ? 3
                        : (c >= 0xF0 && c <= 0xF4) ? 4
                                                   : 0;
        bool ok = n > 0 && i + n <= s.size();
        for (std::size_t k = 1; ok && k < n; ++k) ok = (u(i + k) & 0xC0) == 0x80;
        // The second byte's range for E0 (no overlong), ED (no surrogates), F0 and F4.
        if (ok && n >= 3) {
            unsigned char d = u(i + 1);
            ok = !(c == 0xE0 && d < 0xA0) && !(c == 0xED && d > 0x9F) && !(c == 0xF0 && d < 0x90) &&
                 !(c == 0xF4 && d > 0x8F);
        }
        if (!ok) {
            out.append("\xEF\xBF\xBD");
            if (replaced) *replaced = true;
            ++i;
            continue;
        }
        out.append(s.substr(i, n));
        i += n;
    }
    return out;
}

namespace {

// True when none of the eight bytes at `p` needs escaping: no control character, '"' or '\\'
// (exact SWAR tests: each term is nonzero iff some byte matches).
bool plain8(const char* p) {
    constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    auto zero_in = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    return (((x - ones * 0x20) & ~x & highs) | zero_in(x ^ (ones * '"')) |
            zero_in(x ^ (ones * '\\'))) == 0;
}

// Writes `s` (valid UTF-8) at `p` as a JSON string, escaped as Boost.JSON's serializer escapes
// it, so lines stay byte-for-byte what json::serialize wrote before this writer was hand-rolled
// for the sign-in hot path (the audit writer serialises every judged request). Needs room for
// 6 * s.size() + 2 bytes; returns the end.
char* put_json_string(char* p, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    *p++ = '"';
    std::size_t i = 0, run = 0;  // run: start of the current stretch that needs no escaping
    while (i < s.size()) {
        if (i + 8 <= s.size() && plain8(s.data() + i)) {
            i += 8;
            continue;
        }
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        std::memcpy(p, s.data() + run, i - run);
        p += i - run;
        *p++ = '\\';
        switch (c) {
            case '"': *p++ = '"'; break;
            case '\\': *p++ = '\\'; break;
            case '\b': *p++ = 'b'; break;
            case '\f': *p++ = 'f'; break;
            case '\n': *p++ = 'n'; break;
            case '\r': *p++ = 'r'; break;
            case '\t': *p++ = 't'; break;
            default:
                *p++ = 'u';
                *p++ = '0';
                *p++ = '0';
                *p++ = hex[c >> 4];
                *p++ = hex[c & 15];
        }
        run = ++i;
    }
    if (run < s.size()) {
        std::memcpy(p, s.data() + run, s.size() - run);
        p += s.size() - run;
    }
    *p++ = '"';
    return p;
}

char* put_raw(char* p, std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
}

}  // namespace

// `,"name":` of every field, made once: one copy per field instead of three.
const std::array<std::string, std::size(string_fields)>& field_prefixes() {
    static const auto prefixes = [] {
        std::array<std::string, std::size(string_fields)> out;
        for (std::size_t i = 0; i < out.size(); ++i) {
            out[i] = std::string(",\"") + string_fields[i].name + "\":";
        }
        return out;
    }();
    return prefixes;
}

std::string to_json_line(const event& e) {
    const auto& prefixes = field_prefixes();
    // Invalid UTF-8 is rare (make_event repairs what it builds): a repaired copy only then.
    bool replaced = false;
    std::vector<std::string> repaired;
    std::array<std::string_view, std::size(string_fields)> values;
    std::size_t room = 128;  // schema, the booleans, count and the braces
    for (std::size_t i = 0; i < values.size(); ++i) {
        values[i] = e.*(string_fields[i].member);
        if (!is_valid_utf8(values[i])) {
            repaired.reserve(values.size());  // the views below must not move
            values[i] = repaired.emplace_back(valid_utf8(values[i], &replaced));
        }
        room += prefixes[i].size() + 2 + 6 * values[i].size();
    }
    std::string out;
    out.resize(room);
    char* p = out.data();
    p = put_raw(p, "{\"schema\":");
    p = put_raw(p, std::to_string(schema_version));
    for (std::size_t i = 0; i < values.size(); ++i) {
        p = put_raw(p, prefixes[i]);
        p = put_json_string(p, values[i]);
    }
    p = put_raw(p, e.report_only ? ",\"report_only\":true" : ",\"report_only\":false");
    p = put_raw(p, e.flagged || replaced ? ",\"flagged\":true" : ",\"flagged\":false");
    p = put_raw(p, ",\"count\":");
    p = put_raw(p, std::to_string(e.count));
    p = put_raw(
        p, e.also_flows_either ? ",\"also_flows_either\":true" : ",\"also_flows_either\":false");
    *p++ = '}';
    out.resize(static_cast<std::size_t>(p - out.data()));
    return out;
}

std::optional<event> from_json_line(std::string_view line, std::string* error) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec) {
        if (error) *error = "not JSON: " + ec.message();
        return std::nullopt;
    }
    auto* o = v.if_object();
    if (!o) {
        if (error) *error = "not a JSON object";
        return std::nullopt;
    }
    if (auto* sv = o->if_contains("schema")) {
        // A newer writer's events are readable as long as the major version matches.
        if (!sv->is_int64() || sv->get_int64() != schema_version) {
            if (error) *error = "unsupported schema version";
            return std::nullopt;
        }
    }
    event e;
    for (auto& f : string_fields) {
        if (auto* fv = o->if_contains(f.name)) {
            auto* s = fv->if_string();
            if (!s) {
                if (error) *error = std::string("field ") + f.name + " is not a string";
                return std::nullopt;
            }
            e.*(f.member) = std::string(*s);
        }
    }
    for (auto [name, member] :
         {std::pair{"report_only", &event::report_only}, std::pair{"flagged", &event::flagged},
          std::pair{"also_flows_either", &event::also_flows_either}}) {
        if (auto* fv = o->if_contains(name)) {
            if (!fv->is_bool()) {
                if (error) *error = std::string("field ") + name + " is not a boolean";
                return std::nullopt;
            }
            e.*member = fv->get_bool();
        }
    }
    if (auto* fv = o->if_contains("count")) {
        // A positive integer (a number with a fraction or exponent is refused, not rounded).
        auto* i = fv->if_int64();
        auto* u = fv->if_uint64();
        if ((!i && !u) || (i && *i < 1)) {
            if (error) *error = "field count is not a positive integer";
            return std::nullopt;
        }
        e.count = i ? static_cast<std::uint64_t>(*i) : *u;
    }
    if (e.id.empty() || e.time.empty()) {
        if (error) *error = "missing id or time";
        return std::nullopt;
    }
    return e;
}

}  // namespace consolegate::audit
