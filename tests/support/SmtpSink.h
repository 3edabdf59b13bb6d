#pragma once

// Starts tests/support/smtp_sink.py (a real SMTP server on loopback, Debian's python3-aiosmtpd)
// and reads what it received. Stopped with the object; restartable on the same port.

#include "Eventually.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace chatiere::testing {

struct ReceivedMail {
    std::string from;
    std::string to;
    std::string subject;
    std::string messageId;
    std::string body;
};

class SmtpSink {
public:
    // port 0: a free port. `refuse`: "451" or "550" to refuse every message.
    explicit SmtpSink(std::filesystem::path dir, int port = 0, std::string refuse = "")
        : dir_(std::move(dir)), port_(port), refuse_(std::move(refuse)) {
        start();
    }
    ~SmtpSink() { stop(); }
    SmtpSink(const SmtpSink&) = delete;
    SmtpSink& operator=(const SmtpSink&) = delete;

    int port() const { return port_; }

    void start() {
        std::vector<std::string> args = {std::string(CHATIERE_SOURCE_DIR) + "/tests/support/smtp_sink.py",
                                         "--port",
                                         std::to_string(port_),
                                         "--dir",
                                         dir_.string(),
                                         "--watch-stdin"};
        if (!refuse_.empty()) {
            args.push_back("--refuse");
            args.push_back(refuse_);
        }
        in_ = std::make_unique<Poco::Pipe>();
        Poco::Pipe out;
        handle_ = std::make_unique<Poco::ProcessHandle>(
            Poco::Process::launch("/usr/bin/python3", args, in_.get(), &out, nullptr));
        Poco::PipeInputStream stream(out);
        std::string word;
        int port = 0;
        stream >> word >> port;
        if (word != "PORT" || port <= 0) {
            throw std::runtime_error("smtp_sink.py did not start (is python3-aiosmtpd installed?)");
        }
        port_ = port;
    }

    void stop() {
        if (!handle_) {
            return;
        }
        Poco::Process::requestTermination(handle_->id());
        in_->close();
        handle_->wait();
        handle_.reset();
        in_.reset();
    }

    std::vector<ReceivedMail> messages() const {
        std::vector<std::filesystem::path> files;
        if (std::filesystem::exists(dir_)) {
            for (const auto& e : std::filesystem::directory_iterator(dir_)) {
                if (e.path().extension() == ".json") {
                    files.push_back(e.path());
                }
            }
        }
        std::sort(files.begin(), files.end());
        std::vector<ReceivedMail> out;
        for (const auto& f : files) {
            std::ifstream in(f);
            std::stringstream text;
            text << in.rdbuf();
            Poco::JSON::Parser parser;
            auto o = parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
            out.push_back({o->getValue<std::string>("from"), o->getValue<std::string>("to"),
                           o->getValue<std::string>("subject"), o->getValue<std::string>("message_id"),
                           o->getValue<std::string>("body")});
        }
        return out;
    }

    std::vector<ReceivedMail> messagesTo(const std::string& to) const {
        std::vector<ReceivedMail> out;
        for (auto& m : messages()) {
            if (m.to.find(to) != std::string::npos) {
                out.push_back(m);
            }
        }
        return out;
    }

    // Polls (no fixed sleep) until at least n messages arrived or the deadline passes.
    std::vector<ReceivedMail> waitForMessages(
        std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
        std::vector<ReceivedMail> got;
        eventually(
            [&] {
                got = messages();
                return got.size() >= n;
            },
            std::chrono::duration_cast<std::chrono::seconds>(timeout), std::chrono::milliseconds(20));
        return got;
    }

    // Every address (http:// or https://) in a mail's text, in order.
    static std::vector<std::string> links(const std::string& body) {
        std::vector<std::string> out;
        const std::regex link(R"(https?://[^\s<>"]+)");
        for (auto it = std::sregex_iterator(body.begin(), body.end(), link); it != std::sregex_iterator();
             ++it) {
            out.push_back(it->str());
        }
        return out;
    }

    // The token of each link to `path` ("/password/reset") in the mails to `to`, oldest first, once
    // `count` of them arrived (polled; fewer when the deadline passes).
    std::vector<std::string> linkTokens(const std::string& to, const std::string& path, std::size_t count = 1,
                                        std::chrono::seconds timeout = std::chrono::seconds(20)) const {
        const std::regex link(std::regex_replace(path, std::regex(R"([.?*+^$()\[\]{}|\\])"), R"(\$&)") +
                              R"(\?token=([A-Za-z0-9_-]+))");
        std::vector<std::string> tokens;
        eventually(
            [&] {
                tokens.clear();
                for (const auto& m : messagesTo(to)) {
                    std::smatch found;
                    if (std::regex_search(m.body, found, link)) {
                        tokens.push_back(found[1].str());
                    }
                }
                return tokens.size() >= count;
            },
            timeout, std::chrono::milliseconds(20));
        return tokens;
    }

private:
    std::filesystem::path dir_;
    int port_;
    std::string refuse_;
    std::unique_ptr<Poco::Pipe> in_;
    std::unique_ptr<Poco::ProcessHandle> handle_;
};

}  // namespace chatiere::testing
