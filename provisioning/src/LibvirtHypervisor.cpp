#include "chatiere/provisioning/LibvirtHypervisor.h"

#include "GuestXml.h"
#include "LibvirtHandles.h"

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

namespace chatiere::provisioning {

namespace {

using Code = HypervisorError::Code;

void silenceLibvirt() {
    static std::once_flag once;
    std::call_once(once, [] {
        virInitialize();
        // Errors are read with virGetLastError() and thrown; nothing goes to stderr behind the logger.
        virSetErrorFunc(nullptr, [](void*, virErrorPtr) {});
    });
}

// Reads the calling thread's last libvirt error and throws it as a HypervisorError.
[[noreturn]] void fail(const std::string& what) {
    const virErrorPtr error = virGetLastError();
    const int code = error ? error->code : VIR_ERR_INTERNAL_ERROR;
    const std::string message =
        what + ": " + (error && error->message ? error->message : "unknown libvirt error");
    Code mapped = Code::Failed;
    switch (code) {
        case VIR_ERR_NO_DOMAIN:
        case VIR_ERR_NO_STORAGE_VOL:
        case VIR_ERR_NO_STORAGE_POOL:
            mapped = Code::NotFound;
            break;
        case VIR_ERR_OPERATION_INVALID:
            mapped = Code::InvalidState;
            break;
        case VIR_ERR_XML_ERROR:
        case VIR_ERR_XML_DETAIL:
        case VIR_ERR_INVALID_ARG:
        case VIR_ERR_CONFIG_UNSUPPORTED:
            mapped = Code::InvalidInput;
            break;
        case VIR_ERR_NO_SUPPORT:
        case VIR_ERR_OPERATION_UNSUPPORTED:
            mapped = Code::Unsupported;
            break;
        case VIR_ERR_DOM_EXIST:
        case VIR_ERR_STORAGE_VOL_EXIST:
            mapped = Code::AlreadyExists;
            break;
        case VIR_ERR_AGENT_UNRESPONSIVE:  // not connected yet, or timed out
        case VIR_ERR_AGENT_UNSYNCED:
            mapped = Code::AgentUnavailable;
            break;
        case VIR_ERR_ARGUMENT_UNSUPPORTED:  // "QEMU guest agent is not configured"
            mapped = Code::Unsupported;
            break;
        case VIR_ERR_NO_CONNECT:
        case VIR_ERR_RPC:
        case VIR_ERR_SYSTEM_ERROR:
            mapped = Code::Unavailable;
            break;
        default:
            break;
    }
    virResetLastError();
    throw HypervisorError(mapped, message);
}

GuestState stateOf(int state) {
    switch (state) {
        case VIR_DOMAIN_RUNNING:
        case VIR_DOMAIN_BLOCKED:
            return GuestState::Running;
        case VIR_DOMAIN_PAUSED:
        case VIR_DOMAIN_PMSUSPENDED:
            return GuestState::Paused;
        case VIR_DOMAIN_SHUTOFF:
        case VIR_DOMAIN_SHUTDOWN:
            return GuestState::ShutOff;
        case VIR_DOMAIN_CRASHED:
            return GuestState::Crashed;
        default:
            return GuestState::Other;
    }
}

}  // namespace

struct LibvirtHypervisor::Impl {
    std::string uri;
    std::mutex mutex;
    libvirt::Connection conn;

    // The live connection, opened again if libvirtd went away since the last call.
    virConnectPtr connection() {
        if (conn && virConnectIsAlive(conn.get()) == 1) {
            return conn.get();
        }
        conn.reset(virConnectOpen(uri.c_str()));
        if (!conn) {
            fail("cannot connect to " + uri);
        }
        return conn.get();
    }

    libvirt::Domain findDomain(const std::string& name) {
        libvirt::Domain d(virDomainLookupByName(connection(), name.c_str()));
        if (!d) {
            const virErrorPtr e = virGetLastError();
            if (e && e->code == VIR_ERR_NO_DOMAIN) {
                virResetLastError();
                return nullptr;
            }
            fail("looking up guest " + name);
        }
        return d;
    }

    libvirt::Domain domain(const std::string& name) {
        auto d = findDomain(name);
        if (!d) {
            throw HypervisorError(Code::NotFound, "no guest named " + name);
        }
        return d;
    }

    GuestState stateOf(virDomainPtr d, const std::string& name) {
        int state = 0;
        int reason = 0;
        if (virDomainGetState(d, &state, &reason, 0) != 0) {
            fail("state of guest " + name);
        }
        return provisioning::stateOf(state);
    }

    libvirt::Pool pool(const std::string& name) {
        libvirt::Pool p(virStoragePoolLookupByName(connection(), name.c_str()));
        if (!p) {
            fail("storage pool " + name);
        }
        return p;
    }

    libvirt::Volume findVolume(const std::string& poolName, const std::string& name) {
        checkVolumeName(name);
        auto p = pool(poolName);
        libvirt::Volume v(virStorageVolLookupByName(p.get(), name.c_str()));
        if (!v) {
            const virErrorPtr e = virGetLastError();
            if (e && e->code == VIR_ERR_NO_STORAGE_VOL) {
                virResetLastError();
                return nullptr;
            }
            fail("looking up volume " + name);
        }
        return v;
    }

    libvirt::Volume volume(const std::string& poolName, const std::string& name) {
        auto v = findVolume(poolName, name);
        if (!v) {
            throw HypervisorError(Code::NotFound, "no volume " + name + " in pool " + poolName);
        }
        return v;
    }

    VolumeInfo info(virStorageVolPtr v, const std::string& name) {
        virStorageVolInfo i{};
        if (virStorageVolGetInfo(v, &i) != 0) {
            fail("volume " + name);
        }
        libvirt::CString path(virStorageVolGetPath(v));
        if (!path) {
            fail("path of volume " + name);
        }
        return {name, path.get(), i.capacity, i.allocation};
    }
};

LibvirtHypervisor::LibvirtHypervisor(std::string uri) : impl_(std::make_unique<Impl>()) {
    silenceLibvirt();
    impl_->uri = std::move(uri);
}

LibvirtHypervisor::~LibvirtHypervisor() = default;

void LibvirtHypervisor::define(const std::string& domainXml) {
    std::lock_guard lock(impl_->mutex);
    // libvirt refuses a definition of an existing name under another UUID, and gives XML without
    // one a new UUID: to replace a definition, the XML takes the existing guest's UUID.
    std::string xml = domainXml;
    const auto name = elementText(xml, "name");
    const auto nameEnd = xml.find("</name>");
    if (name && nameEnd != std::string::npos && !elementText(xml, "uuid")) {
        libvirt::Domain existing(virDomainLookupByName(impl_->connection(), name->c_str()));
        char uuid[VIR_UUID_STRING_BUFLEN] = {};
        if (!existing) {
            virResetLastError();
        } else if (virDomainGetUUIDString(existing.get(), uuid) == 0) {
            xml.insert(nameEnd + 7, std::string("<uuid>") + uuid + "</uuid>");
        }
    }
    libvirt::Domain d(virDomainDefineXML(impl_->connection(), xml.c_str()));
    if (!d) {
        fail("defining a guest");
    }
}

void LibvirtHypervisor::start(const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    auto d = impl_->domain(name);
    if (virDomainIsActive(d.get()) == 1) {
        throw HypervisorError(Code::InvalidState, "guest " + name + " is already running");
    }
    if (virDomainCreate(d.get()) != 0) {
        fail("starting guest " + name);
    }
}

void LibvirtHypervisor::shutdown(const std::string& name, std::chrono::milliseconds timeout,
                                 ShutdownMethod method) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    libvirt::Domain d;
    {
        std::lock_guard lock(impl_->mutex);
        d = impl_->domain(name);
        if (virDomainIsActive(d.get()) == 0) {
            return;
        }
    }
    // Outside the connection's lock, on the guest's own handle (as agentCommand): in agent mode
    // libvirt's QEMU driver waits for the guest to go down (or its agent to close) before it
    // returns. Both flags: the agent first, the ACPI power button if the agent fails (not
    // connected, or it refuses guest-shutdown). A driver without the flags (test:///default) or a
    // guest without ACPI refuses the request: the plain request, then nothing to wait for, it is
    // forced off below.
    bool asked = false;
    if (method == ShutdownMethod::GuestAgent) {
        asked = virDomainShutdownFlags(
                    d.get(), VIR_DOMAIN_SHUTDOWN_GUEST_AGENT | VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) == 0;
        if (!asked) {
            virResetLastError();
        }
    }
    if (!asked) {
        asked = virDomainShutdown(d.get()) == 0;
        if (!asked) {
            virResetLastError();
        }
    }
    // Off means its QEMU process is gone (not just "shutting down"), so that a start may follow.
    std::unique_lock lock(impl_->mutex);
    while (asked && std::chrono::steady_clock::now() < deadline) {
        if (virDomainIsActive(d.get()) == 0) {
            return;
        }
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        lock.lock();
    }
    if (virDomainIsActive(d.get()) != 0 && virDomainDestroy(d.get()) != 0) {
        fail("forcing guest " + name + " off");
    }
}

void LibvirtHypervisor::destroy(const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    auto d = impl_->domain(name);
    if (virDomainIsActive(d.get()) == 1 && virDomainDestroy(d.get()) != 0) {
        fail("forcing guest " + name + " off");
    }
}

void LibvirtHypervisor::suspend(const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    auto d = impl_->domain(name);
    if (impl_->stateOf(d.get(), name) != GuestState::Running) {
        throw HypervisorError(Code::InvalidState, "guest " + name + " is not running");
    }
    if (virDomainSuspend(d.get()) != 0) {
        fail("pausing guest " + name);
    }
}

void LibvirtHypervisor::resume(const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    auto d = impl_->domain(name);
    if (impl_->stateOf(d.get(), name) != GuestState::Paused) {
        throw HypervisorError(Code::InvalidState, "guest " + name + " is not paused");
    }
    if (virDomainResume(d.get()) != 0) {
        fail("resuming guest " + name);
    }
}

void LibvirtHypervisor::undefine(const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    auto d = impl_->domain(name);
    if (virDomainIsActive(d.get()) == 1) {
        throw HypervisorError(Code::InvalidState, "guest " + name + " is running: stop it before undefining");
    }
    if (virDomainUndefine(d.get()) != 0) {
        fail("undefining guest " + name);
    }
}

std::optional<GuestState> LibvirtHypervisor::state(const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    auto d = impl_->findDomain(name);
    if (!d) {
        return std::nullopt;
    }
    return impl_->stateOf(d.get(), name);
}

std::optional<std::string> LibvirtHypervisor::definition(const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    auto d = impl_->findDomain(name);
    if (!d) {
        return std::nullopt;
    }
    libvirt::CString xml(virDomainGetXMLDesc(d.get(), 0));
    if (!xml) {
        fail("reading the definition of guest " + name);
    }
    return std::string(xml.get());
}

std::vector<GuestInfo> LibvirtHypervisor::listOwned(const std::string& instanceId) {
    std::lock_guard lock(impl_->mutex);
    std::vector<GuestInfo> out;
    if (instanceId.empty()) {
        return out;
    }
    virDomainPtr* raw = nullptr;
    const int n = virConnectListAllDomains(impl_->connection(), &raw, 0);
    if (n < 0) {
        fail("listing guests");
    }
    std::vector<libvirt::Domain> domains;
    for (int i = 0; i < n; ++i) {
        domains.emplace_back(raw[i]);
    }
    std::free(raw);
    for (const auto& d : domains) {
        libvirt::CString metadata(virDomainGetMetadata(d.get(), VIR_DOMAIN_METADATA_ELEMENT,
                                                       kMetadataNamespace, VIR_DOMAIN_AFFECT_CONFIG));
        if (!metadata) {
            virResetLastError();  // no Chatière metadata: not ours
            continue;
        }
        const std::string xml = metadata.get();
        if (elementText(xml, "instance") != instanceId) {
            continue;
        }
        const char* name = virDomainGetName(d.get());
        GuestInfo info;
        info.name = name ? name : "";
        info.instanceId = instanceId;
        info.serviceId = elementText(xml, "service").value_or("");
        int state = 0;
        int reason = 0;
        if (virDomainGetState(d.get(), &state, &reason, 0) != 0) {
            const virErrorPtr e = virGetLastError();
            if (e && e->code == VIR_ERR_NO_DOMAIN) {
                virResetLastError();  // undefined since it was listed: not there any more
                continue;
            }
            fail("state of guest " + info.name);
        }
        info.state = stateOf(state);
        out.push_back(std::move(info));
    }
    return out;
}

std::vector<GuestStats> LibvirtHypervisor::bulkStats(const std::string& instanceId) {
    std::lock_guard lock(impl_->mutex);
    std::vector<GuestStats> out;
    if (instanceId.empty()) {
        return out;
    }
    const std::string prefix = "chatiere-" + instanceId + "-";
    virDomainStatsRecordPtr* raw = nullptr;
    const unsigned stats = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON |
                           VIR_DOMAIN_STATS_INTERFACE;
    const int n = virConnectGetAllDomainStats(impl_->connection(), stats, &raw,
                                              VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
    if (n < 0) {
        fail("guest statistics");
    }
    libvirt::StatsList records(raw);
    for (int i = 0; i < n; ++i) {
        const virDomainStatsRecordPtr r = raw[i];
        const char* name = virDomainGetName(r->dom);
        if (!name || std::string(name).rfind(prefix, 0) != 0) {
            continue;
        }
        GuestStats s;
        s.name = name;
        int state = 0;
        if (virTypedParamsGetInt(r->params, r->nparams, "state.state", &state) == 1) {
            s.state = provisioning::stateOf(state);
        }
        unsigned long long value = 0;
        if (virTypedParamsGetULLong(r->params, r->nparams, "cpu.time", &value) == 1) {
            s.cpuTimeNs = value;
        }
        if (virTypedParamsGetULLong(r->params, r->nparams, "balloon.rss", &value) == 1) {
            s.memoryRssKib = value;
        }
        unsigned int count = 0;
        if (virTypedParamsGetUInt(r->params, r->nparams, "net.count", &count) == 1) {
            uint64_t rx = 0, tx = 0;
            for (unsigned k = 0; k < count; ++k) {
                const std::string base = "net." + std::to_string(k) + ".";
                if (virTypedParamsGetULLong(r->params, r->nparams, (base + "rx.bytes").c_str(), &value) ==
                    1) {
                    rx += value;
                }
                if (virTypedParamsGetULLong(r->params, r->nparams, (base + "tx.bytes").c_str(), &value) ==
                    1) {
                    tx += value;
                }
            }
            s.netRxBytes = rx;
            s.netTxBytes = tx;
        }
        out.push_back(std::move(s));
    }
    return out;
}

// Agent calls wait for the guest (up to their timeout): they run outside the connection's lock, on
// their own domain handle (which keeps the connection alive), so that they hold up no other call.
std::string LibvirtHypervisor::agentCommand(const std::string& name, const std::string& command,
                                            std::chrono::seconds timeout) {
    libvirt::Domain d;
    {
        std::lock_guard lock(impl_->mutex);
        d = impl_->domain(name);
    }
    const int seconds = static_cast<int>(std::max<std::chrono::seconds::rep>(timeout.count(), 1));
    libvirt::CString reply(virDomainQemuAgentCommand(d.get(), command.c_str(), seconds, 0));
    if (!reply) {
        fail("guest agent of " + name);
    }
    return reply.get();
}

void LibvirtHypervisor::fsTrim(const std::string& name) {
    libvirt::Domain d;
    {
        std::lock_guard lock(impl_->mutex);
        d = impl_->domain(name);
    }
    if (virDomainFSTrim(d.get(), nullptr, 0, 0) != 0) {
        fail("trimming the file systems of " + name);
    }
}

void LibvirtHypervisor::ensurePool(const std::string& poolName, const std::string& directory) {
    std::lock_guard lock(impl_->mutex);
    checkVolumeName(poolName);
    libvirt::Pool p(virStoragePoolLookupByName(impl_->connection(), poolName.c_str()));
    if (!p) {
        virResetLastError();
        const std::string xml = "<pool type='dir'><name>" + poolName + "</name><target><path>" + directory +
                                "</path></target></pool>";
        p.reset(virStoragePoolDefineXML(impl_->connection(), xml.c_str(), 0));
        if (!p) {
            fail("defining storage pool " + poolName + " in " + directory);
        }
        if (virStoragePoolBuild(p.get(), 0) != 0) {
            fail("building storage pool " + poolName);
        }
        virStoragePoolSetAutostart(p.get(), 1);
    }
    if (virStoragePoolIsActive(p.get()) == 1 && !std::filesystem::is_directory(directory)) {
        // Its directory went away under it (removed by hand): stop, build again, restart.
        virStoragePoolDestroy(p.get());
    }
    if (virStoragePoolIsActive(p.get()) != 1) {
        if (!std::filesystem::is_directory(directory) && virStoragePoolBuild(p.get(), 0) != 0) {
            fail("building storage pool " + poolName);
        }
        if (virStoragePoolCreate(p.get(), 0) != 0) {
            fail("starting storage pool " + poolName);
        }
    }
}

PoolInfo LibvirtHypervisor::poolInfo(const std::string& poolName) {
    std::lock_guard lock(impl_->mutex);
    auto p = impl_->pool(poolName);
    virStoragePoolInfo info;
    if (virStoragePoolGetInfo(p.get(), &info) != 0) {
        fail("reading storage pool " + poolName);
    }
    return {info.capacity, info.allocation, info.available};
}

VolumeInfo LibvirtHypervisor::createVolume(const std::string& poolName, const std::string& name,
                                           uint64_t capacityBytes) {
    std::lock_guard lock(impl_->mutex);
    checkVolumeName(name);
    if (capacityBytes == 0) {
        throw HypervisorError(Code::InvalidInput, "a volume needs a capacity");
    }
    if (impl_->findVolume(poolName, name)) {
        throw HypervisorError(Code::AlreadyExists, "volume " + name + " exists in pool " + poolName);
    }
    auto p = impl_->pool(poolName);
    const std::string xml =
        "<volume><name>" + name + "</name><capacity unit='bytes'>" + std::to_string(capacityBytes) +
        "</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>";
    libvirt::Volume v(virStorageVolCreateXML(p.get(), xml.c_str(), 0));
    if (!v) {
        fail("creating volume " + name + " in pool " + poolName);
    }
    return impl_->info(v.get(), name);
}

std::vector<VolumeInfo> LibvirtHypervisor::volumes(const std::string& poolName) {
    std::lock_guard lock(impl_->mutex);
    auto p = impl_->pool(poolName);
    virStorageVolPtr* raw = nullptr;
    const int n = virStoragePoolListAllVolumes(p.get(), &raw, 0);
    if (n < 0) {
        fail("volumes of pool " + poolName);
    }
    std::vector<libvirt::Volume> handles;
    handles.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        handles.emplace_back(raw[i]);
    }
    free(raw);
    std::vector<VolumeInfo> out;
    out.reserve(handles.size());
    for (const auto& v : handles) {
        virStorageVolInfo i{};
        const char* name = virStorageVolGetName(v.get());
        if (!name || virStorageVolGetInfo(v.get(), &i) != 0) {
            virResetLastError();  // removed meanwhile: not listed
            continue;
        }
        out.push_back({name, "", i.capacity, i.allocation});
    }
    return out;
}

std::optional<VolumeInfo> LibvirtHypervisor::volume(const std::string& poolName, const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    auto v = impl_->findVolume(poolName, name);
    if (!v) {
        return std::nullopt;
    }
    return impl_->info(v.get(), name);
}

void LibvirtHypervisor::resizeVolume(const std::string& poolName, const std::string& name,
                                     uint64_t capacityBytes) {
    std::lock_guard lock(impl_->mutex);
    auto v = impl_->volume(poolName, name);
    if (virStorageVolResize(v.get(), capacityBytes, 0) != 0) {
        fail("resizing volume " + name);
    }
}

void LibvirtHypervisor::uploadVolume(const std::string& poolName, const std::string& name,
                                     const std::string& bytes) {
    std::lock_guard lock(impl_->mutex);
    auto v = impl_->volume(poolName, name);
    libvirt::Stream stream(virStreamNew(impl_->connection(), 0));
    if (!stream) {
        fail("upload stream for volume " + name);
    }
    if (virStorageVolUpload(v.get(), stream.get(), 0, bytes.size(), 0) != 0) {
        fail("uploading to volume " + name);
    }
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const int n = virStreamSend(stream.get(), bytes.data() + sent,
                                    std::min<std::size_t>(bytes.size() - sent, 1 << 20));
        if (n < 0) {
            virStreamAbort(stream.get());
            fail("uploading to volume " + name);
        }
        sent += static_cast<std::size_t>(n);
    }
    if (virStreamFinish(stream.get()) != 0) {
        fail("finishing the upload to volume " + name);
    }
}

namespace {

// The file a sparse upload reads: libvirt asks where its data and holes are (SEEK_DATA/SEEK_HOLE),
// sends holes as their length only, and reads the data.
struct SparseSource {
    int fd = -1;
    off_t size = 0;
};

int sparseRead(virStreamPtr, char* data, size_t nbytes, void* opaque) {
    const auto* source = static_cast<SparseSource*>(opaque);
    ssize_t n = 0;
    do {
        n = ::read(source->fd, data, nbytes);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : static_cast<int>(n);
}

int sparseWhere(virStreamPtr, int* inData, long long* length, void* opaque) {
    const auto* source = static_cast<SparseSource*>(opaque);
    const off_t here = ::lseek(source->fd, 0, SEEK_CUR);
    if (here < 0) {
        return -1;
    }
    if (here >= source->size) {
        *inData = 0;  // the end: no data, no hole
        *length = 0;
        return 0;
    }
    const off_t data = ::lseek(source->fd, here, SEEK_DATA);
    if (data < 0 && errno != ENXIO) {
        return -1;
    }
    if (data < 0 || data > here) {
        *inData = 0;  // a hole, up to the next data or to the end
        *length = (data < 0 ? source->size : data) - here;
    } else {
        const off_t hole = ::lseek(source->fd, here, SEEK_HOLE);
        if (hole < 0) {
            return -1;
        }
        *inData = 1;
        *length = hole - here;
    }
    return ::lseek(source->fd, here, SEEK_SET) < 0 ? -1 : 0;
}

int sparseSkip(virStreamPtr, long long length, void* opaque) {
    const auto* source = static_cast<SparseSource*>(opaque);
    return ::lseek(source->fd, static_cast<off_t>(length), SEEK_CUR) < 0 ? -1 : 0;
}

}  // namespace

void LibvirtHypervisor::uploadVolumeFile(const std::string& poolName, const std::string& name,
                                         const std::string& path) {
    SparseSource source;
    source.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (source.fd < 0) {
        throw HypervisorError(Code::Failed, "cannot open " + path + ": " + std::strerror(errno));
    }
    const struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{source.fd};
    source.size = ::lseek(source.fd, 0, SEEK_END);
    if (source.size < 0 || ::lseek(source.fd, 0, SEEK_SET) < 0) {
        throw HypervisorError(Code::Failed, "cannot read " + path + ": " + std::strerror(errno));
    }
    std::lock_guard lock(impl_->mutex);
    auto v = impl_->volume(poolName, name);
    virStorageVolInfo info{};
    if (virStorageVolGetInfo(v.get(), &info) != 0) {
        fail("volume " + name);
    }
    if (static_cast<unsigned long long>(source.size) > info.capacity) {
        throw HypervisorError(Code::InvalidInput, path + " is larger than the volume " + name);
    }
    libvirt::Stream stream(virStreamNew(impl_->connection(), 0));
    if (!stream) {
        fail("upload stream for volume " + name);
    }
    if (virStorageVolUpload(v.get(), stream.get(), 0, static_cast<unsigned long long>(source.size),
                            VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) != 0) {
        fail("uploading to volume " + name);
    }
    // On failure virStreamSparseSendAll has aborted the stream already.
    if (virStreamSparseSendAll(stream.get(), sparseRead, sparseWhere, sparseSkip, &source) != 0) {
        fail("uploading " + path + " to volume " + name);
    }
    if (virStreamFinish(stream.get()) != 0) {
        fail("finishing the upload to volume " + name);
    }
}

void LibvirtHypervisor::deleteVolume(const std::string& poolName, const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    auto v = impl_->volume(poolName, name);
    if (virStorageVolDelete(v.get(), 0) != 0) {
        fail("deleting volume " + name);
    }
}

}  // namespace chatiere::provisioning
