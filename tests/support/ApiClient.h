#pragma once

// A small HTTP client for integration tests: one request, the status, headers and the JSON body.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/SocketImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace chatiere::testing {

struct ApiResponse {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;
    std::vector<Poco::Net::HTTPCookie> cookies;

    Poco::JSON::Object::Ptr json() const {
        Poco::JSON::Parser parser;
        return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    }
    std::string errorCode() const {
        auto o = json();
        return o->getObject("error") ? o->getObject("error")->getValue<std::string>("code") : "";
    }
    // The codes of error.fields[].field, e.g. {"association.siren": "invalid_siren"}.
    std::map<std::string, std::string> fieldErrors() const {
        std::map<std::string, std::string> out;
        auto error = json()->getObject("error");
        if (!error || !error->has("fields")) {
            return out;
        }
        auto fields = error->getArray("fields");
        for (std::size_t i = 0; i < fields->size(); ++i) {
            auto f = fields->getObject(static_cast<unsigned>(i));
            out[f->getValue<std::string>("field")] = f->getValue<std::string>("code");
        }
        return out;
    }
};

class ApiClient {
public:
    explicit ApiClient(int port, std::string host = "127.0.0.1") : host_(std::move(host)), port_(port) {}

    void setToken(std::string token) { token_ = std::move(token); }
    // Connects from `address` (a local address: all of 127/8 is loopback on Linux), as a reverse
    // proxy bound to its own address does (nginx's proxy_bind); "" for the kernel's choice.
    void setSourceAddress(std::string address) { source_ = std::move(address); }
    void clearToken() { token_.clear(); }
    const std::string& token() const { return token_; }

    ApiResponse request(const std::string& method, const std::string& path, const std::string& body = "",
                        const std::string& contentType = "application/json",
                        const std::map<std::string, std::string>& headers = {}) const {
        const auto server = Poco::Net::SocketAddress(host_, static_cast<Poco::UInt16>(port_));
        Poco::Net::HTTPClientSession session = [&] {
            if (source_.empty()) {
                return Poco::Net::HTTPClientSession(server);
            }
            Poco::Net::StreamSocket socket(Poco::Net::SocketAddress::IPv4);
            socket.impl()->bind(Poco::Net::SocketAddress(source_, 0));
            socket.connect(server);
            return Poco::Net::HTTPClientSession(socket);
        }();
        // 30 s, and one more per 8 MiB of body: the daemon checks an uploaded archive before it
        // answers, and a site of ~1 GiB takes a while on a loaded machine.
        session.setTimeout(Poco::Timespan(30 + static_cast<long>(body.size() >> 23), 0));
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setHost(host_, static_cast<Poco::UInt16>(port_));
        if (!token_.empty()) {
            request.set("Authorization", "Bearer " + token_);
        }
        for (const auto& [k, v] : headers) {
            request.set(k, v);
        }
        if (!body.empty() || method == "POST" || method == "PUT") {
            request.setContentType(contentType);
            if (!headers.count("Content-Length")) {  // a test may announce more than it sends
                request.setContentLength(static_cast<std::streamsize>(body.size()));
            }
        }
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        ApiResponse out;
        out.status = response.getStatus();
        std::ostringstream text;
        Poco::StreamCopier::copyStream(in, text);
        out.body = text.str();
        for (const auto& [k, v] : response) {
            out.headers[k] = v;
        }
        response.getCookies(out.cookies);
        return out;
    }

    ApiResponse get(const std::string& path) const { return request("GET", path); }
    ApiResponse post(const std::string& path, const std::string& json) const {
        return request("POST", path, json);
    }
    ApiResponse put(const std::string& path, const std::string& json) const {
        return request("PUT", path, json);
    }
    ApiResponse del(const std::string& path) const { return request("DELETE", path); }

    int port() const { return port_; }

private:
    std::string host_;
    int port_;
    std::string token_;
    std::string source_;
};

}  // namespace chatiere::testing
