#pragma once

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/NameValueCollection.h>

#include <string>

namespace chatiere::manager::web {

// The bodies of the pages' form posts, read into their fields (the CSRF token is the caller's:
// Pages::form and Pages::multipartForm). A body that cannot be read (a bad %-escape, a broken
// multipart message, too many fields) throws Error "invalid_form" (400).

// An application/x-www-form-urlencoded body, at most 100 fields.
Poco::Net::NameValueCollection readUrlencodedForm(const std::string& body);

// A multipart/form-data body (its boundary from the request's Content-Type), at most 20 fields:
// the file field `fileField` goes to `file`, the other fields are returned.
Poco::Net::NameValueCollection readMultipartForm(const Poco::Net::HTTPRequest& request,
                                                 const std::string& body, const std::string& fileField,
                                                 std::string& file);

}  // namespace chatiere::manager::web
