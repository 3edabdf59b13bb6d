#pragma once

// A service whose guest the test driver cannot boot (an editor, a mail service), marked active as
// if it had booted: what the pads and mail tests (PadsFixture.h, MailFixture.h) build on.

#include "ApiClient.h"
#include "Eventually.h"
#include "TestDaemon.h"
#include "chatiere/manager/Database.h"

#include <Poco/Data/Statement.h>

#include <chrono>
#include <string>

namespace chatiere::testing {

// Waits until the test driver has failed the service's provisioning, then marks it active with
// its endpoint on its allocated host port (nothing listens there unless the test does).
inline void markActive(TestDaemon& d, const ApiClient& c, std::string id) {
    eventually(
        [&] {
            const auto s = c.get("/api/v1/services/" + id);
            return s.json()->getValue<std::string>("state") == "failed";
        },
        std::chrono::seconds(30));
    auto s = d.daemon().database().session();
    s << "UPDATE services SET state = 'active', last_error = NULL, "
         "endpoint = 'http://127.0.0.1:' || host_port WHERE id = ?",
        Poco::Data::Keywords::use(id), Poco::Data::Keywords::now;
}

}  // namespace chatiere::testing
