// The pages' words: both catalogues hold the same keys, every key a template or the code uses
// exists, no French is left in the English pages and no English in the French ones; and the
// renderer escapes what it is given.

#include "web/PageRenderer.h"
#include "web/Translations.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace chatiere::manager::web;

namespace {

const std::filesystem::path kWeb = std::filesystem::path(CHATIERE_SOURCE_DIR) / "web-admin";

TEST(WebCatalogue, BothLanguagesHaveEveryKeyAndNoEmptyText) {
    const Translations words(kWeb / "i18n");
    EXPECT_TRUE(Translations::missingKeys(words.of("fr"), words.of("en")).empty());
    EXPECT_TRUE(Translations::missingKeys(words.of("en"), words.of("fr")).empty());
    for (const char* lang : {"fr", "en"}) {
        for (const auto& [key, text] : words.of(lang)) {
            EXPECT_FALSE(text.empty()) << lang << " " << key;
        }
    }
}

TEST(WebCatalogue, AMissingKeyStopsTheStart) {
    const auto dir = std::filesystem::temp_directory_path() / "chatiere-i18n-test";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "fr.json") << R"({"a": "un", "b": "deux"})";
    std::ofstream(dir / "en.json") << R"({"a": "one"})";
    try {
        Translations t(dir);
        FAIL() << "accepted a catalogue without 'b'";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("en.json lacks 'b'"), std::string::npos) << e.what();
    }
    std::filesystem::remove_all(dir);
}

TEST(WebCatalogue, EveryKeyTheTemplatesAndTheCodeUseExists) {
    const Translations words(kWeb / "i18n");
    const auto& fr = words.of("fr");
    std::set<std::string> used;
    const std::regex key(R"(\{\{[#^/]?t\.([a-z0-9_]+)\}\})");
    for (const auto& entry : std::filesystem::directory_iterator(kWeb / "templates")) {
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        const std::string s = text.str();
        for (std::sregex_iterator it(s.begin(), s.end(), key), end; it != end; ++it) {
            used.insert((*it)[1].str());
        }
    }
    EXPECT_GT(used.size(), 40u);
    // Keys the code builds from data.
    for (const char* k : {"plan_price_month",
                          "plan_price_year",
                          "plan_kind_association",
                          "plan_kind_individual",
                          "plan_kind_other",
                          "plan_quota_services",
                          "plan_quota_disk_gib",
                          "plan_quota_memory_mib",
                          "plan_quota_vcpus",
                          "signup_kind_association",
                          "signup_kind_individual",
                          "signup_kind_other",
                          "error_missing",
                          "error_too_long",
                          "error_wrong_type",
                          "error_invalid_email",
                          "error_invalid_kind",
                          "error_invalid_rna",
                          "error_invalid_siren",
                          "error_weak_password",
                          "error_terms_not_accepted",
                          "error_unknown_plan",
                          "error_email_taken",
                          "error_invalid",
                          "error_not_found",
                          "error_forbidden",
                          "error_internal",
                          "verify_ok",
                          "verify_failed",
                          "login_failed",
                          "login_locked",
                          "logged_out",
                          "signup_done_pending",
                          "signup_done_active",
                          "sub_preview_new",
                          "sub_preview_upgrade",
                          "sub_preview_downgrade",
                          "sub_done_subscribed",
                          "sub_done_changed",
                          "sub_done_cancelled",
                          "error_below_floor",
                          "error_invalid_amount",
                          "error_no_change",
                          "error_already_subscribed",
                          "error_no_price",
                          "error_not_pay_what_you_can",
                          "error_no_subscription",
                          "error_association_not_active",
                          "error_subscription_ended",
                          "error_invalid_interval",
                          "forgot_sent",
                          "reset_invalid",
                          "reset_done",
                          "alert_warning",
                          "alert_critical",
                          "alert_kind_health",
                          "alert_kind_quota",
                          "alert_kind_host",
                          "association_status_pending",
                          "association_status_active",
                          "association_status_suspended",
                          "association_status_closed",
                          "association_status_rejected",
                          "invoice_status_overdue",
                          "invoice_kind_invoice",
                          "admin_run_done",
                          "admin_invoice_finalized",
                          "admin_invoice_paid",
                          "admin_invoice_credited",
                          "payment_method_transfer",
                          "payment_method_cheque",
                          "payment_method_cash",
                          "payment_method_card",
                          "payment_method_helloasso",
                          "error_invalid_date",
                          "error_invalid_method",
                          "error_already_finalized",
                          "error_above_remaining",
                          "error_invoice_paid",
                          "error_invoice_draft",
                          "error_invoice_cancelled",
                          "error_not_an_invoice",
                          "plans_name_fr",
                          "plans_name_en",
                          "plans_description_fr",
                          "plans_description_en",
                          "plans_price_amount",
                          "plans_price_membership",
                          "plans_price_floor",
                          "plans_saved",
                          "plans_slug",
                          "plans_trial_days",
                          "plans_quota_included",
                          "plans_quota_limit",
                          "plans_overage_disk_gib",
                          "plans_edit_title",
                          "plans_new_title",
                          "error_invalid_slug",
                          "error_plan_exists",
                          "error_invalid_floor",
                          "error_invalid_quota",
                          "error_included_above_limit",
                          "error_invalid_trial",
                          "error_invalid_template",
                          "error_duplicate_price",
                          "members_invited",
                          "members_withdrawn",
                          "invitation_invalid",
                          "error_already_member",
                          "error_wrong_account",
                          "status_title",
                          "status_severity_warning",
                          "status_severity_critical",
                          "status_kind_host",
                          "status_kind_service",
                          "dash_history",
                          "dash_history_max",
                          "dash_history_latest",
                          "dash_history_gaps",
                          "dash_history_none",
                          "dash_history_no_data",
                          "dash_history_unit",
                          "login_expired",
                          "login_wrong_code",
                          "login_wrong_recovery_code",
                          "security_removed",
                          "security_wrong_password",
                          "security_wrong_code",
                          "security_qr_label"}) {
        used.insert(k);
    }
    for (const auto& k : used) {
        EXPECT_TRUE(fr.count(k)) << "no translation for " << k;
    }
}

TEST(WebCatalogue, NoFrenchInEnglishAndNoEnglishInFrench) {
    const Translations words(kWeb / "i18n");
    // Words that mark a language; names (Chatière, CHATONS) and the language switch are exempt.
    const std::regex french(R"((é|è|à|ç|ù|ê|\b(le|la|les|des|du|vous|votre|nos|est|pour)\b))");
    const std::regex english(R"(\b(the|and|your|you|our|is|are|of|to|with|this)\b)", std::regex::icase);
    const std::set<std::string> exempt = {"site_name", "language_switch", "language_switch_label"};
    for (const auto& [key, text] : words.of("en")) {
        if (!exempt.count(key)) {
            std::string plain = std::regex_replace(text, std::regex("Chatière"), "");
            EXPECT_FALSE(std::regex_search(plain, french)) << "French in en." << key << ": " << text;
        }
    }
    for (const auto& [key, text] : words.of("fr")) {
        if (!exempt.count(key)) {
            EXPECT_FALSE(std::regex_search(text, english)) << "English in fr." << key << ": " << text;
        }
        // A few words are the same in both languages.
        static const std::set<std::string> same = {"plan_kind_association",
                                                   "plan_quota_services",
                                                   "signup_kind_association",
                                                   "metric_services",
                                                   "dash_services",
                                                   "dash_create_template",
                                                   "dash_col_actions",
                                                   "dash_col_date",
                                                   "nav_admin",
                                                   "admin_col_association",
                                                   "admin_col_contact",
                                                   "admin_associations_title",
                                                   "admin_col_message",
                                                   "alert_kind_quota",
                                                   "payment_method_helloasso",
                                                   "audit_action",
                                                   "plans_version",
                                                   "plans_quotas",
                                                   "invitation_title",
                                                   "admin_services_title",
                                                   "dash_pads",
                                                   "pads_title",
                                                   "pads_col_name",
                                                   "admin_col_cert_service",
                                                   "alert_kind_proxy",
                                                   "dns_col_type",
                                                   "mail_col_messages"};
        if (!exempt.count(key) && !same.count(key)) {
            EXPECT_NE(text, words.text("en", key)) << "untranslated: " << key;
        }
    }
}

TEST(WebCatalogue, TheRendererEscapesWhatItIsGiven) {
    const Translations words(kWeb / "i18n");
    const PageRenderer renderer(kWeb / "templates", words);
    mstch::map data;
    data.emplace("heading", std::string("<script>alert(1)</script>"));
    data.emplace("message", std::string("\"quoted\" & <b>bold</b>"));
    data.emplace("alert", true);
    mstch::map frame;
    frame.emplace("title", std::string("Titre <i>"));
    frame.emplace("csrf_token", std::string("tok"));
    frame.emplace("signed_in", false);
    frame.emplace("switch_lang", std::string("en"));
    frame.emplace("switch_href", std::string("/?lang=en"));
    const std::string html = renderer.render("message", "fr", data, frame);
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), std::string::npos);
    EXPECT_NE(html.find("&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;&#x2F;b&gt;"), std::string::npos);
    EXPECT_NE(html.find("<title>Titre &lt;i&gt; · Chatière</title>"), std::string::npos);
    EXPECT_NE(html.find("<html lang=\"fr\">"), std::string::npos);
    EXPECT_NE(html.find("Aller au contenu"), std::string::npos);
}

// What the renderer did before the words were compiled in: the catalogue under `t` in both
// contexts, every template handed as a partial.
std::string renderWithWordsInContext(const std::string& page, const std::string& lang,
                                     const Translations& words, mstch::map data, mstch::map frame) {
    std::map<std::string, std::string> templates;
    for (const auto& entry : std::filesystem::directory_iterator(kWeb / "templates")) {
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        templates[entry.path().stem().string()] = text.str();
    }
    mstch::map t;
    for (const auto& [key, value] : words.of(lang)) {
        t.emplace(key, value);
    }
    data.emplace("t", t);
    frame.emplace("t", t);
    frame.emplace("lang", lang);
    frame.emplace("content", mstch::render(templates.at(page), data, templates));
    return mstch::render(templates.at("layout"), frame, templates);
}

TEST(WebCatalogue, TheWordsCompiledInRenderEveryPageAsInTheContext) {
    const Translations words(kWeb / "i18n");
    const PageRenderer renderer(kWeb / "templates", words);
    const std::regex section(R"(\{\{#([a-z0-9_]+)\}\})");
    int pages = 0;
    for (const auto& entry : std::filesystem::directory_iterator(kWeb / "templates")) {
        const std::string page = entry.path().stem().string();
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        const std::string s = text.str();
        // Once with every section of the page shown, once with none.
        mstch::map shown;
        for (std::sregex_iterator it(s.begin(), s.end(), section), end; it != end; ++it) {
            shown.emplace((*it)[1].str(), true);
        }
        for (const auto& data : {shown, mstch::map{}}) {
            for (const char* lang : {"fr", "en"}) {
                mstch::map frame;
                frame.emplace("title", std::string("Titre"));
                frame.emplace("signed_in", !data.empty());
                frame.emplace("staff", !data.empty());
                EXPECT_EQ(renderer.render(page, lang, data, frame),
                          renderWithWordsInContext(page, lang, words, data, frame))
                    << page << " " << lang;
                EXPECT_EQ(renderer.compiled(page, lang).find("{{t."), std::string::npos) << page;
            }
        }
        ++pages;
    }
    EXPECT_GT(pages, 20);
    // The words are escaped as Mustache escapes a value.
    EXPECT_NE(renderer.compiled("layout", "fr").find("Aller au contenu"), std::string::npos);
}

TEST(WebCatalogue, AWordThatWouldBecomeATagStopsTheStart) {
    const auto dir = std::filesystem::temp_directory_path() / "chatiere-i18n-tag-test";
    std::filesystem::create_directories(dir / "templates");
    std::ofstream(dir / "fr.json") << R"({"a": "un {{b}}"})";
    std::ofstream(dir / "en.json") << R"({"a": "one"})";
    std::ofstream(dir / "templates" / "layout.mustache") << "{{t.a}} {{{content}}}";
    const Translations words(dir);
    try {
        PageRenderer renderer(dir / "templates", words);
        FAIL() << "accepted a word holding {{";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("fr 'a' holds {{"), std::string::npos) << e.what();
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
