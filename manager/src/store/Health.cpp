#include "store/Health.h"

namespace chatiere::manager {

bool databaseAnswers(Session& session) {
    return session.integer("SELECT 1") == 1;
}

}  // namespace chatiere::manager
