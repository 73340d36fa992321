#pragma once
// One judged attempt made into an event, shared by the audit unit tests: a report-only deny whose
// user name needs JSON escaping and whose target carries a query value that must not be kept.
#include <string>

#include "consolegate/audit/event.hpp"
#include "consolegate/core/time.hpp"

namespace consolegate::audit::testing {

inline event sample_event(std::string id) {
    core::sign_in_attempt a;
    a.flow = core::sign_in_flow::iam_user;
    a.phase = core::auth_phase::pre_auth;
    a.host = "signin.aws.amazon.com";
    a.account = core::account_id::parse("012345678901");
    a.user = "alice \"quoted\"\n";
    a.client = *core::ip_address::parse("10.1.2.3");
    a.time = *core::parse_rfc3339("2026-11-23T04:15:46.123Z");
    core::decision d;
    d.verdict = core::effect::deny;
    d.why = core::reason::rule_deny;
    d.rule = "no-prod";
    d.report_only = true;
    return make_event(std::move(id), a, d, "POST", "/authenticate?redirect_uri=secret");
}

}  // namespace consolegate::audit::testing
