#include "core/IsoDate.h"

#include <stdexcept>

namespace chatiere::manager {

date::year_month_day parseIsoDate(const std::string& text) {
    const auto digit = [&](size_t i) {
        return static_cast<unsigned>(static_cast<unsigned char>(text[i])) - '0';
    };
    // A byte below '0' wraps around to a large unsigned, so `<= 9` is the whole digit test.
    if (text.size() != 10 || text[4] != '-' || text[7] != '-' || digit(0) > 9 || digit(1) > 9 ||
        digit(2) > 9 || digit(3) > 9 || digit(5) > 9 || digit(6) > 9 || digit(8) > 9 || digit(9) > 9) {
        throw std::invalid_argument("not a YYYY-MM-DD date: " + text);
    }
    const date::year_month_day ymd{
        date::year{static_cast<int>(digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3))},
        date::month{digit(5) * 10 + digit(6)}, date::day{digit(8) * 10 + digit(9)}};
    if (!ymd.ok()) {
        throw std::invalid_argument("not a calendar date: " + text);
    }
    return ymd;
}

std::string formatIsoDate(const date::year_month_day& ymd) {
    const auto year = static_cast<int>(ymd.year());
    const auto month = static_cast<unsigned>(ymd.month());
    const auto day = static_cast<unsigned>(ymd.day());
    std::string out = "0000-00-00";
    out[0] = static_cast<char>('0' + year / 1000);
    out[1] = static_cast<char>('0' + year / 100 % 10);
    out[2] = static_cast<char>('0' + year / 10 % 10);
    out[3] = static_cast<char>('0' + year % 10);
    out[5] = static_cast<char>('0' + month / 10);
    out[6] = static_cast<char>('0' + month % 10);
    out[8] = static_cast<char>('0' + day / 10);
    out[9] = static_cast<char>('0' + day % 10);
    return out;
}

}  // namespace chatiere::manager
