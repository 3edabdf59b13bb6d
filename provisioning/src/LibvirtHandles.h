#pragma once

// Owners for libvirt's C handles: each freed with libvirt's own function. Private to provisioning.

#include <libvirt/libvirt.h>

#include <cstdlib>
#include <memory>

namespace chatiere::provisioning::libvirt {

struct ConnectCloser {
    void operator()(virConnectPtr p) const { virConnectClose(p); }
};
struct DomainFreer {
    void operator()(virDomainPtr p) const { virDomainFree(p); }
};
struct PoolFreer {
    void operator()(virStoragePoolPtr p) const { virStoragePoolFree(p); }
};
struct VolumeFreer {
    void operator()(virStorageVolPtr p) const { virStorageVolFree(p); }
};
struct StreamFreer {
    void operator()(virStreamPtr p) const { virStreamFree(p); }
};
struct StatsFreer {
    void operator()(virDomainStatsRecordPtr* p) const { virDomainStatsRecordListFree(p); }
};
struct CFree {
    void operator()(char* p) const { std::free(p); }
};

using Connection = std::unique_ptr<virConnect, ConnectCloser>;
using Domain = std::unique_ptr<virDomain, DomainFreer>;
using Pool = std::unique_ptr<virStoragePool, PoolFreer>;
using Volume = std::unique_ptr<virStorageVol, VolumeFreer>;
using Stream = std::unique_ptr<virStream, StreamFreer>;
using StatsList = std::unique_ptr<virDomainStatsRecordPtr, StatsFreer>;
using CString = std::unique_ptr<char, CFree>;

}  // namespace chatiere::provisioning::libvirt
