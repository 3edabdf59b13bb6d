#pragma once

// What the pads tests share (PadsApiTest.cpp: the API, the CLI, the pads page and the export;
// PadsDashboardTest.cpp: the dashboard's pads): a daemon on port 0 with two associations (A with a
// manager and a member, B with a manager), an editor in each and a website in A, marked active as
// if their guests had booted, with nothing behind their ports; and FakeEtherpad, which answers
// Etherpad's HTTP API on an editor's port.

#include "AssociationsFixture.h"
#include "Browser.h"
#include "Eventually.h"
#include "PortBlock.h"
#include "TestDaemon.h"
#include "chatiere/manager/Database.h"

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

namespace chatiere::testing {

inline const std::string kPadsPlan = R"({"slug": "asso", "name": "Asso", "templates": ["website", "editor"],
    "free": true, "prices": [],
    "quotas": {"services": {"included": 4, "limit": 4}, "disk_gib": {"included": 4, "limit": 4}}})";

class PadsFixture : public AssociationsFixture {
protected:
    virtual int dashboardEditorWaitMs() const { return 60000; }
    std::string planJson() const override { return kPadsPlan; }
    // The dashboard waits for Etherpad long enough for a loaded machine, unless a test asks.
    // The editors' ports are this process's own: these tests listen there, or need nothing to.
    void configure(chatiere::manager::Settings& s) const override {
        s.dashboardEditorWaitMs = dashboardEditorWaitMs();
    }
    void SetUp() override {
        AssociationsFixture::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        editor_ = activeService(*managerA_, a_, "editor", "pads");
        website_ = activeService(*managerA_, a_, "website", "site");
        editorB_ = activeService(*managerB_, b_, "editor", "pads");
    }

    // A service created through the API, then marked active as if its guest had booted (the test
    // driver cannot boot one): its port is allocated, and nothing listens there.
    std::string activeService(const ApiClient& c, const std::string& association,
                              const std::string& templateName, const std::string& name) {
        const auto r = c.post("/api/v1/associations/" + association + "/services",
                              R"({"template": ")" + templateName + R"(", "name": ")" + name + "\"}");
        EXPECT_EQ(r.status, 202) << r.body;
        const std::string id = r.json()->getValue<std::string>("id");
        markActive(*d_, c, id);
        return id;
    }

    int auditCount(const std::string& action) {
        auto s = d_->daemon().database().session();
        int n = 0;
        std::string a = action;
        s << "SELECT COUNT(*) FROM audit_log WHERE action = ?", Poco::Data::Keywords::use(a),
            Poco::Data::Keywords::into(n), Poco::Data::Keywords::now;
        return n;
    }

    // The 127.0.0.1 port the service's guest port is forwarded to, where its Etherpad would answer.
    int hostPort(const std::string& service) {
        auto s = d_->daemon().database().session();
        int port = 0;
        std::string id = service;
        s << "SELECT host_port FROM services WHERE id = ?", Poco::Data::Keywords::use(id),
            Poco::Data::Keywords::into(port), Poco::Data::Keywords::now;
        return port;
    }

    std::string editor_, website_, editorB_;
};

// Etherpad's HTTP API as 1.8.14 answers it, in memory, on the editor's host port: what an editor
// with its guest up looks like from the daemon. (The real Etherpad is the system and e2e tests'.)
class FakeEtherpad {
public:
    explicit FakeEtherpad(int port) {
        Poco::Net::ServerSocket socket(
            Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
        server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket,
                                                          new Poco::Net::HTTPServerParams);
        server_->start();
    }
    ~FakeEtherpad() { server_->stopAll(true); }

private:
    std::string answer(const std::string& function, const Poco::Net::HTMLForm& form) {
        std::lock_guard lock(mutex_);
        const std::string pad = form.get("padID", "");
        const auto ok = [](const std::string& data) {
            return R"({"code":0,"message":"ok","data":)" + data + "}";
        };
        const auto quoted = [](const std::string& text) {
            Poco::JSON::Object o;
            o.set("v", text);
            std::ostringstream out;
            o.stringify(out);
            return out.str().substr(5, out.str().size() - 6);
        };
        if (function == "listAllPads") {
            std::string ids;
            for (const auto& [name, text] : pads_) {
                ids += (ids.empty() ? "" : ",") + quoted(name);
            }
            return ok(R"({"padIDs":[)" + ids + "]}");
        }
        if (function == "createPad") {
            if (pads_.count(pad)) {
                return R"({"code":1,"message":"padID does already exist","data":null})";
            }
            pads_[pad] = form.get("text", "Bienvenue") + "\n";
            return ok("null");
        }
        if (!pads_.count(pad)) {
            return R"({"code":1,"message":"padID does not exist","data":null})";
        }
        if (function == "getLastEdited") {
            return ok(R"({"lastEdited":1765051200000})");
        }
        if (function == "getRevisionsCount") {
            return ok(R"({"revisions":2})");
        }
        if (function == "getText") {
            return ok(R"({"text":)" + quoted(pads_[pad]) + "}");
        }
        if (function == "getHTML") {
            return ok(R"({"html":)" + quoted("<!DOCTYPE HTML><html><body>" + pads_[pad] + "</body></html>") +
                      "}");
        }
        if (function == "deletePad") {
            pads_.erase(pad);
            return ok("null");
        }
        return R"({"code":3,"message":"no such function","data":null})";
    }

    class Handler : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(FakeEtherpad& fake) : fake_(fake) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            Poco::Net::HTMLForm form(request, request.stream());
            const std::string path = Poco::URI(request.getURI()).getPath();
            const std::string prefix = "/api/1.2.15/";
            const std::string body = path.rfind(prefix, 0) == 0
                                         ? fake_.answer(path.substr(prefix.size()), form)
                                         : std::string("{}");
            response.setContentType("application/json; charset=utf-8");
            response.sendBuffer(body.data(), body.size());
        }

    private:
        FakeEtherpad& fake_;
    };
    class Factory : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(FakeEtherpad& fake) : fake_(fake) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
            return new Handler(fake_);
        }

    private:
        FakeEtherpad& fake_;
    };

    std::mutex mutex_;
    std::map<std::string, std::string> pads_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace chatiere::testing
