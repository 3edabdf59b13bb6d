#include "chatiere/manager/Time.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Timestamp.h>

namespace chatiere::manager {

std::string formatTime(TimePoint t) {
    const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(t);
    const Poco::Timestamp ts = Poco::Timestamp::fromEpochTime(seconds.time_since_epoch().count());
    return Poco::DateTimeFormatter::format(ts, "%Y-%m-%dT%H:%M:%SZ");
}

std::optional<TimePoint> parseTime(const std::string& text) {
    Poco::DateTime dt;
    int tzd = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, text, dt, tzd) &&
        !Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, text, dt, tzd)) {
        return std::nullopt;
    }
    dt.makeUTC(tzd);
    const auto micros = dt.timestamp().epochMicroseconds();
    return TimePoint{std::chrono::microseconds(micros)};
}

}  // namespace chatiere::manager
