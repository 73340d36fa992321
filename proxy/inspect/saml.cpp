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

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
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

// XML 1.0 section 2.2, Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
// [#x10000-#x10FFFF].
bool xml_char(std::uint64_t c) noexcept {
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

// What a conforming XML 1.0 parser refuses in the bytes but pugixml reads (it checks neither):
// a raw control character (section 2.2) and a character reference to a character that is not a
// Char (section 4.1, WFC: Legal Character). pugixml turns "&#0;" into a NUL that ends the value
// it hands out, so "<provider>,<role>&#0;x" read as that role. A reference inside a comment or
// CDATA section is text there, and refused all the same: no IdP writes one.
const char* illegal_character(std::string_view xml) noexcept {
    for (std::size_t i = 0; i < xml.size(); ++i) {
        auto c = static_cast<unsigned char>(xml[i]);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            return "SAML response holds a control character XML forbids";
        }
        if (c != '&' || i + 2 >= xml.size() || xml[i + 1] != '#') continue;
        bool hex = xml[i + 2] == 'x';
        std::size_t j = i + (hex ? 3 : 2);
        std::uint64_t v = 0;
        std::size_t digits = 0;
        for (; j < xml.size() && xml[j] != ';'; ++j, ++digits) {
            int d = hex ? hex_value(xml[j]) : (xml[j] >= '0' && xml[j] <= '9' ? xml[j] - '0' : -1);
            if (d < 0) return "SAML response holds a malformed character reference";
            if (v <= 0x10FFFF) v = v * (hex ? 16 : 10) + static_cast<std::uint64_t>(d);
        }
        if (j == xml.size() || digits == 0 || !xml_char(v)) {
            return "SAML response references a character XML forbids";
        }
    }
    return nullptr;
}

// Attributes of one element named twice (XML 1.0 section 3.1, WFC: Unique Att Spec): pugixml
// keeps both and answers the first, a lenient reader may take the last.
bool repeated_attribute(const pugi::xml_node& n) {
    std::vector<std::string_view> names;
    for (auto a = n.first_attribute(); a; a = a.next_attribute()) names.emplace_back(a.name());
    std::sort(names.begin(), names.end());
    return std::adjacent_find(names.begin(), names.end()) != names.end();
}

// The XML declaration, if any: version 1.0 (1.1 has other characters and line ends) and an
// encoding that is UTF-8 or its subset US-ASCII, the bytes this reader decodes.
const char* unread_declaration(const pugi::xml_document& doc) {
    for (auto c = doc.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_declaration) continue;
        std::string_view version = c.attribute("version").value();
        if (version != "1.0") return "SAML response is not XML 1.0";
        auto enc = detail::lower(c.attribute("encoding").value());
        if (!enc.empty() && enc != "utf-8" && enc != "utf8" && enc != "us-ascii") {
            return "SAML response declares an encoding other than UTF-8";
        }
    }
    return nullptr;
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
    if (auto bad = illegal_character(xml)) {
        set_why(why, bad);
        return std::nullopt;
    }
    pugi::xml_document doc;
    // parse_doctype only so a DOCTYPE becomes a node we can refuse; pugixml never expands
    // internal or external entities (unknown references stay literal text) in any mode.
    // parse_declaration, parse_pi and parse_fragment to check the declaration and what stands
    // beside the root (without parse_fragment, text there is dropped unseen).
    auto flags = pugi::parse_default | pugi::parse_doctype | pugi::parse_comments |
                 pugi::parse_declaration | pugi::parse_pi | pugi::parse_fragment;
    auto res = doc.load_buffer(xml.data(), xml.size(), flags, pugi::encoding_utf8);
    if (!res) {
        set_why(why, std::string("SAML response is not well-formed XML: ") + res.description());
        return std::nullopt;
    }
    std::size_t elements = 0;
    for (auto c = doc.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_doctype) {
            set_why(why, "SAML response carries a DTD (refused: entities are never expanded)");
            return std::nullopt;
        }
        // XML 1.0 section 2.1: one root element, then only comments, PIs and white space.
        if (c.type() == pugi::node_element) ++elements;
        if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata || elements > 1) {
            set_why(why, "SAML response has content beside its root element");
            return std::nullopt;
        }
    }
    if (auto bad = unread_declaration(doc)) {
        set_why(why, bad);
        return std::nullopt;
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
        if (repeated_attribute(n)) {
            set_why(why, "SAML response gives an element the same attribute twice");
            return std::nullopt;
        }
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
            // Compared loosely, as parameter names are (detail::name_is: case, what any reader's
            // trim drops, a fullwidth letter, a NUL end) so that a near-miss spelling AWS might
            // still honour counts as a second Role attribute and is refused, never ignored.
            // Before session 10 only ASCII white space was trimmed, so a Role attribute named
            // with a trailing VT or NBSP was ignored beside the real one.
            std::string_view name = n.attribute("Name").value();
            if (detail::name_is(name, saml_role_attribute)) role_attributes.push_back(n);
            if (detail::name_is(name, saml_session_attribute)) session_attributes.push_back(n);
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
            // The comment-truncation class again, for the name user rules and TEAM match on:
            // "admin<!---->x" (or a CDATA section, another DOM node) is "adminx" here and "admin"
            // to a reader that takes the first text node. Before session 11 only Role values
            // were checked, so the session name AWS used could be another user than the judged.
            if (pieces.size() > 1) {
                for (auto& piece : pieces) {
                    auto alone = detail::trim(piece);
                    if (!alone.empty() && alone != detail::trim(text)) {
                        set_why(why,
                                "SAML RoleSessionName value is split by a comment or CDATA section "
                                "into another name");
                        return std::nullopt;
                    }
                }
            }
            out.session_name = std::string(detail::trim(text));
        }
    }
    return out;
}

}  // namespace consolegate::inspect
