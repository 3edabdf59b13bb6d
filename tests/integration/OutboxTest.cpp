#include "TestDaemon.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/MailTemplates.h"
#include "chatiere/manager/Outbox.h"
#include "chatiere/manager/SmtpMailer.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

using namespace chatiere::testing;
using namespace chatiere::manager;

namespace {

class OutboxFixture : public ::testing::Test {
protected:
    explicit OutboxFixture(std::string refuse = "") : refuse_(std::move(refuse)) {}

    void SetUp() override {
        sink_ = std::make_unique<SmtpSink>(dir_.path() / "mail", 0, refuse_);
        db_ = std::make_unique<Database>((dir_.path() / "o.db").string());
        db_->migrate();
        SmtpSettings smtp;
        smtp.port = sink_->port();
        smtp.tls = SmtpSettings::Tls::Never;
        mailer_ = std::make_unique<SmtpMailer>(smtp);
        templates_ =
            std::make_unique<MailTemplates>(std::filesystem::path(CHATIERE_SOURCE_DIR) / "web-admin/mail");
        outbox_ = std::make_unique<Outbox>(*templates_, clock_, "chatons.test");
        worker_ = std::make_unique<OutboxWorker>(*db_, *mailer_, "Chatière <chatiere@chatons.test>", clock_,
                                                 3600, 3, Poco::Logger::get("test"));
    }

    int64_t enqueue(const std::string& to, bool commit = true) {
        auto s = db_->session();
        Transaction tx(s);
        const int64_t id =
            outbox_->enqueue(s, {to,
                                 "signup_rejected",
                                 "fr",
                                 {{"name", "Léa"}, {"association", "Club Été"}, {"reason", "Complet"}}});
        if (commit) {
            tx.commit();
        }
        return id;
    }

    std::string refuse_;
    TempDir dir_;
    chatiere::base::ManualClock clock_{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24}};
    std::unique_ptr<SmtpSink> sink_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<SmtpMailer> mailer_;
    std::unique_ptr<MailTemplates> templates_;
    std::unique_ptr<Outbox> outbox_;
    std::unique_ptr<OutboxWorker> worker_;
};

class Outbox550 : public OutboxFixture {
protected:
    Outbox550() : OutboxFixture("550") {}
};

class Outbox451 : public OutboxFixture {
protected:
    Outbox451() : OutboxFixture("451") {}
};

}  // namespace

TEST_F(OutboxFixture, DeliversUtf8MailWithItsMessageId) {
    enqueue("lea@club.test");
    EXPECT_EQ(worker_->deliverDue(), 1);
    const auto mails = sink_->messages();
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(mails[0].subject, "Votre inscription pour Club Été n'a pas été retenue");
    EXPECT_NE(mails[0].body.find("Complet"), std::string::npos);
    EXPECT_NE(mails[0].body.find("L'équipe chatons.test"), std::string::npos);
    EXPECT_NE(mails[0].from.find("chatiere@chatons.test"), std::string::npos);
    EXPECT_EQ(mails[0].messageId.front(), '<');
    EXPECT_EQ(worker_->deliverDue(), 0);
}

TEST_F(OutboxFixture, MailOfARolledBackChangeIsNeverSent) {
    enqueue("ghost@club.test", /*commit=*/false);
    EXPECT_EQ(worker_->deliverDue(), 0);
    EXPECT_EQ(worker_->counts().pending, 0);
    EXPECT_TRUE(sink_->messages().empty());
}

TEST_F(OutboxFixture, ConcurrentSendersSendEachMailOnce) {
    for (int i = 0; i < 30; ++i) {
        enqueue("m" + std::to_string(i) + "@club.test");
    }
    int a = 0, b = 0;
    std::thread first([&] { a = worker_->deliverDue(); });
    std::thread second([&] { b = worker_->deliverDue(); });
    first.join();
    second.join();
    EXPECT_EQ(a + b, 30);
    const auto mails = sink_->waitForMessages(30);
    EXPECT_EQ(mails.size(), 30u);
    std::set<std::string> ids;
    for (const auto& m : mails) {
        ids.insert(m.messageId);
    }
    EXPECT_EQ(ids.size(), 30u);
}

TEST_F(OutboxFixture, TheBackgroundThreadSendsWhenWokenAndStopsAtOnce) {
    worker_->start();
    enqueue("lea@club.test");
    worker_->wake();
    EXPECT_EQ(sink_->waitForMessages(1).size(), 1u);
    worker_->stop();
    worker_->stop();  // idempotent
}

TEST_F(Outbox550, PermanentRefusalMarksTheMailFailed) {
    enqueue("nobody@club.test");
    EXPECT_EQ(worker_->deliverDue(), 0);
    const auto counts = worker_->counts();
    EXPECT_EQ(counts.failed, 1);
    EXPECT_EQ(counts.pending, 0);
}

TEST_F(Outbox451, TemporaryRefusalIsRetriedWithBackoffThenGivenUp) {
    enqueue("later@club.test");
    EXPECT_EQ(worker_->deliverDue(), 0);
    EXPECT_EQ(worker_->counts().pending, 1);
    EXPECT_EQ(worker_->deliverDue(), 0);  // not due yet
    clock_.advance(std::chrono::seconds(31));
    EXPECT_EQ(worker_->deliverDue(), 0);  // second attempt, refused again
    EXPECT_EQ(worker_->counts().pending, 1);
    clock_.advance(std::chrono::seconds(61));
    worker_->deliverDue();  // third attempt: max_attempts is 3
    EXPECT_EQ(worker_->counts().failed, 1);
}
