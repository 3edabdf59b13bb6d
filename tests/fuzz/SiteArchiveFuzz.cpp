// An upload into the site unpacker: provisioning::normalizeSiteArchive, what ServiceManager calls
// for a website's content (the upload page and PUT /api/v1/services/{id}/content). Tar, tar.gz and
// zip alike, recognised by their first bytes; bad archives throw ArchiveError, nothing else.
#include "chatiere/provisioning/SiteArchive.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace chatiere::provisioning;
    const std::string upload(reinterpret_cast<const char*>(data), size);
    try {
        // 1 MiB of disk: a bomb stops early, and the harness stays fast.
        const std::string tar = normalizeSiteArchive(upload, 1 << 20);
        // What the unpacker writes, the volume reader reads back whole.
        std::istringstream volume(tar + std::string(4096, '\0'));
        if (readSiteArchive(volume) != tar) {
            std::abort();
        }
    } catch (const ArchiveError&) {
    }
    return 0;
}
