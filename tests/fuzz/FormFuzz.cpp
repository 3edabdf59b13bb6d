// An application/x-www-form-urlencoded body into web::readUrlencodedForm, what Pages::form (every
// page's POST) reads before checking the CSRF token. A bad body throws chatiere::manager::Error
// (a 4xx page), nothing else.
#include "web/Forms.h"

#include "chatiere/manager/Error.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        (void)chatiere::manager::web::readUrlencodedForm(
            std::string(reinterpret_cast<const char*>(data), size));
    } catch (const chatiere::manager::Error&) {
    }
    return 0;
}
