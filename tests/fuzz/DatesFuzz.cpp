// Dates and times as requests carry them: parseIsoDate (core/IsoDate.h: a period's bounds, a due
// date) and parseTime (chatiere/manager/Time.h: RFC 3339 on the wire). A bad date throws
// std::invalid_argument, a bad time is nullopt; what is read is written back the same.
#include "chatiere/manager/Time.h"
#include "core/IsoDate.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace chatiere::manager;
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        if (formatIsoDate(parseIsoDate(text)) != text) {
            std::abort();
        }
    } catch (const std::invalid_argument&) {
    }
    if (const auto time = parseTime(text)) {
        if (parseTime(formatTime(*time)) != std::chrono::time_point_cast<std::chrono::seconds>(*time)) {
            std::abort();
        }
    }
    return 0;
}
