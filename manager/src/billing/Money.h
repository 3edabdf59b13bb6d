#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace chatiere::manager {

// Money is int64 cents of euros, everywhere. One rounding rule: half away from zero, applied once
// per invoice line; totals are sums of rounded lines.

// numerator / denominator rounded half away from zero (denominator > 0). Throws
// std::overflow_error rather than wrapping.
int64_t divideRounded(int64_t numerator, int64_t denominator);
// amountCents × part / whole, rounded half away from zero (whole > 0): a prorated amount.
int64_t prorate(int64_t amountCents, int64_t part, int64_t whole);
// quantityMilli (thousandths of a unit) × unitCents / 1000, rounded half away from zero: a line's
// amount.
int64_t lineAmount(int64_t quantityMilli, int64_t unitCents);

// "1 234,56 €" (fr: U+202F narrow no-break space between thousands and before €, a comma) or
// "€1,234.56" (en); negative amounts with a leading minus sign ("−" is not used: "-12,00 €").
std::string formatMoney(int64_t cents, const std::string& language);
// A quantity in thousandths without useless zeros: 1500 → "1,5" (fr) / "1.5" (en); 2000 → "2".
std::string formatQuantity(int64_t quantityMilli, const std::string& language);
// "12", "12.5", "12,50", "12 €" → cents; nullopt for anything else (negative amounts, more than
// two decimals, more than 9 digits of euros).
std::optional<int64_t> parseEuros(const std::string& text);
// "YYYY-MM-DD" → "03/12/2026" (fr) / "3 December 2026" (en).
std::string formatDate(const std::string& isoDate, const std::string& language);

}  // namespace chatiere::manager
