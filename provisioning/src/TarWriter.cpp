#include "chatiere/provisioning/TarWriter.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace chatiere::provisioning {

namespace {

void octal(char* field, std::size_t width, unsigned long long value) {
    std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), value);
}

}  // namespace

std::string makeTar(const std::vector<std::pair<std::string, std::string>>& files) {
    std::string out;
    for (const auto& [path, content] : files) {
        if (path.empty() || path.front() == '/' || ("/" + path + "/").find("/../") != std::string::npos) {
            throw std::invalid_argument("bad path in archive: " + path);
        }
        // ustar: up to 100 bytes of name, and a prefix of up to 155 before a '/'.
        std::string prefix;
        std::string name = path;
        if (name.size() > 100) {
            const auto slash = path.find('/', path.size() > 101 ? path.size() - 101 : 0);
            if (slash == std::string::npos || slash > 155 || path.size() - slash - 1 > 100) {
                throw std::invalid_argument("path too long for an archive: " + path);
            }
            prefix = path.substr(0, slash);
            name = path.substr(slash + 1);
        }
        std::array<char, 512> header{};
        std::memcpy(header.data(), name.data(), name.size());
        std::memcpy(header.data() + 345, prefix.data(), prefix.size());
        octal(header.data() + 100, 8, 0644);             // mode
        octal(header.data() + 108, 8, 0);                // uid
        octal(header.data() + 116, 8, 0);                // gid
        octal(header.data() + 124, 12, content.size());  // size
        octal(header.data() + 136, 12, 0);               // mtime
        std::memset(header.data() + 148, ' ', 8);        // checksum, counted as spaces
        header[156] = '0';                               // regular file
        std::memcpy(header.data() + 257, "ustar", 6);
        std::memcpy(header.data() + 263, "00", 2);
        unsigned sum = 0;
        for (const char c : header) {
            sum += static_cast<unsigned char>(c);
        }
        std::snprintf(header.data() + 148, 8, "%06o", sum);
        header[155] = ' ';
        out.append(header.data(), header.size());
        out += content;
        out.append((512 - content.size() % 512) % 512, '\0');
    }
    out.append(1024, '\0');  // two empty blocks end the archive
    return out;
}

}  // namespace chatiere::provisioning
