#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace chatiere::manager {

// Where a mail guest's doveadm HTTP API answers: its `doveadm` port on the host's 127.0.0.1 and
// the service's generated key (never logged).
struct DoveadmEndpoint {
    int hostPort = 0;
    std::string apiKey;
};

// What Dovecot's quota says of a mailbox.
struct MailboxQuota {
    int64_t bytes = 0;
    int64_t messages = 0;
};

// A message as Dovecot stores it: its folder and its full text (headers and body).
struct StoredMessage {
    std::string folder;
    int64_t uid = 0;
    std::string text;
};

// Dovecot's doveadm HTTP API in a mail guest (POST /doveadm/v1, `Authorization: X-Dovecot-API
// base64(key)`). Errors: Unavailable `service_unavailable` when the guest does not answer, refuses
// the key or answers something else than doveadm's JSON. Dovecot 2.3 leaves a request with a wrong
// key unanswered: every call has its timeout.
class DoveadmApi {
public:
    virtual ~DoveadmApi() = default;
    virtual MailboxQuota quota(const DoveadmEndpoint& at, const std::string& user) = 0;
    // Every message of the mailbox, in every folder.
    virtual std::vector<StoredMessage> messages(const DoveadmEndpoint& at, const std::string& user) = 0;
};

class HttpDoveadmApi : public DoveadmApi {
public:
    // `quotaTimeout`: a quota read (the monitoring cycle's, kept short); `fetchTimeout`: a mailbox's
    // messages (the export).
    explicit HttpDoveadmApi(std::chrono::milliseconds quotaTimeout = std::chrono::seconds(5),
                            std::chrono::milliseconds fetchTimeout = std::chrono::seconds(120));
    MailboxQuota quota(const DoveadmEndpoint& at, const std::string& user) override;
    std::vector<StoredMessage> messages(const DoveadmEndpoint& at, const std::string& user) override;

private:
    std::chrono::milliseconds quotaTimeout_;
    std::chrono::milliseconds fetchTimeout_;
};

}  // namespace chatiere::manager
