#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hosting/NginxConfig.h"
#include "hosting/ProxyDriver.h"
#include "hosting/SelfSignedCertificate.h"

namespace chatiere::manager {

// The folder the proxy drivers write (both modes; docs/public-addresses.md): sets of generated
// files `sites.<n>/`, the symlink `sites` naming the working one (what nginx includes), certs/<name>/,
// acme/ (the HTTP-01 webroot), html/ (static pages), logs/, run/ and tmp/ (what `nginx -t` run by
// the daemon's user writes). The steps of an apply, so that each driver orders them its own way.
class ProxyFolder {
public:
    explicit ProxyFolder(std::filesystem::path root);  // absolute

    const std::filesystem::path& root() const { return root_; }
    // Creates the subfolders, traversable by all: nginx's workers (another user) read html/ and
    // acme/; the keys stay 0600, read by the master only.
    void prepare() const;

    // The working set's number (the target of `sites`), nullopt when none was ever made.
    std::optional<int> currentGeneration() const;
    std::filesystem::path setFolder(int generation) const;
    // Writes `files` into a new set `sites.<current + 1>/` (each file by temp + rename) and returns
    // it. Throws std::invalid_argument on an unsafe file name (and writes nothing).
    std::filesystem::path stage(const std::vector<SiteFile>& files) const;
    // `nginx -t` as the daemon's user on a test main configuration (pid, error log and temp paths
    // in this folder) that includes only `sitesFolder`: nullopt when accepted, nginx's words
    // otherwise.
    std::optional<std::string> check(const std::string& nginx,
                                     const std::filesystem::path& sitesFolder) const;
    // Points `sites` at `set` (a rename: nginx reads the old set or the new one); nullopt removes it.
    void activate(const std::optional<std::filesystem::path>& set) const;

    SiteCertificate installCertificate(const std::string& name, const CertificatePair& pair) const;
    std::optional<SiteCertificate> findCertificate(const std::string& name) const;
    void installPage(const std::string& fileName, const std::string& html) const;

private:
    std::filesystem::path root_;
};

// The pid of the nginx master whose pid file is `pidFile`, when it runs (not a zombie) and its
// command line holds `commandPart` (its -c: another instance's master is not this one).
std::optional<int> findNginxMaster(const std::filesystem::path& pidFile, const std::string& commandPart);

// The live processes of the nginx instance whose prefix is `prefix` (absolute, symlinks resolved),
// read from `proc` (/proc; a fake folder in tests): a process whose title is nginx's ("nginx:
// master process ...", "nginx: worker process", "nginx: cache manager process"), not a zombie, that
// holds open a file under `<prefix>/logs/` (the error log given with -e, which nginx also makes
// every process's stderr). Only a worker's open files tell its instance: nginx overwrites the
// workers' argv with a bare title, so their cmdline names no prefix. Another instance's processes
// hold their own logs; another user's (the system nginx's www-data workers) cannot be read and are
// skipped.
std::vector<int> findInstanceProcesses(const std::filesystem::path& proc,
                                       const std::filesystem::path& prefix);

// Writes `content` to `path` through a temp file in the same folder and a rename: a reader sees
// the old file or the new one, never a part.
void writeFileAtomically(const std::filesystem::path& path, const std::string& content,
                         std::filesystem::perms permissions = std::filesystem::perms::owner_read |
                                                              std::filesystem::perms::owner_write |
                                                              std::filesystem::perms::group_read |
                                                              std::filesystem::perms::others_read);

}  // namespace chatiere::manager
