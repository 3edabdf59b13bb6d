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

// Found by fuzz_settings (its corpus: regression-empty-key-part): a key starting with '.' made
// the key listing recurse without end, a stack overflow instead of a message.
TEST(Settings, AKeyWithAnEmptyPartIsRefused) {
    for (const std::string key : {".key", "http..port", "http.port."}) {
        try {
            Settings::fromConfiguration(*config({{key, "1"}}));
            FAIL() << key << " was accepted";
        } catch (const SettingsError& e) {
            EXPECT_NE(std::string(e.what()).find("empty part"), std::string::npos) << e.what();
        }
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
             {"http.trusted_proxies", "127.0.0.2,localhost"},
             {"billing.payment_methods", "transfer,bitcoin"},
             {"billing.payment_methods", ""},
             {"http.timeout_seconds", "0"},
             {"provisioning.max_attempts", "0"},
             {"provisioning.max_attempts", "many"},
             {"provisioning.backoff_cap_seconds", "0"},
             {"provisioning.lease_seconds", "5"},
             {"provisioning.shutdown_timeout_seconds", "0"},
             {"services.upload_max_mib", "0"},
             {"services.upload_max_mib", "1.5"},
             {"monitoring.health_timeout_seconds", "301"},
             {"quota.hysteresis_percent", "101"},
             {"quota.hysteresis_percent", "49"},
             {"public.ipv4", "2001:db8::1"},
             {"public.ipv4", "hote.example"},
             {"public.ipv6", "192.0.2.1"}}) {
        try {
            Settings::fromConfiguration(*config({{key, value}}));
            FAIL() << key << "=" << value << " must be refused";
        } catch (const SettingsError& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    }
}

TEST(Settings, TrustedProxiesAreIpAddressesAndNotEmptyByChance) {
    const Settings unset = Settings::fromConfiguration(*config({}));
    EXPECT_EQ(unset.trustedProxies, std::nullopt);
    EXPECT_EQ(unset.trustedProxiesInEffect(), std::vector<std::string>{});
    const Settings set =
        Settings::fromConfiguration(*config({{"http.trusted_proxies", " 127.0.0.2, 2001:DB8::7 "}}));
    EXPECT_EQ(set.trustedProxiesInEffect(), (std::vector<std::string>{"127.0.0.2", "2001:db8::7"}));
    const Settings none = Settings::fromConfiguration(*config({{"http.trusted_proxies", ""}}));
    EXPECT_EQ(none.trustedProxies, std::vector<std::string>{});
}

TEST(Settings, TheHostsPublicAddressesAreOfTheirFamily) {
    const Settings unset = Settings::fromConfiguration(*config({}));
    EXPECT_EQ(unset.publicIpv4, "");
    EXPECT_EQ(unset.publicIpv6, "");
    const Settings set = Settings::fromConfiguration(
        *config({{"public.ipv4", "192.0.2.10"}, {"public.ipv6", "2001:DB8::10"}}));
    EXPECT_EQ(set.publicIpv4, "192.0.2.10");
    EXPECT_EQ(set.publicIpv6, "2001:db8::10");
}

// A guest's connections arrive from the host's loopback (QEMU user networking): trusting it would
// let any guest claim any client address. The message names the setting and the value.
TEST(Settings, TrustedProxiesNeverAnAddressAGuestCanAppearFrom) {
    for (const std::string value :
         {"127.0.0.1", "::1", "0.0.0.0", "::", "127.0.0.2, 127.0.0.1", "::ffff:127.0.0.1"}) {
        try {
            Settings::fromConfiguration(*config({{"http.trusted_proxies", value}}));
            FAIL() << value << " was accepted";
        } catch (const SettingsError& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find("http.trusted_proxies"), std::string::npos) << what;
            EXPECT_NE(what.find(value), std::string::npos) << what;
            EXPECT_NE(what.find("may not be trusted"), std::string::npos) << what;
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
    // Every default is written out in the shipped file, with the value the code has.
    const Settings defaults;
    EXPECT_EQ(s.httpTimeoutSeconds, defaults.httpTimeoutSeconds);
    EXPECT_EQ(s.provisioningMaxAttempts, defaults.provisioningMaxAttempts);
    EXPECT_EQ(s.provisioningBackoffCapSeconds, defaults.provisioningBackoffCapSeconds);
    EXPECT_EQ(s.provisioningLeaseSeconds, defaults.provisioningLeaseSeconds);
    EXPECT_EQ(s.shutdownTimeoutSeconds, defaults.shutdownTimeoutSeconds);
    EXPECT_EQ(s.uploadMaxMib, defaults.uploadMaxMib);
    EXPECT_EQ(s.healthTimeoutSeconds, defaults.healthTimeoutSeconds);
    EXPECT_EQ(s.quotaHysteresisPercent, defaults.quotaHysteresisPercent);
    EXPECT_EQ(s.volumeRefreshSeconds, defaults.volumeRefreshSeconds);
}

TEST(Settings, VolumeRefreshIsFiveMinutesZeroMeansEveryCycle) {
    EXPECT_EQ(Settings::fromConfiguration(*config({})).volumeRefreshSeconds, 300);
    EXPECT_EQ(Settings::fromConfiguration(*config({{"monitoring.volume_refresh_seconds", "0"}}))
                  .volumeRefreshSeconds,
              0);
    EXPECT_THROW(Settings::fromConfiguration(*config({{"monitoring.volume_refresh_seconds", "-1"}})),
                 SettingsError);
}

// What was hard-coded is a setting now, its old value the default.
TEST(Settings, FormerlyHardCodedValuesHaveTheirOldDefaults) {
    const Settings s = Settings::fromConfiguration(*config({}));
    EXPECT_EQ(s.httpTimeoutSeconds, 30);
    EXPECT_EQ(s.provisioningMaxAttempts, 5);
    EXPECT_EQ(s.provisioningBackoffCapSeconds, 60);
    EXPECT_EQ(s.provisioningLeaseSeconds, 600);
    EXPECT_EQ(s.shutdownTimeoutSeconds, 20);
    EXPECT_EQ(s.uploadMaxMib, 256);
    EXPECT_EQ(s.uploadMaxBytes(), 256u * 1024 * 1024);
    EXPECT_EQ(s.healthTimeoutSeconds, 0);
    EXPECT_EQ(s.quotaHysteresisPercent, 95);
}

TEST(Settings, FormerlyHardCodedValuesAreRead) {
    const Settings s = Settings::fromConfiguration(*config({{"http.timeout_seconds", "12"},
                                                            {"provisioning.max_attempts", "9"},
                                                            {"provisioning.backoff_cap_seconds", "300"},
                                                            {"provisioning.lease_seconds", "120"},
                                                            {"provisioning.shutdown_timeout_seconds", "45"},
                                                            {"services.upload_max_mib", "1024"},
                                                            {"monitoring.health_timeout_seconds", "3"},
                                                            {"quota.hysteresis_percent", "90"}}));
    EXPECT_EQ(s.httpTimeoutSeconds, 12);
    EXPECT_EQ(s.provisioningMaxAttempts, 9);
    EXPECT_EQ(s.provisioningBackoffCapSeconds, 300);
    EXPECT_EQ(s.provisioningLeaseSeconds, 120);
    EXPECT_EQ(s.shutdownTimeoutSeconds, 45);
    EXPECT_EQ(s.uploadMaxBytes(), std::size_t{1024} * 1024 * 1024);
    EXPECT_EQ(s.healthTimeoutSeconds, 3);
    EXPECT_EQ(s.quotaHysteresisPercent, 90);
}

// A lease no longer than a clean shutdown's wait would let a running job look abandoned.
TEST(Settings, TheLeaseMustOutlastAShutdown) {
    try {
        Settings::fromConfiguration(
            *config({{"provisioning.lease_seconds", "60"}, {"provisioning.shutdown_timeout_seconds", "60"}}));
        FAIL() << "a lease as long as the shutdown wait must be refused";
    } catch (const SettingsError& e) {
        EXPECT_NE(std::string(e.what()).find("provisioning.lease_seconds"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("provisioning.shutdown_timeout_seconds"), std::string::npos);
    }
}

TEST(Settings, StaffNeedASecondFactorUnlessTurnedOff) {
    EXPECT_TRUE(Settings::fromConfiguration(*config({})).requireTotpForStaff);
    EXPECT_FALSE(
        Settings::fromConfiguration(*config({{"auth.require_totp_for_staff", "false"}})).requireTotpForStaff);
    EXPECT_THROW(Settings::fromConfiguration(*config({{"auth.require_totp_for_staff", "sometimes"}})),
                 SettingsError);
}
