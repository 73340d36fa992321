#include "team/credential_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

#include "consolegate/core/time.hpp"

extern char** environ;

namespace consolegate::team {
namespace {

namespace json = boost::json;
constexpr std::size_t max_output = 64 * 1024;

std::string string_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_string()) return {};
    return std::string(v->get_string());
}

struct fd_closer {
    int fd = -1;
    ~fd_closer() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::optional<std::vector<std::string>> split_command(std::string_view s) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else if (c == '\'') {
            auto end = s.find('\'', i + 1);
            if (end == std::string_view::npos) return std::nullopt;
            word.append(s.substr(i + 1, end - i - 1));
            i = end;
            in_word = true;
        } else if (c == '"') {
            in_word = true;
            for (++i;; ++i) {
                if (i >= s.size()) return std::nullopt;
                if (s[i] == '"') break;
                if (s[i] == '\\' && i + 1 < s.size() &&
                    (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == '$' || s[i + 1] == '`'))
                    ++i;
                word += s[i];
            }
        } else if (c == '\\') {
            if (i + 1 >= s.size()) return std::nullopt;
            word += s[++i];
            in_word = true;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (in_word) words.push_back(std::move(word));
    if (words.empty()) return std::nullopt;
    return words;
}

process_credentials parse_process_output(std::string_view text) {
    process_credentials out;
    boost::system::error_code ec;
    auto v = json::parse(json::string_view(text.data(), text.size()), ec);
    const auto* o = ec ? nullptr : v.if_object();
    if (!o) {
        out.error = "credential_process printed something that is not a JSON object";
        return out;
    }
    const auto* version = o->if_contains("Version");
    if (!version || !version->is_int64() || version->get_int64() != 1) {
        out.error = "credential_process output must have \"Version\": 1";
        return out;
    }
    aws_credentials c{string_member(*o, "AccessKeyId"), string_member(*o, "SecretAccessKey"),
                      string_member(*o, "SessionToken")};
    if (c.access_key_id.empty() || c.secret_access_key.empty()) {
        out.error = "credential_process output lacks AccessKeyId or SecretAccessKey";
        return out;
    }
    if (auto exp = string_member(*o, "Expiration"); !exp.empty()) {
        out.expiration = core::parse_rfc3339(exp);
        if (!out.expiration) {
            out.error = "credential_process \"Expiration\" is not an RFC 3339 time";
            return out;
        }
    }
    out.credentials = std::move(c);
    return out;
}

process_credentials run_credential_process(const std::string& command,
                                           std::chrono::milliseconds timeout) {
    process_credentials out;
    auto argv_words = split_command(command);
    if (!argv_words) {
        out.error = "credential_process is empty or has an unterminated quote";
        return out;
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        out.error = std::string("credential_process: pipe: ") + std::strerror(errno);
        return out;
    }
    fd_closer read_end{fds[0]};
    fd_closer write_end{fds[1]};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::vector<char*> argv;
    for (auto& w : *argv_words) argv.push_back(w.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        out.error =
            "credential_process: cannot start " + (*argv_words)[0] + ": " + std::strerror(rc);
        return out;
    }
    ::close(write_end.fd);
    write_end.fd = -1;

    std::string output;
    bool too_big = false, timed_out = false;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{read_end.fd, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            timed_out = n == 0;
            break;
        }
        char buf[4096];
        auto got = ::read(read_end.fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        if (output.size() + static_cast<std::size_t>(got) > max_output) {
            too_big = true;
            break;
        }
        output.append(buf, static_cast<std::size_t>(got));
    }
    if (timed_out || too_big) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        out.error = "credential_process timed out after " + std::to_string(timeout.count()) + " ms";
    } else if (too_big) {
        out.error = "credential_process printed more than 64 KiB";
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        out.error = "credential_process failed (exit status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")";
    } else {
        out = parse_process_output(output);
    }
    return out;
}

}  // namespace consolegate::team
