#include "json_scan.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <string>

namespace consolegate::inspect::detail {
namespace {

using boost::json::error_code;
using boost::json::string_view;

class scan_handler {
  public:
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = 1024 * 1024;
    static constexpr std::size_t max_key_size = 4096;

    explicit scan_handler(std::size_t max_leaves) : max_leaves_(max_leaves) {}

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) {
        frames_.push_back(current_key());
        return true;
    }
    bool on_array_end(std::size_t, error_code&) {
        frames_.pop_back();
        return true;
    }
    bool on_object_begin(error_code&) {
        frames_.push_back({});
        return true;
    }
    bool on_object_end(std::size_t, error_code&) {
        frames_.pop_back();
        return true;
    }
    bool on_string_part(string_view s, std::size_t, error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code& ec) {
        text_.append(s.data(), s.size());
        bool ok = leaf(std::move(text_), ec);
        text_.clear();
        return ok;
    }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code&) {
        text_.append(s.data(), s.size());
        frames_.back() = std::move(text_);
        text_.clear();
        return true;
    }
    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t i, string_view, error_code& ec) {
        return leaf(std::to_string(i), ec);
    }
    bool on_uint64(std::uint64_t u, string_view, error_code& ec) {
        return leaf(std::to_string(u), ec);
    }
    bool on_double(double, string_view, error_code&) { return true; }
    bool on_bool(bool, error_code&) { return true; }
    bool on_null(error_code&) { return true; }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

    std::vector<param> leaves;

  private:
    std::string current_key() const { return frames_.empty() ? std::string() : frames_.back(); }
    bool leaf(std::string value, error_code& ec) {
        if (leaves.size() >= max_leaves_) {
            ec = boost::json::error::exception;  // any error: the caller only needs "refused"
            return false;
        }
        leaves.push_back({current_key(), std::move(value), "json", false});
        return true;
    }

    std::size_t max_leaves_;
    std::vector<std::string> frames_;  // per open object/array: the key values are filed under
    std::string text_;
};

bool scan_one(std::string_view text, const json_scan_limits& limits, int nesting,
              std::vector<param>& out) {
    boost::json::parse_options po;
    po.max_depth = static_cast<std::size_t>(limits.max_depth);
    boost::json::basic_parser<scan_handler> p(po, limits.max_leaves);
    error_code ec;
    auto n = p.write_some(false, text.data(), text.size(), ec);
    if (ec || n != text.size()) return false;
    auto& leaves = p.handler().leaves;
    for (auto& l : leaves) {
        if (out.size() >= limits.max_leaves) return false;
        out.push_back(l);
        auto inner = trim(l.value);
        if (nesting < limits.max_nesting && inner.starts_with("{")) {
            // Not JSON after all is fine: it stays an ordinary string.
            std::vector<param> nested;
            if (scan_one(inner, limits, nesting + 1, nested)) {
                for (auto& x : nested) {
                    if (out.size() >= limits.max_leaves) return false;
                    out.push_back(std::move(x));
                }
            }
        }
    }
    return true;
}

}  // namespace

std::optional<std::vector<param>> scan_json(std::string_view text, const json_scan_limits& limits) {
    std::vector<param> out;
    if (!scan_one(text, limits, 0, out)) return std::nullopt;
    return out;
}

}  // namespace consolegate::inspect::detail
