// A settings file into Settings::fromFile, the real loader (Poco's properties reader, then
// fromConfiguration's checks): the input is written to a temporary file and read. A bad file
// throws SettingsError, nothing else; what is accepted is within the documented ranges.
#include "chatiere/manager/Settings.h"

#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::filesystem::path file =
        std::filesystem::temp_directory_path() / ("chatiere-fuzz-settings-" + std::to_string(::getpid()));
    std::ofstream(file, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    try {
        const auto settings = chatiere::manager::Settings::fromFile(file);
        const int vat = settings.billing.vatRateBasisPoints;
        if (vat < 0 || vat > 10000 || settings.portsFirst > settings.portsLast) {
            std::abort();
        }
    } catch (const chatiere::manager::SettingsError&) {
    }
    return 0;
}
