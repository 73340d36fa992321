// `consolegate ca init --dir DIR [--name "CN"] [--permitted-dns a,b]`: the corporate CA the proxy
// mints leaves from. The logic is proxy::init_ca; this file is only the command line.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "ca.hpp"

namespace {

int usage() {
    std::fputs("usage: consolegate ca init --dir DIR [--name \"CN\"] [--permitted-dns a,b]\n",
               stderr);
    return 2;
}

}  // namespace

int cmd_ca(int argc, char** argv) {
    // argv[0] is "ca" (the lead's dispatcher passes the subcommand's own argv).
    if (argc < 2 || std::string_view(argv[1]) != "init") return usage();
    consolegate::proxy::ca_init_options opts;
    for (int i = 2; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (i + 1 >= argc) return usage();
        std::string value = argv[++i];
        if (arg == "--dir") {
            opts.dir = value;
        } else if (arg == "--name") {
            opts.common_name = value;
        } else if (arg == "--permitted-dns") {
            std::size_t start = 0;
            while (start <= value.size()) {
                auto comma = value.find(',', start);
                auto item = value.substr(
                    start, comma == std::string::npos ? std::string::npos : comma - start);
                if (!item.empty()) opts.permitted_dns.push_back(item);
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
        } else {
            return usage();
        }
    }
    if (opts.dir.empty()) return usage();
    std::string error;
    auto files = consolegate::proxy::init_ca(opts, error);
    if (!files) {
        std::fprintf(stderr, "consolegate ca init: %s\n", error.c_str());
        return 1;
    }
    std::printf(
        "CA certificate: %s\n"
        "CA private key: %s (mode 0600; keep it on the proxy host only)\n\n"
        "Configure the proxy:\n  [ca]\n  cert = \"%s\"\n  key = \"%s\"\n\n"
        "Trust the certificate (never the key) on clients:\n"
        "  Debian/Ubuntu: cp %s /usr/local/share/ca-certificates/consolegate.crt && "
        "update-ca-certificates\n"
        "  Chrome/Chromium (NSS): certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n consolegate -i %s\n"
        "  Windows: certutil -addstore Root ca.crt (or a GPO); macOS: security add-trusted-cert\n"
        "  curl: --cacert %s\n",
        files->cert.c_str(), files->key.c_str(), files->cert.c_str(), files->key.c_str(),
        files->cert.c_str(), files->cert.c_str(), files->cert.c_str());
    return 0;
}
