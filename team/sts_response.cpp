// STS's answer to AssumeRole / AssumeRoleWithWebIdentity (XML from the network), apart from the
// request code so the fuzz build compiles it without sockets (tests/fuzz/team).
#include <pugixml.hpp>

#include "consolegate/core/time.hpp"
#include "team/sts.hpp"

namespace consolegate::team {

sts_result parse_sts_response(unsigned status, const std::string& body) {
    sts_result out;
    pugi::xml_document doc;
    auto parsed = doc.load_buffer(body.data(), body.size(), pugi::parse_default);
    if (!parsed) {
        out.error = "STS answered HTTP " + std::to_string(status) + " with a body that is not XML";
        return out;
    }
    if (status != 200) {
        auto code = doc.select_node("//*[local-name()='Error']/*[local-name()='Code']");
        std::string c = code ? code.node().text().as_string() : "";
        if (c.size() > 100) c.resize(100);
        out.error = "STS answered HTTP " + std::to_string(status) + (c.empty() ? "" : " " + c);
        return out;
    }
    auto creds = doc.select_node("//*[local-name()='Credentials']");
    if (!creds) {
        out.error = "STS response has no Credentials";
        return out;
    }
    auto text = [&](const char* name) {
        for (auto child : creds.node().children()) {
            std::string_view n = child.name();
            if (auto colon = n.find(':'); colon != std::string_view::npos)
                n.remove_prefix(colon + 1);
            if (n == name) return std::string(child.text().as_string());
        }
        return std::string();
    };
    aws_credentials c{text("AccessKeyId"), text("SecretAccessKey"), text("SessionToken")};
    auto expiration = core::parse_rfc3339(text("Expiration"));
    if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty() ||
        !expiration) {
        out.error = "STS Credentials lack AccessKeyId, SecretAccessKey, SessionToken or Expiration";
        return out;
    }
    out.credentials = std::move(c);
    out.expiration = expiration;
    return out;
}

}  // namespace consolegate::team
