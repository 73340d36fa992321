#include "consolegate/core/key_file.hpp"

#include <cstdio>

namespace consolegate::core {

std::string key_file_mode_problem(unsigned mode, unsigned owner_uid) {
    const unsigned allowed = owner_uid == 0 ? 0740u : 0700u;  // root may let a group read
    if ((mode & 0777u & ~allowed) == 0) return "";
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", mode & 07777u);
    return std::string("is open to ") + ((mode & 07u) != 0 ? "others" : "its group") + " (mode " +
           octal +
           "): chmod 600 it (or, owned by root, 640 with the gateway's group, as a Kubernetes "
           "Secret with fsGroup is)";
}

}  // namespace consolegate::core
