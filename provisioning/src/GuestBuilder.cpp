#include "chatiere/provisioning/GuestBuilder.h"

#include "chatiere/provisioning/GuestAgent.h"
#include "chatiere/provisioning/SiteImage.h"
#include "chatiere/provisioning/TarWriter.h"

#include <Poco/JSON/Object.h>

#include <filesystem>
#include <sstream>

namespace chatiere::provisioning {

namespace {

using Code = HypervisorError::Code;
constexpr uint64_t kGiB = 1024ULL * 1024 * 1024;

}  // namespace

GuestBuilder::GuestBuilder(Hypervisor& hypervisor, const templates::Catalogue& catalogue,
                           templates::ImageCache& images, ProvisioningSettings settings,
                           std::string siteImageDirectory)
    : hypervisor_(hypervisor),
      catalogue_(catalogue),
      images_(images),
      settings_(std::move(settings)),
      siteImageDirectory_(std::move(siteImageDirectory)) {}

std::string GuestBuilder::domainName(const std::string& serviceId) const {
    return "chatiere-" + settings_.instanceId + "-" + serviceId;
}

std::string GuestBuilder::volumeName(const std::string& serviceId, int64_t generation) const {
    return domainName(serviceId) + (generation == 0 ? "" : ".g" + std::to_string(generation)) + ".img";
}

bool GuestBuilder::isVolumeOf(const std::string& serviceId, const std::string& volume) const {
    const std::string base = domainName(serviceId);
    if (volume == base + ".img") {
        return true;
    }
    const std::string prefix = base + ".g";
    const std::string suffix = ".img";
    if (volume.size() <= prefix.size() + suffix.size() || volume.compare(0, prefix.size(), prefix) != 0 ||
        volume.compare(volume.size() - suffix.size(), suffix.size(), suffix) != 0) {
        return false;
    }
    const std::string digits = volume.substr(prefix.size(), volume.size() - prefix.size() - suffix.size());
    return digits.find_first_not_of("0123456789") == std::string::npos;
}

const templates::Manifest& GuestBuilder::manifest(const ServiceSpec& spec) const {
    const auto* m = catalogue_.find(spec.templateName);
    if (!m) {
        throw HypervisorError(Code::InvalidInput,
                              "template " + spec.templateName + " is not in the catalogue");
    }
    return *m;
}

void GuestBuilder::ensurePool() {
    hypervisor_.ensurePool(settings_.pool, settings_.poolDirectory);
}

bool GuestBuilder::hasImage(const ServiceSpec& spec) const {
    return images_.isBuilt(manifest(spec));
}

void GuestBuilder::ensureImage(const ServiceSpec& spec) const {
    const auto& m = manifest(spec);
    if (!images_.isBuilt(m)) {
        throw HypervisorError(Code::Unavailable, templates::ImageCache::missingMessage(m));
    }
}

std::string GuestBuilder::welcomeArchive(const ServiceSpec& spec) {
    const std::string name = templates::escapeXml(spec.associationName);  // valid HTML escaping too
    const std::string page = "<!doctype html>\n<html lang=\"fr\">\n<head><meta charset=\"utf-8\"><title>" +
                             name + "</title></head>\n<body>\n<h1>" + name +
                             "</h1>\n<p>Bienvenue sur le site de " + name +
                             ". Ce site est hébergé par Chatière ; son contenu arrive bientôt.</p>\n"
                             "<p lang=\"en\">Welcome to the website of " +
                             name + ". Its content is coming soon.</p>\n</body>\n</html>\n";
    return makeTar({{"index.html", page}});
}

void GuestBuilder::uploadSite(const std::string& name, uint64_t capacityBytes, const std::string& archive) {
    if (siteImageDirectory_.empty()) {
        hypervisor_.uploadVolume(settings_.pool, name, archive);
        return;
    }
    const std::filesystem::path image = std::filesystem::path(siteImageDirectory_) / (name + ".tmp");
    struct Remove {
        const std::filesystem::path& path;
        ~Remove() {
            std::error_code ignored;
            std::filesystem::remove(path, ignored);
        }
    } remove{image};
    makeSiteImage(archive, image, capacityBytes, siteImageDirectory_);
    hypervisor_.uploadVolumeFile(settings_.pool, name, image.string());
}

void GuestBuilder::ensureVolume(const ServiceSpec& spec) {
    const std::string name = volumeName(spec.id, spec.volumeGeneration);
    if (hypervisor_.volume(settings_.pool, name)) {
        return;
    }
    const uint64_t capacity = static_cast<uint64_t>(spec.diskGib) * kGiB;
    hypervisor_.createVolume(settings_.pool, name, capacity);
    if (!manifest(spec).imageRoot.empty()) {
        return;  // sparse and empty: the guest formats it (ext4) at its first boot
    }
    try {
        uploadSite(name, capacity, welcomeArchive(spec));
    } catch (const std::exception&) {
        hypervisor_.deleteVolume(settings_.pool, name);  // never leave a half-made volume
        throw;
    }
}

void GuestBuilder::writeVolume(const ServiceSpec& spec, int64_t generation, const std::string& archive) {
    const std::string name = volumeName(spec.id, generation);
    if (hypervisor_.volume(settings_.pool, name)) {
        hypervisor_.deleteVolume(settings_.pool, name);  // half-written by a daemon that died
    }
    const uint64_t capacity = static_cast<uint64_t>(spec.diskGib) * kGiB;
    hypervisor_.createVolume(settings_.pool, name, capacity);
    try {
        uploadSite(name, capacity, archive);
    } catch (const std::exception&) {
        try {
            hypervisor_.deleteVolume(settings_.pool, name);
        } catch (const HypervisorError&) {
            // The job's rollback deletes it again; the upload's error is the one to report.
        }
        throw;
    }
}

void GuestBuilder::deleteVolume(const std::string& serviceId, int64_t generation) {
    const std::string name = volumeName(serviceId, generation);
    if (hypervisor_.volume(settings_.pool, name)) {
        hypervisor_.deleteVolume(settings_.pool, name);
    }
}

std::vector<std::string> GuestBuilder::deleteOtherVolumes(const ServiceSpec& spec) {
    const std::string current = volumeName(spec.id, spec.volumeGeneration);
    std::vector<std::string> deleted;
    for (const auto& v : hypervisor_.volumes(settings_.pool)) {
        if (v.name != current && isVolumeOf(spec.id, v.name)) {
            try {
                hypervisor_.deleteVolume(settings_.pool, v.name);
            } catch (const HypervisorError& e) {
                if (e.code() != Code::NotFound) {
                    throw;
                }
            }
            deleted.push_back(v.name);
        }
    }
    return deleted;
}

std::optional<std::string> GuestBuilder::guestBuild(const ServiceSpec& spec) {
    const auto xml = hypervisor_.definition(domainName(spec.id));
    if (!xml) {
        return std::nullopt;
    }
    return images_.keyIn(manifest(spec), *xml);
}

std::optional<std::string> GuestBuilder::currentBuild(const ServiceSpec& spec) const {
    return images_.currentKey(manifest(spec));
}

std::string GuestBuilder::renderDomain(const ServiceSpec& spec,
                                       const std::optional<std::string>& build) const {
    const templates::Manifest& m = manifest(spec);
    if (!m.supports(settings_.domainType)) {
        throw HypervisorError(Code::InvalidInput,
                              "template " + m.name + " does not support " + settings_.domainType + " guests");
    }
    std::filesystem::path kernel;
    std::filesystem::path initrd;
    std::optional<std::filesystem::path> root;
    if (build) {
        const auto folder = images_.buildOf(m, *build);
        if (!folder) {
            throw HypervisorError(Code::NotFound, "build " + *build + " of template " + m.name + " is gone");
        }
        kernel = *folder / m.imageKernel;
        initrd = *folder / m.imageInitrd;
        if (!m.imageRoot.empty()) {
            root = *folder / m.imageRoot;
        }
    } else {
        ensureImage(spec);
        kernel = images_.kernel(m);
        initrd = images_.initrd(m);
        root = images_.root(m);
    }
    std::map<std::string, std::string> values = {
        {"domain_type", settings_.domainType},
        {"domain_name", domainName(spec.id)},
        {"service_name", spec.name},
        {"association_name", spec.associationName},
        {"instance_id", settings_.instanceId},
        {"service_id", spec.id},
        {"memory_mib", std::to_string(spec.memoryMib)},
        {"vcpus", std::to_string(spec.vcpus)},
        {"kernel", kernel.string()},
        {"initrd", initrd.string()},
        {"data_disk", settings_.poolDirectory + "/" + volumeName(spec.id, spec.volumeGeneration)},
    };
    if (root) {
        values["root_image"] = root->string();
    }
    for (const auto& port : m.ports) {
        const auto it = spec.ports.find(port.name);
        if (it != spec.ports.end()) {
            values["host_port_" + port.name] = std::to_string(it->second);
        } else if (m.httpEndpoint == port.name && spec.hostPort != 0) {
            values["host_port_" + port.name] = std::to_string(spec.hostPort);
        }  // else: renderDomainXml names the port that has no host port
    }
    return templates::renderDomainXml(m, values);
}

void GuestBuilder::define(const ServiceSpec& spec, const std::optional<std::string>& build) {
    hypervisor_.define(renderDomain(spec, build));
}

void GuestBuilder::ensureRunning(const ServiceSpec& spec) {
    const auto state = hypervisor_.state(domainName(spec.id));
    if (!state) {
        throw HypervisorError(Code::NotFound, "guest " + domainName(spec.id) + " is not defined");
    }
    try {
        if (*state == GuestState::Paused) {
            hypervisor_.resume(domainName(spec.id));
        } else if (*state == GuestState::ShutOff || *state == GuestState::Crashed) {
            hypervisor_.start(domainName(spec.id));
        }
    } catch (const HypervisorError& e) {
        // The guest moved on meanwhile (a start still under way when a previous daemon died
        // shows as paused, then runs): what matters is that it runs now.
        if (e.code() != HypervisorError::Code::InvalidState ||
            hypervisor_.state(domainName(spec.id)) != GuestState::Running) {
            throw;
        }
    }
}

std::optional<GuestState> GuestBuilder::state(const ServiceSpec& spec) {
    return hypervisor_.state(domainName(spec.id));
}

void GuestBuilder::ensurePaused(const ServiceSpec& spec) {
    const auto state = hypervisor_.state(domainName(spec.id));
    if (state == GuestState::Running) {
        hypervisor_.suspend(domainName(spec.id));
    }
}

void GuestBuilder::ensureOff(const ServiceSpec& spec, std::chrono::milliseconds timeout) {
    const auto state = hypervisor_.state(domainName(spec.id));
    if (!state || *state == GuestState::ShutOff) {
        return;
    }
    if (*state == GuestState::Paused) {
        hypervisor_.destroy(domainName(spec.id));  // a paused guest cannot act on a shutdown request
        return;
    }
    // A guest with an agent is asked through it: the Debian appliances ignore the power button.
    hypervisor_.shutdown(
        domainName(spec.id), timeout,
        hasGuestAgent(spec.templateName) ? ShutdownMethod::GuestAgent : ShutdownMethod::Acpi);
}

std::optional<uint64_t> GuestBuilder::volumeCapacity(const ServiceSpec& spec) {
    const auto volume = hypervisor_.volume(settings_.pool, volumeName(spec.id, spec.volumeGeneration));
    return volume ? std::optional<uint64_t>(volume->capacityBytes) : std::nullopt;
}

void GuestBuilder::growVolume(const ServiceSpec& spec) {
    const std::string name = volumeName(spec.id, spec.volumeGeneration);
    const auto volume = hypervisor_.volume(settings_.pool, name);
    if (!volume) {
        throw HypervisorError(Code::NotFound, "the data volume " + name + " is missing");
    }
    const uint64_t wanted = static_cast<uint64_t>(spec.diskGib) * kGiB;
    if (volume->capacityBytes < wanted) {
        hypervisor_.resizeVolume(settings_.pool, name, wanted);
    }
}

bool GuestBuilder::hasGuestAgent(const std::string& templateName) const {
    const auto* m = catalogue_.find(templateName);
    return m && m->domainXml.find("org.qemu.guest_agent.0") != std::string::npos;
}

bool GuestBuilder::needsConfiguration(const ServiceSpec& spec) const {
    return !manifest(spec).config.empty() && hasGuestAgent(spec.templateName);
}

std::string GuestBuilder::configJson(const ServiceSpec& spec) {
    Poco::JSON::Object o;
    for (const auto& [name, value] : spec.config) {
        o.set(name, value);
    }
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

void GuestBuilder::configure(const ServiceSpec& spec, std::chrono::seconds timeout) {
    writeGuestFile(hypervisor_, domainName(spec.id), kConfigPath, configJson(spec), timeout);
}

void GuestBuilder::remove(const ServiceSpec& spec) {
    const std::string name = domainName(spec.id);
    if (const auto state = hypervisor_.state(name)) {
        if (*state != GuestState::ShutOff) {
            hypervisor_.destroy(name);
        }
        hypervisor_.undefine(name);
    }
    std::vector<VolumeInfo> volumes;
    try {
        volumes = hypervisor_.volumes(settings_.pool);
    } catch (const HypervisorError& e) {
        if (e.code() != Code::NotFound) {
            throw;
        }
        return;  // no pool: no volume either
    }
    for (const auto& v : volumes) {
        if (isVolumeOf(spec.id, v.name)) {
            hypervisor_.deleteVolume(settings_.pool, v.name);
        }
    }
}

}  // namespace chatiere::provisioning
