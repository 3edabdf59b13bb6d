#include "chatiere/provisioning/Reconciler.h"

#include <Poco/Logger.h>

#include <set>

namespace chatiere::provisioning {

Reconciler::Reconciler(Hypervisor& hypervisor, GuestBuilder& builder, ReconcileSource& source,
                       base::Clock& clock, Poco::Logger& logger, std::chrono::seconds orphanGrace)
    : hypervisor_(hypervisor),
      builder_(builder),
      source_(source),
      clock_(clock),
      logger_(logger),
      orphanGrace_(orphanGrace) {}

Reconciler::Report Reconciler::runOnce() {
    Report report;
    // Listed before the services are read: a volume a job writes later is not in this listing, and
    // one listed here whose job has ended since shows as current (kept) or is already deleted.
    std::vector<VolumeInfo> volumes;
    try {
        volumes = hypervisor_.volumes(builder_.settings().pool);
    } catch (const HypervisorError& e) {
        if (e.code() != HypervisorError::Code::NotFound) {
            throw;
        }
    }
    const auto owned = hypervisor_.listOwned(builder_.settings().instanceId);
    std::map<std::string, GuestInfo> guests;
    for (const auto& g : owned) {
        guests[g.name] = g;
    }
    std::set<std::string> wanted;
    for (const auto& desired : source_.desiredServices()) {
        const std::string name = builder_.domainName(desired.spec.id);
        wanted.insert(name);
        if (desired.hasUnfinishedJob) {
            continue;  // its job may be writing a volume beside the current one
        }
        // A volume of the service that is not its current one: left by a content replacement that
        // could not delete it (the daemon killed, the pool refusing).
        const std::string current = builder_.volumeName(desired.spec.id, desired.spec.volumeGeneration);
        for (const auto& v : volumes) {
            if (v.name != current && builder_.isVolumeOf(desired.spec.id, v.name)) {
                try {
                    hypervisor_.deleteVolume(builder_.settings().pool, v.name);
                } catch (const HypervisorError& e) {
                    if (e.code() != HypervisorError::Code::NotFound) {
                        throw;
                    }
                }
                source_.auditGuest(name, "volume.leftover_removed",
                                   "volume " + v.name + " is not the current one");
                ++report.leftoverVolumesRemoved;
            }
        }
        if (desired.state != "active") {
            continue;
        }
        const auto it = guests.find(name);
        if (it == guests.end()) {
            source_.enqueueRepair(desired.spec.id, JobKind::Create,
                                  "guest " + name + " is missing: recreated");
            ++report.repairs;
            continue;
        }
        const GuestState state = it->second.state;
        const bool running = state == GuestState::Running;
        const bool paused = state == GuestState::Paused;
        if (desired.spec.shouldRun && !running) {
            source_.enqueueRepair(desired.spec.id, paused ? JobKind::Apply : JobKind::Create,
                                  "guest " + name + " is " + toString(state) + ": started");
            ++report.repairs;
        } else if (!desired.spec.shouldRun && running) {
            source_.enqueueRepair(desired.spec.id, JobKind::Apply,
                                  "guest " + name + " runs while suspended: paused");
            ++report.repairs;
        }
    }
    const auto now = clock_.now();
    for (const auto& [name, guest] : guests) {
        if (wanted.count(name)) {
            orphanSince_.erase(name);
            continue;
        }
        report.orphans.push_back(name);
        const auto [it, first] = orphanSince_.emplace(name, now);
        if (first) {
            logger_.warning(
                "guest %s belongs to this installation but to no service: removed after %d s unless "
                "claimed",
                name, static_cast<int>(orphanGrace_.count()));
            source_.auditGuest(name, "guest.orphan_found", "no service wants this guest");
            continue;
        }
        if (now - it->second >= orphanGrace_ && builder_.domainName(guest.serviceId) == name) {
            ServiceSpec spec;
            spec.id = guest.serviceId;
            builder_.remove(spec);
            orphanSince_.erase(it);
            source_.auditGuest(name, "guest.orphan_removed",
                               "removed after the grace period, with its volume");
            ++report.orphansRemoved;
        }
    }
    // Forget orphans that went away by themselves.
    for (auto it = orphanSince_.begin(); it != orphanSince_.end();) {
        it = guests.count(it->first) ? std::next(it) : orphanSince_.erase(it);
    }
    return report;
}

}  // namespace chatiere::provisioning
