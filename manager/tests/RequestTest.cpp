#include "http/Request.h"

#include "FakeExchange.h"

#include <Poco/String.h>
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

namespace {

// The Set-Cookie lines of a response.
std::vector<std::string> setCookies(const FakeResponse& response) {
    std::vector<std::string> out;
    for (const auto& [name, value] : response) {
        if (Poco::icompare(name, "Set-Cookie") == 0) {
            out.push_back(value);
        }
    }
    return out;
}

struct Exchange {
    std::string peer;
    std::vector<std::string> forwardedFor;  // one X-Forwarded-For line each
    std::optional<std::string> forwardedProto;
    bool publicHttps = false;
};

}  // namespace

// The client's address and scheme, and the cookies' Secure flag, from the peer, the forwarded
// headers and public.url's scheme, through the real http::Request.
TEST(Request, TheClientBehindATrustedProxy) {
    http::Transport proxied;
    proxied.trustedProxies = http::TrustedProxies({"127.0.0.2"});
    struct Row {
        const char* what;
        Exchange in;
        std::string address;
        std::string scheme;
        bool secure;
    };
    const std::vector<Row> rows = {
        {"trusted, https", {"127.0.0.2", {"203.0.113.7"}, "https"}, "203.0.113.7", "https", true},
        {"trusted, http", {"127.0.0.2", {"203.0.113.7"}, "http"}, "203.0.113.7", "http", false},
        {"trusted, two lines: the last",
         {"127.0.0.2", {"198.51.100.1", "203.0.113.7"}, "https"},
         "203.0.113.7",
         "https",
         true},
        {"trusted, a bad address",
         {"127.0.0.2", {"203.0.113.7, nonsense"}, "https"},
         "127.0.0.2",
         "https",
         true},
        {"trusted, no header", {"127.0.0.2", {}, std::nullopt}, "127.0.0.2", "http", false},
        {"untrusted: forged headers ignored",
         {"127.0.0.1", {"203.0.113.7"}, "https"},
         "127.0.0.1",
         "http",
         false},
        {"untrusted, public.url https",
         {"127.0.0.1", {"203.0.113.7"}, "http", true},
         "127.0.0.1",
         "http",
         true},
        {"trusted http, public.url https",
         {"127.0.0.2", {"203.0.113.7"}, "http", true},
         "203.0.113.7",
         "http",
         true},
    };
    for (const auto& row : rows) {
        FakeResponse response;
        FakeRequest raw(response, "");
        raw.setClientAddress(row.in.peer);
        for (const auto& line : row.in.forwardedFor) {
            raw.add("X-Forwarded-For", line);
        }
        if (row.in.forwardedProto) {
            raw.set("X-Forwarded-Proto", *row.in.forwardedProto);
        }
        http::Transport transport = proxied;
        transport.publicHttps = row.in.publicHttps;
        http::Request request(raw, response, {}, transport);
        EXPECT_EQ(request.clientAddress(), row.address) << row.what;
        EXPECT_EQ(request.scheme(), row.scheme) << row.what;
        EXPECT_EQ(request.secureCookies(), row.secure) << row.what;
        request.setCookie(http::cookieName("chatiere_session", request.secureCookies()), "abc", -1);
        const auto cookies = setCookies(response);
        ASSERT_EQ(cookies.size(), 1u) << row.what;
        EXPECT_EQ(cookies[0].find("secure") != std::string::npos, row.secure)
            << row.what << ": " << cookies[0];
        EXPECT_EQ(cookies[0].rfind("__Host-chatiere_session=abc", 0) == 0, row.secure)
            << row.what << ": " << cookies[0];
    }
}

TEST(Request, WithoutTrustedProxiesThePeerIsTheClient) {
    FakeResponse response;
    FakeRequest raw(response, "");
    raw.setClientAddress("127.0.0.2");
    raw.set("X-Forwarded-For", "203.0.113.7");
    raw.set("X-Forwarded-Proto", "https");
    http::Request request(raw, response, {});
    EXPECT_EQ(request.clientAddress(), "127.0.0.2");
    EXPECT_EQ(request.scheme(), "http");
    EXPECT_FALSE(request.secureCookies());
}
