#pragma once

#include <filesystem>
#include <mutex>
#include <string>

#include "hosting/AcmeClient.h"

namespace chatiere::manager {

// The AcmeClient over Debian's dehydrated (why this client: docs/public-addresses.md). Its state
// (account key, orders, certificates) lives in `baseDir`; its HTTP-01 tokens go into `wellKnown`,
// the proxy's <prefix>/acme/.well-known/acme-challenge that nginx serves on port 80. The account
// is registered on the first order; each order is `--cron --force --domain NAME`, since Chatière,
// not dehydrated, decides when a name is due.
class DehydratedClient final : public AcmeClient {
public:
    struct Options {
        std::string dehydrated = "/usr/bin/dehydrated";
        std::filesystem::path baseDir;
        std::filesystem::path wellKnown;
        AcmeSettings acme;
    };

    // Throws std::invalid_argument for a setting that cannot go into dehydrated's config file
    // (which bash sources): a quote, '$', '`', '\\' or a control character.
    explicit DehydratedClient(Options options);
    AcmeOutcome issue(const std::string& name) override;

private:
    std::filesystem::path configFile() const;
    std::string run(const std::vector<std::string>& arguments, int& exitCode);

    Options options_;
    std::mutex mutex_;  // dehydrated's own lock file refuses a second run: one at a time
    bool registered_ = false;
};

}  // namespace chatiere::manager
