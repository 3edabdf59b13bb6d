#include "chatiere/provisioning/FakeHypervisor.h"

#include "GuestXml.h"

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
}

void FakeHypervisor::shutdown(const std::string& name, std::chrono::milliseconds) {
    std::lock_guard lock(mutex_);
    count();
    guest(name).info.state = GuestState::ShutOff;
}

void FakeHypervisor::destroy(const std::string& name) {
    std::lock_guard lock(mutex_);
    count();
    guest(name).info.state = GuestState::ShutOff;
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
            used += v.content.size();
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
    if (!volumes_.emplace(pool + "/" + name, Volume{capacityBytes, ""}).second) {
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
            out.push_back({key.substr(pool.size() + 1), "", v.capacity, v.content.size()});
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
    return VolumeInfo{name, pools_.at(pool) + "/" + name, it->second.capacity, it->second.content.size()};
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
