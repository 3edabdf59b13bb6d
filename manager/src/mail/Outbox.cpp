#include "chatiere/manager/Outbox.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "chatiere/manager/Time.h"
#include "domain/Rows.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Logger.h>

#include <algorithm>

using namespace Poco::Data::Keywords;

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
    session << "INSERT INTO outbox (message_id, recipient, subject, body, template, status, attempts, "
               "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
        bind(messageId), bind(mail.to), bind(rendered.subject), bind(rendered.body), bind(mail.templateName),
        bind(at), bind(at), now;
    Poco::Int64 id = 0;
    session << "SELECT last_insert_rowid()", into(id), now;
    return id;
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
    Poco::Int64 lastSeen = 0;
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
            const std::string nowText = formatTime(clock_.now());
            Poco::Data::Statement select(s);
            select << "SELECT id, message_id, recipient, subject, body, attempts FROM outbox "
                      "WHERE status = 'pending' AND next_attempt_at <= ? AND id > ? ORDER BY id LIMIT ?",
                bind(nowText), bind(lastSeen), bind(kBatch);
            select.execute();
            Poco::Data::RecordSet rs(select);
            for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
                Claimed c;
                c.id = integer(rs, "id");
                c.attempts = static_cast<int>(integer(rs, "attempts")) + 1;
                c.message = {text(rs, "message_id"), "", text(rs, "recipient"), text(rs, "subject"),
                             text(rs, "body")};
                batch.push_back(std::move(c));
            }
            const std::string lease = formatTime(clock_.now() + kLease);
            for (const auto& c : batch) {
                s << "UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?", bind(c.attempts),
                    bind(lease), bind(c.id), now;
            }
            tx.commit();
        }
        if (batch.empty()) {
            return sent;
        }
        for (auto& c : batch) {
            lastSeen = std::max<Poco::Int64>(lastSeen, c.id);
            c.message.from = from_;
            try {
                mailer_.send(c.message);
                auto s = db_.session();
                s << "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
                    bind(formatTime(clock_.now())), bind(c.id), now;
                ++sent;
            } catch (const MailError& e) {
                const bool giveUp = e.permanent() || c.attempts >= maxAttempts_;
                auto s = db_.session();
                s << "UPDATE outbox SET status = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
                    bind(std::string(giveUp ? "failed" : "pending")),
                    bind(formatTime(clock_.now() + backoff(c.attempts))), bind(std::string(e.what())),
                    bind(c.id), now;
                logger_.warning("mail %s to %s: attempt %d %s: %s", c.message.messageId, c.message.to,
                                c.attempts, std::string(giveUp ? "failed for good" : "will be retried"),
                                std::string(e.what()));
            }
        }
    }
}

OutboxWorker::Counts OutboxWorker::counts() {
    Counts c;
    auto s = db_.session();
    s << "SELECT COUNT(*) FROM outbox WHERE status = 'pending'", into(c.pending), now;
    s << "SELECT COUNT(*) FROM outbox WHERE status = 'sent'", into(c.sent), now;
    s << "SELECT COUNT(*) FROM outbox WHERE status = 'failed'", into(c.failed), now;
    return c;
}

}  // namespace chatiere::manager
