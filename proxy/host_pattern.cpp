#include "host_pattern.hpp"

#include <cstdint>

namespace consolegate::proxy {
namespace {

std::vector<std::string> labels_reversed(std::string_view host) {
    std::vector<std::string> out;
    while (!host.empty()) {
        auto dot = host.rfind('.');
        if (dot == std::string_view::npos) {
            out.emplace_back(host);
            break;
        }
        out.emplace_back(host.substr(dot + 1));
        host = host.substr(0, dot);
    }
    return out;
}

}  // namespace

std::string normalise_host(std::string_view host) {
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    if (host.empty() || host.size() > 253 || host.front() == '.') return {};
    std::string out;
    out.reserve(host.size());
    char prev = 0;
    for (char c : host) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                  c == '_' || c == ':';  // ':' for IPv6 literals
        if (!ok || (c == '.' && prev == '.')) return {};
        out.push_back(c);
        prev = c;
    }
    return out;
}

host_set::host_set(const std::vector<std::string>& patterns) {
    for (const auto& p : patterns) {
        // Patterns are host names whose labels may be a lone "*".
        std::string n;
        for (char c : p) n += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        if (!n.empty() && n.back() == '.') n.pop_back();
        auto labels = labels_reversed(n);
        bool ok = !labels.empty();
        for (const auto& l : labels) {
            ok = ok && (l == "*" || (!l.empty() && normalise_host(l) == l));
        }
        if (ok) patterns_.push_back(std::move(labels));
    }
}

bool host_set::matches(std::string_view host) const {
    if (host.empty()) return false;
    auto labels = labels_reversed(host);
    for (const auto& p : patterns_) {
        bool leading_wild = p.size() >= 2 && p.back() == "*";
        std::size_t fixed = leading_wild ? p.size() - 1 : p.size();
        if (leading_wild ? labels.size() <= fixed : labels.size() != fixed) continue;
        bool ok = true;
        for (std::size_t i = 0; i < fixed && ok; ++i) {
            ok = p[i] == "*" ? !labels[i].empty() : p[i] == labels[i];
        }
        if (ok) return true;
    }
    return false;
}

bool parse_authority(std::string_view text, authority& out, std::uint16_t default_port) {
    std::string_view host, port;
    bool has_port = false;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) return false;
        host = text.substr(1, close - 1);
        auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return false;
            port = rest.substr(1);
            has_port = true;
        }
    } else {
        auto colon = text.rfind(':');
        if (colon != std::string_view::npos) {
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
            has_port = true;
            if (host.find(':') != std::string_view::npos) return false;  // bare IPv6
        } else {
            host = text;
        }
    }
    std::uint32_t p = default_port;
    if (has_port) {
        if (port.empty() || port.size() > 5) return false;
        p = 0;
        for (char c : port) {
            if (c < '0' || c > '9') return false;
            p = p * 10 + static_cast<std::uint32_t>(c - '0');
        }
    }
    if (p == 0 || p > 65535) return false;
    out.host = normalise_host(host);
    if (out.host.empty()) return false;
    out.port = static_cast<std::uint16_t>(p);
    return true;
}

}  // namespace consolegate::proxy
