#pragma once
// Builds SAML 2.0 Responses as real XML for the tests (and the corpus generator).

#include <string>
#include <vector>

namespace consolegate::test {

inline std::string b64(const std::string& in) {
    static constexpr char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned n =
            (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
        out += t[n >> 18];
        out += t[(n >> 12) & 63];
        out += t[(n >> 6) & 63];
        out += t[n & 63];
    }
    if (i + 1 == in.size()) {
        unsigned n = (unsigned char)in[i] << 16;
        out += t[n >> 18];
        out += t[(n >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        unsigned n = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
        out += t[n >> 18];
        out += t[(n >> 12) & 63];
        out += t[(n >> 6) & 63];
        out += '=';
    }
    return out;
}

// `a` / `p` are the assertion / protocol namespace prefixes ("" = default namespace).
inline std::string saml_response(const std::vector<std::string>& role_values,
                                 const std::string& session, const std::string& a = "saml2",
                                 const std::string& p = "saml2p", bool declaration = true,
                                 bool sign = false) {
    auto q = [](const std::string& prefix, const char* name) {
        return prefix.empty() ? std::string(name) : prefix + ":" + name;
    };
    auto xmlns = [](const std::string& prefix, const char* uri) {
        return std::string(" xmlns") + (prefix.empty() ? "" : ":" + prefix) + "=\"" + uri + "\"";
    };
    std::string x;
    if (declaration) x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    std::string p_ns = p.empty() && a.empty() ? "" : p;  // both default: protocol on Response only
    x += "<" + q(p_ns, "Response") + xmlns(p_ns, "urn:oasis:names:tc:SAML:2.0:protocol") +
         " Destination=\"https://signin.aws.amazon.com/saml\" ID=\"_r1\" "
         "IssueInstant=\"2026-11-23T04:00:00Z\" Version=\"2.0\">";
    x += "<" + q(a, "Issuer") + xmlns(a, "urn:oasis:names:tc:SAML:2.0:assertion") +
         ">http://www.okta.com/exk1</" + q(a, "Issuer") + ">";
    x += "<" + q(p_ns, "Status") + "><" + q(p_ns, "StatusCode") +
         " Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></" + q(p_ns, "Status") + ">";
    x += "<" + q(a, "Assertion") + xmlns(a, "urn:oasis:names:tc:SAML:2.0:assertion") +
         " ID=\"_a1\" IssueInstant=\"2026-11-23T04:00:00Z\" Version=\"2.0\">";
    x += "<" + q(a, "Issuer") + ">http://www.okta.com/exk1</" + q(a, "Issuer") + ">";
    if (sign) {
        x += "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
             "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
             "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
             "<ds:Reference URI=\"#_a1\"><ds:DigestValue>3q2+7w==</ds:DigestValue></ds:Reference>"
             "</ds:SignedInfo><ds:SignatureValue>c2lnbmF0dXJl</ds:SignatureValue></ds:Signature>";
    }
    x += "<" + q(a, "Subject") + "><" + q(a, "NameID") + ">" + session + "</" + q(a, "NameID") +
         "></" + q(a, "Subject") + ">";
    x += "<" + q(a, "Conditions") +
         " NotBefore=\"2026-11-23T03:55:00Z\" "
         "NotOnOrAfter=\"2026-11-23T04:05:00Z\"><" +
         q(a, "AudienceRestriction") + "><" + q(a, "Audience") + ">urn:amazon:webservices</" +
         q(a, "Audience") + "></" + q(a, "AudienceRestriction") + "></" + q(a, "Conditions") + ">";
    x += "<" + q(a, "AttributeStatement") + ">";
    x += "<" + q(a, "Attribute") + " Name=\"https://aws.amazon.com/SAML/Attributes/Role\">";
    for (auto& v : role_values) {
        x += "<" + q(a, "AttributeValue") + ">" + v + "</" + q(a, "AttributeValue") + ">";
    }
    x += "</" + q(a, "Attribute") + ">";
    x += "<" + q(a, "Attribute") +
         " Name=\"https://aws.amazon.com/SAML/Attributes/RoleSessionName\"><" +
         q(a, "AttributeValue") + ">" + session + "</" + q(a, "AttributeValue") + "></" +
         q(a, "Attribute") + ">";
    x += "</" + q(a, "AttributeStatement") + "></" + q(a, "Assertion") + "></" +
         q(p_ns, "Response") + ">";
    return x;
}

}  // namespace consolegate::test
