#pragma once

#include "chatiere/provisioning/Hypervisor.h"

#include <map>
#include <mutex>
#include <string>

namespace chatiere::provisioning {

// An in-memory hypervisor for unit tests. It reads the name and the Chatière metadata out of the
// domain XML it is given, keeps volumes as byte strings, and can be told to fail on the Nth call.
class FakeHypervisor final : public Hypervisor {
public:
    static constexpr const char* kPool = "default";  // a pool it has from the start

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

    // Fault injection: the `n`th call from now (1 = the next one) throws `code`.
    void failOnCall(int n, HypervisorError::Code code = HypervisorError::Code::Failed);
    void clearFailure();
    // While set, every volume upload fails (Code::Failed), as from a pool that refuses writes.
    void refuseUploads(bool refuse);
    int calls() const;
    // What uploadVolume last wrote to the volume (empty after an uploadVolumeFile).
    std::string volumeContent(const std::string& pool, const std::string& name) const;
    // Writes the volume's content to `path`: uploadVolume's bytes, or uploadVolumeFile's file with
    // its holes (as sparse as the file was). Throws NotFound when there is no such volume.
    void saveVolume(const std::string& pool, const std::string& name, const std::string& path) const;
    // The XML a guest was last defined with; empty when there is no such guest.
    std::string domainXml(const std::string& name) const;
    // The guest agent of a guest whose XML declares the agent channel: it answers while the guest
    // runs, unless told it is down (a guest still booting). Default: it answers.
    void setAgentAnswering(const std::string& name, bool answering);
    // A file the agent wrote in the guest (its in-memory file system, emptied when the guest stops,
    // as /run is); nullopt when there is none.
    std::optional<std::string> guestFile(const std::string& name, const std::string& path) const;
    // The guest's file handles still open (a writer that failed must close its handle).
    int openGuestFiles(const std::string& name) const;
    // How many times the guest's file systems were trimmed.
    int fsTrims(const std::string& name) const;
    // How the guest was last asked to shut down; nullopt when it never was.
    std::optional<ShutdownMethod> lastShutdown(const std::string& name) const;
    // What poolInfo reports as the pool's size (its allocation is the volumes' content).
    void setPoolCapacity(uint64_t bytes);

private:
    struct Guest {
        std::string xml;
        GuestInfo info;
        uint64_t cpuTimeNs = 0;
        bool agentDown = false;
        std::map<std::string, std::string> files;                        // path → content
        std::map<int64_t, std::pair<std::string, std::string>> handles;  // → path, content written
        int fsTrims = 0;
        std::optional<ShutdownMethod> lastShutdown;
    };
    Guest& agentGuest(const std::string& name);  // a guest whose agent can answer now, or throws
    static void stopped(Guest& g);
    struct Volume {
        uint64_t capacity = 0;
        std::string content;                   // uploadVolume's bytes
        std::map<uint64_t, std::string> data;  // uploadVolumeFile's data, by offset: its holes left out
        uint64_t fileSize = 0;                 // uploadVolumeFile's file size, holes included
        uint64_t allocation() const;
    };
    void checkPool(const std::string& pool) const;
    void count();  // every public call: may throw the injected failure
    Guest& guest(const std::string& name);
    Volume& vol(const std::string& pool, const std::string& name);

    mutable std::mutex mutex_;
    std::map<std::string, Guest> guests_;
    std::map<std::string, Volume> volumes_;  // key pool/name
    std::map<std::string, std::string> pools_ = {{kPool, "/fake/default"}};
    uint64_t poolCapacity_ = uint64_t{100} << 30;
    int calls_ = 0;
    int64_t nextHandle_ = 1000;
    std::map<std::string, bool> agentAnswering_;  // set before the guest is defined, too
    int failAt_ = 0;
    bool refuseUploads_ = false;
    HypervisorError::Code failCode_ = HypervisorError::Code::Failed;
};

}  // namespace chatiere::provisioning
