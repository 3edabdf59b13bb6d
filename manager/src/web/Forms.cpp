#include "web/Forms.h"

#include "chatiere/manager/Error.h"

#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/PartHandler.h>

#include <sstream>

namespace chatiere::manager::web {

namespace {

// Keeps the one file field of a multipart form in memory.
class FilePart final : public Poco::Net::PartHandler {
public:
    FilePart(std::string field, std::string& into) : field_(std::move(field)), into_(into) {}
    void handlePart(const Poco::Net::MessageHeader& header, std::istream& stream) override {
        std::string disposition;
        Poco::Net::NameValueCollection params;
        Poco::Net::MessageHeader::splitParameters(header.get("Content-Disposition", ""), disposition, params);
        std::ostringstream bytes;
        bytes << stream.rdbuf();
        if (params.get("name", "") == field_) {
            into_ = bytes.str();
        }
    }

private:
    std::string field_;
    std::string& into_;
};

}  // namespace

Poco::Net::NameValueCollection readUrlencodedForm(const std::string& body) {
    Poco::Net::HTMLForm form;
    form.setFieldLimit(100);
    try {
        form.read(body);
    } catch (const Poco::Exception& e) {
        throw Error::badRequest("invalid_form", "The form cannot be read: " + e.displayText());
    }
    return form;
}

Poco::Net::NameValueCollection readMultipartForm(const Poco::Net::HTTPRequest& request,
                                                 const std::string& body, const std::string& fileField,
                                                 std::string& file) {
    std::istringstream in(body);
    FilePart part(fileField, file);
    Poco::Net::HTMLForm form;
    form.setFieldLimit(20);
    try {
        form.load(request, in, part);
    } catch (const Poco::Exception& e) {
        throw Error::badRequest("invalid_form", "The form cannot be read: " + e.displayText());
    }
    return form;
}

}  // namespace chatiere::manager::web
