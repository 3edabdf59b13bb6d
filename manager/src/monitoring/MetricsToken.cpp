#include "monitoring/MetricsToken.h"

#include "chatiere/manager/Secrets.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace chatiere::manager {

namespace {

// The file's first line, without surrounding white space (an editor's trailing newline).
std::optional<std::string> readToken(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) {
        return std::nullopt;
    }
    std::string line;
    std::getline(in, line);
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) {
        return std::string();
    }
    return line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace

void ensureMetricsToken(const std::filesystem::path& file) {
    if (!std::filesystem::exists(file)) {
        if (file.has_parent_path()) {
            std::filesystem::create_directories(file.parent_path());
        }
        const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) {  // EEXIST: another process made it meanwhile
            throw std::runtime_error("cannot create the metrics token file " + file.string() + ": " +
                                     std::strerror(errno));
        }
        if (fd >= 0) {
            const std::string token = newSecretToken() + "\n";
            const bool written =
                ::write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size());
            ::close(fd);
            if (!written) {
                std::filesystem::remove(file);
                throw std::runtime_error("cannot write the metrics token file " + file.string());
            }
        }
    }
    const auto token = readToken(file);
    if (!token) {
        throw std::runtime_error("cannot read the metrics token file " + file.string());
    }
    if (token->size() < 16) {
        throw std::runtime_error("the metrics token file " + file.string() +
                                 " holds no token of at least 16 characters");
    }
}

bool isMetricsToken(const std::filesystem::path& file, std::string_view presented) {
    const auto token = readToken(file);
    return token && token->size() >= 16 && constantTimeEquals(*token, presented);
}

}  // namespace chatiere::manager
