// One map from a failure to the CLI's exit code (sysexits.h), whether the CLI failed itself
// (exitCodeOf) or the daemon answered with an error status (exitCodeOfStatus).

#include "chatiere/manager/Error.h"

#include <gtest/gtest.h>

#include <map>

using namespace chatiere::manager;

TEST(ExitCode, EveryKindHasItsSysexitsCodeAndItsStatusGivesTheSame) {
    // EX_USAGE 64, EX_DATAERR 65, EX_NOINPUT 66, EX_UNAVAILABLE 69, EX_SOFTWARE 70, EX_TEMPFAIL 75,
    // EX_NOPERM 77.
    const std::map<ErrorKind, std::pair<int, int>> table = {
        {ErrorKind::BadRequest, {400, 65}},
        {ErrorKind::Validation, {400, 65}},
        {ErrorKind::Unauthenticated, {401, 77}},
        {ErrorKind::Forbidden, {403, 77}},
        {ErrorKind::NotFound, {404, 66}},
        {ErrorKind::MethodNotAllowed, {405, 64}},
        {ErrorKind::Conflict, {409, 65}},
        {ErrorKind::PayloadTooLarge, {413, 65}},
        {ErrorKind::UnsupportedMediaType, {415, 65}},
        {ErrorKind::TooManyRequests, {429, 75}},
        {ErrorKind::Unavailable, {503, 69}},
        {ErrorKind::Internal, {500, 70}},
    };
    ASSERT_EQ(table.size(), 12u) << "every ErrorKind";
    for (const auto& [kind, expected] : table) {
        const auto [status, exitCode] = expected;
        SCOPED_TRACE(status);
        EXPECT_EQ(httpStatusOf(kind), status);
        EXPECT_EQ(exitCodeOf(kind), exitCode);
        EXPECT_EQ(exitCodeOfStatus(httpStatusOf(kind)), exitCodeOf(kind)) << "the CLI and the daemon agree";
        if (kind != ErrorKind::Validation) {  // both 400: the status says BadRequest
            EXPECT_EQ(errorKindOfStatus(status), kind);
        }
    }
}

TEST(ExitCode, StatusesTheApiDoesNotSendStillMapToAMeaning) {
    for (const int ok : {200, 201, 202, 204}) {
        EXPECT_EQ(exitCodeOfStatus(ok), 0) << ok;
        EXPECT_FALSE(errorKindOfStatus(ok).has_value());
    }
    EXPECT_EQ(exitCodeOfStatus(302), 65);
    EXPECT_EQ(exitCodeOfStatus(418), 65);
    EXPECT_EQ(exitCodeOfStatus(500), 70) << "the daemon failed: EX_SOFTWARE, not EX_UNAVAILABLE";
    EXPECT_EQ(exitCodeOfStatus(501), 70);
    EXPECT_EQ(exitCodeOfStatus(502), 69) << "a proxy found no daemon";
    EXPECT_EQ(exitCodeOfStatus(503), 69);
    EXPECT_EQ(exitCodeOfStatus(504), 69);
}
