#include "sqlite_row.hpp"

#include <array>

namespace consolegate::audit::sqlite {
namespace {

struct text_column {
    const char* name;
    std::string event::*member;
};
constexpr text_column text_columns[] = {
    {"id", &event::id},
    {"time", &event::time},
    {"gateway", &event::gateway},
    {"client", &event::client},
    {"flow", &event::flow},
    {"phase", &event::phase},
    {"host", &event::host},
    {"account", &event::account},
    {"alias", &event::alias},
    {"ou_path", &event::ou_path},
    {"org", &event::org},
    {"principal_arn", &event::principal_arn},
    {"role", &event::role},
    {"permission_set", &event::permission_set},
    {"user", &event::user},
    {"source", &event::source},
    {"change_type", &event::change_type},
    {"parse_error", &event::parse_error},
    {"idc_instance", &event::idc_instance},
    {"corp_user", &event::corp_user},
    {"corp_source", &event::corp_source},
    {"identity_source", &event::identity_source},
    {"method", &event::method},
    {"path", &event::path},
    {"query", &event::query},
    {"effect", &event::effect},
    {"enforced", &event::enforced},
    {"reason", &event::reason},
    {"rule", &event::rule},
    {"team_request_id", &event::team_request_id},
    {"team_ticket", &event::team_ticket},
    {"team_end", &event::team_end},
};
constexpr int text_count = static_cast<int>(std::size(text_columns));
static_assert(text_count + 2 == event_column_count);

}  // namespace

const std::string& event_columns() {
    static const std::string list = [] {
        std::string out;
        for (auto& c : text_columns) out += std::string("\"") + c.name + "\", ";
        return out + "report_only, flagged";
    }();
    return list;
}

void bind_event(statement& s, int first, const event& e, std::vector<std::string>& scratch) {
    scratch.clear();
    bool replaced = false;
    for (int i = 0; i < text_count; ++i) {
        const std::string& v = e.*(text_columns[i].member);
        if (is_valid_utf8(v)) {
            s.bind_view(first + i, v);
        } else {
            scratch.reserve(text_count);  // the bound views must not move
            s.bind_view(first + i, scratch.emplace_back(valid_utf8(v, &replaced)));
        }
    }
    s.bind(first + text_count, std::int64_t{e.report_only});
    s.bind(first + text_count + 1, std::int64_t{e.flagged || replaced});
}

event read_event(const statement& s, int first) {
    event e;
    for (int i = 0; i < text_count; ++i) e.*(text_columns[i].member) = s.text(first + i);
    e.report_only = s.integer(first + text_count) != 0;
    e.flagged = s.integer(first + text_count + 1) != 0;
    return e;
}

}  // namespace consolegate::audit::sqlite
