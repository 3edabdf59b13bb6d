#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chatiere::provisioning {

// The XML namespace of Chatière's libvirt metadata: <chatiere:guest> with <chatiere:instance> and
// <chatiere:service>. A guest belongs to an installation only if its instance id is there.
inline constexpr const char* kMetadataNamespace = "https://chatiere.invalid/xmlns/guest/1";

enum class GuestState { Running, Paused, ShutOff, Crashed, Other };
std::string toString(GuestState state);

// How a clean shutdown is asked of a guest. Acpi: the ACPI power button. GuestAgent: the guest
// agent's guest-shutdown (for guests that have one: the Debian appliances, whose minimal system
// does nothing on the power button), the power button if the agent cannot take the request.
enum class ShutdownMethod { Acpi, GuestAgent };

struct GuestInfo {
    std::string name;
    std::string instanceId;
    std::string serviceId;
    GuestState state = GuestState::Other;
};

// One guest's counters from the bulk statistics call.
struct GuestStats {
    std::string name;
    GuestState state = GuestState::Other;
    std::optional<uint64_t> cpuTimeNs;
    std::optional<uint64_t> memoryRssKib;
    std::optional<uint64_t> netRxBytes;
    std::optional<uint64_t> netTxBytes;
};

struct VolumeInfo {
    std::string name;
    std::string path;
    uint64_t capacityBytes = 0;
    uint64_t allocationBytes = 0;  // what the volume really uses on the host
};

// A storage pool's space, as libvirt reports it.
struct PoolInfo {
    uint64_t capacityBytes = 0;
    uint64_t allocationBytes = 0;
    uint64_t availableBytes = 0;
};

class HypervisorError : public std::runtime_error {
public:
    enum class Code {
        NotFound,       // no such guest or volume
        AlreadyExists,  // a guest or volume of that name exists
        InvalidState,   // e.g. resume of a running guest
        InvalidInput,   // bad XML, bad size
        Unsupported,    // the driver cannot do it (the test driver, mostly)
        Unavailable,    // libvirtd unreachable
        // The guest's agent does not answer (yet): the guest is still booting, or its agent is
        // down. Worth trying again later, unlike Unsupported (no agent channel, or a driver
        // without agents, as test:///default).
        AgentUnavailable,
        Failed,  // anything else
    };
    HypervisorError(Code code, const std::string& what) : std::runtime_error(what), code_(code) {}
    Code code() const { return code_; }

private:
    Code code_;
};

// What Chatière asks of a hypervisor. Names are libvirt domain and volume names. Every method
// throws HypervisorError on failure; lookups return nullopt for "not there".
class Hypervisor {
public:
    virtual ~Hypervisor() = default;

    // Guests
    virtual void define(
        const std::string& domainXml) = 0;  // persistent; replaces the definition of the same name
    virtual void start(const std::string& name) = 0;
    // Asks the guest to shut down (by `method`), waits up to `timeout`, then forces it off.
    virtual void shutdown(const std::string& name, std::chrono::milliseconds timeout,
                          ShutdownMethod method) = 0;
    virtual void destroy(const std::string& name) = 0;  // forced off; no error if already off
    virtual void suspend(const std::string& name) = 0;
    virtual void resume(const std::string& name) = 0;
    virtual void undefine(const std::string& name) = 0;  // must be off
    virtual std::optional<GuestState> state(const std::string& name) = 0;
    // The guest's domain XML: what it runs (its live definition) while it runs, else what it boots
    // next. nullopt: not defined.
    virtual std::optional<std::string> definition(const std::string& name) = 0;
    // The guests whose metadata carries this instance id; never any other.
    virtual std::vector<GuestInfo> listOwned(const std::string& instanceId) = 0;
    // One bulk call for the statistics of this instance's guests.
    virtual std::vector<GuestStats> bulkStats(const std::string& instanceId) = 0;

    // The guest agent (the guest's `org.qemu.guest_agent.0` channel): sends one QMP command, a JSON
    // object such as {"execute":"guest-ping"}, and returns the agent's JSON reply ({"return": …}),
    // waiting for it up to `timeout`. An error the agent returns throws Failed; a guest that is
    // not running throws InvalidState; an agent that does not answer (yet) AgentUnavailable; no
    // agent channel, or a driver without agents, Unsupported. Higher-level helpers: GuestAgent.h.
    virtual std::string agentCommand(const std::string& name, const std::string& command,
                                     std::chrono::seconds timeout) = 0;
    // Asks the guest (through its agent) to discard the blocks its mounted file systems no longer
    // use, so that a volume's allocation follows what is stored. Errors as agentCommand.
    virtual void fsTrim(const std::string& name) = 0;

    // Storage: a directory pool, defined and started if it is not there yet (idempotent).
    virtual void ensurePool(const std::string& pool, const std::string& directory) = 0;
    virtual PoolInfo poolInfo(const std::string& pool) = 0;
    // Storage volumes of a pool
    virtual VolumeInfo createVolume(const std::string& pool, const std::string& name,
                                    uint64_t capacityBytes) = 0;
    virtual std::optional<VolumeInfo> volume(const std::string& pool, const std::string& name) = 0;
    // Every volume of the pool in one listing, with its capacity and allocation (not its path).
    virtual std::vector<VolumeInfo> volumes(const std::string& pool) = 0;
    virtual void resizeVolume(const std::string& pool, const std::string& name, uint64_t capacityBytes) = 0;
    // Replaces the volume's content from its first byte with `bytes`.
    virtual void uploadVolume(const std::string& pool, const std::string& name, const std::string& bytes) = 0;
    // Replaces the volume's content from its first byte with the file at `path` (no larger than the
    // volume), sending only its data: its holes stay holes on the volume, so that the volume's
    // allocation is what the file holds (an ext4 image of a small site in a large volume).
    virtual void uploadVolumeFile(const std::string& pool, const std::string& name,
                                  const std::string& path) = 0;
    virtual void deleteVolume(const std::string& pool, const std::string& name) = 0;
};

}  // namespace chatiere::provisioning
