#include "GuestXml.h"

#include "chatiere/provisioning/Hypervisor.h"

namespace chatiere::provisioning {

std::optional<std::string> elementText(const std::string& xml, const std::string& localName) {
    std::size_t pos = 0;
    while ((pos = xml.find('<', pos)) != std::string::npos) {
        const std::size_t end = xml.find('>', pos);
        if (end == std::string::npos) {
            return std::nullopt;
        }
        std::string tag = xml.substr(pos + 1, end - pos - 1);
        const std::size_t space = tag.find_first_of(" \t\r\n/");
        const std::string name = tag.substr(0, space);
        const std::size_t colon = name.find(':');
        const std::string local = colon == std::string::npos ? name : name.substr(colon + 1);
        if (local == localName && tag.back() != '/') {
            const std::size_t close = xml.find("</" + name + ">", end);
            if (close == std::string::npos) {
                return std::nullopt;
            }
            return xml.substr(end + 1, close - end - 1);
        }
        pos = end;
    }
    return std::nullopt;
}

void checkVolumeName(const std::string& name) {
    if (name.empty() || name.size() > 200 || name.front() == '.') {
        throw HypervisorError(HypervisorError::Code::InvalidInput, "bad volume name '" + name + "'");
    }
    for (const char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.')) {
            throw HypervisorError(HypervisorError::Code::InvalidInput, "bad volume name '" + name + "'");
        }
    }
}

}  // namespace chatiere::provisioning
