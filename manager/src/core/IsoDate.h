#pragma once

#include <date/date.h>

#include <string>

namespace chatiere::manager {

// A real calendar date written exactly YYYY-MM-DD (digits only: no sign, no blanks); throws
// std::invalid_argument naming the text otherwise.
date::year_month_day parseIsoDate(const std::string& text);

// The same date written YYYY-MM-DD (years 0 to 9999).
std::string formatIsoDate(const date::year_month_day& ymd);

}  // namespace chatiere::manager
