// HttpEtherpadApi against a small HTTP server on 127.0.0.1:0 that answers as Etherpad 1.8.14's API
// does (the replies of its APIHandler): the request it sends (path, key, fields, POST body for
// createPad) and how each reply or failure maps to Chatière's errors.

#include "chatiere/manager/Error.h"
#include "hosting/HttpEtherpadApi.h"

#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <functional>
#include <mutex>

namespace chatiere::testing {
namespace {

using manager::EditorEndpoint;
using manager::Error;
using manager::ErrorKind;

struct Seen {
    std::string method;
    std::string path;
    std::map<std::string, std::string> fields;  // query or form body
    std::string rawUri;
};

// Answers every request with `reply` (status, body) and records what it saw.
class FakeEtherpadServer {
public:
    using Reply = std::function<std::pair<int, std::string>(const Seen&)>;

    explicit FakeEtherpadServer(Reply reply) : reply_(std::move(reply)) {
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
        port_ = socket.address().port();
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(2);
        server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
        server_->start();
    }
    ~FakeEtherpadServer() { server_->stopAll(true); }

    int port() const { return port_; }
    std::vector<Seen> seen() {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    class Handler : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(FakeEtherpadServer& server) : server_(server) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            Seen s;
            s.method = request.getMethod();
            s.rawUri = request.getURI();
            s.path = Poco::URI(request.getURI()).getPath();
            Poco::Net::HTMLForm form(request, request.stream());  // the query, and a POST's urlencoded body
            for (const auto& [k, v] : form) {
                s.fields[k] = v;
            }
            const auto [status, body] = server_.reply_(s);
            {
                std::lock_guard lock(server_.mutex_);
                server_.seen_.push_back(s);
            }
            response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
            response.setContentType("application/json; charset=utf-8");
            response.sendBuffer(body.data(), body.size());
        }

    private:
        FakeEtherpadServer& server_;
    };
    class Factory : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(FakeEtherpadServer& server) : server_(server) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
            return new Handler(server_);
        }

    private:
        FakeEtherpadServer& server_;
    };

    Reply reply_;
    int port_ = 0;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::mutex mutex_;
    std::vector<Seen> seen_;
};

std::pair<int, std::string> ok(const std::string& data) {
    return {200, R"({"code":0,"message":"ok","data":)" + data + "}"};
}

template <class F>
void expectError(F&& f, ErrorKind kind, const std::string& code) {
    try {
        f();
        ADD_FAILURE() << "expected " << code;
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), kind) << e.what();
        EXPECT_EQ(e.code(), code) << e.what();
        EXPECT_EQ(std::string(e.what()).find("K3Y"), std::string::npos) << "the key leaked: " << e.what();
    }
}

TEST(HttpEtherpadApi, ReadsCallsWithTheKeyAsAQueryParameter) {
    FakeEtherpadServer server([](const Seen& s) {
        if (s.path == "/api/1.2.15/listAllPads") {
            return ok(R"({"padIDs":["notes","Compte-rendu"]})");
        }
        if (s.path == "/api/1.2.15/getLastEdited") {
            return ok(R"({"lastEdited":1764979200123})");
        }
        if (s.path == "/api/1.2.15/getRevisionsCount") {
            return ok(R"({"revisions":7})");
        }
        if (s.path == "/api/1.2.15/getText") {
            return ok(R"({"text":"Été à l'école\n"})");
        }
        if (s.path == "/api/1.2.15/getHTML") {
            return ok(R"({"html":"<!DOCTYPE HTML><html><body>Été</body></html>"})");
        }
        if (s.path == "/api/1.2.15/deletePad") {
            return ok("null");
        }
        return std::pair<int, std::string>{200, R"({"code":3,"message":"no such function","data":null})"};
    });
    manager::HttpEtherpadApi api;
    const EditorEndpoint at{server.port(), "K3Y&x=1"};
    EXPECT_EQ(api.listAllPads(at), (std::vector<std::string>{"notes", "Compte-rendu"}));
    EXPECT_EQ(api.getLastEdited(at, "notes"), 1764979200123);
    EXPECT_EQ(api.getRevisionsCount(at, "notes"), 7);
    EXPECT_EQ(api.getText(at, "notes"), "Été à l'école\n");
    EXPECT_EQ(api.getHTML(at, "notes"), "<!DOCTYPE HTML><html><body>Été</body></html>");
    api.deletePad(at, "notes");
    const auto seen = server.seen();
    ASSERT_EQ(seen.size(), 6u);
    for (const auto& s : seen) {
        EXPECT_EQ(s.method, "GET");
        EXPECT_EQ(s.fields.at("apikey"), "K3Y&x=1");  // encoded, so it stays one value
    }
    EXPECT_EQ(seen[1].fields.at("padID"), "notes");
    EXPECT_EQ(seen[5].path, "/api/1.2.15/deletePad");
}

TEST(HttpEtherpadApi, CreatePadPostsItsTextAsAFormBody) {
    FakeEtherpadServer server([](const Seen&) { return ok("null"); });
    manager::HttpEtherpadApi api;
    const EditorEndpoint at{server.port(), "K3Y"};
    api.createPad(at, "reunion", std::string("Ordre du jour : « été » & co\nligne 2"));
    api.createPad(at, "vide", std::nullopt);
    const auto seen = server.seen();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].method, "POST");
    EXPECT_EQ(seen[0].path, "/api/1.2.15/createPad");
    EXPECT_EQ(seen[0].rawUri, "/api/1.2.15/createPad");  // nothing in the URL
    EXPECT_EQ(seen[0].fields.at("apikey"), "K3Y");
    EXPECT_EQ(seen[0].fields.at("padID"), "reunion");
    EXPECT_EQ(seen[0].fields.at("text"), "Ordre du jour : « été » & co\nligne 2");
    EXPECT_EQ(seen[1].fields.count("text"), 0u);  // Etherpad's default text
}

TEST(HttpEtherpadApi, MapsEtherpadsCodes) {
    std::pair<int, std::string> next;
    FakeEtherpadServer server([&next](const Seen&) { return next; });
    manager::HttpEtherpadApi api;
    const EditorEndpoint at{server.port(), "K3Y"};
    next = {200, R"({"code":1,"message":"padID does already exist","data":null})"};
    expectError([&] { api.createPad(at, "x", std::nullopt); }, ErrorKind::Conflict, "pad_exists");
    next = {200, R"({"code":1,"message":"padID does not exist","data":null})"};
    expectError([&] { api.deletePad(at, "x"); }, ErrorKind::NotFound, "not_found");
    next = {500, R"({"code":2,"message":"internal error","data":null})"};
    expectError([&] { api.listAllPads(at); }, ErrorKind::Unavailable, "service_unavailable");
    next = {401, R"({"code":4,"message":"no or wrong API Key","data":null})"};
    expectError([&] { api.listAllPads(at); }, ErrorKind::Unavailable, "service_unavailable");
    next = {200, R"({"code":3,"message":"no such function","data":null})"};
    expectError([&] { api.getText(at, "x"); }, ErrorKind::Unavailable, "service_unavailable");
    next = {200, "<html>Etherpad is starting</html>"};
    expectError([&] { api.listAllPads(at); }, ErrorKind::Unavailable, "service_unavailable");
    next = {200, R"({"code":0,"message":"ok","data":{}})"};
    expectError([&] { api.listAllPads(at); }, ErrorKind::Unavailable, "service_unavailable");
}

TEST(HttpEtherpadApi, NothingListeningIsServiceUnavailable) {
    int port = 0;
    {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
        port = probe.address().port();
    }  // closed: nothing listens there now
    manager::HttpEtherpadApi api;
    expectError(
        [&] {
            api.createPad({port, "K3Y"}, "x", std::nullopt);
        },
        ErrorKind::Unavailable, "service_unavailable");
}

TEST(HttpEtherpadApi, AnEtherpadThatNeverAnswersTimesOut) {
    // Accepts connections (the kernel's backlog) and never answers.
    Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
    manager::HttpEtherpadApi api(std::chrono::milliseconds(300));
    expectError(
        [&] {
            api.listAllPads({silent.address().port(), "K3Y"});
        },
        ErrorKind::Unavailable, "service_unavailable");
}

TEST(HttpEtherpadApi, NoCallWaitsPastTheCallersDeadline) {
    // An Etherpad that never answers, a client that would wait an hour a call: the deadline wins.
    Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
    manager::HttpEtherpadApi api(std::chrono::hours(1));
    EditorEndpoint at{silent.address().port(), "K3Y"};
    at.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    expectError([&] { api.listAllPads(at); }, ErrorKind::Unavailable, "service_unavailable");
}

TEST(HttpEtherpadApi, ACallPastItsDeadlineIsNotMade) {
    FakeEtherpadServer server([](const Seen&) { return ok(R"({"padIDs":[]})"); });
    manager::HttpEtherpadApi api;
    EditorEndpoint at{server.port(), "K3Y"};
    at.deadline = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);
    expectError([&] { api.listAllPads(at); }, ErrorKind::Unavailable, "service_unavailable");
    EXPECT_TRUE(server.seen().empty());
    at.deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
    EXPECT_TRUE(api.listAllPads(at).empty());
    EXPECT_EQ(server.seen().size(), 1u);
}

}  // namespace
}  // namespace chatiere::testing
