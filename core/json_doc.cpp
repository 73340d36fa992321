#include "json_doc.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <unordered_set>
#include <vector>

namespace consolegate::core::detail {
namespace {

namespace json = boost::json;
using boost::system::error_code;

// A SAX handler that builds nothing and only remembers the keys of each open object.
struct duplicate_key_checker {
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

    std::vector<std::unordered_set<std::string>> open;
    std::string key;
    std::string duplicate;

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) { return true; }
    bool on_array_end(std::size_t, error_code&) { return true; }
    bool on_object_begin(error_code&) {
        open.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t, error_code&) {
        open.pop_back();
        return true;
    }
    bool on_string_part(json::string_view, std::size_t, error_code&) { return true; }
    bool on_string(json::string_view, std::size_t, error_code&) { return true; }
    bool on_key_part(json::string_view s, std::size_t, error_code&) {
        key.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, error_code& ec) {
        key.append(s.data(), s.size());
        bool fresh = open.back().insert(key).second;
        if (!fresh) {
            duplicate = key;
            ec = json::error::syntax;
            return false;
        }
        key.clear();
        return true;
    }
    bool on_number_part(json::string_view, error_code&) { return true; }
    bool on_int64(std::int64_t, json::string_view, error_code&) { return true; }
    bool on_uint64(std::uint64_t, json::string_view, error_code&) { return true; }
    bool on_double(double, json::string_view, error_code&) { return true; }
    bool on_bool(bool, error_code&) { return true; }
    bool on_null(error_code&) { return true; }
    bool on_comment_part(json::string_view, error_code&) { return true; }
    bool on_comment(json::string_view, error_code&) { return true; }
};

void position_of(std::string_view text, std::size_t offset, int& line, int& column) {
    line = 1;
    column = 1;
    offset = std::min(offset, text.size());
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
}

}  // namespace

json_doc parse_json_strict(std::string_view text) {
    json_doc doc;
    json::parse_options opts;
    opts.max_depth = json_max_depth;
    {
        json::basic_parser<duplicate_key_checker> checker(opts);
        error_code ec;
        auto used = checker.write_some(false, text.data(), text.size(), ec);
        if (!ec && used != text.size()) ec = json::error::extra_data;
        if (ec) {
            // The failing character is the one after what was consumed.
            position_of(text, used, doc.line, doc.column);
            const auto& dup = checker.handler().duplicate;
            doc.error = dup.empty() ? "invalid JSON: " + ec.message()
                                    : "duplicate key \"" + dup + "\" (JSON keeps only one of them)";
            return doc;
        }
    }
    error_code ec;
    doc.value = json::parse(json::string_view(text.data(), text.size()), ec, {}, opts);
    if (ec) {
        doc.error = "invalid JSON: " + ec.message();
        return doc;
    }
    doc.ok = true;
    return doc;
}

json_positions::json_positions(std::string_view text) {
    // Offsets come in document order (a member's key before its value, a value before what it
    // holds), so one running position serves them all.
    std::size_t done = 0;
    json_line_column here{1, 1};
    auto place = [&](std::size_t offset) {
        for (; done < offset && done < text.size(); ++done) {
            if (text[done] == '\n') {
                ++here.line;
                here.column = 1;
            } else {
                ++here.column;
            }
        }
        return here;
    };
    for_each_json_value(text, json_max_depth, [&](std::span<const json_step> path, std::size_t at) {
        const bool member = !path.empty() && !path.back().is_index;
        auto where = place(member ? path.back().key_at : at);
        at_.try_emplace(json_path(path), where);
    });
}

json_line_column json_positions::find(std::string_view path) const {
    for (;;) {
        if (auto it = at_.find(std::string(path)); it != at_.end()) return it->second;
        if (path.empty()) return {};
        auto cut = path.ends_with(']') ? path.rfind('[') : path.rfind('.');
        path = path.substr(0, cut == std::string_view::npos ? 0 : cut);
    }
}

std::string json_path(std::string_view parent, std::string_view key) {
    std::string out(parent);
    if (!out.empty()) out += '.';
    out += key;
    return out;
}

std::string json_path(std::string_view parent, std::size_t index) {
    return std::string(parent) + "[" + std::to_string(index) + "]";
}

void for_each_json_value(
    std::string_view text, std::size_t max_depth,
    const std::function<void(std::span<const json_step> path, std::size_t offset)>& f) {
    // One frame per open object or array; `path` holds the step into each (the member being
    // read, the element's index) while that frame is open.
    struct frame {
        bool object;
        bool expect_key;
    };
    std::vector<frame> open;
    std::vector<json_step> path;
    auto value_at = [&](std::size_t at) {
        if (path.size() <= max_depth) f(path, at);
    };
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':') {
            ++i;
        } else if (c == ',') {
            if (!open.empty()) {
                if (open.back().object)
                    open.back().expect_key = true;
                else
                    ++path.back().index;
            }
            ++i;
        } else if (c == '}' || c == ']') {
            if (!open.empty()) {
                open.pop_back();
                path.pop_back();
            }
            ++i;
        } else if (c == '"') {
            auto end = i + 1;
            while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
            end = std::min(end, text.size());
            if (!open.empty() && open.back().object && open.back().expect_key) {
                path.back().key = text.substr(i + 1, end - i - 1);
                path.back().key_at = i;
                open.back().expect_key = false;
            } else {
                value_at(i);
            }
            i = end + 1;
        } else {
            value_at(i);
            if (c == '{' || c == '[') {
                open.push_back({c == '{', c == '{'});
                path.push_back({{}, 0, c == '['});
                ++i;
            } else {  // a number or a literal
                while (i < text.size() &&
                       std::string_view(",]} \t\r\n").find(text[i]) == std::string_view::npos)
                    ++i;
            }
        }
    }
}

std::string json_key(const json_step& s) {
    if (s.key.find('\\') == std::string_view::npos) return std::string(s.key);
    // Written with escapes: decoded as Boost.JSON decodes it (the document parsed, so the
    // quoted key is a valid JSON string).
    error_code ec;
    std::string quoted = "\"" + std::string(s.key) + "\"";
    auto v = json::parse(json::string_view(quoted.data(), quoted.size()), ec);
    return !ec && v.is_string() ? std::string(v.get_string()) : std::string(s.key);
}

std::string json_path(std::span<const json_step> path) {
    std::string out;
    for (const auto& s : path)
        out = s.is_index ? json_path(out, s.index) : json_path(out, json_key(s));
    return out;
}

std::pair<int, int> json_line_col(std::string_view text, std::size_t offset) {
    std::pair<int, int> at;
    position_of(text, offset, at.first, at.second);
    return at;
}

}  // namespace consolegate::core::detail
