#pragma once

// A mail client for the system tests (mail_client.py: Python's smtplib and imaplib): sends a
// message over SMTP, reads an INBOX over IMAP. Passwords go through a file, never the command line.

#include "Pebble.h"

#include <Poco/JSON/Parser.h>
#include <Poco/TemporaryFile.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::testing {

struct SentMail {
    bool accepted = false;
    int code = 0;  // the refusal's SMTP code (0: the server could not be reached)
    std::string message;
};

struct ReadMail {
    std::string subject;
    std::string body;
    bool dkimSignature = false;
    std::string rawPath;  // with a save folder
};

struct Inbox {
    std::string login;  // ok | refused | unreachable
    std::string message;
    std::vector<ReadMail> messages;
};

struct MailOptions {
    std::string from = "expediteur@dehors.test";
    std::string subject = "Bonjour";
    std::string body = "Bonjour !";
    int size = 0;  // filler bytes added to the body
    std::string user = {};
    std::string password = {};
};

namespace detail {
inline Poco::JSON::Object::Ptr runMailClient(std::vector<std::string> args, const std::string& password) {
    Poco::TemporaryFile file;
    if (!password.empty()) {
        std::ofstream(file.path()) << password << "\n";
        args.push_back("--password-file");
        args.push_back(file.path());
    }
    args.insert(args.begin(), std::string(CHATIERE_SOURCE_DIR) + "/tests/support/mail_client.py");
    const auto [status, output] = runTool("/usr/bin/python3", args);
    const auto line = output.substr(0, output.find('\n'));
    try {
        return Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        throw std::runtime_error("mail_client.py (exit " + std::to_string(status) + "): " + output);
    }
}
}  // namespace detail

inline SentMail sendMail(int port, const std::string& to, const MailOptions& o = {}) {
    std::vector<std::string> args = {"send",   "--port", std::to_string(port),  "--to",    to,
                                     "--from", o.from,   "--subject",           o.subject, "--body",
                                     o.body,   "--size", std::to_string(o.size)};
    if (!o.user.empty()) {
        args.push_back("--user");
        args.push_back(o.user);
    }
    const auto r = detail::runMailClient(args, o.user.empty() ? "" : o.password);
    return {r->getValue<bool>("accepted"), r->getValue<int>("code"), r->getValue<std::string>("message")};
}

inline Inbox fetchMail(int port, const std::string& user, const std::string& password,
                       const std::string& saveTo = "") {
    std::vector<std::string> args = {"fetch", "--port", std::to_string(port), "--user", user};
    if (!saveTo.empty()) {
        args.push_back("--save");
        args.push_back(saveTo);
    }
    const auto r = detail::runMailClient(args, password);
    Inbox inbox{r->getValue<std::string>("login"), r->getValue<std::string>("message"), {}};
    const auto messages = r->getArray("messages");
    for (std::size_t i = 0; messages && i < messages->size(); ++i) {
        const auto m = messages->getObject(static_cast<unsigned>(i));
        inbox.messages.push_back({m->getValue<std::string>("subject"), m->getValue<std::string>("body"),
                                  m->getValue<bool>("dkim_signature"),
                                  m->optValue<std::string>("raw_path", "")});
    }
    return inbox;
}

}  // namespace chatiere::testing
