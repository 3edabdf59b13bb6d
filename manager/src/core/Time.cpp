#include "chatiere/manager/Time.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Timestamp.h>

#include <regex>

namespace chatiere::manager {

std::string formatTime(TimePoint t) {
    const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(t);
    const Poco::Timestamp ts = Poco::Timestamp::fromEpochTime(seconds.time_since_epoch().count());
    return Poco::DateTimeFormatter::format(ts, "%Y-%m-%dT%H:%M:%SZ");
}

std::optional<TimePoint> parseTime(const std::string& text) {
    // Poco's parser is lenient (it reads "yesterday" as a date): the shape is checked first.
    static const std::regex shape(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))");
    if (!std::regex_match(text, shape)) {
        return std::nullopt;
    }
    const int year = std::stoi(text.substr(0, 4));
    const int month = std::stoi(text.substr(5, 2));
    const int day = std::stoi(text.substr(8, 2));
    const int hour = std::stoi(text.substr(11, 2));
    const int minute = std::stoi(text.substr(14, 2));
    const int second = std::stoi(text.substr(17, 2));
    if (!Poco::DateTime::isValid(year, month, day, hour, minute, second)) {
        return std::nullopt;
    }
    Poco::DateTime dt;
    int tzd = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, text, dt, tzd) &&
        !Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, text, dt, tzd)) {
        return std::nullopt;
    }
    dt.makeUTC(tzd);
    // A TimePoint (nanoseconds of int64) spans the years 1678 to 2262: nullopt beyond, where it
    // would overflow (the shape allows years 0000 to 9999).
    const std::chrono::microseconds micros(dt.timestamp().epochMicroseconds());
    constexpr auto kLimit = std::chrono::duration_cast<std::chrono::microseconds>(TimePoint::duration::max());
    if (micros >= kLimit || micros <= -kLimit) {
        return std::nullopt;
    }
    return TimePoint{micros};
}

}  // namespace chatiere::manager
