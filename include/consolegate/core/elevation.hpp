#pragma once
// TEAM (aws-samples/iam-identity-center-team) elevations: the request items of TEAM's DynamoDB
// `requests` table, the immutable set the policy asks "is this user elevated right now?", and a
// parser for the snapshot file the team/ feeds write.
//
// Window semantics (DESIGN.md "TEAM elevation"): only an item with status "in progress" and no
// endTime is active, for start - skew <= now < start + duration hours. The skew (default 60 s)
// is applied to the start only: a grant TEAM recorded a few seconds in the gateway's future is
// already active, and there is no grace at the end. A set endTime ends the elevation whatever
// the status says. Overlapping requests for the same (user, account, permission set) are each
// checked; the one that ends last is reported. An elevation that was granted (in progress,
// ended, revoked) and ended at most `expired_lookback` ago makes the answer "expired" rather than
// "none", so reviewers can tell "ran out" from "never requested". An item that is not live
// (an endTime, or status "ended" / "revoked") and whose window has begun has ended by now at the
// latest, whatever the clocks say: it reads "expired" from its start until `expired_lookback`
// after min(start + duration, endTime). Without an endTime (TEAM's revoke sets the status first
// and writes endTime after the assignment is deleted; a failed revoke never writes it) the end
// time is unknown and none is named. A request id listed more than once is as far as its
// furthest copy says (TEAM's statuses only move forward): an ended copy hides "in progress" ones.
// Matching is on (user, account ID, permission-set name): the user case-insensitively (IAM
// Identity Center user names are case-insensitive) with TEAM's "idc_" prefix stripped from TEAM's
// username; the permission set case-sensitively (a grant never widens by case).
//
// Thread-safety: an elevation_set is immutable; share it as std::shared_ptr<const elevation_set>.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/ids.hpp"
#include "consolegate/core/policy_config.hpp"

namespace consolegate::core {

struct elevation_record {
    std::string id;  // TEAM request id (for logs)
    // TEAM username with its "idc_" prefix already stripped (parse_team_snapshot does it; code
    // building records itself calls strip_idc_prefix). The set does not strip again.
    std::string user;
    account_id account;
    std::string account_name;
    std::string permission_set;  // TEAM "role": the permission set name
    std::string status;          // "in progress", "pending", "ended", "revoked", …
    std::chrono::system_clock::time_point start;
    double duration_hours = 0;  // TEAM "duration": hours, fractions allowed ("0.5")
    std::optional<std::chrono::system_clock::time_point> end_time;  // TEAM "endTime", when ended
    std::string ticket;  // TEAM "ticketNo" (may be empty)
};

struct elevation_window {
    std::chrono::seconds skew{60};                // start - skew <= now
    std::chrono::seconds expired_lookback{3600};  // how long an ended elevation reads "expired"
    // The partition of the TEAM deployment the records come from (team.partition): TEAM grants
    // its own Identity Center's accounts, which are that partition's; the same twelve digits in
    // another partition are another account, which no record of this set elevates.
    partition aws_partition = partition::aws;
};

// The answer for one (user, account, permission set) at one time.
struct elevation_match {
    enum class state : std::uint8_t { none, active, expired } what = state::none;
    // The deciding request (active: the one ending last; expired: the one that ended last).
    std::string_view id;
    std::string_view ticket;
    // When it ends or ended; time_point{} when TEAM did not say (ended or revoked, no endTime).
    std::chrono::system_clock::time_point end{};
};

// "idc_alice" -> "alice" (prefix compared case-insensitively); anything else unchanged.
std::string_view strip_idc_prefix(std::string_view team_username) noexcept;

class elevation_set {
  public:
    elevation_set() = default;
    // Keeps the records that were granted ("in progress", "ended", "revoked"); pending, rejected,
    // cancelled, expired (never approved), scheduled and error items can never match.
    explicit elevation_set(std::vector<elevation_record> records, elevation_window window = {});

    // The full answer: active (with the request), recently expired (with the request), or none.
    elevation_match match(std::string_view user, account_id account,
                          std::string_view permission_set,
                          std::chrono::system_clock::time_point now) const noexcept;

    // `user` as the sign-in names it (session name, IdC user name), compared as is: the "idc_"
    // prefix is TEAM's, stripped from TEAM's side only (an IdC user really named "idc_x" is
    // "idc_idc_x" in TEAM). Allocation-free.
    bool active(std::string_view user, account_id account, std::string_view permission_set,
                std::chrono::system_clock::time_point now) const noexcept;

    // Whether anyone holds an active elevation for (account, permission set) now. For
    // pre-auth requests that name no user (the IAM Identity Center portal's federation link):
    // the user is checked strictly once the console session exists (aws-userInfo).
    bool active_for_anyone(account_id account, std::string_view permission_set,
                           std::chrono::system_clock::time_point now) const noexcept;

    // Whether `user` holds an active elevation for `account` in any permission set now (AMS
    // guardrails with policy.ams.elevation = "any-for-account"): active with the request ending
    // last, or none. Allocation-free.
    elevation_match active_in_account(std::string_view user, account_id account,
                                      std::chrono::system_clock::time_point now) const noexcept;

    std::size_t size() const noexcept { return live_; }  // "in progress" records without endTime
    const elevation_window& window() const noexcept { return window_; }

    // Every kept record's view, for `consolegate elevations` (sorted by account, permission set,
    // user, start).
    struct entry {
        account_id account;
        std::string permission_set;
        std::string user_lower;
        std::chrono::system_clock::time_point start;  // as TEAM wrote it (no skew applied)
        std::chrono::system_clock::time_point end;    // min(start + duration, endTime)
        bool live = false;                            // "in progress" and no endTime: can be active
        bool end_known = false;  // live, or endTime set: `end` is when it ends or ended
        std::string id, ticket, status, account_name;
        double duration_hours = 0;  // as TEAM wrote it: the window is start + duration
    };
    const std::vector<entry>& entries() const noexcept { return entries_; }
    // Whether one of entries() is active at `now` (the window above): what match() counts.
    bool is_active(const entry& e, std::chrono::system_clock::time_point now) const noexcept;

  private:
    // When a granted elevation that is not active at `now` ended, at the latest; nullopt when
    // it has not (yet) ended, or never began.
    std::optional<std::chrono::system_clock::time_point> ended_by(
        const entry& e, std::chrono::system_clock::time_point now) const noexcept;

    std::vector<entry> entries_;  // sorted by (account, permission_set, user_lower, start)
    elevation_window window_;
    std::size_t live_ = 0;
};

// A feed's new records, kept from undoing an end its previous answer showed. TEAM's statuses only
// move forward, but an answer can be older than the one before (DynamoDB's byStatus index is read
// eventually consistently; a snapshot file can be put back): the finished requests of `previous`
// (ended, revoked, or with an endTime) that `records` has no finished copy of are added to it
// while they still matter at `now`: before start + duration, while an in-progress copy could be
// active, or within expired_lookback of their end, while they read "expired". The set's
// furthest-copy rule then leaves out the in-progress copies they end.
void keep_finished(const elevation_set& previous, std::vector<elevation_record>& records,
                   std::chrono::system_clock::time_point now);

// ISO 8601 / RFC 3339 date-time as TEAM stores it (AppSync AWSDateTime): "2024-03-01T09:00:00Z",
// fractional seconds and "+hh:mm" / "-hh:mm" offsets accepted, and AWSDateTime's own forms: no
// seconds ("2024-03-01T09:00Z") and an offset with seconds ("+05:30:00"). A date-time without an
// offset is rejected (it would be read in an unknown zone), and so are years outside 1970..2200.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s) noexcept;

struct team_snapshot {
    std::vector<elevation_record> records;       // every well-formed item, any status
    std::vector<policy_diagnostic> diagnostics;  // one per bad item (capped), or the document
    bool document_ok = false;  // false: not JSON / not an array of items: treat the feed as invalid
    std::size_t skipped = 0;   // bad items left out (all of them; diagnostics stop at a cap)
    // The request ids of the unreadable items, so that a reader of several documents (the
    // DynamoDB feed's pages) can leave those requests' copies in the others out too.
    std::vector<std::string> unreadable_ids;
};

// The snapshot file: a JSON array of TEAM request items (plain JSON as TEAM's GraphQL API returns
// them, or DynamoDB-typed {"S": …}/{"N": …} attribute values as `aws dynamodb scan` prints them;
// a top-level {"Items": [...]} is accepted too). Required per item: id, username, accountId,
// role, startTime, duration (hours, string or number), status; endTime when set (JSON null and
// DynamoDB's {"NULL": true} are unset). A bad item is skipped with a diagnostic naming it, and
// so are the other copies of its request id (the unreadable copy may be the one that ended it);
// input over `max_bytes` is refused. Never throws on bad input.
inline constexpr std::size_t team_snapshot_max_bytes = 64u << 20;
team_snapshot parse_team_snapshot(std::string_view json, std::string_view file,
                                  std::size_t max_bytes = team_snapshot_max_bytes);

}  // namespace consolegate::core
