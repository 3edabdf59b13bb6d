#include "domain/CommandFields.h"

#include <gtest/gtest.h>

using namespace chatiere::manager;

namespace {

// The field errors (field → code) of a check, thrown as one Validation error.
std::map<std::string, std::string> thrown(const FieldErrors& errors) {
    try {
        errors.throwIfAny();
    } catch (const Error& e) {
        std::map<std::string, std::string> out;
        for (const auto& f : e.fields()) {
            out[f.field] = f.code;
        }
        return out;
    }
    return {};
}

}  // namespace

TEST(CommandFields, TextIsTrimmed) {
    FieldErrors errors;
    CommandFields f(errors);
    EXPECT_EQ(f.text("name", "  site \n", true, 40), "site");
    EXPECT_TRUE(errors.empty());
}

TEST(CommandFields, EmptyRequiredTextIsMissingAndOptionalIsAbsent) {
    FieldErrors errors;
    CommandFields f(errors, "manager");
    EXPECT_FALSE(f.text("name", " ", true));
    EXPECT_FALSE(f.text("line2", "", false));
    EXPECT_EQ(thrown(errors), (std::map<std::string, std::string>{{"manager.name", "missing"}}));
}

TEST(CommandFields, TooLongTextIsRefused) {
    FieldErrors errors;
    CommandFields f(errors);
    EXPECT_FALSE(f.text("plan", std::string(41, 'a'), true, 40));
    EXPECT_EQ(thrown(errors), (std::map<std::string, std::string>{{"plan", "too_long"}}));
}

TEST(CommandFields, AbsentRequiredValueIsMissing) {
    FieldErrors errors;
    CommandFields f(errors);
    EXPECT_EQ(f.required<int64_t>("amount_cents", 12), 12);
    EXPECT_FALSE(f.required<int64_t>("days", std::nullopt));
    EXPECT_EQ(thrown(errors), (std::map<std::string, std::string>{{"days", "missing"}}));
}
