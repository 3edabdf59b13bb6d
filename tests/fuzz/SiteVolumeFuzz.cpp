// A website's data volume into provisioning::readSiteArchive, what the daemon calls to export a
// site: the guest writes that volume, so the reader trusts nothing in it. A damaged archive throws
// ArchiveError, nothing else.
#include "chatiere/provisioning/SiteArchive.h"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace chatiere::provisioning;
    std::istringstream volume(std::string(reinterpret_cast<const char*>(data), size));
    try {
        (void)readSiteArchive(volume);
    } catch (const ArchiveError&) {
    }
    return 0;
}
