#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "hosting/ProxyDriver.h"
#include "hosting/ProxyFolder.h"

namespace chatiere::manager {

// What both proxy drivers (NginxProxy, SystemNginxProxy) do the same way: certificates and static
// pages go into their ProxyFolder. Each driver orders the folder's steps of an apply its own way.
class FolderProxyDriver : public ProxyDriver {
public:
    // Writes a name's certificate and key (0600) atomically under certs/<name>/ and returns their
    // paths (what a ServiceSite's tls takes). `name` must be a canonical name, "localhost" or an IP.
    SiteCertificate installCertificate(const std::string& name, const CertificatePair& pair) override {
        return folder_.installCertificate(name, pair);
    }
    std::optional<SiteCertificate> findCertificate(const std::string& name) const override {
        return folder_.findCertificate(name);
    }
    // Writes a static page into html/ (the suspended page: kSuspendedPageFile), atomically.
    void installPage(const std::string& fileName, const std::string& html) override {
        folder_.installPage(fileName, html);
    }

protected:
    explicit FolderProxyDriver(std::filesystem::path root) : folder_(std::move(root)) {}

    ProxyFolder folder_;
};

}  // namespace chatiere::manager
