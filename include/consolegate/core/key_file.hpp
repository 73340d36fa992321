#pragma once
// Who may read a file holding key material (the CA key, the session key, the session table):
// PostgreSQL's rule for its key files. Owned by anyone: no access for group or others (0600,
// 0400). Owned by root: group read at most, nothing for others (0640, 0440): Kubernetes mounts
// Secret volumes root-owned with the pod's fsGroup and ORs group read into the mode, and an
// operator may grant the gateway's group read on a root-owned key the same way.

#include <string>

namespace consolegate::core {

// "" when a file with this mode (st_mode) and owner (st_uid) may hold a key; otherwise what is
// wrong and the fix, for a message that names the file first ("<file> <problem>").
std::string key_file_mode_problem(unsigned mode, unsigned owner_uid);

}  // namespace consolegate::core
