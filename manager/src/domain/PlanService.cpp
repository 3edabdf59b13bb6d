#include "domain/PlanService.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"

namespace chatiere::manager {

namespace {
void requireAdmin(const Actor& actor) {
    if (!actor.userId) {
        throw Error::unauthenticated();
    }
    if (decide(actor.staffRole, std::nullopt, Permission::ManagePlans) != Decision::Allow) {
        throw Error::forbidden("Only an admin may change the plans.");
    }
}
}  // namespace

std::vector<Plan> PlanService::list() {
    auto s = db_.session();
    return PlanRepository(s).list();
}

Plan PlanService::get(const std::string& slug) {
    auto s = db_.session();
    auto plan = PlanRepository(s).find(slug);
    if (!plan) {
        throw Error::notFound("Plan " + slug);
    }
    return *plan;
}

Plan PlanService::create(const Actor& actor, const Poco::JSON::Object::Ptr& body) {
    requireAdmin(actor);
    Plan plan = parsePlan(body, std::nullopt);
    auto s = db_.session();
    Transaction tx(s);
    const std::string at = formatTime(clock_.now());
    PlanRepository(s).create(plan, at);
    AuditLog::record(s, actor, at, "plan.create", "plan", plan.slug, std::nullopt, planToJson(plan));
    tx.commit();
    return plan;
}

Plan PlanService::update(const Actor& actor, const std::string& slug, const Poco::JSON::Object::Ptr& body) {
    requireAdmin(actor);
    Plan plan = parsePlan(body, slug);
    auto s = db_.session();
    Transaction tx(s);
    const std::string at = formatTime(clock_.now());
    PlanRepository(s).update(plan, at);
    AuditLog::record(s, actor, at, "plan.update", "plan", plan.slug, std::nullopt, planToJson(plan));
    tx.commit();
    return plan;
}

}  // namespace chatiere::manager
