#pragma once

#include "chatiere/manager/Settings.h"

#include <string>

namespace chatiere::testing {

// A daemon behind its own nginx (proxy.mode = own) on the free ports `httpPort` and `httpsPort`,
// as the public addresses' tests run it: public.url's host and public.domain are test names, the
// proxy makes a pass every second, and the reconciler is quiet (the services the tests plant
// active have no guest). ACME stays as the caller sets it.
inline void useOwnProxy(manager::Settings& s, int httpPort, int httpsPort) {
    s.reconcileIntervalSeconds = 3600;
    s.publicUrl = "https://chatiere.hebergeur.test:" + std::to_string(httpsPort);
    s.publicDomain = "asso.test";
    s.proxy.mode = manager::ProxySettings::Mode::Own;
    s.proxy.address = "127.0.0.1";
    s.proxy.httpPort = httpPort;
    s.proxy.httpsPort = httpsPort;
    s.proxy.publicHttpsPort = httpsPort;
    s.proxy.intervalSeconds = 1;
}

}  // namespace chatiere::testing
