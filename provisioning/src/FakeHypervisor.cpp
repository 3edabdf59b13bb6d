#include "chatiere/provisioning/FakeHypervisor.h"

#include "GuestXml.h"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace chatiere::provisioning {

namespace {
using Code = HypervisorError::Code;
}

std::string toString(GuestState state) {
    switch (state) {
        case GuestState::Running:
            return "running";
        case GuestState::Paused:
            return "paused";
        case GuestState::ShutOff:
            return "shut off";
        case GuestState::Crashed:
            return "crashed";
        case GuestState::Other:
            return "other";
    }
    return "other";
}

void FakeHypervisor::count() {
    ++calls_;
    if (failAt_ > 0 && calls_ == failAt_) {
        failAt_ = 0;
        throw HypervisorError(failCode_, "injected failure at call " + std::to_string(calls_));
    }
}

void FakeHypervisor::failOnCall(int n, HypervisorError::Code code) {
    std::lock_guard lock(mutex_);
    failAt_ = calls_ + n;
    failCode_ = code;
}

void FakeHypervisor::clearFailure() {
    std::lock_guard lock(mutex_);
    failAt_ = 0;
}

void FakeHypervisor::refuseUploads(bool refuse) {
    std::lock_guard lock(mutex_);
    refuseUploads_ = refuse;
}

int FakeHypervisor::calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
}

FakeHypervisor::Guest& FakeHypervisor::guest(const std::string& name) {
    const auto it = guests_.find(name);
    if (it == guests_.end()) {
        throw HypervisorError(Code::NotFound, "no guest named " + name);
    }
    return it->second;
}

void FakeHypervisor::checkPool(const std::string& pool) const {
    if (!pools_.count(pool)) {
        throw HypervisorError(Code::NotFound, "no storage pool " + pool);
    }
}

FakeHypervisor::Volume& FakeHypervisor::vol(const std::string& pool, const std::string& name) {
    checkPool(pool);
    checkVolumeName(name);
    const auto it = volumes_.find(pool + "/" + name);
    if (it == volumes_.end()) {
        throw HypervisorError(Code::NotFound, "no volume " + name + " in pool " + pool);
    }
    return it->second;
}

void FakeHypervisor::define(const std::string& domainXml) {
    std::lock_guard lock(mutex_);
    count();
    const auto name = elementText(domainXml, "name");
    if (!name || name->empty()) {
        throw HypervisorError(Code::InvalidInput, "domain XML has no <name>");
    }
    Guest& g = guests_[*name];
    g.xml = domainXml;
    g.info.name = *name;
    g.info.instanceId = elementText(domainXml, "instance").value_or("");
    g.info.serviceId = elementText(domainXml, "service").value_or("");
    if (g.info.state == GuestState::Other) {
        g.info.state = GuestState::ShutOff;
    }
}

void FakeHypervisor::start(const std::string& name) {
    std::lock_guard lock(mutex_);
    count();
    Guest& g = guest(name);
    if (g.info.state != GuestState::ShutOff && g.info.state != GuestState::Crashed) {
        throw HypervisorError(Code::InvalidState, "guest " + name + " is already running");
    }
    g.info.state = GuestState::Running;
    g.cpuTimeNs = 0;  // a new QEMU process: its counters start again
    stopped(g);       // nor has the new boot any of the last one's /run
}

void FakeHypervisor::shutdown(const std::string& name, std::chrono::milliseconds, ShutdownMethod method) {
    std::lock_guard lock(mutex_);
    count();
    Guest& g = guest(name);
    g.lastShutdown = method;
    g.info.state = GuestState::ShutOff;
    stopped(g);
}

void FakeHypervisor::destroy(const std::string& name) {
    std::lock_guard lock(mutex_);
    count();
    Guest& g = guest(name);
    g.info.state = GuestState::ShutOff;
    stopped(g);
}

void FakeHypervisor::suspend(const std::string& name) {
    std::lock_guard lock(mutex_);
    count();
    Guest& g = guest(name);
    if (g.info.state != GuestState::Running) {
        throw HypervisorError(Code::InvalidState, "guest " + name + " is not running");
    }
    g.info.state = GuestState::Paused;
}

void FakeHypervisor::resume(const std::string& name) {
    std::lock_guard lock(mutex_);
    count();
    Guest& g = guest(name);
    if (g.info.state != GuestState::Paused) {
        throw HypervisorError(Code::InvalidState, "guest " + name + " is not paused");
    }
    g.info.state = GuestState::Running;
}

void FakeHypervisor::undefine(const std::string& name) {
    std::lock_guard lock(mutex_);
    count();
    Guest& g = guest(name);
    if (g.info.state == GuestState::Running || g.info.state == GuestState::Paused) {
        // libvirt makes a running guest transient; the contract asks callers to stop it first.
        throw HypervisorError(Code::InvalidState, "guest " + name + " is running");
    }
    guests_.erase(name);
}

std::optional<GuestState> FakeHypervisor::state(const std::string& name) {
    std::lock_guard lock(mutex_);
    count();
    const auto it = guests_.find(name);
    return it == guests_.end() ? std::nullopt : std::optional<GuestState>(it->second.info.state);
}

// Not counted as a call (failOnCall): a read of what was defined, which the tests' call numbers of
// the other jobs predate.
std::optional<std::string> FakeHypervisor::definition(const std::string& name) {
    std::lock_guard lock(mutex_);
    const auto it = guests_.find(name);
    return it == guests_.end() ? std::nullopt : std::optional<std::string>(it->second.xml);
}

std::vector<GuestInfo> FakeHypervisor::listOwned(const std::string& instanceId) {
    std::lock_guard lock(mutex_);
    count();
    std::vector<GuestInfo> out;
    for (const auto& [name, g] : guests_) {
        if (!instanceId.empty() && g.info.instanceId == instanceId) {
            out.push_back(g.info);
        }
    }
    return out;
}

std::vector<GuestStats> FakeHypervisor::bulkStats(const std::string& instanceId) {
    std::lock_guard lock(mutex_);
    count();
    std::vector<GuestStats> out;
    for (auto& [name, g] : guests_) {
        if (instanceId.empty() || g.info.instanceId != instanceId) {
            continue;
        }
        GuestStats s;
        s.name = name;
        s.state = g.info.state;
        if (g.info.state == GuestState::Running) {
            g.cpuTimeNs += 1'000'000;  // a running guest uses some CPU between two calls
        }
        s.cpuTimeNs = g.cpuTimeNs;
        out.push_back(s);
    }
    return out;
}

void FakeHypervisor::stopped(Guest& g) {
    g.files.clear();
    g.handles.clear();
}

FakeHypervisor::Guest& FakeHypervisor::agentGuest(const std::string& name) {
    Guest& g = guest(name);
    // As libvirt's QEMU driver: a running guest first, then an agent configured, then connected.
    if (g.info.state != GuestState::Running) {
        throw HypervisorError(Code::InvalidState, "guest " + name + " is not running");
    }
    if (g.xml.find("org.qemu.guest_agent.0") == std::string::npos) {
        throw HypervisorError(Code::Unsupported, "QEMU guest agent is not configured for " + name);
    }
    const auto answering = agentAnswering_.find(name);
    if (answering != agentAnswering_.end() && !answering->second) {
        throw HypervisorError(Code::AgentUnavailable, "QEMU guest agent is not connected");
    }
    return g;
}

std::string FakeHypervisor::agentCommand(const std::string& name, const std::string& command,
                                         std::chrono::seconds) {
    std::lock_guard lock(mutex_);
    count();
    Guest& g = agentGuest(name);
    Poco::JSON::Object::Ptr request;
    try {
        request = Poco::JSON::Parser().parse(command).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        throw HypervisorError(Code::InvalidInput, "the agent command is not a JSON object");
    }
    if (!request) {
        throw HypervisorError(Code::InvalidInput, "the agent command is not a JSON object");
    }
    const std::string execute = request->optValue<std::string>("execute", "");
    const auto arguments = request->getObject("arguments");
    const auto argument = [&](const std::string& key) {
        if (!arguments || !arguments->has(key)) {
            throw HypervisorError(Code::Failed, execute + ": missing argument " + key);
        }
        return arguments->get(key);
    };
    const auto reply = [](const Poco::Dynamic::Var& value) {
        Poco::JSON::Object o;
        o.set("return", value);
        std::ostringstream out;
        o.stringify(out);
        return out.str();
    };
    if (execute == "guest-ping" || execute == "guest-fstrim") {
        return reply(Poco::JSON::Object());
    }
    if (execute == "guest-sync") {
        return reply(argument("id"));
    }
    if (execute == "guest-file-open") {
        const std::string path = argument("path").toString();
        const std::string mode = arguments->optValue<std::string>("mode", "r");
        if (mode != "w") {
            throw HypervisorError(Code::Failed, "the fake agent only opens files for writing");
        }
        g.handles[nextHandle_] = {path, ""};
        return reply(nextHandle_++);
    }
    if (execute == "guest-file-write" || execute == "guest-file-close") {
        const auto handle = g.handles.find(argument("handle").convert<int64_t>());
        if (handle == g.handles.end()) {
            throw HypervisorError(Code::Failed, execute + ": no such file handle");
        }
        if (execute == "guest-file-close") {
            g.files[handle->second.first] = handle->second.second;
            g.handles.erase(handle);
            return reply(Poco::JSON::Object());
        }
        std::istringstream in(argument("buf-b64").toString());
        Poco::Base64Decoder decoder(in);
        const std::string bytes((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
        handle->second.second += bytes;
        Poco::JSON::Object written;
        written.set("count", static_cast<int64_t>(bytes.size()));
        written.set("eof", false);
        return reply(written);
    }
    throw HypervisorError(Code::Failed, "the guest agent refuses " + execute);
}

void FakeHypervisor::fsTrim(const std::string& name) {
    std::lock_guard lock(mutex_);
    count();
    ++agentGuest(name).fsTrims;
}

void FakeHypervisor::setAgentAnswering(const std::string& name, bool answering) {
    std::lock_guard lock(mutex_);
    agentAnswering_[name] = answering;
}

std::optional<std::string> FakeHypervisor::guestFile(const std::string& name, const std::string& path) const {
    std::lock_guard lock(mutex_);
    const auto g = guests_.find(name);
    if (g == guests_.end()) {
        return std::nullopt;
    }
    const auto f = g->second.files.find(path);
    return f == g->second.files.end() ? std::nullopt : std::optional<std::string>(f->second);
}

int FakeHypervisor::openGuestFiles(const std::string& name) const {
    std::lock_guard lock(mutex_);
    const auto g = guests_.find(name);
    return g == guests_.end() ? 0 : static_cast<int>(g->second.handles.size());
}

int FakeHypervisor::fsTrims(const std::string& name) const {
    std::lock_guard lock(mutex_);
    const auto g = guests_.find(name);
    return g == guests_.end() ? 0 : g->second.fsTrims;
}

std::optional<ShutdownMethod> FakeHypervisor::lastShutdown(const std::string& name) const {
    std::lock_guard lock(mutex_);
    const auto g = guests_.find(name);
    return g == guests_.end() ? std::nullopt : g->second.lastShutdown;
}

void FakeHypervisor::ensurePool(const std::string& pool, const std::string& directory) {
    std::lock_guard lock(mutex_);
    count();
    pools_.emplace(pool, directory);
}

PoolInfo FakeHypervisor::poolInfo(const std::string& pool) {
    std::lock_guard lock(mutex_);
    count();
    checkPool(pool);
    uint64_t used = 0;
    for (const auto& [key, v] : volumes_) {
        if (key.rfind(pool + "/", 0) == 0) {
            used += v.allocation();
        }
    }
    return {poolCapacity_, used, poolCapacity_ > used ? poolCapacity_ - used : 0};
}

void FakeHypervisor::setPoolCapacity(uint64_t bytes) {
    std::lock_guard lock(mutex_);
    poolCapacity_ = bytes;
}

VolumeInfo FakeHypervisor::createVolume(const std::string& pool, const std::string& name,
                                        uint64_t capacityBytes) {
    std::lock_guard lock(mutex_);
    count();
    checkPool(pool);
    checkVolumeName(name);
    if (capacityBytes == 0) {
        throw HypervisorError(Code::InvalidInput, "a volume needs a capacity");
    }
    if (!volumes_.emplace(pool + "/" + name, Volume{capacityBytes, "", {}, 0}).second) {
        throw HypervisorError(Code::AlreadyExists, "volume " + name + " exists in pool " + pool);
    }
    return {name, pools_.at(pool) + "/" + name, capacityBytes, 0};
}

std::vector<VolumeInfo> FakeHypervisor::volumes(const std::string& pool) {
    std::lock_guard lock(mutex_);
    count();
    checkPool(pool);
    std::vector<VolumeInfo> out;
    for (const auto& [key, v] : volumes_) {
        if (key.rfind(pool + "/", 0) == 0) {
            out.push_back({key.substr(pool.size() + 1), "", v.capacity, v.allocation()});
        }
    }
    return out;
}

std::optional<VolumeInfo> FakeHypervisor::volume(const std::string& pool, const std::string& name) {
    std::lock_guard lock(mutex_);
    count();
    checkPool(pool);
    checkVolumeName(name);
    const auto it = volumes_.find(pool + "/" + name);
    if (it == volumes_.end()) {
        return std::nullopt;
    }
    return VolumeInfo{name, pools_.at(pool) + "/" + name, it->second.capacity, it->second.allocation()};
}

void FakeHypervisor::resizeVolume(const std::string& pool, const std::string& name, uint64_t capacityBytes) {
    std::lock_guard lock(mutex_);
    count();
    Volume& v = vol(pool, name);
    if (capacityBytes < v.capacity) {
        throw HypervisorError(Code::InvalidInput, "volumes only grow");
    }
    v.capacity = capacityBytes;
}

void FakeHypervisor::uploadVolume(const std::string& pool, const std::string& name,
                                  const std::string& bytes) {
    std::lock_guard lock(mutex_);
    count();
    Volume& v = vol(pool, name);
    if (refuseUploads_) {
        throw HypervisorError(Code::Failed, "the pool refuses writes to " + name);
    }
    if (bytes.size() > v.capacity) {
        throw HypervisorError(Code::InvalidInput, "content larger than the volume");
    }
    v.content = bytes;
    v.data.clear();
    v.fileSize = 0;
}

uint64_t FakeHypervisor::Volume::allocation() const {
    uint64_t bytes = content.size();
    for (const auto& [offset, chunk] : data) {
        bytes += chunk.size();
    }
    return bytes;
}

void FakeHypervisor::uploadVolumeFile(const std::string& pool, const std::string& name,
                                      const std::string& path) {
    std::lock_guard lock(mutex_);
    count();
    Volume& v = vol(pool, name);
    if (refuseUploads_) {
        throw HypervisorError(Code::Failed, "the pool refuses writes to " + name);
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw HypervisorError(Code::Failed, "cannot open " + path + ": " + std::strerror(errno));
    }
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < 0 || static_cast<uint64_t>(size) > v.capacity) {
        ::close(fd);
        throw HypervisorError(Code::InvalidInput, path + " is larger than the volume " + name);
    }
    // Only the data, as libvirt's sparse upload sends it.
    std::map<uint64_t, std::string> data;
    for (off_t at = ::lseek(fd, 0, SEEK_DATA); at >= 0 && at < size; at = ::lseek(fd, at, SEEK_DATA)) {
        const off_t end = ::lseek(fd, at, SEEK_HOLE);
        std::string chunk(static_cast<std::size_t>(end - at), '\0');
        if (::pread(fd, chunk.data(), chunk.size(), at) != static_cast<ssize_t>(chunk.size())) {
            ::close(fd);
            throw HypervisorError(Code::Failed, "cannot read " + path);
        }
        data.emplace(static_cast<uint64_t>(at), std::move(chunk));
        at = end;
    }
    ::close(fd);
    v.content.clear();
    v.data = std::move(data);
    v.fileSize = static_cast<uint64_t>(size);
}

void FakeHypervisor::saveVolume(const std::string& pool, const std::string& name,
                                const std::string& path) const {
    std::lock_guard lock(mutex_);
    const auto it = volumes_.find(pool + "/" + name);
    if (it == volumes_.end()) {
        throw HypervisorError(Code::NotFound, "no volume " + name + " in pool " + pool);
    }
    const Volume& v = it->second;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << v.content;
    for (const auto& [offset, chunk] : v.data) {
        out.seekp(static_cast<std::streamoff>(offset));
        out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
    out.close();
    if (v.fileSize > v.content.size()) {
        std::filesystem::resize_file(path, v.fileSize);
    }
}

void FakeHypervisor::deleteVolume(const std::string& pool, const std::string& name) {
    std::lock_guard lock(mutex_);
    count();
    vol(pool, name);
    volumes_.erase(pool + "/" + name);
}

std::string FakeHypervisor::volumeContent(const std::string& pool, const std::string& name) const {
    std::lock_guard lock(mutex_);
    const auto it = volumes_.find(pool + "/" + name);
    return it == volumes_.end() ? std::string() : it->second.content;
}

std::string FakeHypervisor::domainXml(const std::string& name) const {
    std::lock_guard lock(mutex_);
    const auto it = guests_.find(name);
    return it == guests_.end() ? std::string() : it->second.xml;
}

}  // namespace chatiere::provisioning
