// A multipart/form-data body into web::readMultipartForm, what Pages::multipartForm (the website
// upload page) reads before checking the CSRF token; the boundary is fixed, the body is the input.
// A bad body throws chatiere::manager::Error (a 4xx page), nothing else.
#include "web/Forms.h"

#include "chatiere/manager/Error.h"

#include <Poco/Net/HTTPRequest.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/spaces/a/services/s/content");
    request.setContentType("multipart/form-data; boundary=chatiere");
    std::string file;
    try {
        (void)chatiere::manager::web::readMultipartForm(
            request, std::string(reinterpret_cast<const char*>(data), size), "file", file);
    } catch (const chatiere::manager::Error&) {
    }
    return 0;
}
