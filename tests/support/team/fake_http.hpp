#pragma once
// An in-process HTTP/1.1 server on loopback (port 0) for the team/ and net/ tests: the fake STS,
// container credentials endpoint and misbehaving DynamoDB. One connection at a time, one request
// per connection, answered by the handler; optionally over TLS with a given certificate. Every
// request is recorded. Runs on its own thread; stopped by the destructor.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace consolegate::test {

struct fake_request {
    std::string method, target, body;
    std::map<std::string, std::string> headers;  // names lowercased
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct fake_response {
    fake_response(unsigned s = 200, std::string type = "application/json", std::string b = {},
                  bool hold = false)
        : status(s), content_type(std::move(type)), body(std::move(b)), never_answer(hold) {}
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    bool never_answer = false;  // hold the connection open without answering (deadline tests)
    std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

class fake_http_server {
  public:
    using handler = std::function<fake_response(const fake_request&)>;
    // cert/key: PEM files for TLS; empty = plain HTTP.
    explicit fake_http_server(handler h, const std::string& cert_pem = "",
                              const std::string& key_pem = "");
    ~fake_http_server();
    fake_http_server(const fake_http_server&) = delete;
    fake_http_server& operator=(const fake_http_server&) = delete;

    std::uint16_t port() const;
    std::string url(const std::string& host = "127.0.0.1") const;  // scheme://host:port
    std::vector<fake_request> requests() const;

    struct impl;

  private:
    std::unique_ptr<impl> impl_;
};

// A self-signed certificate (openssl CLI) for `subject_alt_name` ("DNS:localhost,IP:127.0.0.1"),
// written as DIR/NAME.crt and DIR/NAME.key. Returns {cert, key}.
std::pair<std::string, std::string> make_self_signed(const std::string& dir,
                                                     const std::string& name,
                                                     const std::string& subject_alt_name);

}  // namespace consolegate::test
