#pragma once

#include "chatiere/manager/Database.h"

namespace chatiere::manager {

// True when the database answers a query on this session (GET /healthz).
bool databaseAnswers(Session& session);

}  // namespace chatiere::manager
