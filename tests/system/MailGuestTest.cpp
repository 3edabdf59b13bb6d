// A mail service (Postfix, Dovecot and OpenDKIM on the Debian appliance) as a real QEMU guest on the
// local libvirtd, driven through Chatière's API: mail sent to its SMTP port arrives in the mailbox
// Chatière created, read back over IMAP with its password, accents intact; aliases deliver; an
// unknown address and a full mailbox are refused at RCPT; a mailbox added or changed reaches the
// running guest without a reboot; a suspended mail service keeps its guest running and keeps
// receiving; the mail survives the guest's destruction and recreation; deleting leaves nothing.
// The guest's ports are reached on the host's 127.0.0.1 (the front on port 25, TLS and the DKIM
// check through the front come with it: docs/mail.md). One guest for the whole story.

#include "Eventually.h"
#include "MailClient.h"
#include "SystemGuests.h"
#include "TestDaemon.h"
#include "Unzip.h"

#include <gtest/gtest.h>

#include <map>

using namespace chatiere::testing;

namespace {

constexpr auto kBoot = std::chrono::seconds(300);
const std::string kSubject = "Réunion d'été à Rennes — ordre du jour";
const std::string kBody = "Bonjour à toutes et à tous,\nLa réunion aura lieu à la Fabrique. Ça avance !\n";

int portOf(const ApiResponse& service, const std::string& name) {
    const auto ports = service.json()->getArray("ports");
    for (std::size_t i = 0; i < ports->size(); ++i) {
        if (ports->getObject(static_cast<unsigned>(i))->getValue<std::string>("name") == name) {
            return ports->getObject(static_cast<unsigned>(i))->getValue<int>("host_port");
        }
    }
    return 0;
}

}  // namespace

TEST(MailGuest, MailArrivesIsReadAndSurvivesAndTheGuestLeavesNothingBehind) {
    if (!libvirtdAnswers()) {
        CHATIERE_MISSING_PART(kNoLibvirtd);
    }
    std::string pool;
    TestDaemon d(
        [&pool](chatiere::manager::Settings& s) {
            pool = useRealGuests(s, 22400, 22499, {"mail"});
            s.bootTimeoutSeconds = 300;
        },
        /*startSink=*/true, /*realClock=*/true);
    ApiClient admin = d.staffClient("admin@chatons.test");
    ASSERT_EQ(
        admin
            .post("/api/v1/plans", R"({"slug": "courriel", "name": "Courriel", "free": true, "prices": [],
                      "templates": ["mail"], "quotas": {"mailboxes": {"included": 10, "limit": 10},
                      "mail_gib": {"included": 1, "limit": 1}}})")
            .status,
        201);
    const std::string association =
        d.approvedAssociation(admin, "Les Amis du Jardin", "camille@jardin.test", "courriel");
    ApiClient manager = d.login("camille@jardin.test", "correct horse battery");

    const auto created =
        manager.post("/api/v1/associations/" + association + "/services",
                     R"({"template": "mail", "name": "courrier", "mail_domain": "asso-test.example"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string id = created.json()->getValue<std::string>("id");
    const std::string domain = "chatiere-" + d.daemon().instanceId() + "-" + id;
    const std::string mailboxes = "/api/v1/services/" + id + "/mailboxes";

    // The guest boots, gets its configuration through the agent, and Dovecot answers its health check.
    ApiResponse service;
    const bool settled = eventually(
        [&] {
            service = manager.get("/api/v1/services/" + id);
            const auto state = service.json()->getValue<std::string>("state");
            return state == "active" || state == "failed";
        },
        kBoot + std::chrono::seconds(60));
    ASSERT_TRUE(settled) << service.body;
    ASSERT_EQ(service.json()->getValue<std::string>("state"), "active") << service.body;
    const int smtp = portOf(service, "smtp");
    const int imap = portOf(service, "imap");
    ASSERT_GT(smtp, 0);
    ASSERT_GT(imap, 0);

    // contact@ with a password, and an alias to it: handed to the running guest (no reboot).
    const std::string password = "un mot de passe éprouvé";
    ASSERT_EQ(manager
                  .post(mailboxes, R"({"local_part": "contact", "name": "Accueil", "quota_mib": 50,
                        "password": ")" +
                                       password + R"("})")
                  .status,
              201);
    ASSERT_EQ(manager
                  .post("/api/v1/services/" + id + "/aliases",
                        R"({"local_part": "bureau", "destinations": ["contact"]})")
                  .status,
              201);
    SentMail sent;
    ASSERT_TRUE(eventually(
        [&] {
            sent = sendMail(smtp, "contact@asso-test.example", {.subject = kSubject, .body = kBody});
            return sent.accepted;
        },
        std::chrono::seconds(120)))
        << sent.code << " " << sent.message;

    // Read back over IMAP with that password: Subject and accents intact.
    Inbox inbox;
    ASSERT_TRUE(eventually(
        [&] {
            inbox = fetchMail(imap, "contact@asso-test.example", password);
            return inbox.login == "ok" && !inbox.messages.empty();
        },
        std::chrono::seconds(60)))
        << inbox.login << " " << inbox.message;
    EXPECT_EQ(inbox.messages[0].subject, kSubject);
    EXPECT_EQ(inbox.messages[0].body, kBody);
    EXPECT_EQ(fetchMail(imap, "contact@asso-test.example", "pas le bon mot de passe").login, "refused");

    // The alias delivers to contact@; an unknown address is refused at RCPT.
    EXPECT_TRUE(sendMail(smtp, "bureau@asso-test.example", {.subject = "Pour le bureau"}).accepted);
    const SentMail unknown = sendMail(smtp, "personne@asso-test.example");
    EXPECT_FALSE(unknown.accepted);
    EXPECT_EQ(unknown.code, 550) << unknown.message;
    const SentMail relay = sendMail(smtp, "quelquun@ailleurs.example");
    EXPECT_FALSE(relay.accepted) << "an open relay";
    EXPECT_TRUE(eventually(
        [&] { return fetchMail(imap, "contact@asso-test.example", password).messages.size() == 2; },
        std::chrono::seconds(60)));

    // A 1 MiB mailbox, filled: the next message is refused with a quota error, the first ones kept.
    const auto small = manager.post(mailboxes, R"({"local_part": "petit", "quota_mib": 1})");
    ASSERT_EQ(small.status, 201) << small.body;
    const std::string smallPassword = small.json()->getValue<std::string>("password");
    ASSERT_TRUE(eventually(
        [&] { return sendMail(smtp, "petit@asso-test.example", {.subject = "1", .size = 300000}).accepted; },
        std::chrono::seconds(120)));
    EXPECT_TRUE(sendMail(smtp, "petit@asso-test.example", {.subject = "2", .size = 300000}).accepted);
    EXPECT_TRUE(sendMail(smtp, "petit@asso-test.example", {.subject = "3", .size = 300000}).accepted);
    SentMail full;
    EXPECT_TRUE(eventually(
        [&] {
            full = sendMail(smtp, "petit@asso-test.example", {.subject = "de trop", .size = 300000});
            return !full.accepted;
        },
        std::chrono::seconds(60)));
    EXPECT_TRUE(full.code == 552 || full.code == 452) << full.code << " " << full.message;  // Dovecot's quota
    const Inbox smallInbox = fetchMail(imap, "petit@asso-test.example", smallPassword);
    ASSERT_EQ(smallInbox.login, "ok") << smallInbox.message;
    EXPECT_GE(smallInbox.messages.size(), 3u);
    EXPECT_EQ(smallInbox.messages[0].subject, "1");

    // A password reset reaches the guest: the old one is refused, the new one opens the mailbox.
    const auto reset = manager.request("PATCH", mailboxes + "/petit", R"({"new_password": true})");
    ASSERT_EQ(reset.status, 200) << reset.body;
    const std::string newPassword = reset.json()->getValue<std::string>("password");
    EXPECT_TRUE(
        eventually([&] { return fetchMail(imap, "petit@asso-test.example", newPassword).login == "ok"; },
                   std::chrono::seconds(120)));
    EXPECT_EQ(fetchMail(imap, "petit@asso-test.example", smallPassword).login, "refused");

    // Suspended: the guest keeps running and keeps receiving; resumed, the message is there once.
    ASSERT_TRUE(eventually([&] { return d.daemon().pendingJobs() == 0; }, std::chrono::seconds(120)));
    ASSERT_EQ(manager.post("/api/v1/services/" + id + "/suspend", "{}").status, 202);
    EXPECT_EQ(manager.get("/api/v1/services/" + id).json()->getValue<std::string>("state"), "suspended");
    ASSERT_TRUE(eventually([&] { return d.daemon().pendingJobs() == 0; }, std::chrono::seconds(60)));
    EXPECT_EQ(d.hypervisor().state(domain), chatiere::provisioning::GuestState::Running);
    EXPECT_TRUE(sendMail(smtp, "contact@asso-test.example", {.subject = "Pendant la suspension"}).accepted);
    ASSERT_EQ(manager.post("/api/v1/services/" + id + "/resume", "{}").status, 202);
    EXPECT_TRUE(eventually(
        [&] { return fetchMail(imap, "contact@asso-test.example", password).messages.size() == 3; },
        std::chrono::seconds(60)));

    // Dovecot's quota, read through the guest's doveadm HTTP API by the monitoring cycle.
    ApiResponse listed;
    EXPECT_TRUE(eventually(
        [&] {
            listed = manager.get(mailboxes);
            const auto boxes = listed.json()->getArray("mailboxes");
            for (std::size_t i = 0; i < boxes->size(); ++i) {
                const auto box = boxes->getObject(static_cast<unsigned>(i));
                if (box->getValue<std::string>("address") == "contact@asso-test.example") {
                    return !box->isNull("messages") && box->getValue<int>("messages") == 3 &&
                           box->getValue<double>("used_mib") > 0;
                }
            }
            return false;
        },
        std::chrono::seconds(60)))
        << listed.body;

    // The association's export holds each message, by mailbox and folder, and the aliases.
    {
        const auto exportZip = manager.get("/api/v1/associations/" + association + "/export");
        ASSERT_EQ(exportZip.status, 200) << exportZip.body;
        const auto files = unzip(exportZip.body);
        int messages = 0;
        for (const auto& [name, bytes] : files) {
            if (name.rfind("services/courrier/mail/contact@asso-test.example/INBOX/", 0) == 0 &&
                name.back() != '/') {
                ++messages;
                EXPECT_NE(bytes.find("expediteur@dehors.test"), std::string::npos) << name;
            }
        }
        EXPECT_EQ(messages, 3);
        ASSERT_TRUE(files.count("association.json"));
        EXPECT_NE(files.at("association.json").find("bureau@asso-test.example"), std::string::npos);
    }

    // Destroyed and undefined by hand: the reconciler recreates it from its data volume, mail and all.
    d.hypervisor().destroy(domain);
    d.hypervisor().undefine(domain);
    EXPECT_TRUE(eventually(
        [&] {
            inbox = fetchMail(imap, "contact@asso-test.example", password);
            return inbox.login == "ok" && inbox.messages.size() == 3;
        },
        kBoot))
        << "the mail is lost after the guest's recreation: " << inbox.login << " " << inbox.message;
    EXPECT_EQ(inbox.messages[0].subject, kSubject);
    std::map<std::string, int> subjects;
    for (const auto& m : inbox.messages) {
        ++subjects[m.subject];
    }
    EXPECT_EQ(subjects["Pendant la suspension"], 1);

    // A deleted mailbox: no login, no delivery.
    ASSERT_EQ(manager.del(mailboxes + "/petit@asso-test.example").status, 204);
    EXPECT_TRUE(
        eventually([&] { return fetchMail(imap, "petit@asso-test.example", newPassword).login == "refused"; },
                   std::chrono::seconds(120)));
    EXPECT_EQ(sendMail(smtp, "petit@asso-test.example").code, 550);
    // Made again under the same name: it starts empty (the old mail is kept aside in the guest).
    ASSERT_EQ(manager
                  .post(mailboxes,
                        R"({"local_part": "petit", "quota_mib": 1, "password": "encore un mot de passe"})")
                  .status,
              201);
    Inbox again;
    EXPECT_TRUE(eventually(
        [&] {
            again = fetchMail(imap, "petit@asso-test.example", "encore un mot de passe");
            return again.login == "ok";
        },
        std::chrono::seconds(120)))
        << again.message;
    EXPECT_TRUE(again.messages.empty()) << again.messages.size();

    // Deleted: no domain, no volume, its ports free again.
    ASSERT_TRUE(eventually([&] { return d.daemon().pendingJobs() == 0; }, std::chrono::seconds(120)));
    ASSERT_EQ(manager.del("/api/v1/services/" + id).status, 202);
    EXPECT_TRUE(eventually([&] { return manager.get("/api/v1/services/" + id).status == 404; },
                           std::chrono::seconds(120)));
    EXPECT_EQ(d.hypervisor().state(domain), std::nullopt);
    EXPECT_EQ(d.hypervisor().volume(pool, domain + ".img"), std::nullopt);
    EXPECT_TRUE(d.hypervisor().listOwned(d.daemon().instanceId()).empty());
    EXPECT_EQ(sendMail(smtp, "contact@asso-test.example").code, 0);

    d.stop();
    removePool(pool);
}
