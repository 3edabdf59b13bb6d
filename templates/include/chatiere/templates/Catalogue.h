#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chatiere::templates {

// A template folder that cannot be used: the message names the file and the field.
class TemplateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct LocalizedText {
    std::string fr;
    std::string en;
};

struct GuestPort {
    std::string name;  // referred to by http_endpoint and health.port
    int guestPort = 0;
    std::string protocol;  // tcp | udp
};

// A service of the host that a guest needs (a later mail template's mail front, say), and the only
// way a guest reaches the host: the guest connects to kHostServiceAddress:guestPort, QEMU carries
// the stream to 127.0.0.1:hostPort. A template declares none unless it needs one.
struct HostService {
    std::string name;
    int guestPort = 0;
    int hostPort = 0;
};
inline constexpr const char* kHostServiceAddress = "10.0.2.100";

struct HealthCheck {
    std::string type;  // http | tcp
    std::string port;  // a GuestPort name
    std::string path;  // http only
    int expectStatus = 200;
    int intervalSeconds = 30;
    int timeoutSeconds = 5;
};

// How the reverse proxy publishes the service at its public name (docs/public-addresses.md): which
// port, the largest request body, the WebSocket upgrade, the paths never proxied to the public.
// A template without one is not published.
struct ProxySection {
    std::string port;  // a GuestPort name
    int maxBodyMib = 1;
    bool websocket = false;
    std::vector<std::string> privatePaths;  // "/api": answered 404, never proxied
};

struct ConfigValue {
    std::string name;
    // association.name | association.id | service.name | service.id | generated_secret | mail.domain |
    // mail.hostname | mail.mailboxes | mail.aliases | mail.dkim_selector | mail.dkim_key | mail.relay_host
    std::string source;
};

// One entry of the catalogue, read from <folder>/template.json.
struct Manifest {
    std::string name;
    std::string kind;  // website | editor | mail
    LocalizedText title;
    LocalizedText description;
    int vcpus = 1;
    int memoryMib = 128;
    int diskGib = 1;
    std::vector<GuestPort> ports;  // each forwarded from a port of the host's 127.0.0.1
    std::vector<HostService> hostServices;
    std::optional<std::string> httpEndpoint;  // a port name
    HealthCheck health;
    std::optional<ProxySection> proxy;
    std::vector<std::string> metrics;
    std::vector<std::string> domainTypes;  // kvm | qemu | lxc
    std::vector<ConfigValue> config;
    std::string domainXml;  // the template text
    std::filesystem::path folder;
    std::string imageRecipe;  // file in the folder that builds the appliance image
    std::string imageKernel;
    std::string imageInitrd;
    // A Debian appliance's root file system image (raw, shared read-only by every guest of the
    // template); empty for an appliance that lives in its initramfs (the website).
    std::string imageRoot;

    const GuestPort* port(const std::string& portName) const;
    bool supports(const std::string& domainType) const;
};

// Every template of a directory, loaded and validated at once.
class Catalogue {
public:
    // Throws TemplateError naming the file and field at fault.
    static Catalogue load(const std::filesystem::path& dir);
    static Manifest loadManifest(const std::filesystem::path& folder);

    const Manifest* find(const std::string& name) const;
    const std::vector<Manifest>& all() const { return manifests_; }

private:
    std::vector<Manifest> manifests_;
};

// Replaces each {{name}} of a domain XML template with its value, escaped for XML (text and
// attributes alike), so that an association called <x>&'" cannot inject markup. A placeholder
// with no value is an error, and so is a value containing a control character.
// Then adds the guest's network, the same for every template (a template never writes its own):
// see guestNetwork(); and, for a `qemu` (TCG, software emulation) domain, a 64 MiB translation
// cache (tcgFeatures()): QEMU's default cache is as large as the guest's memory, which doubles
// what each guest costs the host.
std::string renderDomainXml(const Manifest& manifest, const std::map<std::string, std::string>& values);
// The guest's network as QEMU arguments: user networking with `restrict=on` (the guest reaches
// neither the host nor anything beyond it), each declared port forwarded from 127.0.0.1 (its host
// port is the value `host_port_<port name>`), each declared host service as a `guestfwd`.
std::string guestNetwork(const Manifest& manifest, const std::map<std::string, std::string>& values);
std::string escapeXml(const std::string& text);
// <tcg><tb-cache unit='MiB'>64</tb-cache></tcg>, inside <features> (made when the template has none).
inline constexpr const char* kTcgFeatures = "<tcg><tb-cache unit='MiB'>64</tb-cache></tcg>";

}  // namespace chatiere::templates
