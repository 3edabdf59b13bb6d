// The one {{name}} engine, used by the mail templates and the templates' domain XML.

#include "chatiere/templates/Substitution.h"

#include <gtest/gtest.h>

using namespace chatiere::templates;

TEST(Substitution, FillsEveryPlaceholderAndLeavesTheRestAsItIs) {
    EXPECT_EQ(substitute("Bonjour {{name}} ! {{name}}, {{n}}.", {{"name", "Léa"}, {"n", "2"}}),
              "Bonjour Léa ! Léa, 2.");
    EXPECT_EQ(substitute("no placeholder { } }}", {}), "no placeholder { } }}");
    EXPECT_EQ(substitute("", {}), "");
    EXPECT_EQ(substitute("{{a}}{{b}}", {{"a", "{{b}}"}, {"b", "x"}}), "{{b}}x")
        << "a value is not read again";
}

TEST(Substitution, PassesEachValueThroughTheRenderer) {
    const auto labelled = [](const std::string& name, const std::string& value) {
        return name + "=" + value;
    };
    EXPECT_EQ(substitute("<{{a}}>", {{"a", "1"}}, labelled), "<a=1>");
    const auto refuse = [](const std::string&, const std::string&) -> std::string {
        throw std::invalid_argument("refused");
    };
    EXPECT_THROW(substitute("{{a}}", {{"a", "1"}}, refuse), std::invalid_argument);
}

TEST(Substitution, NamesWhatCannotBeFilled) {
    try {
        substitute("Bonjour {{name}}", {});
        FAIL() << "no value";
    } catch (const SubstitutionError& e) {
        EXPECT_EQ(e.kind(), SubstitutionError::Kind::NoValue);
        EXPECT_EQ(e.name(), "name");
        EXPECT_STREQ(e.what(), "no value for {{name}}");
    }
    try {
        substitute("Bonjour {{name", {{"name", "x"}});
        FAIL() << "unclosed";
    } catch (const SubstitutionError& e) {
        EXPECT_EQ(e.kind(), SubstitutionError::Kind::Unclosed);
        EXPECT_STREQ(e.what(), "unclosed {{");
    }
}
