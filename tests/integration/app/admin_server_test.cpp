// The admin listener on loopback, queried with curl.
#include "admin_server.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <thread>

#include "common/run_command.hpp"
#include "consolegate/audit/event.hpp"
#include "consolegate/core/time.hpp"

namespace cg = consolegate;
using cg::test::run_command;

class admin_server_test : public ::testing::Test {
  protected:
    void SetUp() override {
        recent = std::make_shared<cg::audit::recent_events>(100);
        cg::audit::event deny;
        deny.id = "ev-deny";
        deny.time = "2026-11-23T04:00:00.000Z";
        deny.effect = deny.enforced = "deny";
        deny.account = "111122223333";
        deny.user = "mallory";
        recent->add(deny);
        cg::audit::event allow = deny;
        allow.id = "ev-allow";
        allow.effect = allow.enforced = "allow";
        allow.user = "alice";
        recent->add(allow);

        cg::app::admin_handlers h;
        h.metrics = [] { return std::string("consolegate_test_total 7\n"); };
        h.ready = [this] { return ready.load(); };
        h.reload = [this](std::string& msg) {
            ++reloads;
            msg = "reloaded";
            return true;
        };
        h.recent = recent;
        h.node_name = "test-gw";
        h.reviewer_token = reviewer;
        h.operator_token = op;
        h.now = [] { return *cg::core::parse_rfc3339("2026-11-23T05:00:00Z"); };
        configure(h);
        server = std::make_unique<cg::app::admin_server>(
            ioc, *cg::core::ip_address::parse("127.0.0.1"), 0, h);
        server->start();
        base = "http://127.0.0.1:" + std::to_string(server->port());
        thread = std::thread([this] { ioc.run(); });
    }
    void TearDown() override {
        boost::asio::post(ioc, [this] { server->stop(); });
        ioc.stop();
        thread.join();
    }
    virtual void configure(cg::app::admin_handlers&) {}
    // As the operator (who may do everything) unless `extra` says otherwise.
    std::string get(const std::string& path, const std::string& extra = "",
                    const std::string& token = op) {
        auto auth = token.empty() ? std::string() : "-H 'Authorization: Bearer " + token + "' ";
        return run_command("curl -sS --max-time 5 -o - -w ' HTTP=%{http_code}' " + auth + extra +
                           " '" + base + path + "'")
            .out;
    }
    static inline const std::string reviewer = "reviewer-token-0123456789";
    static inline const std::string op = "operator-token-0123456789";

    boost::asio::io_context ioc;
    std::unique_ptr<cg::app::admin_server> server;
    std::shared_ptr<cg::audit::recent_events> recent;
    std::atomic<bool> ready{false};
    std::atomic<int> reloads{0};
    std::string base;
    std::thread thread;
};

TEST_F(admin_server_test, health_readiness_and_metrics) {
    EXPECT_EQ(get("/healthz"), "ok\n HTTP=200");
    EXPECT_EQ(get("/readyz"), "not ready\n HTTP=503");
    ready = true;
    EXPECT_EQ(get("/readyz"), "ready\n HTTP=200");
    EXPECT_EQ(get("/metrics"), "consolegate_test_total 7\n HTTP=200");
    EXPECT_NE(get("/nope").find("HTTP=404"), std::string::npos);
}

TEST_F(admin_server_test, review_page_filters_by_decision) {
    auto all = get("/review");
    EXPECT_NE(all.find("mallory"), std::string::npos);
    EXPECT_NE(all.find("alice"), std::string::npos);
    auto denied = get("/review?decision=deny");
    EXPECT_NE(denied.find("mallory"), std::string::npos);
    EXPECT_EQ(denied.find("alice"), std::string::npos);
    auto api = get("/api/events?user=ALICE");
    EXPECT_NE(api.find("\"id\":\"ev-allow\""), std::string::npos);
    EXPECT_EQ(api.find("ev-deny"), std::string::npos);
}

TEST_F(admin_server_test, reload_needs_post) {
    EXPECT_NE(get("/reload").find("HTTP=405"), std::string::npos);
    EXPECT_EQ(reloads.load(), 0);
    EXPECT_EQ(get("/reload", "-X POST"), "reloaded\n HTTP=200");
    EXPECT_EQ(reloads.load(), 1);
}

TEST_F(admin_server_test, keeps_serving_after_garbage) {
    // bash's /dev/tcp: no extra client needed. The server must close the connection on a
    // malformed request (cat returns at EOF, well inside the bound) and keep serving.
    auto r = run_command("bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(server->port()) +
                             "; printf \"GARBAGE\\r\\n\\r\\n\" >&3; cat <&3; echo closed'",
                         10);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "closed\n");
    EXPECT_EQ(get("/healthz"), "ok\n HTTP=200");
}

TEST_F(admin_server_test, review_and_api_need_a_token_and_metrics_stay_open) {
    auto page = get("/review", "", "");
    EXPECT_NE(page.find("HTTP=401"), std::string::npos);
    EXPECT_NE(page.find("name=\"token\""), std::string::npos);  // the sign-in form
    EXPECT_EQ(page.find("mallory"), std::string::npos);
    EXPECT_NE(get("/api/events", "", "").find("HTTP=401"), std::string::npos);
    EXPECT_NE(get("/review/event/ev-deny", "", "").find("HTTP=401"), std::string::npos);
    EXPECT_NE(get("/review", "", "wrong-token-0123456789").find("HTTP=401"), std::string::npos);
    auto as_reviewer = get("/review", "", reviewer);
    EXPECT_NE(as_reviewer.find("mallory"), std::string::npos);
    EXPECT_NE(as_reviewer.find("HTTP=200"), std::string::npos);
    EXPECT_EQ(get("/metrics", "", ""), "consolegate_test_total 7\n HTTP=200");
    EXPECT_EQ(get("/healthz", "", ""), "ok\n HTTP=200");
}

TEST_F(admin_server_test, reload_needs_the_operator_token_in_the_header) {
    EXPECT_NE(get("/reload", "-X POST", "").find("HTTP=401"), std::string::npos);
    EXPECT_NE(get("/reload", "-X POST", reviewer).find("HTTP=401"), std::string::npos);
    // A browser session cookie (what a cross-site form would carry) is not enough either.
    EXPECT_NE(get("/reload", "-X POST -H 'Cookie: cg_review=" + op + "'", "").find("HTTP=401"),
              std::string::npos);
    EXPECT_EQ(reloads.load(), 0);
    EXPECT_EQ(get("/reload", "-X POST", op), "reloaded\n HTTP=200");
    EXPECT_EQ(reloads.load(), 1);
}

TEST_F(admin_server_test, login_form_sets_a_session_cookie_for_browsers) {
    auto bad = get("/login", "-X POST --data-urlencode token=nope", "");
    EXPECT_NE(bad.find("HTTP=401"), std::string::npos);
    auto r =
        run_command("curl -sS --max-time 5 -D - -o /dev/null --data-urlencode token=" + reviewer +
                    " '" + base + "/login'");
    EXPECT_NE(r.out.find("303"), std::string::npos) << r.out << " exit " << r.exit_code;
    EXPECT_NE(
        r.out.find("Set-Cookie: cg_review=" + reviewer + "; Path=/; HttpOnly; SameSite=Strict"),
        std::string::npos)
        << r.out;
    auto page = get("/review", "-H 'Cookie: cg_review=" + reviewer + "'", "");
    EXPECT_NE(page.find("mallory"), std::string::npos);
}

TEST_F(admin_server_test, event_detail_page_and_api) {
    auto page = get("/review/event/ev-deny");
    EXPECT_NE(page.find("Sign-in attempt <code>ev-deny</code>"), std::string::npos);
    EXPECT_NE(page.find("mallory"), std::string::npos);
    auto api = get("/api/events/ev-allow");
    EXPECT_NE(api.find("\"id\":\"ev-allow\""), std::string::npos);
    EXPECT_NE(get("/review/event/nope").find("HTTP=404"), std::string::npos);
}

class admin_server_without_tokens : public admin_server_test {
    void configure(cg::app::admin_handlers& h) override {
        h.reviewer_token.clear();
        h.operator_token.clear();
    }
};

TEST_F(admin_server_without_tokens, refuses_what_no_token_guards) {
    EXPECT_NE(get("/review", "", "").find("HTTP=403"), std::string::npos);
    EXPECT_NE(get("/review", "", "anything-at-all-0123").find("HTTP=403"), std::string::npos);
    EXPECT_NE(get("/reload", "-X POST", "").find("HTTP=403"), std::string::npos);
    EXPECT_EQ(reloads.load(), 0);
    EXPECT_EQ(get("/healthz", "", ""), "ok\n HTTP=200");
}

// HTTPS with admin.tls_cert_file/tls_key_file: a certificate for 127.0.0.1 from a test CA made
// with the openssl CLI; curl trusts only that CA.
class admin_server_tls : public admin_server_test {
  protected:
    void configure(cg::app::admin_handlers& h) override {
        dir =
            std::filesystem::temp_directory_path() / ("cg-admin-tls-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        auto r = run_command(
            "cd " + dir.string() +
                " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
                " -subj /CN=cg-admin-test-ca -keyout ca.key -out ca.pem 2>/dev/null"
                " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
                " -subj /CN=127.0.0.1 -keyout admin.key -out admin.csr 2>/dev/null"
                " && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
                " && openssl x509 -req -in admin.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
                " -days 2 -extfile san.ext -out admin.pem 2>/dev/null",
            60);
        ASSERT_EQ(r.exit_code, 0);
        h.tls_cert_file = dir / "admin.pem";
        h.tls_key_file = dir / "admin.key";
    }
    void TearDown() override {
        admin_server_test::TearDown();
        std::filesystem::remove_all(dir);
    }
    std::string https(const std::string& path, const std::string& extra = "") {
        auto url = "https://127.0.0.1:" + std::to_string(server->port()) + path;
        return run_command("curl -sS --max-time 5 --cacert " + (dir / "ca.pem").string() +
                           " -o - -w ' HTTP=%{http_code}' -H 'Authorization: Bearer " + op + "' " +
                           extra + " '" + url + "' 2>&1")
            .out;
    }
    std::filesystem::path dir;
};

TEST_F(admin_server_tls, serves_https_only_with_a_secure_review_cookie) {
    EXPECT_EQ(https("/healthz"), "ok\n HTTP=200");
    EXPECT_EQ(https("/metrics"), "consolegate_test_total 7\n HTTP=200");
    EXPECT_NE(https("/review?decision=deny").find("mallory"), std::string::npos);
    // Plain HTTP on the TLS port gets no answer (the handshake fails, the connection closes).
    EXPECT_EQ(get("/healthz").find("ok"), std::string::npos);
    // A client that does not trust the certificate refuses it.
    auto untrusted = run_command(
                         "curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "
                         "'https://127.0.0.1:" +
                         std::to_string(server->port()) + "/healthz' 2>&1")
                         .out;
    EXPECT_NE(untrusted.find("000"), std::string::npos) << untrusted;
    auto login = https("/login", "-X POST -d token=" + reviewer + " -D -");
    EXPECT_NE(login.find("HttpOnly; SameSite=Strict; Secure"), std::string::npos) << login;
}

TEST(admin_server_tls_files, a_key_that_does_not_match_the_certificate_is_a_startup_error) {
    auto dir =
        std::filesystem::temp_directory_path() / ("cg-admin-tls-bad-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto r = run_command("cd " + dir.string() +
                             " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256"
                             " -nodes -days 2 -subj /CN=a -keyout a.key -out a.pem 2>/dev/null"
                             " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256"
                             " -nodes -days 2 -subj /CN=b -keyout b.key -out b.pem 2>/dev/null",
                         60);
    ASSERT_EQ(r.exit_code, 0);
    boost::asio::io_context ioc;
    cg::app::admin_handlers h;
    h.tls_cert_file = dir / "a.pem";
    h.tls_key_file = dir / "b.key";
    cg::app::admin_server s(ioc, *cg::core::ip_address::parse("127.0.0.1"), 0, h);
    try {
        s.start();
        ADD_FAILURE() << "a mismatched key was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("does not match"), std::string::npos) << e.what();
    }
    std::filesystem::remove_all(dir);
}
