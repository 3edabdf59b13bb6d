#pragma once

// Reading a zip the daemon served (an association's export): every file, by name.

#include <Poco/Zip/ZipArchive.h>
#include <Poco/Zip/ZipStream.h>

#include <map>
#include <sstream>
#include <string>

namespace chatiere::testing {

inline std::map<std::string, std::string> unzip(const std::string& bytes) {
    std::istringstream in(bytes);
    Poco::Zip::ZipArchive archive(in);
    std::map<std::string, std::string> out;
    for (auto it = archive.headerBegin(); it != archive.headerEnd(); ++it) {
        std::istringstream again(bytes);
        Poco::Zip::ZipInputStream file(again, it->second);
        std::ostringstream content;
        content << file.rdbuf();
        out[it->first] = content.str();
    }
    return out;
}

}  // namespace chatiere::testing
