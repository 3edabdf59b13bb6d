// Billing end to end on the real HTTP server, a real SQLite file and a real loopback SMTP server,
// the daemon's clock moved by hand: an association subscribes on 31 January, upgrades mid-February,
// stores more than its plan includes in March and pays late in April. The exact invoices are
// compared with a golden file (CHATIERE_REGENERATE_GOLDEN=1 rewrites it, to be reviewed like code);
// the reminders, the `unpaid` suspension and the automatic resumption are checked as they happen.

#include "Eventually.h"
#include "Golden.h"
#include "TestDaemon.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Time.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kWeb = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000},
               {"interval": "year", "kind": "association", "amount_cents": 10000, "membership_cents": 1500}],
    "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}},
    "overage": {"disk_gib": {"unit_cents": 50}}})";
const std::string kPlus = R"({"slug": "asso-plus", "name": {"fr": "Site web plus", "en": "Website plus"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 2000}],
    "quotas": {"services": {"included": 3, "limit": 4}, "disk_gib": {"included": 3, "limit": 10}},
    "overage": {"disk_gib": {"unit_cents": 50}}})";

TimePoint at(const std::string& text) {
    return parseTime(text).value();
}

class BillingScenario : public ::testing::Test {
protected:
    BillingScenario()
        : d_([](Settings& s) {
              s.sessionTtlHours = 24 * 365;
              s.monitoringIntervalSeconds = 3600;
              s.billing.runIntervalSeconds = 86400;
              s.billing.sellerName = "Fab'Lab du Pays";
              s.billing.sellerAddress = {"1 rue de la Fabrique", "35000 Rennes"};
              s.billing.sellerRna = "W351234567";
              s.billing.iban = "FR76 3000 6000 0112 3456 7890 189";
          }) {}

    void SetUp() override {
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        treasurer_ = std::make_unique<ApiClient>(d_.staffClient("tresorier@chatons.test", "treasurer"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kWeb).status, 201);
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlus).status, 201);
        association_ = d_.approvedAssociation(*admin_, "Jardin partagé", "camille@jardin.test", "asso-web");
        manager_ = std::make_unique<ApiClient>(d_.login("camille@jardin.test", "correct horse battery"));
    }

    std::vector<Poco::JSON::Object::Ptr> invoices() {
        const auto r = manager_->get("/api/v1/invoices?association=" + association_);
        EXPECT_EQ(r.status, 200) << r.body;
        std::vector<Poco::JSON::Object::Ptr> out;
        const auto items = r.json()->getArray("invoices");
        for (std::size_t i = items->size(); i-- > 0;) {  // oldest first
            out.push_back(items->getObject(static_cast<unsigned>(i)));
        }
        return out;
    }

    Poco::JSON::Object::Ptr run() {
        const auto r = treasurer_->post("/api/v1/billing/run", "{}");
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json();
    }

    void pay(const std::string& invoiceId, int64_t cents, int expected = 201) {
        const auto r = treasurer_->post("/api/v1/invoices/" + invoiceId + "/payments",
                                        R"({"amount_cents": )" + std::to_string(cents) +
                                            R"(, "method": "transfer", "reference": "virement"})");
        EXPECT_EQ(r.status, expected) << r.body;
    }

    std::string suspendedFor(const std::string& serviceId) {
        const auto r = manager_->get("/api/v1/services/" + serviceId);
        std::ostringstream out;
        r.json()->getArray("suspended_for")->stringify(out);
        return out.str();
    }

    // Every invoice as the association sees it, in words: what the golden file holds.
    std::string describeAll() {
        std::ostringstream out;
        for (const auto& summary : invoices()) {
            const auto i = manager_->get("/api/v1/invoices/" + summary->getValue<std::string>("id")).json();
            out << i->getValue<std::string>("number") << " " << i->getValue<std::string>("kind") << " "
                << i->getValue<std::string>("status") << " issued " << i->getValue<std::string>("issue_date")
                << " due " << i->optValue<std::string>("due_date", "-") << " period "
                << i->optValue<std::string>("period_start", "-") << ".."
                << i->optValue<std::string>("period_end", "-") << "\n";
            const auto lines = i->getArray("lines");
            for (std::size_t n = 0; n < lines->size(); ++n) {
                const auto l = lines->getObject(static_cast<unsigned>(n));
                out << "  " << l->getValue<std::string>("kind") << " | "
                    << l->getObject("description")->getValue<std::string>("fr") << " | "
                    << l->getValue<int64_t>("quantity_milli") << " × "
                    << l->getValue<int64_t>("unit_price_cents") << " = "
                    << l->getValue<int64_t>("amount_cents") << "\n";
            }
            out << "  total " << i->getValue<int64_t>("total_cents") << " paid "
                << i->getValue<int64_t>("paid_cents") << " due " << i->getValue<int64_t>("due_cents") << "\n";
        }
        return out.str();
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_;
    std::unique_ptr<ApiClient> treasurer_;
    std::unique_ptr<ApiClient> manager_;
    std::string association_;
};

TEST_F(BillingScenario, SubscribeUpgradeOverageLatePaymentSuspensionAndResumption) {
    d_.clock().set(at("2027-01-31T09:00:00Z"));
    // 31 January: the first month is invoiced at once, in advance.
    const auto subscribed = manager_->post("/api/v1/associations/" + association_ + "/subscriptions",
                                           R"({"plan": "asso-web", "interval": "month"})");
    ASSERT_EQ(subscribed.status, 201) << subscribed.body;
    const std::string subscription = subscribed.json()->getValue<std::string>("id");
    // The service comes with the subscription.
    const auto created = manager_->post("/api/v1/associations/" + association_ + "/services",
                                        R"({"template": "website", "name": "site"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string service = created.json()->getValue<std::string>("id");
    auto list = invoices();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]->getValue<std::string>("number"), "F-2027-000001");
    EXPECT_EQ(list[0]->getValue<std::string>("period_end"), "2027-02-28");
    d_.clock().set(at("2027-02-05T09:00:00Z"));
    pay(list[0]->getValue<std::string>("id"), 1000);

    // 14 February: the upgrade costs the difference for the 14 days left of 28, on its own invoice.
    d_.clock().set(at("2027-02-14T09:00:00Z"));
    const auto preview = manager_->get("/api/v1/subscriptions/" + subscription + "/preview?plan=asso-plus");
    ASSERT_EQ(preview.status, 200) << preview.body;
    EXPECT_EQ(preview.json()->getValue<std::string>("kind"), "upgrade");
    EXPECT_EQ(preview.json()->getValue<int64_t>("amount_cents"), 500);
    EXPECT_EQ(preview.json()->getValue<int>("days"), 14);
    EXPECT_EQ(preview.json()->getValue<int>("period_days"), 28);
    const auto changed =
        manager_->post("/api/v1/subscriptions/" + subscription + "/change", R"({"plan": "asso-plus"})");
    ASSERT_EQ(changed.status, 200) << changed.body;
    EXPECT_EQ(changed.json()->getObject("invoice")->getValue<int64_t>("total_cents"), 500);
    pay(changed.json()->getObject("invoice")->getValue<std::string>("id"), 500);

    // 28 February: March's period (to 31 March, anchored on the 31st) at the new price.
    d_.clock().set(at("2027-02-28T09:00:00Z"));
    EXPECT_EQ(run()->getValue<int>("invoices"), 1);

    // March: 4.5 GiB stored every day, 1.5 above the 3 included.
    {
        auto s = d_.daemon().database().session();
        for (std::string day = "2027-02-28"; day < "2027-03-31"; day = Calendar::addDays(day, 1)) {
            s << "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, "
                 "stored_bytes_avg, "
                 "stored_bytes_max) VALUES (?, ?, 1440, 0, ?, ?)",
                bind(association_), bind(day), bind(int64_t{9} << 29), bind(int64_t{9} << 29), now;
        }
    }
    d_.clock().set(at("2027-03-31T08:00:00Z"));
    const auto march = run();
    EXPECT_EQ(march->getValue<int>("invoices"), 1);
    EXPECT_EQ(march->getValue<int64_t>("total_cents"), 2075);

    // April: March's invoice (due 30 March) is not paid: reminders at D+7 and D+15, then suspension.
    const std::string thirdId = invoices()[2]->getValue<std::string>("id");
    const std::size_t before = d_.sink().messages().size();
    d_.clock().set(at("2027-04-06T08:00:00Z"));
    EXPECT_EQ(run()->getValue<int>("reminders"), 1);
    EXPECT_EQ(run()->getValue<int>("reminders"), 0);  // each step once
    d_.clock().set(at("2027-04-14T08:00:00Z"));
    EXPECT_EQ(run()->getValue<int>("reminders"), 1);
    d_.clock().set(at("2027-04-29T08:00:00Z"));
    EXPECT_EQ(run()->getValue<int>("suspended"), 1);
    EXPECT_EQ(suspendedFor(service), R"(["unpaid"])");
    // The managers got the two reminders and the suspension notice (other mails may come between,
    // such as the notice that the service stopped).
    const auto aboutThird = [&] {
        int n = 0;
        const auto mails = d_.sink().messages();
        for (std::size_t i = before; i < mails.size(); ++i) {
            n += mails[i].to == "camille@jardin.test" &&
                 mails[i].body.find("F-2027-000003") != std::string::npos;
        }
        return n;
    };
    EXPECT_TRUE(eventually([&] { return aboutThird() >= 3; }, std::chrono::seconds(20))) << aboutThird();

    // The payment settles the account: the `unpaid` reason goes, and only it.
    pay(thirdId, 2000);
    EXPECT_EQ(suspendedFor(service), "[]");
    pay(thirdId, 2000, 409);  // already paid
    // An overpayment of April's invoice stays as credit.
    const auto fourth = invoices()[3];
    const auto overpaid =
        treasurer_->post("/api/v1/invoices/" + fourth->getValue<std::string>("id") + "/payments",
                         R"({"amount_cents": 2100, "method": "cheque", "reference": "chq 42"})");
    ASSERT_EQ(overpaid.status, 201) << overpaid.body;
    EXPECT_EQ(overpaid.json()->getValue<std::string>("status"), "paid");
    EXPECT_EQ(overpaid.json()->getValue<int64_t>("credit_balance_cents"), 25);

    // Running again bills nothing twice.
    EXPECT_EQ(run()->getValue<int>("invoices"), 0);

    expectGolden(describeAll(), std::filesystem::path(CHATIERE_SOURCE_DIR) /
                                    "tests/integration/golden/billing_scenario.txt");
}

}  // namespace
