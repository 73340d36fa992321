#pragma once
// Runs a shell command for a test with a hard time bound (coreutils `timeout`), capturing stdout.
// Header-only so any test folder can use it.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace consolegate::test {

struct command_result {
    int exit_code = -1;  // 124 when the time bound killed it
    std::string out;
};

inline command_result run_command(const std::string& command, int seconds = 20) {
    command_result r;
    std::string full = "timeout -k 2 " + std::to_string(seconds) + " sh -c '";
    for (char c : command) {
        if (c == '\'') {
            full += "'\\''";
        } else {
            full += c;
        }
    }
    full += "'";
    FILE* p = ::popen(full.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace consolegate::test
