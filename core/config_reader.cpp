#include "config_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "consolegate/core/host_pattern.hpp"

namespace consolegate::core::config_detail {

std::string_view type_name(toml::node_type t) {
    switch (t) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a floating-point number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        case toml::node_type::none: break;
    }
    return "nothing";
}

source_location loader::location(const toml::source_region& r) const {
    source_location at;
    at.file = r.path ? *r.path : file_;
    at.line = static_cast<int>(r.begin.line);
    at.column = static_cast<int>(r.begin.column);
    return at;
}

void loader::error(const toml::source_region& r, std::string message) {
    error(location(r), std::move(message));
}

void loader::error(const source_location& at, std::string message) {
    diags.push_back({at.file, at.line, at.column, std::move(message)});
}

void loader::error_file(const std::filesystem::path& file, std::string message) {
    diags.push_back({file.string(), 0, 0, std::move(message)});
}

bool loader::read_file(const std::filesystem::path& p, std::size_t cap, std::string& out,
                       const source_location& at, std::string_view what, bool regular_only) {
    auto fail = [&](int err) {
        error(at, "cannot read " + std::string(what) + " \"" + p.string() +
                      "\": " + std::strerror(err));
        return false;
    };
    // Opened without blocking and read only when it is a regular file: a FIFO, device or
    // directory named by an include or a path key would otherwise hang the reload (open(2) of a
    // FIFO waits for a writer) or read forever.
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));
    if (fd < 0) return fail(errno);
    struct stat st {};
    if (regular_only && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        const int err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        ::close(fd);
        error(at, "cannot read " + std::string(what) + " \"" + p.string() +
                      "\": " + (err == EISDIR ? std::strerror(err) : "not a regular file"));
        return false;
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(::fdopen(fd, "rb"), &std::fclose);
    if (!f) {
        const int err = errno;
        ::close(fd);
        return fail(err);
    }
    out.clear();
    char buf[65536];
    for (;;) {
        std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
        if (n == 0) {
            if (std::ferror(f.get())) return fail(errno != 0 ? errno : EIO);
            break;
        }
        if (out.size() + n > cap) {
            error(at, std::string(what) + " \"" + p.string() + "\" is larger than " +
                          std::to_string(cap >> 20) + " MiB");
            return false;
        }
        out.append(buf, n);
    }
    cfg.files.push_back(p);
    return true;
}

std::filesystem::path loader::resolve(std::string_view written) const {
    std::filesystem::path p(written);
    if (p.is_relative()) p = dir_ / p;
    return p.lexically_normal();
}

const toml::node* section::take(std::string_view key) {
    known_.push_back(key);
    return t_.get(key);
}

std::string section::name(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

void section::finish() {
    for (auto&& [k, v] : t_) {
        if (std::find(known_.begin(), known_.end(), k.str()) != known_.end()) continue;
        std::string shown(k.str().substr(0, 64));
        std::string message = "unknown key `" + name(shown) + "`";
        if (auto near = nearest_key(k.str(), known_); !near.empty())
            message += "; did you mean `" + std::string(near) + "`?";
        l_.error(k.source(), std::move(message));
    }
}

void section::type_error(const toml::node& n, const std::string& what, std::string_view expected) {
    l_.error(n, what + ": expected " + std::string(expected) + ", got " +
                    std::string(type_name(n.type())));
}

void section::get(std::string_view key, bool& out) {
    const toml::node* n = take(key);
    if (!n) return;
    if (const auto* v = n->as_boolean())
        out = v->get();
    else if (n->is_string() &&
             (n->as_string()->get() == "true" || n->as_string()->get() == "false"))
        l_.error(*n, name(key) + ": expected a boolean, got a string; write " +
                         n->as_string()->get() + " without quotes");
    else
        type_error(*n, name(key), "a boolean (true or false)");
}

void section::get(std::string_view key, std::string& out) {
    const toml::node* n = take(key);
    if (!n) return;
    if (const auto* v = n->as_string())
        out = v->get();
    else
        type_error(*n, name(key), "a string");
}

void section::get_duration(std::string_view key, duration& out) {
    const toml::node* n = take(key);
    if (!n) return;
    const auto* v = n->as_string();
    if (!v) {
        if (n->is_integer())
            return l_.error(*n, name(key) +
                                    ": expected a duration string with a unit, got an "
                                    "integer; write e.g. \"" +
                                    std::to_string(n->as_integer()->get()) + "s\"");
        return type_error(*n, name(key), "a duration string like \"30s\"");
    }
    duration d{};
    if (auto err = parse_duration(v->get(), d); !err.empty())
        return l_.error(*n, name(key) + ": " + err);
    out = d;
}

void section::get_size(std::string_view key, std::uint64_t& out) {
    const toml::node* n = take(key);
    if (!n) return;
    if (const auto* i = n->as_integer()) {
        if (i->get() < 0) return l_.error(*n, name(key) + ": a size must not be negative");
        out = static_cast<std::uint64_t>(i->get());
        return;
    }
    const auto* v = n->as_string();
    if (!v) return type_error(*n, name(key), "a size like \"64KiB\" or an integer of bytes");
    std::uint64_t x = 0;
    if (auto err = parse_size(v->get(), x); !err.empty())
        return l_.error(*n, name(key) + ": " + err);
    out = x;
}

void section::get_path(std::string_view key, std::filesystem::path& out) {
    const toml::node* n = take(key);
    if (!n) return;
    const auto* v = n->as_string();
    if (!v) return type_error(*n, name(key), "a path string");
    if (v->get().empty()) {
        out.clear();
        return;
    }
    if (v->get().find('\0') != std::string::npos)
        return l_.error(*n, name(key) + ": a path must not contain NUL");
    out = l_.resolve(v->get());
}

void section::get_paths(std::string_view key, std::vector<std::filesystem::path>& out) {
    std::vector<std::filesystem::path> r;
    bool present =
        each_string(key, [&](const toml::node& e, std::string_view s, const std::string& item) {
            if (s.empty() || s.find('\0') != std::string_view::npos)
                return l_.error(e, item + ": expected a file path, got an empty or invalid string");
            r.push_back(l_.resolve(s));
        });
    if (present) out = std::move(r);
}

void section::get_endpoint(std::string_view key, endpoint& out, std::uint16_t default_port,
                           int listener_component) {
    const toml::node* n = take(key);
    if (!n) {
        if (listener_component >= 0)
            l_.listeners.push_back(
                {name(key) + " (default)", out, l_.location(t_.source()), listener_component});
        return;
    }
    const auto* v = n->as_string();
    if (!v) return type_error(*n, name(key), "an address string like \"127.0.0.1:9100\"");
    endpoint ep;
    if (auto err = parse_endpoint(v->get(), default_port, ep); !err.empty())
        return l_.error(*n, name(key) + ": " + err);
    out = ep;
    if (listener_component >= 0)
        l_.listeners.push_back({name(key), ep, l_.location(n->source()), listener_component});
}

void section::get_endpoints(std::string_view key, std::vector<endpoint>& out,
                            std::uint16_t default_port, int listener_component) {
    std::vector<endpoint> r;
    std::vector<listener_use> uses;
    bool present =
        each_string(key, [&](const toml::node& e, std::string_view s, const std::string& item) {
            endpoint ep;
            if (auto err = parse_endpoint(s, default_port, ep); !err.empty())
                return l_.error(e, item + ": " + err);
            r.push_back(ep);
            if (listener_component >= 0)
                uses.push_back({item, ep, l_.location(e.source()), listener_component});
        });
    if (!present) {
        // The defaults still listen: record them (at the table) for the collision check.
        if (listener_component >= 0) {
            for (std::size_t i = 0; i < out.size(); ++i)
                l_.listeners.push_back({name(key) + " (default)", out[i], l_.location(t_.source()),
                                        listener_component});
        }
        return;
    }
    out = std::move(r);
    l_.listeners.insert(l_.listeners.end(), uses.begin(), uses.end());
}

void section::get_addresses(std::string_view key, std::vector<ip_address>& out, bool v4) {
    std::vector<ip_address> r;
    bool present =
        each_string(key, [&](const toml::node& e, std::string_view s, const std::string& item) {
            auto a = ip_address::parse(s);
            if (!a)
                return l_.error(
                    e, item + ": \"" + std::string(s.substr(0, 64)) + "\" is not an IP address");
            if (a->is_v4() != v4)
                return l_.error(e, item + ": expected an " + (v4 ? "IPv4" : "IPv6") +
                                       " address, got \"" + std::string(s.substr(0, 64)) + "\"");
            r.push_back(*a);
        });
    if (present) out = std::move(r);
}

void section::get_cidrs(std::string_view key, std::vector<cidr>& out) {
    std::vector<cidr> r;
    bool present =
        each_string(key, [&](const toml::node& e, std::string_view s, const std::string& item) {
            cidr c;
            if (auto err = parse_cidr(s, c); !err.empty()) return l_.error(e, item + ": " + err);
            r.push_back(c);
        });
    if (present) out = std::move(r);
}

void section::get_host_patterns(std::string_view key, std::vector<std::string>& out) {
    std::vector<std::string> r;
    std::vector<source_location> where;
    bool present =
        each_string(key, [&](const toml::node& e, std::string_view s, const std::string& item) {
            auto p = host_pattern::parse(s);
            if (!p) {
                return l_.error(e, item + ": host pattern " + config_detail::quoted(s) + " " +
                                       p.error().message());
            }
            r.push_back(p->str());
            where.push_back(l_.location(e.source()));
        });
    if (present) {
        out = std::move(r);
        l_.pattern_where[name(key)] = std::move(where);
    }
}

void section::get_globs(std::string_view key, std::vector<std::string>& out) {
    std::vector<std::string> r;
    bool present =
        each_string(key, [&](const toml::node& e, std::string_view s, const std::string& item) {
            if (auto err = check_glob(s); !err.empty()) return l_.error(e, item + ": " + err);
            r.emplace_back(s);
        });
    if (present) out = std::move(r);
}

void section::get_strings(std::string_view key, std::vector<std::string>& out) {
    std::vector<std::string> r;
    bool present =
        each_string(key, [&](const toml::node& e, std::string_view s, const std::string& item) {
            if (s.empty()) return l_.error(e, item + ": must not be empty");
            r.emplace_back(s);
        });
    if (present) out = std::move(r);
}

}  // namespace consolegate::core::config_detail
