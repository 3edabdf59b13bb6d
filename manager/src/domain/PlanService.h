#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "domain/Actor.h"
#include "store/Plans.h"

namespace chatiere::manager {

// The catalogue of plans: anyone reads it, the admin writes it (each change is a new version).
class PlanService {
public:
    PlanService(Database& db, base::Clock& clock) : db_(db), clock_(clock) {}
    std::vector<Plan> list();
    Plan get(const std::string& slug);
    Plan create(const Actor& actor, const Poco::JSON::Object::Ptr& body);
    Plan update(const Actor& actor, const std::string& slug, const Poco::JSON::Object::Ptr& body);

private:
    Database& db_;
    base::Clock& clock_;
};

}  // namespace chatiere::manager
