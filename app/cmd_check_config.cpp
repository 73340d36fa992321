#include "cmd_check_config.hpp"

#include <cstdio>
#include <string>
#include <string_view>

#include "consolegate/core/config.hpp"
#include "consolegate/core/forward_zones.hpp"
#include "consolegate/core/host_pattern.hpp"
#include "consolegate/identity/address_map_file.hpp"
#include "consolegate/identity/groups.hpp"
#include "consolegate/identity/kerberos.hpp"
#include "identity_hub.hpp"

namespace consolegate::app {

namespace {

// The proxy inspects a name DNS does not steer: valid (a site may steer with its own DNS, or use
// an explicit proxy everywhere), but a client resolving the name itself reaches AWS directly.
void note_unsteered(const char* file, const core::config& c) {
    if (!c.dns.enabled || !c.proxy.enabled) return;
    std::vector<core::host_pattern> steered;
    auto names = c.dns.steer_names;
    if (c.dns.steer_identity_center) names.emplace_back(core::identity_center_portals);
    for (const auto& t : names) {
        if (auto p = core::host_pattern::parse(t)) steered.push_back(std::move(*p));
    }
    for (std::size_t i = 0; i < c.proxy.inspect_hosts.size(); ++i) {
        auto p = core::host_pattern::parse(c.proxy.inspect_hosts[i]);
        if (!p || core::covers(steered, *p)) continue;
        std::printf(
            "%s: note: proxy.inspect_hosts[%zu] \"%s\" is inspected but DNS does not steer "
            "it\n",
            file, i, p->str().c_str());
    }
}

// A name the gateway answers in a zone deploy/dns/README.md's snippets do not forward: valid, but
// a site that deployed the snippets resolves it around the gateway until it forwards that zone.
void note_unforwarded(const char* file, const core::config& c) {
    if (!c.dns.enabled) return;
    for (const auto& z : core::forward_zones(c.dns)) {
        if (z.documented) continue;
        std::string names;
        for (const auto& n : z.names) {
            names += (names.empty() ? "" : ", ") + n.key + " \"" + n.name + "\"";
        }
        std::printf(
            "%s: note: zone \"%s\" (%s) is not among the zones deploy/dns/README.md forwards "
            "to the gateway: forward it too, or resolvers answer its names around the gateway "
            "(`consolegate dns-zones --config %s` lists every zone)\n",
            file, z.zone.c_str(), names.c_str(), file);
    }
}

}  // namespace

// Which endpoint's requests each imported endpoint policy judges (core/endpoint_policy.hpp
// policy_endpoint), so a policy read as every flow's is seen and can be said. Not a note: a
// valid configuration says it too, and "note:" marks what may need a change.
void note_endpoint_policies(const char* file, const core::config& c) {
    for (const auto& [path, endpoint] : c.policy_files.endpoint_policy_endpoints) {
        const char* what = "";
        switch (endpoint) {
            case core::policy_endpoint::sign_in:
                what = "the Sign-In endpoint's: judges console sign-in and aws login (cli-sign-in)";
                break;
            case core::policy_endpoint::console:
                what =
                    "the console endpoint's: judges a session's console requests (console-session, "
                    "multi-session, api-credentials, ams-change)";
                break;
            case core::policy_endpoint::both:
                what =
                    "no endpoint said: judges every flow, as both endpoints' policy; list it "
                    "under policy.sign_in_endpoint_policies or console_endpoint_policies to "
                    "judge one endpoint's requests";
                break;
        }
        std::printf("%s: endpoint policy %s is %s\n", file, path.string().c_str(), what);
    }
}

int cmd_check_config(int argc, char** argv) {
    // `--config FILE`, as `run`, `explain` and `logs` take it, names the same file.
    if (argc == 3 && std::string_view(argv[1]) == "--config") {
        argv[1] = argv[2];
        argc = 2;
    }
    if (argc != 2 || std::string_view(argv[1]).empty() || std::string_view(argv[1]) == "--help" ||
        std::string_view(argv[1]) == "-h" || std::string_view(argv[1]).starts_with("-")) {
        std::fputs(
            "usage: consolegate check-config [--config] FILE\n"
            "Validates FILE and every file it names; prints each problem as "
            "FILE:LINE:COL: message.\nExit status: 0 valid, 2 invalid.\n",
            stderr);
        return 2;
    }
    core::load_result r = core::load_config(argv[1]);
    for (const auto& d : r.diagnostics) {
        std::fprintf(stderr, "%s\n", core::format_diagnostic(d).c_str());
    }
    if (r.cfg && !r.cfg->identity.address_map_file.empty()) {
        // The watched file is data the gateway loads at start (and refuses whole when bad).
        const auto& file = r.cfg->identity.address_map_file;
        auto parsed = identity::read_address_map(file);
        for (const auto& p : parsed.problems) {
            std::fprintf(stderr, "%s\n", identity::format_problem(file, p).c_str());
        }
        if (!parsed.problems.empty()) {
            std::fprintf(stderr, "%s: %zu problem%s\n", argv[1], parsed.problems.size(),
                         parsed.problems.size() == 1 ? "" : "s");
            return 2;
        }
    }
    if (r.cfg && !r.cfg->identity.groups_file.empty()) {
        const auto& file = r.cfg->identity.groups_file;
        auto parsed = identity::read_groups(file);
        if (!parsed.table) {
            std::fprintf(stderr, "%s: %s\n%s: 1 problem\n", file.c_str(), parsed.problem.c_str(),
                         argv[1]);
            return 2;
        }
    }
    if (r.cfg && r.cfg->identity.kerberos_enabled()) {
        // The keytab: readable by the gateway, by nobody else, holding the service principal.
        const auto& id = r.cfg->identity;
        if (auto bad = identity::check_keytab(id.kerberos_keytab, id.kerberos_principal);
            !bad.empty()) {
            core::diagnostic d{id.kerberos_keytab_at.file, id.kerberos_keytab_at.line,
                               id.kerberos_keytab_at.column, "identity.kerberos_keytab: " + bad};
            std::fprintf(stderr, "%s\n%s: 1 problem\n", core::format_diagnostic(d).c_str(),
                         argv[1]);
            return 2;
        }
    }
    if (r.cfg) {
        if (auto bad = identity_hub::check_ldap(*r.cfg); !bad.empty()) {
            std::fprintf(stderr, "%s: %s\n%s: 1 problem\n", argv[1], bad.c_str(), argv[1]);
            return 2;
        }
    }
    if (!r.cfg) {
        std::fprintf(stderr, "%s: %zu problem%s\n", argv[1], r.diagnostics.size(),
                     r.diagnostics.size() == 1 ? "" : "s");
        return 2;
    }
    for (const auto& n : r.notes) {
        auto d = n;
        d.message = "note: " + d.message;
        std::printf("%s\n", core::format_diagnostic(d).c_str());
    }
    note_unsteered(argv[1], *r.cfg);
    note_unforwarded(argv[1], *r.cfg);
    note_endpoint_policies(argv[1], *r.cfg);
    std::printf("%s: ok\n", argv[1]);
    return 0;
}

}  // namespace consolegate::app
