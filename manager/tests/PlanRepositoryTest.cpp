// The plans' store: a plan read back is the version last written, each version keeps its own body
// (a parsed body is kept by its text, so a new version is never answered with an older one's).

#include "chatiere/manager/Database.h"
#include "store/Plans.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace chatiere::manager;

namespace {

class PlanRepositoryTest : public ::testing::Test {
protected:
    PlanRepositoryTest() : dir_(makeDir()), db((dir_ / "p.db").string()) { db.migrate(); }
    ~PlanRepositoryTest() override { std::filesystem::remove_all(dir_); }

    static Plan petite(int64_t services) {
        Plan plan;
        plan.slug = "petite";
        plan.name = {"Formule", "Plan"};
        plan.templates = {"website"};
        plan.quotas["services"] = QuotaLimit{services, services + 1};
        plan.free = true;
        return plan;
    }

private:
    static std::filesystem::path makeDir() {
        char tmpl[] = "/tmp/chatiere-plans-XXXXXX";
        return mkdtemp(tmpl);
    }
    std::filesystem::path dir_;

protected:
    Database db;
};

TEST_F(PlanRepositoryTest, EachReadAnswersTheVersionItReads) {
    auto s = db.session();
    PlanRepository plans(s);
    Plan first = petite(2);
    plans.create(first, "2026-01-01T00:00:00Z");
    for (int i = 0; i < 2; ++i) {  // the second read is answered from the parsed body
        const auto found = plans.find("petite");
        ASSERT_TRUE(found);
        EXPECT_EQ(found->version, 1);
        EXPECT_EQ(found->quotas.at("services").included, 2);
        EXPECT_EQ(found->updatedAt, "2026-01-01T00:00:00Z");
    }
    Plan second = petite(3);
    plans.update(second, "2026-02-01T00:00:00Z");
    const auto now = plans.find("petite");
    ASSERT_TRUE(now);
    EXPECT_EQ(now->version, 2);
    EXPECT_EQ(now->quotas.at("services").included, 3);
    EXPECT_EQ(now->createdAt, "2026-01-01T00:00:00Z");
    EXPECT_EQ(now->updatedAt, "2026-02-01T00:00:00Z");
    const auto old = plans.findVersion("petite", 1);
    ASSERT_TRUE(old);
    EXPECT_EQ(old->version, 1);
    EXPECT_EQ(old->quotas.at("services").included, 2);
    EXPECT_EQ(old->updatedAt, "2026-01-01T00:00:00Z");
    // The same body under another plan is that plan's.
    Plan other = petite(2);
    other.slug = "autre";
    plans.create(other, "2026-03-01T00:00:00Z");
    const auto list = plans.list();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].slug, "autre");
    EXPECT_EQ(list[0].createdAt, "2026-03-01T00:00:00Z");
    EXPECT_EQ(list[1].slug, "petite");
    EXPECT_EQ(list[1].version, 2);
}

}  // namespace
