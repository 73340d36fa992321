#include "refusal_record.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "consolegate/core/time.hpp"

namespace consolegate::app {
namespace {

class counting_sink final : public audit::sink {
  public:
    void record(audit::event e) override {
        std::lock_guard lock(m_);
        events.push_back(std::move(e));
    }
    void flush() override {}
    std::vector<audit::event> events;

  private:
    std::mutex m_;
};

proxy::refusal_view sample() {
    proxy::refusal_view r;
    r.reason = "misdirected";
    r.host = "signin.aws.amazon.com";
    r.sni = "login.evil.test";
    r.status = 421;
    r.method = "POST";
    r.target = "/switchrole?account=222222222222&SessionToken=secret";
    r.client = *core::ip_address::parse("10.1.2.3");
    r.time = *core::parse_rfc3339("2026-12-05T02:30:00.000Z");
    return r;
}

TEST(refusal_record, a_refusal_is_one_denied_event_with_its_reason_and_no_secret) {
    const auto e = refusal_event(sample(), "abc", "gw-1");
    EXPECT_EQ(e.id, "abc");
    EXPECT_EQ(e.gateway, "gw-1");
    EXPECT_EQ(e.time, "2026-12-05T02:30:00.000Z");
    EXPECT_EQ(e.client, "10.1.2.3");
    EXPECT_EQ(e.flow, "refused");
    EXPECT_EQ(e.phase, "refused");
    EXPECT_EQ(e.host, "signin.aws.amazon.com");
    EXPECT_EQ(e.source, "sni:login.evil.test");
    EXPECT_EQ(e.method, "POST");
    EXPECT_EQ(e.path, "/switchrole");
    EXPECT_EQ(e.query.find("secret"), std::string::npos) << e.query;
    EXPECT_EQ(e.effect, "deny");
    EXPECT_EQ(e.enforced, "deny");
    EXPECT_EQ(e.reason, "misdirected (421)");
    // A TLS alert has no status; an SNI equal to the host is not repeated.
    auto r = sample();
    r.status = 0;
    r.sni = r.host;
    const auto alert = refusal_event(r, "d", "gw");
    EXPECT_EQ(alert.reason, "misdirected");
    EXPECT_EQ(alert.source, "");
}

TEST(refusal_record, the_person_is_the_connections_else_the_address_maps_else_nobody) {
    counting_sink sink;
    std::vector<std::string> asked;
    const refusal_recorder recorder(sink, "gw", [&](const core::ip_address& client) {
        asked.push_back(client.str());
        return std::make_shared<const core::corp_identity>(
            core::corp_identity{"mapped@CORP", core::corp_source::address_map, {}});
    });
    const core::corp_identity kerberos{"alice@CORP", core::corp_source::kerberos, {}};
    auto r = sample();
    r.corp = &kerberos;
    recorder(r);  // the connection's identity wins; the map is not asked
    r.corp = nullptr;
    recorder(r);  // nobody on the connection: the address map's
    const core::corp_identity unknown{};
    r.corp = &unknown;
    recorder(r);  // an identity naming nobody counts as none: the map is asked
    ASSERT_EQ(sink.events.size(), 3u);
    EXPECT_EQ(sink.events[0].corp_user, "alice@CORP");
    EXPECT_EQ(sink.events[0].corp_source, "kerberos");
    EXPECT_EQ(sink.events[1].corp_user, "mapped@CORP");
    EXPECT_EQ(sink.events[1].corp_source, "address-map");
    EXPECT_EQ(sink.events[2].corp_user, "mapped@CORP");
    EXPECT_EQ(asked, (std::vector<std::string>{"10.1.2.3", "10.1.2.3"}));

    // Without a map (or when it names nobody) the event says so.
    const refusal_recorder bare(sink, "gw");
    bare(sample());
    const refusal_recorder empty_map(
        sink, "gw", [](const core::ip_address&) { return proxy::shared_identity{}; });
    empty_map(sample());
    for (std::size_t i : {3u, 4u}) {
        EXPECT_EQ(sink.events[i].corp_user, "");
        EXPECT_EQ(sink.events[i].corp_source, "none");
    }
}

TEST(refusal_record, a_flood_is_recorded_up_to_the_burst_and_counted_past_it) {
    counting_sink sink;
    const refusal_recorder recorder(sink, "gw");
    const refusal_recorder copy = recorder;  // workers share one bucket
    const auto r = sample();
    for (int i = 0; i < 1000; ++i) (i % 2 ? copy : recorder)(r);
    // The bucket refills at refusals_per_second while the loop runs: allow a little.
    EXPECT_GE(sink.events.size(), static_cast<std::size_t>(refusal_burst));
    EXPECT_LT(sink.events.size(), static_cast<std::size_t>(refusal_burst + 50));
    EXPECT_EQ(sink.events.size() + recorder.unrecorded(), 1000u);
    EXPECT_EQ(copy.unrecorded(), recorder.unrecorded());
}

}  // namespace
}  // namespace consolegate::app
