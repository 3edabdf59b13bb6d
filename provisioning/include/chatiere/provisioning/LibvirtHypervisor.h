#pragma once

#include "chatiere/provisioning/Hypervisor.h"

#include <memory>
#include <string>

namespace chatiere::provisioning {

// Hypervisor over libvirt's C API: RAII handles, errors translated into HypervisorError (libvirt's
// own printing to stderr silenced), and a new connection opened when libvirtd went away.
// Thread-safe: calls are serialised on one connection.
class LibvirtHypervisor final : public Hypervisor {
public:
    explicit LibvirtHypervisor(std::string uri);
    ~LibvirtHypervisor() override;

    void define(const std::string& domainXml) override;
    void start(const std::string& name) override;
    void shutdown(const std::string& name, std::chrono::milliseconds timeout, ShutdownMethod method) override;
    void destroy(const std::string& name) override;
    void suspend(const std::string& name) override;
    void resume(const std::string& name) override;
    void undefine(const std::string& name) override;
    std::optional<GuestState> state(const std::string& name) override;
    std::optional<std::string> definition(const std::string& name) override;
    std::vector<GuestInfo> listOwned(const std::string& instanceId) override;
    std::vector<GuestStats> bulkStats(const std::string& instanceId) override;
    std::string agentCommand(const std::string& name, const std::string& command,
                             std::chrono::seconds timeout) override;
    void fsTrim(const std::string& name) override;

    void ensurePool(const std::string& pool, const std::string& directory) override;
    PoolInfo poolInfo(const std::string& pool) override;
    VolumeInfo createVolume(const std::string& pool, const std::string& name,
                            uint64_t capacityBytes) override;
    std::optional<VolumeInfo> volume(const std::string& pool, const std::string& name) override;
    std::vector<VolumeInfo> volumes(const std::string& pool) override;
    void resizeVolume(const std::string& pool, const std::string& name, uint64_t capacityBytes) override;
    void uploadVolume(const std::string& pool, const std::string& name, const std::string& bytes) override;
    void uploadVolumeFile(const std::string& pool, const std::string& name, const std::string& path) override;
    void deleteVolume(const std::string& pool, const std::string& name) override;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace chatiere::provisioning
