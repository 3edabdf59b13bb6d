#include "hosting/ImageRollout.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"

#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include <algorithm>

namespace chatiere::manager {

ImageRollout::ImageRollout(Database& db, base::Clock& clock, const Settings& settings,
                           const templates::Catalogue& catalogue, provisioning::GuestBuilder& builder,
                           Poco::Logger& logger, std::function<void()> jobQueued)
    : db_(db),
      clock_(clock),
      settings_(settings),
      catalogue_(catalogue),
      builder_(builder),
      logger_(logger),
      jobQueued_(std::move(jobQueued)) {}

provisioning::ServiceSpec ImageRollout::specOf(const Service& service) const {
    provisioning::ServiceSpec spec;
    spec.id = service.id;
    spec.templateName = service.templateName;
    return spec;
}

std::optional<ServiceImage> ImageRollout::imageOf(const Service& service) {
    if (service.state == ServiceState::Deleted || service.state == ServiceState::Deleting ||
        !catalogue_.find(service.templateName)) {
        return std::nullopt;
    }
    const auto spec = specOf(service);
    const auto current = builder_.currentBuild(spec);
    if (!current) {
        return std::nullopt;
    }
    std::optional<std::string> build;
    try {
        const auto state = builder_.state(spec);
        if (!state) {
            return std::nullopt;
        }
        build = builder_.guestBuild(spec);
    } catch (const provisioning::HypervisorError& e) {
        logger_.warning("the build of %s is unknown: %s", service.id, std::string(e.what()));
        return std::nullopt;
    }
    return ServiceImage{build.value_or(""), build == current};
}

void ImageRollout::authorize(const Actor& actor, const std::optional<std::string>& templateName) const {
    if (!actor.isAdmin()) {
        throw Error::forbidden("Rolling images out is reserved to the admin.");
    }
    if (templateName && !catalogue_.find(*templateName)) {
        throw Error::badRequest("unknown_template", "There is no template named '" + *templateName + "'.");
    }
}

std::vector<OutdatedService> ImageRollout::outdatedLocked(Session& s) {
    std::vector<OutdatedService> out;
    for (const auto& service : ServiceRepository(s).live()) {
        if (service.state != ServiceState::Active) {
            continue;  // being created, resized, deleted, or failed: its own job defines it
        }
        const auto image = imageOf(service);
        if (!image || image->current || image->build.empty()) {
            continue;  // no guest, on the current build, or a guest that names no build of the cache
        }
        OutdatedService o;
        o.serviceId = service.id;
        o.serviceName = service.name;
        o.templateName = service.templateName;
        o.build = image->build;
        o.currentBuild = builder_.currentBuild(specOf(service)).value_or("");
        const auto failed = failed_.find(service.id);
        o.failed = failed != failed_.end() && failed->second == o.currentBuild;
        out.push_back(std::move(o));
    }
    return out;
}

RolloutStatus ImageRollout::statusLocked(const std::optional<std::string>& templateName) {
    auto s = db_.session();
    RolloutStatus status;
    status.automatic = settings_.imagesAutoRollout;
    status.requested.assign(requested_.begin(), requested_.end());
    ServiceRepository services(s);
    for (const auto& job : JobRepository(s).pendingOfKind("rollout")) {
        const auto service = services.find(job.serviceId);
        if (!service || (templateName && service->templateName != *templateName)) {
            continue;
        }
        status.inProgress.push_back(
            {job.serviceId, service->name, service->templateName, job.step, job.payload});
    }
    for (auto& o : outdatedLocked(s)) {
        if (!templateName || o.templateName == *templateName) {
            status.outdated.push_back(std::move(o));
        }
    }
    return status;
}

RolloutStatus ImageRollout::status(const Actor& actor, const std::optional<std::string>& templateName) {
    authorize(actor, templateName);
    std::lock_guard lock(mutex_);
    return statusLocked(templateName);
}

RolloutStatus ImageRollout::start(const Actor& actor, const std::optional<std::string>& templateName) {
    authorize(actor, templateName);
    std::lock_guard lock(mutex_);
    requested_.insert(templateName.value_or(""));
    // Asked again: the services whose rollout failed are tried once more.
    for (auto it = failed_.begin(); it != failed_.end();) {
        auto s = db_.session();
        const auto service = ServiceRepository(s).find(it->first);
        if (!templateName || !service || service->templateName == *templateName) {
            it = failed_.erase(it);
        } else {
            ++it;
        }
    }
    {
        auto s = db_.session();
        Transaction tx(s);
        Poco::JSON::Object details;
        details.set("template", templateName ? Poco::Dynamic::Var(*templateName) : Poco::Dynamic::Var());
        AuditLog::record(s, actor, formatTime(clock_.now()), "templates.rollout", "template",
                         templateName.value_or("*"), std::nullopt, details);
        tx.commit();
    }
    runLocked();
    return statusLocked(templateName);
}

std::optional<std::string> ImageRollout::runOnce() {
    std::lock_guard lock(mutex_);
    return runLocked();
}

std::optional<std::string> ImageRollout::runLocked() {
    auto s = db_.session();
    // One at a time: while a rollout job is pending, the next one waits.
    if (!JobRepository(s).pendingOfKind("rollout").empty()) {
        return std::nullopt;
    }
    // The one queued last ended: on its target build, or rolled back (not tried again on it).
    if (last_) {
        const auto service = ServiceRepository(s).find(last_->serviceId);
        if (service) {
            const auto image = imageOf(*service);
            if (image && image->build != last_->target) {
                failed_[last_->serviceId] = last_->target;
                logger_.warning(
                    "the rollout of %s onto build %s failed: it is not tried again on that build "
                    "(chatiere templates rollout %s asks again)",
                    last_->serviceId, last_->target, service->templateName);
            }
        }
        last_.reset();
    }
    const auto busy = JobRepository(s).servicesWithPendingJob();
    const auto outdated = outdatedLocked(s);
    // A template asked for now with nothing left to roll out is done.
    for (auto it = requested_.begin(); it != requested_.end();) {
        const std::string name = *it;
        const bool left = std::any_of(outdated.begin(), outdated.end(), [&](const OutdatedService& o) {
            return !o.failed && (name.empty() || o.templateName == name);
        });
        it = left ? std::next(it) : requested_.erase(it);
    }
    for (const auto& o : outdated) {
        if (o.failed || busy.count(o.serviceId) > 0) {
            continue;
        }
        if (!settings_.imagesAutoRollout && requested_.count("") == 0 &&
            requested_.count(o.templateName) == 0) {
            continue;
        }
        Transaction tx(s);
        const std::string at = formatTime(clock_.now());
        ServiceRepository(s).enqueueJob(o.serviceId, "rollout", at, o.build);
        Poco::JSON::Object details;
        details.set("from_build", o.build);
        details.set("to_build", o.currentBuild);
        const auto service = ServiceRepository(s).find(o.serviceId);
        AuditLog::record(s, Actor::system("rollout"), at, "service.rollout", "service", o.serviceId,
                         service ? std::optional<std::string>(service->associationId) : std::nullopt,
                         details);
        tx.commit();
        last_ = Queued{o.serviceId, o.currentBuild};
        logger_.information("rolling out build %s of template %s: restarting %s (on build %s)",
                            o.currentBuild, o.templateName, o.serviceId, o.build);
        jobQueued_();
        return o.serviceId;
    }
    return std::nullopt;
}

}  // namespace chatiere::manager
