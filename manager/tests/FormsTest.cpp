#include "web/Forms.h"

#include "chatiere/manager/Error.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

using chatiere::manager::Error;
using chatiere::manager::ErrorKind;
using namespace chatiere::manager::web;

namespace {

// The error code a form body is refused with; "" when it is read.
std::string refusal(const std::function<void()>& read) {
    try {
        read();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
        return e.code();
    }
    return "";
}

Poco::Net::HTTPRequest multipartRequest() {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/upload");
    request.setContentType("multipart/form-data; boundary=chatiere");
    return request;
}

}  // namespace

TEST(Forms, AnUrlencodedFormIsReadIntoItsFields) {
    const auto form = readUrlencodedForm("csrf_token=abc&email=alice%40example.org&name=p%C3%A9+x&empty=");
    EXPECT_EQ(form.get("email"), "alice@example.org");
    EXPECT_EQ(form.get("name"), "p\xC3\xA9 x");
    EXPECT_EQ(form.get("empty"), "");
}

// Found by fuzz_form (its corpus: regression-bad-escape): Poco's exception went up to the router,
// a 500 for a bad request.
TEST(Forms, AnUnreadableUrlencodedFormIsABadRequest) {
    EXPECT_EQ(refusal([] { readUrlencodedForm("name=%zz"); }), "invalid_form");
    std::string many;
    for (int i = 0; i < 101; ++i) {
        many += "f" + std::to_string(i) + "=x&";
    }
    EXPECT_EQ(refusal([&] { readUrlencodedForm(many); }), "invalid_form");
}

TEST(Forms, AMultipartFormGivesItsFileApart) {
    const std::string body =
        "--chatiere\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n"
        "--chatiere\r\nContent-Disposition: form-data; name=\"file\"; filename=\"site.zip\"\r\n"
        "Content-Type: application/zip\r\n\r\nPK\x03\x04\r\n--chatiere--\r\n";
    std::string file;
    const auto form = readMultipartForm(multipartRequest(), body, "file", file);
    EXPECT_EQ(form.get("csrf_token"), "abc");
    EXPECT_EQ(file, "PK\x03\x04");
}

// Found by fuzz_multipart (its corpus: regression-truncated): as for urlencoded forms, a 500.
TEST(Forms, AnUnreadableMultipartFormIsABadRequest) {
    std::string file;
    EXPECT_EQ(
        refusal([&] { readMultipartForm(multipartRequest(), "--chatiere\r\n\r\n--chatiere", "file", file); }),
        "invalid_form");
}
