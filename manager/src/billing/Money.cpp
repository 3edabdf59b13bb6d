#include "billing/Money.h"

#include "core/IsoDate.h"

#include <date/date.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

namespace chatiere::manager {

namespace {

// U+202F NARROW NO-BREAK SPACE, the French thousands separator and the space before "€".
constexpr const char* kNarrowNoBreakSpace = "\xE2\x80\xAF";

using Wide = __int128;

// numerator / denominator (denominator > 0) rounded half away from zero, exactly: the remainder is
// compared with what is left of the denominator, so nothing is doubled and nothing overflows.
template <typename T>
T roundedQuotient(T numerator, T denominator) {
    T quotient = numerator / denominator;         // truncated towards zero
    const T remainder = numerator % denominator;  // same sign as the numerator
    const T magnitude = remainder < 0 ? -remainder : remainder;
    if (magnitude >= denominator - magnitude) {
        quotient += numerator < 0 ? -1 : 1;
    }
    return quotient;
}

// a × b / denominator rounded half away from zero; the product in 128 bits when it does not fit
// in 64 (rarely: the fast path keeps the common case to one 64-bit multiplication and division).
int64_t scaleRounded(int64_t a, int64_t b, int64_t denominator, const char* what) {
    int64_t product = 0;
    if (!__builtin_mul_overflow(a, b, &product)) {
        return roundedQuotient(product, denominator);
    }
    const Wide quotient = roundedQuotient(static_cast<Wide>(a) * b, Wide{denominator});
    if (quotient < std::numeric_limits<int64_t>::min() || quotient > std::numeric_limits<int64_t>::max()) {
        throw std::overflow_error(std::string(what) + " does not fit in 64-bit cents: " + std::to_string(a) +
                                  " * " + std::to_string(b) + " / " + std::to_string(denominator));
    }
    return static_cast<int64_t>(quotient);
}

bool isFrench(const std::string& language) {
    if (language == "fr") {
        return true;
    }
    if (language == "en") {
        return false;
    }
    throw std::invalid_argument("unknown language (fr or en): " + language);
}

// |value| without undefined behaviour for INT64_MIN.
uint64_t magnitudeOf(int64_t value) {
    return value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
}

// 1234567 → "1,234,567" with `separator` between groups of three digits.
std::string groupThousands(uint64_t value, const char* separator) {
    const std::string digits = std::to_string(value);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += separator;
        }
        out += digits[i];
    }
    return out;
}

constexpr const char* kEnglishMonths[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};

}  // namespace

int64_t divideRounded(int64_t numerator, int64_t denominator) {
    if (denominator <= 0) {
        throw std::invalid_argument("denominator must be positive: " + std::to_string(denominator));
    }
    // With a denominator ≥ 1 the quotient always fits in int64 (|quotient| ≤ |numerator|, and it
    // only moves away from zero when the denominator is ≥ 2): there is nothing to overflow.
    return roundedQuotient(numerator, denominator);
}

int64_t prorate(int64_t amountCents, int64_t part, int64_t whole) {
    if (whole <= 0) {
        throw std::invalid_argument("proration whole must be positive: " + std::to_string(whole));
    }
    return scaleRounded(amountCents, part, whole, "prorated amount");
}

int64_t lineAmount(int64_t quantityMilli, int64_t unitCents) {
    return scaleRounded(quantityMilli, unitCents, 1000, "line amount");
}

std::string formatMoney(int64_t cents, const std::string& language) {
    const bool french = isFrench(language);
    const uint64_t magnitude = magnitudeOf(cents);
    char fraction[4];
    std::snprintf(fraction, sizeof fraction, "%02u", static_cast<unsigned>(magnitude % 100));
    const std::string sign = cents < 0 ? "-" : "";
    if (french) {
        return sign + groupThousands(magnitude / 100, kNarrowNoBreakSpace) + "," + fraction +
               kNarrowNoBreakSpace + "€";
    }
    return sign + "€" + groupThousands(magnitude / 100, ",") + "." + fraction;
}

std::string formatQuantity(int64_t quantityMilli, const std::string& language) {
    const bool french = isFrench(language);
    const uint64_t magnitude = magnitudeOf(quantityMilli);
    std::string out = quantityMilli < 0 ? "-" : "";
    out += groupThousands(magnitude / 1000, french ? kNarrowNoBreakSpace : ",");
    if (const unsigned thousandths = static_cast<unsigned>(magnitude % 1000); thousandths != 0) {
        char fraction[4];
        std::snprintf(fraction, sizeof fraction, "%03u", thousandths);
        std::string digits = fraction;
        digits.erase(digits.find_last_not_of('0') + 1);
        out += (french ? "," : ".") + digits;
    }
    return out;
}

std::string formatDate(const std::string& isoDate, const std::string& language) {
    const bool french = isFrench(language);
    const auto ymd = parseIsoDate(isoDate);
    const int year = static_cast<int>(ymd.year());
    const unsigned month = static_cast<unsigned>(ymd.month());
    const unsigned day = static_cast<unsigned>(ymd.day());
    char out[32];
    if (french) {
        std::snprintf(out, sizeof out, "%02u/%02u/%04d", day, month, year);
    } else {
        std::snprintf(out, sizeof out, "%u %s %04d", day, kEnglishMonths[month - 1], year);
    }
    return out;
}

std::optional<int64_t> parseEuros(const std::string& text) {
    std::string euros = text;
    const auto trimmed = [](std::string& s) {
        const auto first = s.find_first_not_of(" \t");
        s = first == std::string::npos ? "" : s.substr(first, s.find_last_not_of(" \t") - first + 1);
    };
    trimmed(euros);
    if (euros.size() >= 3 && euros.compare(euros.size() - 3, 3, "\u20ac") == 0) {
        euros.resize(euros.size() - 3);
        trimmed(euros);
    }
    const auto separator = euros.find_first_of(".,");
    const std::string whole = euros.substr(0, separator);
    const std::string fraction = separator == std::string::npos ? "" : euros.substr(separator + 1);
    const auto digits = [](const std::string& s) {
        return s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (whole.empty() || whole.size() > 9 || !digits(whole) || fraction.size() > 2 || !digits(fraction) ||
        (separator != std::string::npos && fraction.empty())) {
        return std::nullopt;
    }
    return std::stoll(whole) * 100 + (fraction.empty() ? 0 : std::stoll((fraction + "0").substr(0, 2)));
}

}  // namespace chatiere::manager
