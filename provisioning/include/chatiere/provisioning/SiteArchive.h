#pragma once

#include <cstdint>
#include <istream>
#include <stdexcept>
#include <string>

namespace chatiere::provisioning {

// Why an uploaded site cannot be used; `code` is stable ("unsupported_archive", "unsafe_path",
// "unsupported_entry", "too_large", "corrupt_archive", "empty_archive").
class ArchiveError : public std::runtime_error {
public:
    ArchiveError(std::string code, const std::string& what)
        : std::runtime_error(what), code_(std::move(code)) {}
    const std::string& code() const { return code_; }

private:
    std::string code_;
};

// Turns an uploaded site (.tar.gz, .tgz, .zip or plain .tar, recognised by their first bytes) into
// the plain tar archive a website's data volume holds. Only regular files and directories pass;
// absolute paths, "..", links and devices are refused, and the unpacked size may not exceed
// `maxBytes` (a zip or gzip bomb stops there).
std::string normalizeSiteArchive(const std::string& upload, uint64_t maxBytes);

// The site archive a website's data volume holds: the tar at its start, up to and with its end
// blocks (the rest of the volume is zeros). Empty when the volume holds no archive yet.
std::string readSiteArchive(std::istream& volume);

}  // namespace chatiere::provisioning
