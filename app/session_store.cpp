#include "session_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "consolegate/core/hex.hpp"
#include "consolegate/core/key_file.hpp"
#include "consolegate/identity/user_name.hpp"
#include "hmac.hpp"

namespace consolegate::app {
namespace json = boost::json;
namespace {

constexpr std::size_t max_file_bytes = 512u << 20;  // far above 100 000 entries (~300 B each)

std::string hex(const unsigned char* p, std::size_t n) {
    return core::to_hex({p, n});
}

bool unhex(std::string_view s, std::array<unsigned char, 32>& out) {
    return core::from_hex(s, out);
}

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
std::chrono::system_clock::time_point from_ms(std::int64_t ms) {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

std::optional<binding_source> source_from_string(std::string_view s) {
    for (auto b : {binding_source::user_info_set_cookie, binding_source::response_body,
                   binding_source::lineage, binding_source::pending_sign_in}) {
        if (to_string(b) == s) return b;
    }
    return std::nullopt;
}

[[noreturn]] void bad(const std::string& name, std::size_t line, const std::string& why) {
    throw std::runtime_error("session file " + name + ":" + std::to_string(line) + ": " + why);
}

const json::value* member(const json::object& o, std::string_view key) {
    return o.if_contains(json::string_view(key.data(), key.size()));
}

std::string text_of(const json::object& o, std::string_view key) {
    auto* v = member(o, key);
    if (!v) return {};
    if (!v->is_string()) throw std::invalid_argument(std::string(key) + " is not a string");
    return std::string(v->get_string());
}

std::int64_t int_of(const json::object& o, std::string_view key) {
    auto* v = member(o, key);
    if (!v || !v->is_int64()) throw std::invalid_argument(std::string(key) + " is not an integer");
    return v->get_int64();
}

}  // namespace

std::string session_entry_text(const session_table::saved_entry& e) {
    const auto& id = e.identity;
    json::object o{{"d", hex(e.key.data(), e.key.size())},
                   {"exp", to_ms(e.expires)},
                   {"named", to_ms(id.named_at)},
                   {"learned", to_ms(id.learned_at)},
                   {"by", to_string(id.learned_by)},
                   {"on", id.learned_on},
                   {"account", id.account ? id.account->str() : std::string()},
                   {"arn", id.principal_arn},
                   {"role", id.role_name},
                   {"permission_set", id.permission_set},
                   {"user", id.aws_user},
                   {"corp_user", id.corporate_user}};
    if (id.sign_in_at != std::chrono::system_clock::time_point{}) {
        o["signin"] = to_ms(id.sign_in_at);
    }
    if (id.flows != 0) {
        json::array flows;
        for (int f = 0; f < core::sign_in_flow_count; ++f) {
            auto flow = static_cast<core::sign_in_flow>(f);
            if (id.flows & core::flow_bit(flow)) flows.emplace_back(json::string(to_string(flow)));
        }
        o["flows"] = std::move(flows);
        if (id.flows_either) o["flows_either"] = true;
    }
    return json::serialize(o);
}

session_table::saved_entry parse_session_entry(std::string_view line) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) throw std::invalid_argument("not a JSON object");
    const auto& o = v.get_object();
    session_table::saved_entry e;
    if (!unhex(text_of(o, "d"), e.key)) throw std::invalid_argument("d is not 64 hex digits");
    e.expires = from_ms(int_of(o, "exp"));
    auto& id = e.identity;
    id.named_at = from_ms(int_of(o, "named"));
    id.learned_at = from_ms(int_of(o, "learned"));
    auto by = source_from_string(text_of(o, "by"));
    if (!by) throw std::invalid_argument("unknown binding source");
    id.learned_by = *by;
    id.learned_on = text_of(o, "on");
    if (auto a = text_of(o, "account"); !a.empty()) {
        id.account = core::account_id::parse(a);
        if (!id.account) throw std::invalid_argument("account is not 12 digits");
    }
    id.principal_arn = text_of(o, "arn");
    id.role_name = text_of(o, "role");
    id.permission_set = text_of(o, "permission_set");
    id.aws_user = text_of(o, "user");
    // Absent in entries written before sessions knew their opener: "" (not known). Present, a
    // corporate user name as the identity sources accept one, or "": a row another replica (or a
    // hand) wrote with anything else would bind the session to a person no request can name.
    id.corporate_user = text_of(o, "corp_user");
    if (!id.corporate_user.empty() && !identity::check_user_name(id.corporate_user).empty())
        throw std::invalid_argument("corp_user is not a corporate user name");
    if (member(o, "signin")) id.sign_in_at = from_ms(int_of(o, "signin"));
    // Absent in entries written before sessions knew their sign-in's flows: not known.
    if (auto* flows = member(o, "flows")) {
        if (!flows->is_array()) throw std::invalid_argument("flows is not an array");
        for (const auto& f : flows->get_array()) {
            auto flow =
                f.is_string() ? core::sign_in_flow_from_string(f.get_string()) : std::nullopt;
            if (!flow) throw std::invalid_argument("flows names an unknown flow");
            id.flows |= core::flow_bit(*flow);
        }
        if (auto* either = member(o, "flows_either")) {
            if (!either->is_bool()) throw std::invalid_argument("flows_either is not a boolean");
            id.flows_either = either->get_bool();
        }
    }
    return e;
}

std::string session_file_text(const session_file& c) {
    std::string out;
    json::object head{{"consolegate_sessions", 1}, {"key", hex(c.key.data(), c.key.size())}};
    out += json::serialize(head);
    out += '\n';
    for (const auto& e : c.entries) {
        out += session_entry_text(e);
        out += '\n';
    }
    return out;
}

session_file parse_session_file(std::string_view text, const std::string& name) {
    session_file c;
    std::size_t line_no = 0;
    bool head = false;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        if (line.empty()) continue;
        boost::system::error_code ec;
        auto v = json::parse(line, ec);
        if (ec || !v.is_object()) bad(name, line_no, "not a JSON object");
        const auto& o = v.get_object();
        try {
            if (!head) {
                if (int_of(o, "consolegate_sessions") != 1) {
                    bad(name, line_no, "not a consolegate session file of version 1");
                }
                if (!unhex(text_of(o, "key"), c.key))
                    bad(name, line_no, "key is not 64 hex digits");
                head = true;
                continue;
            }
            c.entries.push_back(parse_session_entry(line));
        } catch (const std::invalid_argument& e) {
            bad(name, line_no, e.what());
        }
    }
    if (!head) bad(name, line_no, "no header line (empty file)");
    return c;
}

std::optional<session_file> read_session_file(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::nullopt;
        throw std::runtime_error("session file " + file.string() + ": " + std::strerror(errno));
    }
    if (auto problem = core::key_file_mode_problem(st.st_mode, st.st_uid); !problem.empty()) {
        throw std::runtime_error("session file " + file.string() + " (it holds the session key) " +
                                 problem);
    }
    if (static_cast<std::uint64_t>(st.st_size) > max_file_bytes) {
        throw std::runtime_error("session file " + file.string() + " is over 512 MiB");
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) {
        throw std::runtime_error("session file " + file.string() + ": cannot be read");
    }
    return parse_session_file(text.str(), file.string());
}

session_table::key_type read_session_key_file(const std::filesystem::path& file) {
    auto name = "sessions.key_file " + file.string();
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        throw std::runtime_error(name + ": " + std::strerror(errno));
    }
    if (auto problem = core::key_file_mode_problem(st.st_mode, st.st_uid); !problem.empty()) {
        throw std::runtime_error(name + " " + problem);
    }
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line)) throw std::runtime_error(name + ": cannot be read");
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    session_table::key_type key{};
    if (!unhex(line, key)) {
        throw std::runtime_error(name +
                                 ": the first line must be 64 lowercase hex digits (openssl rand "
                                 "-hex 32)");
    }
    return key;
}

std::string session_key_fingerprint(const session_table::key_type& key) {
    static constexpr std::string_view text = "consolegate session key fingerprint 1";
    auto out = hmac_sha256(key, text, "session key fingerprint");
    return hex(out.data(), out.size());
}

void write_session_file(const std::filesystem::path& file, const session_file& contents) {
    auto text = session_file_text(contents);
    auto tmp = file;
    tmp += ".tmp";
    auto fail = [&](const char* what) {
        auto why = std::string(std::strerror(errno));
        ::unlink(tmp.c_str());
        throw std::runtime_error("session file " + file.string() + ": " + what + ": " + why);
    };
    ::unlink(tmp.c_str());  // a leftover of a crash; O_EXCL below
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) fail("cannot create the temporary file");
    std::size_t done = 0;
    while (done < text.size()) {
        auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            ::close(fd);
            fail("write failed");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        ::close(fd);
        fail("fsync failed");
    }
    if (::close(fd) != 0) fail("close failed");
    if (::rename(tmp.c_str(), file.c_str()) != 0) fail("rename failed");
}

}  // namespace consolegate::app
