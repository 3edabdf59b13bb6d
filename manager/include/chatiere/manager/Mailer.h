#pragma once

#include <stdexcept>
#include <string>

namespace chatiere::manager {

struct MailMessage {
    std::string messageId;  // "<…@…>", kept across retries
    std::string from;
    std::string to;
    std::string subject;
    std::string body;  // text/plain, UTF-8
};

class MailError : public std::runtime_error {
public:
    MailError(const std::string& what, bool permanent) : std::runtime_error(what), permanent_(permanent) {}
    // The server refused for good (5xx): retrying would not help.
    bool permanent() const { return permanent_; }

private:
    bool permanent_;
};

// Sends one mail, or throws MailError. Everything sends through the outbox, never directly.
class Mailer {
public:
    virtual ~Mailer() = default;
    virtual void send(const MailMessage& message) = 0;
};

}  // namespace chatiere::manager
