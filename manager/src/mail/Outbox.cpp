#include "chatiere/manager/Outbox.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "chatiere/manager/Time.h"
#include "store/Outbox.h"

#include <Poco/Logger.h>

#include <algorithm>

namespace chatiere::manager {

namespace {
constexpr auto kLease = std::chrono::minutes(5);  // a claimed mail is retried after this if the sender died
constexpr int kBatch = 20;

std::chrono::seconds backoff(int attempts) {
    const int exponent = std::clamp(attempts - 1, 0, 7);  // 30 s, 1, 2, 4, 8, 16, 32 min, then 1 h
    return std::min(std::chrono::seconds(30 << exponent), std::chrono::seconds(3600));
}
}  // namespace

Outbox::Outbox(const MailTemplates& templates, base::Clock& clock, std::string hostName)
    : templates_(templates), clock_(clock), hostName_(std::move(hostName)) {}

int64_t Outbox::enqueue(Session& session, const OutgoingMail& mail) {
    auto vars = mail.vars;
    vars.emplace("host_name", hostName_);
    const RenderedMail rendered = templates_.render(mail.templateName, mail.lang, vars);
    const std::string messageId = "<" + base32(secureRandomBytes(15)) + "@" + hostName_ + ">";
    const std::string at = formatTime(clock_.now());
    return OutboxRepository(session).insert(messageId, mail.to, rendered.subject, rendered.body,
                                            mail.templateName, at);
}

OutboxWorker::OutboxWorker(Database& db, Mailer& mailer, std::string from, base::Clock& clock,
                           int intervalSeconds, int maxAttempts, Poco::Logger& logger)
    : db_(db),
      mailer_(mailer),
      from_(std::move(from)),
      clock_(clock),
      maxAttempts_(maxAttempts),
      logger_(logger),
      task_(
          std::chrono::seconds(intervalSeconds),
          [this] {
              deliverDue();
              return false;  // what failed waits for its backoff: the next interval
          },
          [this](const std::exception& e) {
              logger_.error("outbox pass failed: %s", std::string(e.what()));
          }) {}

OutboxWorker::~OutboxWorker() {
    stop();
}

// The first pass comes at once: mail left over from before a restart.
void OutboxWorker::start() {
    task_.start();
}

void OutboxWorker::stop() {
    task_.stop();
}

void OutboxWorker::wake() {
    task_.wake();
}

int OutboxWorker::deliverDue() {
    int sent = 0;
    int64_t lastSeen = 0;
    while (true) {
        struct Claimed {
            int64_t id;
            int attempts;
            MailMessage message;
        };
        std::vector<Claimed> batch;
        {
            auto s = db_.session();
            Transaction tx(s);
            OutboxRepository outbox(s);
            for (auto& mail : outbox.due(formatTime(clock_.now()), lastSeen, kBatch)) {
                batch.push_back({mail.id,
                                 mail.attempts + 1,
                                 {std::move(mail.messageId), "", std::move(mail.recipient),
                                  std::move(mail.subject), std::move(mail.body)}});
            }
            const std::string lease = formatTime(clock_.now() + kLease);
            for (const auto& c : batch) {
                outbox.lease(c.id, c.attempts, lease);
            }
            tx.commit();
        }
        if (batch.empty()) {
            return sent;
        }
        for (auto& c : batch) {
            lastSeen = std::max(lastSeen, c.id);
            c.message.from = from_;
            try {
                mailer_.send(c.message);
                auto s = db_.session();
                OutboxRepository(s).markSent(c.id, formatTime(clock_.now()));
                ++sent;
            } catch (const MailError& e) {
                const bool giveUp = e.permanent() || c.attempts >= maxAttempts_;
                auto s = db_.session();
                OutboxRepository(s).markAttemptFailed(
                    c.id, giveUp, formatTime(clock_.now() + backoff(c.attempts)), e.what());
                logger_.warning("mail %s to %s: attempt %d %s: %s", c.message.messageId, c.message.to,
                                c.attempts, std::string(giveUp ? "failed for good" : "will be retried"),
                                std::string(e.what()));
            }
        }
    }
}

OutboxWorker::Counts OutboxWorker::counts() {
    auto s = db_.session();
    const auto byStatus = OutboxRepository(s).countByStatus();
    const auto count = [&](const char* status) {
        const auto it = byStatus.find(status);
        return it == byStatus.end() ? 0 : it->second;
    };
    Counts c;
    c.pending = count("pending");
    c.sent = count("sent");
    c.failed = count("failed");
    return c;
}

}  // namespace chatiere::manager
