// Policy decision benchmark: builds a synthetic organization (100 000 accounts in 10 000 nested
// OUs), ~200 rules of mixed selectors and 10 000 active TEAM elevations, then times evaluate()
// over a realistic mix of attempts (allowed, denied, elevation-gated). Prints figures to stdout.
//
//   bench_policy [decisions (default 2000000)] [seed]
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "consolegate/core/policy.hpp"

namespace cc = consolegate::core;
using steady = std::chrono::steady_clock;

namespace {

constexpr int account_count = 100'000;
constexpr int ou_count = 10'000;
constexpr const char* org = "o-bench00001";
constexpr const char* root = "o-bench00001/r-bnch/";

std::string ou_id(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "ou-bnch-%08d", i);
    return buf;
}

// A 10-ary tree: OUs 0..9 under the root, OU i >= 10 under OU (i - 10) / 10; depth <= 4.
std::vector<std::string> ou_paths() {
    std::vector<std::string> paths(ou_count);
    for (int i = 0; i < ou_count; ++i) {
        std::string parent =
            i < 10 ? std::string(root) : paths[static_cast<std::size_t>((i - 10) / 10)];
        paths[static_cast<std::size_t>(i)] = parent + ou_id(i) + "/";
    }
    return paths;
}

cc::account_id account(int j) {
    // Spread over the 12-digit space, many with leading zeros.
    return *cc::account_id::from_number(static_cast<std::uint64_t>(j) * 9'999'991ULL + 17);
}

const std::array<const char*, 6> roles{"ReadOnlyAccess", "Developer",       "AdministratorAccess",
                                       "Billing",        "PowerUserAccess", "AWSReservedSSO_x"};

struct world {
    cc::policy_config config;
    std::vector<cc::elevation_record> elevations;
};

world build(std::mt19937_64& rng) {
    world w;
    auto& c = w.config;
    c.org_id = org;
    auto paths = ou_paths();
    c.accounts.reserve(account_count);
    for (int j = 0; j < account_count; ++j) {
        // 1% directly under the root, the rest spread over all OUs.
        std::string path =
            j % 100 == 0 ? std::string(root) : paths[static_cast<std::size_t>(rng() % ou_count)];
        c.accounts.push_back({account(j), "acct-" + std::to_string(j), std::move(path)});
    }
    auto pick_ou = [&](int lo, int hi) {
        return paths[static_cast<std::size_t>(
            lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo)))];
    };
    auto pick_accounts = [&](int n) {
        std::vector<cc::account_id> v;
        for (int k = 0; k < n; ++k) v.push_back(account(static_cast<int>(rng() % account_count)));
        return v;
    };
    using E = cc::rule_effect;
    int n = 0;
    auto add = [&](E e) -> cc::rule_config& {
        cc::rule_config r;
        r.name = "rule-" + std::to_string(++n);
        r.effect = e;
        c.rules.push_back(std::move(r));
        return c.rules.back();
    };
    for (int k = 0; k < 40; ++k) {  // read-only on level-2 subtrees
        auto& r = add(E::allow);
        r.ou_paths = {pick_ou(10, 110) + "*"};
        r.roles = {"ReadOnly*", "ViewOnlyAccess"};
    }
    for (int k = 0; k < 30; ++k) {  // developers directly in level-3 OUs
        auto& r = add(E::allow);
        r.ou_paths = {pick_ou(110, 1110), pick_ou(110, 1110)};
        r.roles = {"Developer", "PowerUser*"};
    }
    for (int k = 0; k < 30; ++k) {  // admin only while elevated
        auto& r = add(E::allow_with_elevation);
        r.accounts = pick_accounts(200);
        r.roles = {"AdministratorAccess"};
    }
    for (int k = 0; k < 20; ++k) {  // contractors kept out of subtrees
        auto& r = add(E::deny);
        r.ou_paths = {pick_ou(0, 10) + "*"};
        r.users = {"contractor-*"};
        r.client_networks = {*cc::cidr::parse("10.66.0.0/16")};
    }
    for (int k = 0; k < 10; ++k) {  // suspended subtrees
        auto& r = add(E::deny);
        r.ou_paths = {pick_ou(1110, 10000) + "*"};
    }
    for (int k = 0; k < 20; ++k) {  // billing on listed accounts
        auto& r = add(E::allow);
        r.accounts = pick_accounts(50);
        r.roles = {"Billing"};
    }
    for (int k = 0; k < 20; ++k) {  // flow-specific
        auto& r = add(k % 2 ? E::allow : E::deny);
        r.ou_paths = {pick_ou(10, 1110) + "*"};
        r.flows = {k % 2 ? cc::sign_in_flow::saml : cc::sign_in_flow::custom_broker};
    }
    for (int k = 0; k < 10; ++k) {  // org-wide by user
        auto& r = add(E::allow);
        r.org_ids = {org};
        r.users = {"sre-" + std::to_string(k) + "-*"};
    }
    for (int k = 0; k < 10; ++k) {  // break-glass users denied everywhere
        auto& r = add(E::deny);
        r.users = {"breakglass-" + std::to_string(k) + "*"};
    }
    for (int k = 0; k < 10; ++k) {  // report-only trials
        auto& r = add(k % 2 ? E::deny : E::allow_with_elevation);
        r.report_only = true;
        r.ou_paths = {pick_ou(10, 110) + "*"};
        r.roles = {"ReadOnlyAccess"};
    }
    // 10 000 active elevations of random users on accounts the admin rules name.
    auto t0 = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 56);
    for (int k = 0; k < 10'000; ++k) {
        cc::elevation_record e;
        e.user = "user-" + std::to_string(rng() % 5000) + "@example.com";
        const auto& rule = c.rules[static_cast<std::size_t>(70 + rng() % 30)];
        e.account = rule.accounts[rng() % rule.accounts.size()];
        e.permission_set = "AdministratorAccess";
        e.status = "in progress";
        e.start = t0 - std::chrono::hours(1);
        e.duration_hours = 4;
        w.elevations.push_back(std::move(e));
    }
    return w;
}

std::vector<cc::sign_in_attempt> attempts(const world& w, std::mt19937_64& rng, std::size_t n) {
    std::vector<cc::sign_in_attempt> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        cc::sign_in_attempt a;
        auto kind = rng() % 100;
        a.flow = kind < 70   ? cc::sign_in_flow::identity_center
                 : kind < 85 ? cc::sign_in_flow::console_session
                 : kind < 95 ? cc::sign_in_flow::saml
                             : cc::sign_in_flow::switch_role;
        a.phase = a.flow == cc::sign_in_flow::console_session ? cc::auth_phase::post_auth
                                                              : cc::auth_phase::pre_auth;
        a.client = cc::ip_address::from_v4(rng() % 10 == 0 ? 0x0A420101u : 0x0A010203u);
        if (kind % 5 == 0) {
            // elevation-gated: an admin attempt on an account an admin rule names, half of them
            // by users who hold the elevation
            const auto& e = w.elevations[rng() % w.elevations.size()];
            a.account = e.account;
            a.role_name = "AdministratorAccess";
            a.user = rng() % 2 ? e.user : "user-" + std::to_string(rng() % 5000) + "@example.com";
        } else {
            a.account = w.config.accounts[rng() % w.config.accounts.size()].id;
            // Weighted like a real day: mostly read-only, some developers, few admins.
            auto r = rng() % 100;
            a.role_name = roles[r < 40 ? 0 : r < 60 ? 1 : r < 70 ? 2 : r < 80 ? 3 : r < 95 ? 4 : 5];
            auto u = rng() % 50;
            a.user = u == 0   ? "contractor-" + std::to_string(rng() % 100)
                     : u == 1 ? "sre-" + std::to_string(rng() % 10) + "-x"
                              : "user-" + std::to_string(rng() % 5000) + "@example.com";
        }
        if (rng() % 1000 == 0) a.account = account(account_count + 5);  // outside the org
        a.permission_set = a.role_name;
        out.push_back(std::move(a));
    }
    return out;
}

double ns(steady::duration d) {
    return std::chrono::duration<double, std::nano>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t decisions = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
    std::mt19937_64 rng(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 42);
    if (decisions < 1000) decisions = 1000;

    auto w = build(rng);
    auto c0 = steady::now();
    cc::compiled_policy policy(w.config);
    auto c1 = steady::now();
    cc::elevation_set set(w.elevations);
    auto c2 = steady::now();
    auto view = cc::elevation_view::of(set);
    auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 56);

    auto mix = attempts(w, rng, 1 << 16);
    std::size_t count[2] = {0, 0}, gated = 0, report_only = 0;
    // Warm-up and outcome mix.
    for (const auto& a : mix) {
        auto d = cc::evaluate(a, policy, view, now);
        ++count[d.verdict == cc::effect::allow ? 0 : 1];
        gated += d.why == cc::reason::elevation_active || d.why == cc::reason::elevation_missing;
        report_only += d.report_only;
    }

    // Throughput: back to back, no per-decision timing.
    std::size_t sink = 0;
    auto t0 = steady::now();
    for (std::size_t i = 0; i < decisions; ++i) {
        auto d = cc::evaluate(mix[i & (mix.size() - 1)], policy, view, now);
        sink += static_cast<std::size_t>(d.why) + d.rule.size();
    }
    auto t1 = steady::now();

    // Latency: each decision timed alone (includes ~one clock read of overhead).
    std::size_t samples = std::min<std::size_t>(decisions, 2'000'000);
    std::vector<float> lat(samples);
    auto clock_cost0 = steady::now();
    for (std::size_t i = 0; i < 100000; ++i)
        sink += static_cast<std::size_t>(steady::now().time_since_epoch().count() & 1);
    auto clock_cost = ns(steady::now() - clock_cost0) / 100000;
    for (std::size_t i = 0; i < samples; ++i) {
        const auto& a = mix[(i * 7) & (mix.size() - 1)];
        auto s = steady::now();
        auto d = cc::evaluate(a, policy, view, now);
        auto e = steady::now();
        sink += d.rule.size();
        lat[i] = static_cast<float>(ns(e - s));
    }
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) {
        return lat[static_cast<std::size_t>(p * static_cast<double>(samples - 1))];
    };

    double secs = std::chrono::duration<double>(t1 - t0).count();
    std::printf("policy bench: %d accounts, %d OUs, %zu rules, %zu active elevations\n",
                account_count, ou_count, w.config.rules.size(), set.size());
    std::printf("compile: %.1f ms (policy), %.1f ms (elevation set)\n", ns(c1 - c0) / 1e6,
                ns(c2 - c1) / 1e6);
    std::printf("mix: %.1f%% allowed, %.1f%% denied, %.1f%% elevation-gated, %.1f%% report-only\n",
                100.0 * count[0] / mix.size(), 100.0 * count[1] / mix.size(),
                100.0 * gated / mix.size(), 100.0 * report_only / mix.size());
    std::printf("throughput: %zu decisions in %.3f s = %.0f decisions/s (%.0f ns each)\n",
                decisions, secs, decisions / secs, secs * 1e9 / decisions);
    std::printf(
        "latency over %zu timed decisions (clock read ~%.0f ns, included): "
        "median %.0f ns, p90 %.0f ns, p99 %.0f ns, p99.9 %.0f ns, max %.0f ns\n",
        samples, clock_cost, pct(0.5), pct(0.9), pct(0.99), pct(0.999), lat.back());
    std::printf("(sink %zu)\n", sink & 0xff);
    return 0;
}
