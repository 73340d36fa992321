#pragma once
// The answer to a denied request on an inspected connection. Pure: no I/O, no clock.
// Browsers navigating get a plain, accessible HTML page; XHR/fetch callers (the console's own
// JavaScript) get JSON they can show. Status is always 403.

#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/config.hpp"
#include "consolegate/core/html.hpp"
#include "consolegate/proxy/inspection.hpp"

namespace consolegate::proxy {

struct rendered_response {
    unsigned status = 403;
    std::string content_type;
    std::string body;
    std::vector<std::string> set_cookies;  // one Set-Cookie header value each
};

// A navigation is `Sec-Fetch-Mode: navigate`, or, for clients without Fetch Metadata, an Accept
// that names text/html.
bool is_navigation(std::string_view sec_fetch_mode, std::string_view accept);

// `opts.team_url` is the derived one (core::block_page_team_url), not [proxy.block_page]'s alone.
// `corp_user`: the person on the corporate network when the gateway knows it ("" = unknown): the
// page says "signed in to the network as …" (docs/identity.md).
rendered_response render_block_page(const verdict& v, bool navigation, std::string_view host,
                                    const core::block_page_config& opts,
                                    std::string_view corp_user = {});

// The verdict's reason as the block page, logs and tests name it: the policy's reason code
// ("default-deny", …; core::to_string) or the hook's own ("no-verdict", "inspector_error").
std::string_view reason_code(const verdict& v) noexcept;
// One sentence for people (core::describe for policy reasons).
std::string_view reason_text(const verdict& v) noexcept;

// The 502 page when the real AWS host could not be reached or failed certificate verification.
rendered_response render_upstream_error(std::string_view host, std::string_view reason,
                                        bool navigation);

// JSON string contents (without the quotes); control characters as \u00XX.
std::string json_escape(std::string_view s);

}  // namespace consolegate::proxy
