// The lifecycles' names (core/States.h): every state round-trips through its name, an unknown word
// is refused, and the names are exactly those the migrated schema's CHECK constraints allow.

#include "chatiere/manager/Database.h"
#include "chatiere/manager/Error.h"
#include "core/States.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>

namespace chatiere::testing {
namespace {

using namespace manager;

template <typename E>
void expectRoundTrips() {
    std::set<std::string> seen;
    for (const E state : allStates<E>()) {
        const std::string& name = wireName(state);
        SCOPED_TRACE(name);
        EXPECT_FALSE(name.empty());
        EXPECT_TRUE(seen.insert(name).second) << "two states share a name";
        EXPECT_EQ(parseState<E>(name), state);
        EXPECT_EQ(storedState<E>(name, "t.c"), state);
        EXPECT_EQ(requestedState<E>(name, "status"), state);
    }
}

template <typename E>
void expectRefused(const std::string& text) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(parseState<E>(text).has_value());
    try {
        storedState<E>(text, "things.status");
        ADD_FAILURE() << "an unknown stored state was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Internal);
        EXPECT_NE(std::string(e.what()).find("things.status"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("'" + text + "'"), std::string::npos) << e.what();
    }
    try {
        requestedState<E>(text, "status");
        ADD_FAILURE() << "an unknown filter was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
        EXPECT_EQ(e.code(), "invalid_status");
        EXPECT_NE(std::string(e.what()).find("'" + text + "'"), std::string::npos) << e.what();
    }
}

template <typename E>
std::set<std::string> namesOf() {
    std::set<std::string> out;
    for (const E state : allStates<E>())
        out.insert(wireName(state));
    return out;
}

TEST(States, EveryStateRoundTripsThroughItsName) {
    expectRoundTrips<AssociationStatus>();
    expectRoundTrips<ServiceState>();
    expectRoundTrips<ServiceHealth>();
    expectRoundTrips<JobStatus>();
    expectRoundTrips<SubscriptionStatus>();
    expectRoundTrips<InvoiceStatus>();
    expectRoundTrips<MailStatus>();
    expectRoundTrips<TlsStatus>();
}

TEST(States, UnknownNamesAreRefused) {
    for (const std::string text : {"", "Active", "ACTIVE", " active", "active ", "suspended_", "bogus"}) {
        expectRefused<AssociationStatus>(text);
        expectRefused<ServiceState>(text);
        expectRefused<ServiceHealth>(text);
        expectRefused<JobStatus>(text);
        expectRefused<SubscriptionStatus>(text);
        expectRefused<InvoiceStatus>(text);
        expectRefused<MailStatus>(text);
        expectRefused<TlsStatus>(text);
    }
    // A state of one lifecycle is not one of another.
    expectRefused<SubscriptionStatus>("pending");
    expectRefused<InvoiceStatus>("active");
    expectRefused<ServiceState>("suspended");  // shown, never stored: see Service::displayState
}

// The names match the values the migrated schema allows: for each lifecycle, the words of the
// `column IN (…)` CHECK constraint of its table, as the migrations left it.
class StatesSchemaTest : public ::testing::Test {
protected:
    StatesSchemaTest() : dir_(makeDir()), db_((dir_ / "s.db").string()) { db_.migrate(); }
    ~StatesSchemaTest() override { std::filesystem::remove_all(dir_); }

    static std::filesystem::path makeDir() {
        char tmpl[] = "/tmp/chatiere-states-XXXXXX";
        return mkdtemp(tmpl);
    }

    // The words of `column IN ('a', 'b', …)` in the table's CREATE statement (or in a later ALTER
    // TABLE … ADD COLUMN, which SQLite folds into the stored CREATE statement).
    std::set<std::string> checked(const std::string& table, const std::string& column) {
        auto s = db_.session();
        const auto sql = s.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table);
        EXPECT_TRUE(sql.has_value()) << table;
        if (!sql)
            return {};
        const std::regex in("CHECK\\s*\\(\\s*" + column + "\\s+IN\\s*\\(([^)]*)\\)");
        std::smatch m;
        EXPECT_TRUE(std::regex_search(*sql, m, in)) << table << "." << column << " has no CHECK: " << *sql;
        std::set<std::string> out;
        const std::string list = m[1];
        const std::regex word("'([^']*)'");
        for (auto it = std::sregex_iterator(list.begin(), list.end(), word); it != std::sregex_iterator();
             ++it) {
            out.insert((*it)[1]);
        }
        return out;
    }

    std::filesystem::path dir_;
    Database db_;
};

TEST_F(StatesSchemaTest, NamesAreThoseTheSchemaAllows) {
    EXPECT_EQ(namesOf<AssociationStatus>(), checked("associations", "status"));
    EXPECT_EQ(namesOf<ServiceState>(), checked("services", "state"));
    EXPECT_EQ(namesOf<ServiceHealth>(), checked("services", "health"));
    EXPECT_EQ(namesOf<JobStatus>(), checked("jobs", "status"));
    EXPECT_EQ(namesOf<SubscriptionStatus>(), checked("subscriptions", "status"));
    EXPECT_EQ(namesOf<InvoiceStatus>(), checked("invoices", "status"));
    EXPECT_EQ(namesOf<MailStatus>(), checked("outbox", "status"));
    EXPECT_EQ(namesOf<TlsStatus>(), checked("certificates", "status"));
}

}  // namespace
}  // namespace chatiere::testing
