#include "http/Request.h"

#include "FakeExchange.h"

#include <gtest/gtest.h>

using chatiere::manager::Error;
using chatiere::manager::ErrorKind;
using chatiere::testing::FakeRequest;
using chatiere::testing::FakeResponse;
namespace http = chatiere::manager::http;

TEST(Request, TheQueryAndTheLanguage) {
    FakeResponse response;
    FakeRequest raw(response, "");
    raw.setURI("/api/v1/status?lang=en&x=%C3%A9");
    http::Request request(raw, response, {});
    EXPECT_EQ(request.query("x"), "\xC3\xA9");
    EXPECT_EQ(http::languageOf(request), "en");

    raw.setURI("/api/v1/status");
    raw.set("Accept-Language", "de-DE, en;q=0.8, fr;q=0.5");
    http::Request accepting(raw, response, {});
    EXPECT_EQ(http::languageOf(accepting), "en");
}

// Found by fuzz_accept_language (its corpus: regression-bad-escape-in-query): the router checks
// the path's escapes, not the query's, and Poco's exception became a 500.
TEST(Request, AQueryThatCannotBeDecodedIsABadRequest) {
    FakeResponse response;
    FakeRequest raw(response, "");
    raw.setURI("/api/v1/status?lang=%zz");
    try {
        http::Request request(raw, response, {});
        FAIL() << "a bad escape was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
        EXPECT_EQ(e.code(), "bad_uri");
    }
}

TEST(Request, CookiesAreReadByName) {
    FakeResponse response;
    FakeRequest raw(response, "");
    raw.set("Cookie", "chatiere_lang=en; chatiere_session=abc; ;=x");
    http::Request request(raw, response, {});
    EXPECT_EQ(request.cookie("chatiere_session"), "abc");
    EXPECT_EQ(request.cookie("chatiere_lang"), "en");
    EXPECT_EQ(request.cookie("chatiere_csrf"), std::nullopt);
}
