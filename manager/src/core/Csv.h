#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

// The cells of the CSV files a treasurer opens in a spreadsheet (RFC 4180: comma-separated, CRLF
// line ends). Every CSV writer builds its cells with these, so no cell can be read as a formula.
namespace chatiere::manager::csv {

// A text cell. As OWASP advises against CSV (formula) injection, a value that begins with `=`,
// `+`, `-`, `@`, a tab or a carriage return gets a single quote in front (`'=HYPERLINK(…)`: the
// spreadsheet shows text, evaluates nothing) and is quoted; any value holding a comma, a double
// quote or a line break is quoted, its double quotes doubled. Everything else is written as it is.
std::string text(std::string_view value);

// An amount in cents, as the code formats it itself: `-12.50`, `0.00`, `1234.00` — digits, a point
// and at most a leading minus, which a spreadsheet reads as a number (never a formula), so it is
// not neutralised: a negative amount stays a negative number the treasurer can add up.
std::string cents(int64_t cents);

// One line: the cells (already made by text() or cents()) joined by commas, ended by CRLF.
std::string row(std::initializer_list<std::string> cells);

}  // namespace chatiere::manager::csv
