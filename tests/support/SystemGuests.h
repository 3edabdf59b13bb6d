#pragma once

// What the system tests share: whether a real libvirtd answers, daemon settings for real QEMU
// guests on it (the appliance image cache kept across runs, a storage pool of the test's own), and
// reading a guest's page on its 127.0.0.1 port.

#include "MissingPart.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/provisioning/LibvirtHypervisor.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chatiere::testing {

constexpr const char* kSystemUri = "qemu:///system";
// Appliance images are built once per machine, not per test run (packaging/scripts/test.sh builds
// them in the background while the C++ compiles).
inline const std::filesystem::path kImageCache = "/var/tmp/chatiere-test-images";

// Builds the images of `names` into kImageCache with templates/build.sh (the daemon never builds
// one): a no-op when they are current. Throws, with the driver's exit status, when a build fails.
inline void ensureTestImages(const std::vector<std::string>& names = {"website"}) {
    std::string command =
        "bash " + std::string(CHATIERE_SOURCE_DIR) + "/templates/build.sh --cache " + kImageCache.string();
    for (const auto& name : names) {
        command += " " + name;
    }
    const int status = std::system(command.c_str());
    if (status != 0) {
        throw std::runtime_error(command + " failed (status " + std::to_string(status) + ")");
    }
}

// Why a system test cannot run here, for CHATIERE_MISSING_PART.
inline const std::string kNoLibvirtd =
    std::string("no libvirtd on ") + kSystemUri + " (packaging/scripts/libvirtd.sh starts one)";

inline bool libvirtdAnswers() {
    try {
        provisioning::LibvirtHypervisor h(kSystemUri);
        h.state("chatiere-probe-none");
        return true;
    } catch (const provisioning::HypervisorError&) {
        return false;
    }
}

// Settings for a daemon whose guests really boot on the local libvirtd, with the ports
// [first, last]; returns the name of the test's own storage pool (removed by removePool()).
// `images`: the templates whose images the test's guests need (ensureTestImages).
inline std::string useRealGuests(manager::Settings& s, int portsFirst, int portsLast,
                                 const std::vector<std::string>& images = {"website"}) {
    s.libvirtUri = kSystemUri;
    s.libvirtDomainType = "qemu";  // no nested KVM on these machines
    s.portsFirst = portsFirst;
    s.portsLast = portsLast;
    s.bootTimeoutSeconds = 120;
    s.reconcileIntervalSeconds = 2;
    s.monitoringIntervalSeconds = 5;
    const auto cache = std::filesystem::path(s.dataDir) / "images";
    std::filesystem::remove_all(cache);
    std::filesystem::create_directories(kImageCache);
    std::filesystem::create_directory_symlink(kImageCache, cache);
    ensureTestImages(images);
    s.libvirtPool = "chatiere-test-" + std::filesystem::path(s.dataDir).filename().string().substr(12);
    return s.libvirtPool;
}

inline void removePool(const std::string& pool) {
    std::system(("virsh -q -c qemu:///system pool-destroy " + pool +
                 " >/dev/null 2>&1; virsh -q -c qemu:///system pool-undefine " + pool + " >/dev/null 2>&1")
                    .c_str());
}

// GET `path` on a guest's forwarded port; nullopt when nothing answers within `timeoutSeconds`.
inline std::optional<std::string> page(int port, const std::string& path = "/", int timeoutSeconds = 1) {
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
        session.setTimeout(Poco::Timespan(timeoutSeconds, 0));
        Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        std::string body;
        Poco::StreamCopier::copyToString(in, body);
        return body;
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

}  // namespace chatiere::testing
