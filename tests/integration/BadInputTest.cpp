#include "TestDaemon.h"
#include "chatiere/manager/Database.h"

#include <Poco/Data/Statement.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <gtest/gtest.h>

using namespace chatiere::testing;
using namespace Poco::Data::Keywords;

namespace {

// Business data that a refused request must leave unchanged.
std::string snapshot(chatiere::manager::Database& db) {
    auto s = db.session();
    std::string out;
    for (const char* query : {"SELECT group_concat(id || status || name, ',') FROM associations",
                              "SELECT group_concat(id || email_key || name, ',') FROM users",
                              "SELECT group_concat(association_id || user_id || role, ',') FROM memberships",
                              "SELECT group_concat(slug || version, ',') FROM plans"}) {
        Poco::Nullable<std::string> value;
        s << query, into(value), now;
        out += (value.isNull() ? std::string("-") : value.value()) + "|";
    }
    return out;
}

std::string signupBody(const std::string& association, const std::string& manager, bool acceptTerms = true) {
    return R"({"association": )" + association + R"(, "manager": )" + manager + R"(, "accept_terms": )" +
           (acceptTerms ? "true" : "false") + "}";
}

const std::string kAssociation = R"({"name": "Asso", "kind": "association", "email": "contact@asso.test"})";
const std::string kManager =
    R"({"name": "Alex", "email": "alex@asso.test", "password": "correct horse battery"})";

class BadInput : public ::testing::Test {
protected:
    void SetUp() override {
        d_ = std::make_unique<TestDaemon>();
        admin_ = std::make_unique<ApiClient>(d_->staffClient("admin@chatons.test"));
        d_->signup("Première", "first@premiere.test");
        ASSERT_EQ(admin_->post("/api/v1/plans", R"({"slug": "p1", "name": "P1", "prices": []})").status, 201);
        before_ = snapshot(d_->daemon().database());
    }
    void expectUnchanged() { EXPECT_EQ(snapshot(d_->daemon().database()), before_); }
    ApiResponse signup(const std::string& body) { return d_->client().post("/api/v1/signup", body); }

    std::unique_ptr<TestDaemon> d_;
    std::unique_ptr<ApiClient> admin_;
    std::string before_;
};

}  // namespace

TEST_F(BadInput, MalformedJson) {
    const auto r = signup(R"({"association": {"name": )");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.errorCode(), "invalid_json");
    EXPECT_EQ(signup("[1, 2]").status, 400);
    expectUnchanged();
}

TEST_F(BadInput, MissingFieldsAreEachNamed) {
    const auto r = signup(signupBody(R"({"kind": "association"})", R"({"name": "Alex"})"));
    EXPECT_EQ(r.status, 400);
    const auto fields = r.fieldErrors();
    EXPECT_EQ(fields.at("association.name"), "missing");
    EXPECT_EQ(fields.at("association.email"), "missing");
    EXPECT_EQ(fields.at("manager.email"), "missing");
    EXPECT_EQ(fields.at("manager.password"), "missing");
    expectUnchanged();
}

TEST_F(BadInput, InvalidSiren) {
    const auto r = signup(signupBody(
        R"({"name": "Asso", "kind": "association", "email": "contact@asso.test", "siren": "732829321"})",
        kManager));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.fieldErrors().at("association.siren"), "invalid_siren");
    expectUnchanged();
}

TEST_F(BadInput, InvalidRna) {
    const auto r = signup(signupBody(
        R"({"name": "Asso", "kind": "association", "email": "contact@asso.test", "rna": "W2C1234567"})",
        kManager));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.fieldErrors().at("association.rna"), "invalid_rna");
    expectUnchanged();
}

TEST_F(BadInput, InvalidEmailKindPasswordAndPlan) {
    const auto r = signup(R"({"association": {"name": "Asso", "kind": "club", "email": "not-an-email"},
        "manager": {"name": "Alex", "email": "alex@", "password": "short"}, "plan": "nope", "accept_terms": true})");
    EXPECT_EQ(r.status, 400);
    const auto fields = r.fieldErrors();
    EXPECT_EQ(fields.at("association.kind"), "invalid_kind");
    EXPECT_EQ(fields.at("association.email"), "invalid_email");
    EXPECT_EQ(fields.at("manager.email"), "invalid_email");
    EXPECT_EQ(fields.at("manager.password"), "weak_password");
    EXPECT_EQ(fields.at("plan"), "unknown_plan");
    expectUnchanged();
}

TEST_F(BadInput, DuplicateEmailInAnotherCase) {
    const auto r = signup(signupBody(
        kAssociation,
        R"({"name": "Alex", "email": "FIRST@Premiere.TEST", "password": "correct horse battery"})"));
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.errorCode(), "email_taken");
    EXPECT_EQ(r.fieldErrors().at("manager.email"), "email_taken");
    expectUnchanged();
}

TEST_F(BadInput, TermsNotAccepted) {
    const auto r = signup(signupBody(kAssociation, kManager, false));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.fieldErrors().at("accept_terms"), "terms_not_accepted");
    expectUnchanged();
}

TEST_F(BadInput, WrongContentType) {
    const auto r = d_->client().request("POST", "/api/v1/signup", signupBody(kAssociation, kManager),
                                        "application/x-www-form-urlencoded");
    EXPECT_EQ(r.status, 415);
    EXPECT_EQ(r.errorCode(), "unsupported_media_type");
    expectUnchanged();
}

TEST_F(BadInput, TwoMebibyteBodyIsRefusedBeforeItIsRead) {
    // Only the headers and a first slice are sent: the answer must come without the rest.
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(d_->daemon().port()));
    Poco::Net::HTTPRequest request("POST", "/api/v1/signup", Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(2 * 1024 * 1024);
    std::ostream& out = session.sendRequest(request);
    out << std::string(64 * 1024, ' ') << std::flush;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string body;
    Poco::StreamCopier::copyToString(in, body);
    EXPECT_EQ(response.getStatus(), 413);
    EXPECT_NE(body.find("payload_too_large"), std::string::npos);

    // A chunked body (no Content-Length) is counted while read.
    Poco::Net::HTTPClientSession chunked("127.0.0.1", static_cast<Poco::UInt16>(d_->daemon().port()));
    Poco::Net::HTTPRequest request2("POST", "/api/v1/signup", Poco::Net::HTTPMessage::HTTP_1_1);
    request2.setContentType("application/json");
    request2.setChunkedTransferEncoding(true);
    std::ostream& out2 = chunked.sendRequest(request2);
    const std::string piece(64 * 1024, ' ');
    try {
        for (int i = 0; i < 32; ++i) {
            out2 << piece;
        }
        out2.flush();
    } catch (const Poco::Exception&) {
        // The server may close once it has seen too much; its answer is still there to read.
    }
    Poco::Net::HTTPResponse response2;
    chunked.receiveResponse(response2);
    EXPECT_EQ(response2.getStatus(), 413);
    expectUnchanged();
}

TEST_F(BadInput, SixWrongPasswordsAreThrottled) {
    ApiClient c = d_->client();
    const std::string wrong = R"({"email": "first@premiere.test", "password": "wrong password here"})";
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(c.post("/api/v1/sessions", wrong).status, 401) << "attempt " << i + 1;
    }
    const auto sixth = c.post("/api/v1/sessions", wrong);
    EXPECT_EQ(sixth.status, 429);
    EXPECT_EQ(sixth.errorCode(), "too_many_attempts");
    ASSERT_TRUE(sixth.headers.count("Retry-After"));
    EXPECT_GT(std::stoi(sixth.headers.at("Retry-After")), 0);
    // Locked even with the right password, until the lock expires.
    const std::string right = R"({"email": "first@premiere.test", "password": "correct horse battery"})";
    EXPECT_EQ(c.post("/api/v1/sessions", right).status, 429);
    d_->clock().advance(std::chrono::seconds(d_->settings().loginLockSeconds + 1));
    EXPECT_EQ(c.post("/api/v1/sessions", right).status, 201);
    expectUnchanged();
}

TEST_F(BadInput, BadPlans) {
    EXPECT_EQ(admin_->post("/api/v1/plans", R"({"slug": "p1", "name": "Again", "prices": []})").status, 409);
    const auto negative = admin_->post(
        "/api/v1/plans",
        R"({"slug": "p2", "name": "P2", "prices": [{"interval": "month", "kind": "association", "amount_cents": -1}]})");
    EXPECT_EQ(negative.status, 400);
    EXPECT_EQ(negative.fieldErrors().at("prices.0.amount_cents"), "invalid_amount");
    EXPECT_EQ(admin_->put("/api/v1/plans/nope", R"({"name": "X", "prices": []})").status, 404);
    EXPECT_EQ(admin_->put("/api/v1/plans/p1", R"({"slug": "p9", "name": "X", "prices": []})").status, 400);
    expectUnchanged();
}

TEST_F(BadInput, UnknownRoutesAndMethods) {
    EXPECT_EQ(d_->client().get("/api/v1/nothing-here").status, 404);
    EXPECT_EQ(d_->client().del("/api/v1/plans").status, 405);
    expectUnchanged();
}

// A body the handler never read (a route that takes none, a refusal before the body was looked
// at) must not be read as the next request of the kept-alive connection.
TEST_F(BadInput, ABodyLeftUnreadIsNotTheNextRequest) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(d_->daemon().port()));
    session.setKeepAlive(true);
    const auto exchange = [&session](const std::string& method, const std::string& path,
                                     const std::string& body, const std::string& token) {
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setKeepAlive(true);
        if (!token.empty()) {
            request.set("Authorization", "Bearer " + token);
        }
        if (!body.empty()) {
            request.setContentType("application/json");
            request.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::string answer;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), answer);
        return std::make_pair(static_cast<int>(response.getStatus()), answer);
    };
    // Refused before the body is read (no credentials), then a request on the same connection.
    EXPECT_EQ(exchange("POST", "/api/v1/tokens", R"({"name": "laptop"})", "").first, 401);
    auto next = exchange("GET", "/api/v1/status", "", "");
    EXPECT_EQ(next.first, 200) << next.second;
    // A route that takes no body, answered without reading the one it was sent.
    EXPECT_EQ(exchange("POST", "/api/v1/me/totp", R"({"ignored": true})", admin_->token()).first, 409);
    next = exchange("GET", "/api/v1/me", "", admin_->token());
    EXPECT_EQ(next.first, 200) << next.second;
    expectUnchanged();
}
