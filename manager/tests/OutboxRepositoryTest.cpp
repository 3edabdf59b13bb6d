// The outbox's repository over a migrated temp SQLite file: a mail written comes back as it was,
// through its claim, a failed attempt and its sending.

#include "chatiere/manager/Database.h"
#include "store/Outbox.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace chatiere::testing {
namespace {

class OutboxRepositoryTest : public ::testing::Test {
protected:
    OutboxRepositoryTest() : dir_(makeDir()), db_((dir_ / "o.db").string()) { db_.migrate(); }
    ~OutboxRepositoryTest() override { std::filesystem::remove_all(dir_); }

    static std::filesystem::path makeDir() {
        char tmpl[] = "/tmp/chatiere-outbox-XXXXXX";
        return mkdtemp(tmpl);
    }

    std::filesystem::path dir_;
    manager::Database db_;
};

TEST_F(OutboxRepositoryTest, AMailRoundTrips) {
    auto s = db_.session();
    manager::OutboxRepository outbox(s);
    const std::string body = "Bonjour,\n\nVotre site « jardin » est prêt.\n";
    const int64_t id = outbox.insert("<abc@chatiere.test>", "camille@jardin.test", "Votre site est prêt",
                                     body, "service-ready", "2026-12-01T08:00:00Z");
    const auto mail = outbox.find(id);
    ASSERT_TRUE(mail.has_value());
    EXPECT_EQ(mail->id, id);
    EXPECT_EQ(mail->messageId, "<abc@chatiere.test>");
    EXPECT_EQ(mail->recipient, "camille@jardin.test");
    EXPECT_EQ(mail->subject, "Votre site est prêt");
    EXPECT_EQ(mail->body, body);
    EXPECT_EQ(mail->templateName, "service-ready");
    EXPECT_EQ(mail->status, manager::MailStatus::Pending);
    EXPECT_EQ(mail->attempts, 0);
    EXPECT_EQ(mail->nextAttemptAt, "2026-12-01T08:00:00Z");
    EXPECT_EQ(mail->createdAt, "2026-12-01T08:00:00Z");
    EXPECT_FALSE(mail->lastError.has_value());
    EXPECT_FALSE(mail->sentAt.has_value());
    EXPECT_FALSE(outbox.find(id + 1).has_value());
}

TEST_F(OutboxRepositoryTest, AMailIsDueClaimedRetriedThenSent) {
    auto s = db_.session();
    manager::OutboxRepository outbox(s);
    const int64_t first = outbox.insert("<1@t>", "a@t", "A", "a", "t", "2026-12-01T08:00:00Z");
    const int64_t second = outbox.insert("<2@t>", "b@t", "B", "b", "t", "2026-12-01T09:00:00Z");

    // Due: only what is due at the time, above the id given, by id.
    auto due = outbox.due("2026-12-01T08:30:00Z", 0, 20);
    ASSERT_EQ(due.size(), 1U);
    EXPECT_EQ(due[0].id, first);
    EXPECT_EQ(outbox.due("2026-12-01T09:00:00Z", 0, 20).size(), 2U);
    EXPECT_EQ(outbox.due("2026-12-01T09:00:00Z", first, 20).size(), 1U);
    EXPECT_EQ(outbox.due("2026-12-01T09:00:00Z", 0, 1).size(), 1U);

    // Claimed: counted and not due before the lease ends.
    outbox.lease(first, 1, "2026-12-01T08:35:00Z");
    EXPECT_TRUE(outbox.due("2026-12-01T08:30:00Z", 0, 20).empty());
    EXPECT_EQ(outbox.find(first)->attempts, 1);

    outbox.markAttemptFailed(first, false, "2026-12-01T08:31:00Z", "421 try later");
    auto mail = outbox.find(first);
    EXPECT_EQ(mail->status, manager::MailStatus::Pending);
    EXPECT_EQ(mail->lastError, "421 try later");
    EXPECT_EQ(mail->nextAttemptAt, "2026-12-01T08:31:00Z");

    outbox.markSent(first, "2026-12-01T08:32:00Z");
    mail = outbox.find(first);
    EXPECT_EQ(mail->status, manager::MailStatus::Sent);
    EXPECT_EQ(mail->sentAt, "2026-12-01T08:32:00Z");
    EXPECT_FALSE(mail->lastError.has_value());

    outbox.markAttemptFailed(second, true, "2026-12-01T09:01:00Z", "550 no such user");
    EXPECT_EQ(outbox.find(second)->status, manager::MailStatus::Failed);
    EXPECT_EQ(outbox.countByStatus(), (std::map<std::string, int>{{"failed", 1}, {"sent", 1}}));
}

}  // namespace
}  // namespace chatiere::testing
