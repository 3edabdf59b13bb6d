#pragma once

#include <Poco/Logger.h>

#include "chatiere/manager/Daemon.h"

namespace chatiere::manager {

// The composition root's wiring of the public addresses (docs/public-addresses.md), beside
// app/Daemon: what it builds goes into Daemon::Parts (app/DaemonParts.h).

// The reverse proxy (proxy.*: the driver of proxy.mode, the proxy reconciler and its task) and the
// certificates (acme.*: the ACME client, the certificate task), when proxy.mode is not off.
void openProxy(Daemon::Parts& p);

// The transfer log's reader and its task (after openProxy: it reads the driver's log).
void openTransfer(Daemon::Parts& p, Poco::Logger& monitorLogger);

}  // namespace chatiere::manager
