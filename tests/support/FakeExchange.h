#pragma once

// A request as the HTTP server would hand it over, and a response that goes nowhere, so that a
// fuzzing harness or a unit test drives the real http::Request (its cookies, its query, its body)
// without a socket.

#include <Poco/AutoPtr.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/NullStream.h>

#include <sstream>
#include <string>

namespace chatiere::testing {

class FakeResponse final : public Poco::Net::HTTPServerResponse {
public:
    void sendContinue() override {}
    std::ostream& send() override {
        sent_ = true;
        return out_;
    }
    void sendFile(const std::string&, const std::string&) override { sent_ = true; }
    void sendBuffer(const void*, std::size_t) override { sent_ = true; }
    void redirect(const std::string&, HTTPStatus) override { sent_ = true; }
    void requireAuthentication(const std::string&) override { sent_ = true; }
    bool sent() const override { return sent_; }

private:
    Poco::NullOutputStream out_;
    bool sent_ = false;
};

class FakeRequest final : public Poco::Net::HTTPServerRequest {
public:
    FakeRequest(FakeResponse& response, const std::string& body)
        : response_(response), body_(body), params_(new Poco::Net::HTTPServerParams) {}

    std::istream& stream() override { return body_; }
    const Poco::Net::SocketAddress& clientAddress() const override { return client_; }
    const Poco::Net::SocketAddress& serverAddress() const override { return server_; }
    const Poco::Net::HTTPServerParams& serverParams() const override { return *params_; }
    Poco::Net::HTTPServerResponse& response() const override { return response_; }
    bool secure() const override { return false; }
    // The TCP peer, as the server's socket saw it (127.0.0.1 unless set).
    void setClientAddress(const std::string& host) { client_ = Poco::Net::SocketAddress(host, 40000); }

private:
    FakeResponse& response_;
    std::istringstream body_;
    Poco::AutoPtr<Poco::Net::HTTPServerParams> params_;
    Poco::Net::SocketAddress client_{"127.0.0.1", 40000};
    Poco::Net::SocketAddress server_{"127.0.0.1", 8470};
};

}  // namespace chatiere::testing
