// An amount in euros as a treasurer types it into parseEuros (billing/Money.h), what the payment
// and credit-note forms and the CLI read: cents, or nullopt for anything else.
#include "billing/Money.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace chatiere::manager;
    const auto cents = parseEuros(std::string(reinterpret_cast<const char*>(data), size));
    if (!cents) {
        return 0;
    }
    // At most 9 digits of euros and 2 decimals, never negative; and the plain writing reads back.
    const std::string fraction = std::to_string(100 + *cents % 100).substr(1);
    if (*cents < 0 || *cents > 99'999'999'999 ||
        parseEuros(std::to_string(*cents / 100) + "." + fraction) != cents) {
        std::abort();
    }
    (void)formatMoney(*cents, "fr");
    (void)formatMoney(*cents, "en");
    return 0;
}
