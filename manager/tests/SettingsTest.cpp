#include "chatiere/manager/Settings.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <gtest/gtest.h>

using namespace chatiere::manager;

namespace {
Poco::AutoPtr<Poco::Util::MapConfiguration> config(
    std::initializer_list<std::pair<std::string, std::string>> kv) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> c = new Poco::Util::MapConfiguration;
    for (const auto& [k, v] : kv) {
        c->setString(k, v);
    }
    return c;
}
}  // namespace

TEST(Settings, DefaultsWhenEmpty) {
    const Settings s = Settings::fromConfiguration(*config({}));
    EXPECT_EQ(s.httpAddress, "127.0.0.1");
    EXPECT_EQ(s.httpPort, 8470);
    EXPECT_EQ(s.dbPath, "/var/lib/chatiere/chatiere.db");
    EXPECT_FALSE(s.signupAutoApprove);
}

TEST(Settings, ReadsKnownKeys) {
    const Settings s = Settings::fromConfiguration(*config({{"http.port", "0"},
                                                            {"signup.auto_approve", "true"},
                                                            {"smtp.tls", "none"},
                                                            {"public.url", "https://chatons.example.org/"},
                                                            {"logging.loggers.root.level", "debug"}}));
    EXPECT_EQ(s.httpPort, 0);
    EXPECT_TRUE(s.signupAutoApprove);
    EXPECT_EQ(s.smtp.tls, SmtpSettings::Tls::Never);
    EXPECT_EQ(s.publicUrl, "https://chatons.example.org");
}

TEST(Settings, PaymentMethodsDefaultToAllAndKeepTheirOrder) {
    EXPECT_EQ(Settings::fromConfiguration(*config({})).billing.paymentMethods,
              (std::vector<std::string>{"transfer", "cheque", "cash", "card", "helloasso"}));
    EXPECT_EQ(Settings::fromConfiguration(*config({{"billing.payment_methods", "helloasso, cheque"}}))
                  .billing.paymentMethods,
              (std::vector<std::string>{"helloasso", "cheque"}));
}

TEST(Settings, UnknownKeyIsNamed) {
    try {
        Settings::fromConfiguration(*config({{"http.prot", "8080"}}));
        FAIL() << "an unknown key must stop the start";
    } catch (const SettingsError& e) {
        EXPECT_NE(std::string(e.what()).find("http.prot"), std::string::npos);
    }
}

TEST(Settings, BadValuesAreNamed) {
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"http.port", "70000"},
             {"http.port", "eighty"},
             {"signup.auto_approve", "perhaps"},
             {"public.url", "ftp://x"},
             {"smtp.tls", "ssl3"},
             {"db.path", ""},
             {"time_zone", "Europe/Atlantis"},
             {"quota.included_steps", "80,abc"},
             {"quota.limit_steps", "100"},
             {"quota.grace_seconds", "-1"},
             {"metrics.allowed_addresses", "127.0.0.1,localhost"},
             {"billing.payment_methods", "transfer,bitcoin"},
             {"billing.payment_methods", ""}}) {
        try {
            Settings::fromConfiguration(*config({{key, value}}));
            FAIL() << key << "=" << value << " must be refused";
        } catch (const SettingsError& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    }
}

TEST(Settings, MissingFileIsNamed) {
    try {
        Settings::fromFile("/nonexistent/chatiere.properties");
        FAIL();
    } catch (const SettingsError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/chatiere.properties"), std::string::npos);
    }
}

TEST(Settings, MonitoringAndQuotaKeys) {
    const Settings s = Settings::fromConfiguration(*config({{"time_zone", "America/Cayenne"},
                                                            {"quota.included_steps", " 50, 100 "},
                                                            {"quota.limit_steps", ""},
                                                            {"quota.grace_seconds", "0"},
                                                            {"metrics.allowed_addresses", "10.0.0.7, ::1"}}));
    EXPECT_EQ(s.timeZone, "America/Cayenne");
    EXPECT_EQ(s.quotaIncludedSteps, (std::vector<int>{50, 100}));
    EXPECT_TRUE(s.quotaLimitSteps.empty());
    EXPECT_EQ(s.quotaGraceSeconds, 0);
    EXPECT_EQ(s.metricsAllowed, (std::vector<std::string>{"10.0.0.7", "::1"}));
}

TEST(Settings, TheShippedConfigurationIsValid) {
    const Settings s =
        Settings::fromFile(std::string(CHATIERE_SOURCE_DIR) + "/packaging/chatiere.properties");
    EXPECT_EQ(s.timeZone, "Europe/Paris");
    EXPECT_EQ(s.quotaIncludedSteps, (std::vector<int>{80, 100}));
    EXPECT_EQ(s.quotaGraceSeconds, 72 * 3600);
}
