#include "consolegate/inspect/saml.hpp"

#include <algorithm>
#include <cstdint>
#include <pugixml.hpp>

#include "params.hpp"

namespace consolegate::inspect {
namespace {

void set_why(std::string* why, std::string text) {
    if (why) *why = std::move(text);
}

std::string_view local_name(const pugi::xml_node& n) {
    std::string_view name = n.name();
    auto colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

constexpr std::string_view assertion_ns = "urn:oasis:names:tc:SAML:2.0:assertion";

// The namespace URI of an element's name (Namespaces in XML 1.0 section 6.2): the nearest
// xmlns[:prefix] declaration on it or an ancestor; "" when none is in scope.
std::string_view namespace_uri(const pugi::xml_node& n) {
    std::string_view name = n.name();
    auto colon = name.find(':');
    std::string decl = colon == std::string_view::npos
                           ? std::string("xmlns")
                           : "xmlns:" + std::string(name.substr(0, colon));
    for (auto e = n; e && e.type() == pugi::node_element; e = e.parent()) {
        if (auto a = e.attribute(decl.c_str())) return a.value();
    }
    return {};
}

int b64_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

// "role ARN,provider ARN" in either order (AWS accepts both, IAM user guide "Configuring SAML
// assertions for the authentication response").
std::optional<saml_role> parse_role_value(std::string_view value) {
    auto comma = value.find(',');
    if (comma == std::string_view::npos || value.find(',', comma + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    auto a = detail::trim(value.substr(0, comma));
    auto b = detail::trim(value.substr(comma + 1));
    auto pa = core::parse_arn(a);
    auto pb = core::parse_arn(b);
    if (!pa || !pb) return std::nullopt;
    if (pa->kind == core::principal_kind::saml_provider) {
        std::swap(a, b);
        std::swap(pa, pb);
    }
    if (pa->kind != core::principal_kind::role || pb->kind != core::principal_kind::saml_provider) {
        return std::nullopt;
    }
    return saml_role{std::string(a), std::string(b), std::move(*pa)};
}

// Text of an AttributeValue: its text and CDATA children concatenated (comments are not text,
// XML 1.0 section 2.5). Returns false on element children, which no AWS attribute carries.
bool value_text(const pugi::xml_node& v, std::string& text, std::vector<std::string>& pieces) {
    for (auto c = v.first_child(); c; c = c.next_sibling()) {
        auto t = c.type();
        if (t == pugi::node_pcdata || t == pugi::node_cdata) {
            text += c.value();
            pieces.emplace_back(c.value());
        } else if (t != pugi::node_comment && t != pugi::node_pi) {
            return false;
        }
    }
    return true;
}

// Next element in document order (iterative: no recursion on hostile nesting depth).
pugi::xml_node next_element(pugi::xml_node n) {
    if (auto c = n.first_child()) {
        n = c;
    } else {
        while (n && !n.next_sibling()) n = n.parent();
        if (!n) return {};
        n = n.next_sibling();
    }
    while (n && n.type() != pugi::node_element) {
        if (auto s = n.next_sibling()) {
            n = s;
        } else {
            while (n && !n.next_sibling()) n = n.parent();
            if (!n) return {};
            n = n.next_sibling();
        }
    }
    return n;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text, std::size_t max_out) {
    std::string out;
    out.reserve(std::min(text.size() / 4 * 3 + 3, max_out));
    std::uint32_t acc = 0;
    int bits = 0;
    bool padding = false;
    // Either alphabet is read (RFC 4648 sections 4 and 5), never both in one string: a decoder
    // of one alphabet skips or refuses the other's characters, so a mix has two readings.
    bool standard = false, url_safe = false;
    for (char c : text) {
        standard = standard || c == '+' || c == '/';
        url_safe = url_safe || c == '-' || c == '_';
        if (standard && url_safe) return std::nullopt;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        if (padding) return std::nullopt;  // data after padding
        int v = b64_value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (out.size() >= max_out) return std::nullopt;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    if (bits >= 6) return std::nullopt;  // a lone trailing character carries no whole byte
    return out;
}

std::optional<saml_read> read_saml_response(std::string_view base64, const saml_limits& limits,
                                            std::string* why) {
    auto xml = decode_base64(base64, limits.max_decoded_bytes);
    if (!xml) {
        set_why(why, "SAMLResponse is not base64 or decodes over the size cap");
        return std::nullopt;
    }
    return read_saml_xml(*xml, limits, why);
}

std::optional<saml_read> read_saml_xml(std::string_view xml, const saml_limits& limits,
                                       std::string* why) {
    if (xml.size() > limits.max_decoded_bytes) {
        set_why(why, "SAML response is over the size cap");
        return std::nullopt;
    }
    pugi::xml_document doc;
    // parse_doctype only so a DOCTYPE becomes a node we can refuse; pugixml never expands
    // internal or external entities (unknown references stay literal text) in any mode.
    auto flags = pugi::parse_default | pugi::parse_doctype | pugi::parse_comments;
    auto res = doc.load_buffer(xml.data(), xml.size(), flags, pugi::encoding_utf8);
    if (!res) {
        set_why(why, std::string("SAML response is not well-formed XML: ") + res.description());
        return std::nullopt;
    }
    for (auto c = doc.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_doctype) {
            set_why(why, "SAML response carries a DTD (refused: entities are never expanded)");
            return std::nullopt;
        }
    }
    auto root = doc.document_element();
    if (!root || local_name(root) != "Response") {
        set_why(why, "SAML document is not a Response");
        return std::nullopt;
    }

    pugi::xml_node assertion;
    std::vector<pugi::xml_node> role_attributes;
    std::vector<pugi::xml_node> session_attributes;
    for (auto n = root; n; n = next_element(n)) {
        auto ln = local_name(n);
        if (ln == "EncryptedAssertion") {
            set_why(why, "SAML response has an encrypted assertion the gateway cannot read");
            return std::nullopt;
        }
        if (ln == "Assertion") {
            if (assertion) {
                set_why(why, "SAML response has more than one Assertion");
                return std::nullopt;
            }
            assertion = n;
        }
        if (ln == "Attribute") {
            // Compared loosely (case, surrounding space) so that a near-miss spelling AWS might
            // still honour counts as a second Role attribute and is refused, never ignored.
            auto name = detail::trim(n.attribute("Name").value());
            if (detail::iequals(name, saml_role_attribute)) role_attributes.push_back(n);
            if (detail::iequals(name, saml_session_attribute)) session_attributes.push_back(n);
        }
    }
    if (!assertion) {
        set_why(why, "SAML response has no Assertion");
        return std::nullopt;
    }
    auto in_statement = [&](const pugi::xml_node& attr) {
        auto st = attr.parent();
        return local_name(st) == "AttributeStatement" && st.parent() == assertion;
    };
    if (role_attributes.empty()) {
        set_why(why, "SAML assertion has no Role attribute");
        return std::nullopt;
    }
    if (role_attributes.size() > 1) {
        set_why(why, "SAML response names the Role attribute more than once");
        return std::nullopt;
    }
    for (auto& a : session_attributes) {
        if (!in_statement(a)) {
            set_why(why, "SAML RoleSessionName attribute is outside the assertion's statement");
            return std::nullopt;
        }
    }
    if (!in_statement(role_attributes.front())) {
        set_why(why, "SAML Role attribute is outside the assertion's AttributeStatement");
        return std::nullopt;
    }

    saml_read out;
    for (auto v = role_attributes.front().first_child(); v; v = v.next_sibling()) {
        if (v.type() != pugi::node_element) continue;
        // Only saml:AttributeValue is a value to AWS's namespace-aware reader; anything else
        // (another namespace's AttributeValue, an unknown element) would be a role AWS ignores,
        // and roles of one response are alternatives: one AWS ignores must not allow the post.
        if (local_name(v) != "AttributeValue" || namespace_uri(v) != assertion_ns) {
            set_why(why, "SAML Role attribute has a child that is not a SAML AttributeValue");
            return std::nullopt;
        }
        std::string text;
        std::vector<std::string> pieces;
        if (!value_text(v, text, pieces)) {
            set_why(why, "SAML Role value contains markup");
            return std::nullopt;
        }
        auto role = parse_role_value(detail::trim(text));
        if (!role) {
            set_why(why, "SAML Role value is not \"role ARN,provider ARN\"");
            return std::nullopt;
        }
        // A comment splitting a value (the 2018 SAML comment-truncation class of bugs): if any
        // piece alone reads as a valid but different value, a reader that stops at the comment
        // (or starts after it) would disagree with this one.
        if (pieces.size() > 1) {
            for (auto& piece : pieces) {
                auto alone = parse_role_value(detail::trim(piece));
                if (alone && (alone->role_arn != role->role_arn ||
                              alone->provider_arn != role->provider_arn)) {
                    set_why(why, "SAML Role value is split by a comment into a different role");
                    return std::nullopt;
                }
            }
        }
        bool dup = false;
        for (auto& r : out.roles) dup = dup || r.role_arn == role->role_arn;
        if (dup) continue;
        if (out.roles.size() >= limits.max_roles) {
            set_why(why, "SAML Role attribute has more values than the cap");
            return std::nullopt;
        }
        out.roles.push_back(std::move(*role));
    }
    if (out.roles.empty()) {
        set_why(why, "SAML Role attribute has no value");
        return std::nullopt;
    }
    // RoleSessionName names the user rules and TEAM match on; AWS takes one attribute with one
    // value (IAM user guide, "Configuring SAML assertions"), so two of either are two readings.
    if (session_attributes.size() > 1) {
        set_why(why, "SAML response names the RoleSessionName attribute more than once");
        return std::nullopt;
    }
    if (!session_attributes.empty()) {
        bool seen = false;
        for (auto v = session_attributes.front().first_child(); v; v = v.next_sibling()) {
            if (v.type() != pugi::node_element) continue;
            if (local_name(v) != "AttributeValue" || namespace_uri(v) != assertion_ns || seen) {
                set_why(why, "SAML RoleSessionName attribute does not hold exactly one value");
                return std::nullopt;
            }
            seen = true;
            std::string text;
            std::vector<std::string> pieces;
            if (!value_text(v, text, pieces)) {
                set_why(why, "SAML RoleSessionName value contains markup");
                return std::nullopt;
            }
            out.session_name = std::string(detail::trim(text));
        }
    }
    return out;
}

}  // namespace consolegate::inspect
