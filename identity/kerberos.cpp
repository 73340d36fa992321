// SPNEGO / Kerberos acceptor over MIT krb5's GSSAPI (kerberos.hpp). The only file that includes
// GSSAPI or krb5 headers.
#include "consolegate/identity/kerberos.hpp"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "consolegate/core/identity_config.hpp"

namespace consolegate::identity {

namespace {

constexpr std::size_t max_token = 48 * 1024;  // a Kerberos ticket with a large PAC fits easily

bool ieq_prefix(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// Standard base64 with padding optional; nothing else tolerated (RFC 4559 token68).
std::optional<std::string> decode_b64(std::string_view in) {
    while (!in.empty() && in.back() == '=') in.remove_suffix(1);
    if (in.empty() || in.size() % 4 == 1 || in.size() / 4 * 3 > max_token) return std::nullopt;
    std::string out;
    out.reserve(in.size() / 4 * 3 + 3);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = b64_value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return out;
}

// GSSAPI's own words for a status (major, then the mechanism's minor).
std::string gss_words(OM_uint32 major, OM_uint32 minor, gss_OID mech) {
    std::string out;
    auto append = [&out](OM_uint32 code, int type, gss_OID m) {
        OM_uint32 ctx = 0, min = 0;
        for (int i = 0; i < 8; ++i) {
            gss_buffer_desc msg{0, nullptr};
            if (GSS_ERROR(gss_display_status(&min, code, type, m, &ctx, &msg))) break;
            if (!out.empty()) out += "; ";
            out.append(static_cast<const char*>(msg.value), msg.length);
            gss_release_buffer(&min, &msg);
            if (ctx == 0) break;
        }
    };
    append(major, GSS_C_GSS_CODE, GSS_C_NO_OID);
    if (minor != 0) append(minor, GSS_C_MECH_CODE, mech);
    // Messages are the library's; keep them printable and bounded for logs.
    for (auto& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    if (out.size() > 300) out.resize(300);
    return out;
}

struct krb5_session {
    krb5_context ctx = nullptr;
    krb5_keytab kt = nullptr;
    krb5_principal princ = nullptr;
    ~krb5_session() {
        if (princ) krb5_free_principal(ctx, princ);
        if (kt) krb5_kt_close(ctx, kt);
        if (ctx) krb5_free_context(ctx);
    }
    std::string words(krb5_error_code code) const {
        const char* m = krb5_get_error_message(ctx, code);
        std::string s = m ? m : "error " + std::to_string(code);
        krb5_free_error_message(ctx, m);
        return s;
    }
};

// Up to four principals the keytab does hold, for the fix.
std::string principals_in(krb5_session& k) {
    krb5_kt_cursor cursor;
    if (krb5_kt_start_seq_get(k.ctx, k.kt, &cursor) != 0) return "";
    std::string out;
    int n = 0;
    krb5_keytab_entry entry;
    while (krb5_kt_next_entry(k.ctx, k.kt, &entry, &cursor) == 0) {
        char* name = nullptr;
        if (krb5_unparse_name(k.ctx, entry.principal, &name) == 0) {
            std::string s = name;
            krb5_free_unparsed_name(k.ctx, name);
            if (out.find(s) == std::string::npos && n < 4) {
                out += (n++ ? ", " : "") + s;
            }
        }
        krb5_free_keytab_entry_contents(k.ctx, &entry);
    }
    krb5_kt_end_seq_get(k.ctx, k.kt, &cursor);
    return out;
}

}  // namespace

bool is_negotiate(std::string_view authorization) noexcept {
    return ieq_prefix(authorization, "negotiate") &&
           (authorization.size() == 9 || authorization[9] == ' ');
}

std::string check_keytab(const std::filesystem::path& keytab, std::string_view principal) {
    if (auto bad = core::check_service_principal(principal); !bad.empty()) {
        return "identity.kerberos_principal: " + bad;
    }
    struct stat st {};
    if (::stat(keytab.c_str(), &st) != 0) {
        return "cannot read the keytab \"" + keytab.string() + "\": " + std::strerror(errno) +
               " (export one with: kadmin -q \"ktadd -k " + keytab.string() + " " +
               std::string(principal) + "\")";
    }
    if (!S_ISREG(st.st_mode)) return "the keytab \"" + keytab.string() + "\" is not a regular file";
    if (st.st_mode & (S_IROTH | S_IWOTH)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return "the keytab \"" + keytab.string() + "\" is readable or writable by everyone (mode " +
               mode +
               "): anyone on this host could impersonate the proxy; chmod 600 it (or 640 "
               "with the gateway's group)";
    }
    if (::access(keytab.c_str(), R_OK) != 0) {
        return "cannot read the keytab \"" + keytab.string() + "\": " + std::strerror(errno) +
               " (the gateway's user must be able to read it: chown or chgrp it)";
    }
    krb5_session k;
    if (auto e = krb5_init_context(&k.ctx); e != 0) {
        return "Kerberos library unusable (krb5.conf?): error " + std::to_string(e);
    }
    std::string name = "FILE:" + keytab.string();
    if (auto e = krb5_kt_resolve(k.ctx, name.c_str(), &k.kt); e != 0) {
        return "the keytab \"" + keytab.string() + "\": " + k.words(e);
    }
    std::string p(principal);
    if (auto e = krb5_parse_name(k.ctx, p.c_str(), &k.princ); e != 0) {
        return "identity.kerberos_principal: " + k.words(e);
    }
    krb5_keytab_entry entry;
    auto e = krb5_kt_get_entry(k.ctx, k.kt, k.princ, 0, 0, &entry);
    if (e == 0) {
        krb5_free_keytab_entry_contents(k.ctx, &entry);
        return "";
    }
    if (e == KRB5_KT_NOTFOUND || e == ENOENT || e == KRB5_KT_END) {
        auto held = principals_in(k);
        return "the keytab \"" + keytab.string() + "\" holds no key for " + p +
               (held.empty() ? " (it is empty)" : " (it holds " + held + ")") +
               "; add one: kadmin -q \"ktadd -k " + keytab.string() + " " + p + "\"";
    }
    return "the keytab \"" + keytab.string() + "\": " + k.words(e);
}

struct negotiate_acceptor::impl {
    std::string principal;
    gss_name_t name = GSS_C_NO_NAME;
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    ~impl() {
        OM_uint32 minor = 0;
        if (cred != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &cred);
        if (name != GSS_C_NO_NAME) gss_release_name(&minor, &name);
    }
};

negotiate_acceptor::negotiate_acceptor(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
negotiate_acceptor::~negotiate_acceptor() = default;

const std::string& negotiate_acceptor::principal() const noexcept {
    return impl_->principal;
}

std::unique_ptr<negotiate_acceptor> negotiate_acceptor::open(const std::filesystem::path& keytab,
                                                             std::string_view principal,
                                                             std::string& problem) {
    problem = check_keytab(keytab, principal);
    if (!problem.empty()) return nullptr;
    auto p = std::make_unique<impl>();
    p->principal = std::string(principal);
    OM_uint32 minor = 0;
    gss_buffer_desc text{p->principal.size(), p->principal.data()};
    auto major = gss_import_name(&minor, &text, GSS_KRB5_NT_PRINCIPAL_NAME, &p->name);
    if (GSS_ERROR(major)) {
        problem = "identity.kerberos_principal: " + gss_words(major, minor, GSS_C_NO_OID);
        return nullptr;
    }
    // The keytab is named for this credential alone (no KRB5_KTNAME in the environment).
    std::string kt = "FILE:" + keytab.string();
    gss_key_value_element_desc element{"keytab", kt.c_str()};
    gss_key_value_set_desc store{1, &element};
    major = gss_acquire_cred_from(&minor, p->name, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, GSS_C_ACCEPT,
                                  &store, &p->cred, nullptr, nullptr);
    if (GSS_ERROR(major)) {
        problem = "the keytab \"" + keytab.string() +
                  "\": no acceptor credential: " + gss_words(major, minor, GSS_C_NO_OID);
        return nullptr;
    }
    return std::unique_ptr<negotiate_acceptor>(new negotiate_acceptor(std::move(p)));
}

negotiate_result negotiate_acceptor::accept(std::string_view authorization) const {
    const auto start = std::chrono::steady_clock::now();
    negotiate_result r;
    auto finish = [&r, start] {
        r.took = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - start);
        return r;
    };
    if (!is_negotiate(authorization) || authorization.size() < 11) return finish();
    auto token_text = authorization.substr(10);
    while (!token_text.empty() && token_text.front() == ' ') token_text.remove_prefix(1);
    while (!token_text.empty() && token_text.back() == ' ') token_text.remove_suffix(1);
    auto token = decode_b64(token_text);
    if (!token) return finish();

    OM_uint32 minor = 0;
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    gss_buffer_desc in{token->size(), token->data()};
    gss_buffer_desc out{0, nullptr};
    gss_name_t client = GSS_C_NO_NAME;
    gss_OID mech = GSS_C_NO_OID;
    auto major = gss_accept_sec_context(&minor, &ctx, impl_->cred, &in, GSS_C_NO_CHANNEL_BINDINGS,
                                        &client, &mech, &out, nullptr, nullptr, nullptr);
    OM_uint32 ignored = 0;
    gss_release_buffer(&ignored, &out);
    if (major == GSS_S_COMPLETE) {
        gss_buffer_desc name{0, nullptr};
        auto dmajor = gss_display_name(&ignored, client, &name, nullptr);
        if (!GSS_ERROR(dmajor)) {
            r.user.assign(static_cast<const char*>(name.value), name.length);
            r.outcome = negotiate_outcome::identified;
            gss_release_buffer(&ignored, &name);
        } else {
            r.outcome = negotiate_outcome::refused;
            r.reason = "the client's name cannot be displayed";
        }
    } else if (major == GSS_S_CONTINUE_NEEDED) {
        r.outcome = negotiate_outcome::continued;
        r.reason = "the client asked for a multi-round negotiation (not Kerberos)";
    } else {
        const auto routine = GSS_ROUTINE_ERROR(major);
        r.outcome = routine == GSS_S_DEFECTIVE_TOKEN && minor == 0 ? negotiate_outcome::malformed
                                                                   : negotiate_outcome::refused;
        r.reason = gss_words(major, minor, mech);
    }
    if (client != GSS_C_NO_NAME) gss_release_name(&ignored, &client);
    if (ctx != GSS_C_NO_CONTEXT) gss_delete_sec_context(&ignored, &ctx, GSS_C_NO_BUFFER);
    return finish();
}

}  // namespace consolegate::identity
