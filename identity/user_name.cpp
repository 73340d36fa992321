#include "consolegate/identity/user_name.hpp"

namespace consolegate::identity {

std::string_view check_user_name(std::string_view user) noexcept {
    if (user.empty()) return "the user name is empty";
    if (user.size() > max_user_name) return "the user name is longer than 256 bytes";
    for (unsigned char c : user) {
        if (c <= 0x20 || c == 0x7f) return "the user name holds a space or a control character";
        // Both would make one value name several users in CSV output and header lists.
        if (c == '"' || c == ',') return "the user name holds '\"' or ','";
    }
    return {};
}

}  // namespace consolegate::identity
