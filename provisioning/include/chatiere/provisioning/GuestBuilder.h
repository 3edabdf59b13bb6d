#pragma once

#include "chatiere/provisioning/Hypervisor.h"
#include "chatiere/provisioning/ServiceSpec.h"
#include "chatiere/templates/Catalogue.h"
#include "chatiere/templates/ImageCache.h"

#include <optional>
#include <string>
#include <vector>

namespace chatiere::provisioning {

struct ProvisioningSettings {
    std::string instanceId;
    std::string pool = "chatiere";
    std::string poolDirectory;       // where the pool keeps volumes
    std::string domainType = "kvm";  // kvm | qemu
};

// The idempotent steps that turn a ServiceSpec into a libvirt guest and back: each can be run
// again after a crash and converges to the same result. Guests are named
// chatiere-<instance>-<service> and carry the instance id in their metadata.
class GuestBuilder {
public:
    // `siteImageDirectory`: where a website's data volume is made as an ext4 image (mkfs.ext4 -d:
    // SiteImage.h) before it is uploaded, in private folders removed after; the daemon's is
    // <data.dir>/site-images. Empty: the volume holds the site's tar archive, the format volumes had
    // before ext4 (which the website guest still reads), as the fake hypervisor's unit tests read it.
    GuestBuilder(Hypervisor& hypervisor, const templates::Catalogue& catalogue, templates::ImageCache& images,
                 ProvisioningSettings settings, std::string siteImageDirectory = {});

    std::string domainName(const std::string& serviceId) const;
    // A service's data volume of a generation: <domain>.img for generation 0, <domain>.g<N>.img for
    // the one a content replacement (job N) writes beside it.
    std::string volumeName(const std::string& serviceId, int64_t generation = 0) const;
    // Whether `volume` is one of this service's data volumes, of any generation.
    bool isVolumeOf(const std::string& serviceId, const std::string& volume) const;
    const templates::Manifest& manifest(const ServiceSpec& spec) const;  // throws if the template is gone
    const ProvisioningSettings& settings() const { return settings_; }
    const templates::ImageCache& images() const { return images_; }

    void ensurePool();
    // Whether templates/build.sh has built the image of the spec's template (the daemon never
    // builds one: see ImageCache).
    bool hasImage(const ServiceSpec& spec) const;
    // Throws HypervisorError Unavailable (retried) naming what to run when the image is missing.
    void ensureImage(const ServiceSpec& spec) const;
    // Creates the data volume if missing, with the template's first content (a welcome page); empty
    // for a Debian appliance (Manifest::imageRoot), whose guest makes its file system at first boot.
    void ensureVolume(const ServiceSpec& spec);
    // Writes the data volume of `generation` holding exactly the files of `archive` (an ext4
    // filesystem made on the host, uploaded sparse, so that its allocation follows what is stored),
    // beside the current one; a volume left by an earlier attempt is written again, and a failed
    // write (a site that does not fit: InvalidInput) leaves no volume of that generation.
    void writeVolume(const ServiceSpec& spec, int64_t generation, const std::string& archive);
    // Deletes the data volume of `generation` if it is there.
    void deleteVolume(const std::string& serviceId, int64_t generation);
    // Deletes every data volume of the service but its current one (spec.volumeGeneration); returns
    // the names deleted.
    std::vector<std::string> deleteOtherVolumes(const ServiceSpec& spec);
    // The guest's domain on the current build of its template's image, or on the build `build`
    // (a key of ImageCache; a rollout that goes back): only the image's paths differ. Throws
    // HypervisorError NotFound when that build is gone.
    std::string renderDomain(const ServiceSpec& spec, const std::optional<std::string>& build = {}) const;
    void define(const ServiceSpec& spec, const std::optional<std::string>& build = {});
    // The key of the build the guest runs (or boots next, when it is off), from its domain XML;
    // nullopt when it is not defined or names no build of its template.
    std::optional<std::string> guestBuild(const ServiceSpec& spec);
    // The key of the template's current build; nullopt when none is built.
    std::optional<std::string> currentBuild(const ServiceSpec& spec) const;
    void ensureRunning(const ServiceSpec& spec);               // starts or resumes
    std::optional<GuestState> state(const ServiceSpec& spec);  // nullopt: not defined
    void ensurePaused(const ServiceSpec& spec);  // pauses a running guest; leaves one that is off
    // Shuts the guest down (forced off after `timeout`); nothing to do when it is off or undefined.
    void ensureOff(const ServiceSpec& spec, std::chrono::milliseconds timeout);
    // The current data volume's capacity; nullopt when it is missing.
    std::optional<uint64_t> volumeCapacity(const ServiceSpec& spec);
    // Grows the data volume to the spec's disk size; a volume never shrinks.
    void growVolume(const ServiceSpec& spec);
    // Whether the guests of the template have a guest agent (their domain XML declares its channel).
    bool hasGuestAgent(const std::string& templateName) const;
    // Whether the guest takes its configuration through the guest agent: the template has `config`
    // values and its domain XML declares the agent's channel.
    bool needsConfiguration(const ServiceSpec& spec) const;
    // The configuration the guest gets: a compact JSON object of spec.config (strings).
    static std::string configJson(const ServiceSpec& spec);
    // Writes configJson to the running guest's kConfigPath through its agent. Throws
    // HypervisorError (AgentUnavailable while the agent does not answer yet).
    void configure(const ServiceSpec& spec, std::chrono::seconds timeout);
    static constexpr const char* kConfigPath = "/run/chatiere/config.json";
    // Forces the guest off, undefines it, deletes its volumes (every generation); each part skipped
    // when already gone.
    void remove(const ServiceSpec& spec);
    // The welcome page a new website shows: names the association (HTML-escaped).
    static std::string welcomeArchive(const ServiceSpec& spec);

private:
    // Uploads the site of `archive` to the volume `name` of `capacityBytes`: as an ext4 image when
    // siteImageDirectory_ is set, else as the archive itself.
    void uploadSite(const std::string& name, uint64_t capacityBytes, const std::string& archive);

    Hypervisor& hypervisor_;
    const templates::Catalogue& catalogue_;
    templates::ImageCache& images_;
    ProvisioningSettings settings_;
    std::string siteImageDirectory_;
};

}  // namespace chatiere::provisioning
