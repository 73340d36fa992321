#pragma once
// The admin listener's sign-in review page: recent attempts, filterable, as plain HTML (no
// scripts, so it renders under a strict Content-Security-Policy).

#include <string>
#include <string_view>
#include <vector>

#include "consolegate/audit/query.hpp"

namespace consolegate::audit {

// `events` are already filtered and ordered (newest first); `q` refills the filter form.
std::string render_review_page(const std::vector<event>& events, const query& q,
                               std::string_view node_name);

}  // namespace consolegate::audit
