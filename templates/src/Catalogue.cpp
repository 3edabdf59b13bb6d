#include "chatiere/templates/Catalogue.h"
#include "chatiere/templates/Substitution.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace chatiere::templates {

namespace {

const std::set<std::string> kKinds = {"website", "editor", "mail"};
const std::set<std::string> kDomainTypes = {"kvm", "qemu", "lxc"};
const std::set<std::string> kMetrics = {"cpu_time", "memory_used", "disk_used", "mailboxes", "mail_storage"};
const std::set<std::string> kSources = {"association.name",   "association.id",   "service.name",
                                        "service.id",         "generated_secret", "mail.domain",
                                        "mail.hostname",      "mail.mailboxes",   "mail.aliases",
                                        "mail.dkim_selector", "mail.dkim_key",    "mail.relay_host"};
const std::set<std::string> kManifestKeys = {"name",       "kind",    "title",         "description",
                                             "resources",  "ports",   "host_services", "http_endpoint",
                                             "health",     "metrics", "domain_types",  "config",
                                             "domain_xml", "image",   "proxy"};
constexpr const char* kQemuNamespace = "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'";
// What would give a guest a network of its own making, around the fence guestNetwork() draws.
const std::vector<std::string> kNetworkMarkup = {"<interface", "<qemu:commandline", "<qemu:arg",
                                                 "-netdev",    "hostfwd",           "guestfwd"};

// What NginxConfig accepts as a private path: "/" then [a-z0-9_-/], not ending in "/".
bool isPrivatePath(const std::string& path) {
    if (path.size() < 2 || path.front() != '/' || path.back() == '/') {
        return false;
    }
    return std::all_of(path.begin() + 1, path.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_' || c == '/';
    });
}

std::string readFile(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) {
        throw TemplateError(file.string() + ": cannot be read");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool isName(const std::string& s) {
    return !s.empty() && s.size() <= 40 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

// Reads fields of one JSON object of a manifest; every error names the file and the field path.
class Reader {
public:
    Reader(std::string file, Poco::JSON::Object::Ptr object, std::string path)
        : file_(std::move(file)), object_(std::move(object)), path_(std::move(path)) {}

    [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
        throw TemplateError(file_ + ": field " + field(key) + ": " + problem);
    }
    std::string field(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
    bool has(const std::string& key) const { return object_->has(key) && !object_->isNull(key); }

    void onlyKeys(const std::set<std::string>& allowed) const {
        for (const auto& [key, value] : *object_) {
            if (!allowed.count(key)) {
                fail(key, "unknown field");
            }
        }
    }
    std::string string(const std::string& key) const {
        if (!has(key)) {
            fail(key, "missing");
        }
        const auto v = object_->get(key);
        if (!v.isString() || v.extract<std::string>().empty()) {
            fail(key, "expected a non-empty string");
        }
        return v.extract<std::string>();
    }
    std::string optionalString(const std::string& key, const std::string& fallback) const {
        return has(key) ? string(key) : fallback;
    }
    int integer(const std::string& key, int min, int max) const {
        if (!has(key)) {
            fail(key, "missing");
        }
        const auto v = object_->get(key);
        if (!v.isInteger()) {
            fail(key, "expected a whole number");
        }
        const auto n = v.convert<Poco::Int64>();
        if (n < min || n > max) {
            fail(key, "expected " + std::to_string(min) + " to " + std::to_string(max));
        }
        return static_cast<int>(n);
    }
    int optionalInteger(const std::string& key, int min, int max, int fallback) const {
        return has(key) ? integer(key, min, max) : fallback;
    }
    bool optionalBoolean(const std::string& key, bool fallback) const {
        if (!has(key)) {
            return fallback;
        }
        const auto v = object_->get(key);
        if (!v.isBoolean()) {
            fail(key, "expected true or false");
        }
        return v.extract<bool>();
    }
    Reader object(const std::string& key) const {
        if (!has(key)) {
            fail(key, "missing");
        }
        auto o = object_->getObject(key);
        if (!o) {
            fail(key, "expected an object");
        }
        return Reader(file_, o, field(key));
    }
    Poco::JSON::Array::Ptr array(const std::string& key) const {
        if (!has(key)) {
            fail(key, "missing");
        }
        auto a = object_->getArray(key);
        if (!a) {
            fail(key, "expected an array");
        }
        return a;
    }
    std::vector<std::string> strings(const std::string& key, const std::set<std::string>& allowed) const {
        auto a = array(key);
        std::vector<std::string> out;
        for (std::size_t i = 0; i < a->size(); ++i) {
            const auto v = a->get(static_cast<unsigned>(i));
            const std::string item = key + "." + std::to_string(i);
            if (!v.isString()) {
                fail(item, "expected a string");
            }
            if (!allowed.count(v.extract<std::string>())) {
                fail(item, "'" + v.extract<std::string>() + "' is not one of the known values");
            }
            out.push_back(v.extract<std::string>());
        }
        return out;
    }
    Reader element(const std::string& key, std::size_t i) const {
        auto o = array(key)->getObject(static_cast<unsigned>(i));
        if (!o) {
            fail(key + "." + std::to_string(i), "expected an object");
        }
        return Reader(file_, o, field(key + "." + std::to_string(i)));
    }
    LocalizedText localized(const std::string& key) const {
        const Reader r = object(key);
        r.onlyKeys({"fr", "en"});
        return {r.string("fr"), r.string("en")};
    }

private:
    std::string file_;
    Poco::JSON::Object::Ptr object_;
    std::string path_;
};

}  // namespace

const GuestPort* Manifest::port(const std::string& portName) const {
    for (const auto& p : ports) {
        if (p.name == portName) {
            return &p;
        }
    }
    return nullptr;
}

bool Manifest::supports(const std::string& domainType) const {
    return std::find(domainTypes.begin(), domainTypes.end(), domainType) != domainTypes.end();
}

Manifest Catalogue::loadManifest(const std::filesystem::path& folder) {
    const std::filesystem::path file = folder / "template.json";
    const std::string text = readFile(file);
    Poco::JSON::Object::Ptr root;
    try {
        Poco::JSON::Parser parser;
        root = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::BadCastException&) {
        throw TemplateError(file.string() + ": expected a JSON object");
    } catch (const Poco::Exception& e) {
        throw TemplateError(file.string() + ": not valid JSON: " + e.displayText());
    }
    if (!root) {
        throw TemplateError(file.string() + ": expected a JSON object");
    }
    const Reader r(file.string(), root, "");
    r.onlyKeys(kManifestKeys);

    Manifest m;
    m.folder = folder;
    m.name = r.string("name");
    if (!isName(m.name)) {
        r.fail("name", "lower-case letters, digits, - and _ only");
    }
    if (m.name != folder.filename().string()) {
        r.fail("name", "must be the folder's name, '" + folder.filename().string() + "'");
    }
    m.kind = r.string("kind");
    if (!kKinds.count(m.kind)) {
        r.fail("kind", "expected website, editor or mail");
    }
    m.title = r.localized("title");
    m.description = r.localized("description");

    const Reader resources = r.object("resources");
    resources.onlyKeys({"vcpus", "memory_mib", "disk_gib"});
    m.vcpus = resources.integer("vcpus", 1, 64);
    m.memoryMib = resources.integer("memory_mib", 16, 1024 * 1024);
    m.diskGib = resources.integer("disk_gib", 1, 16 * 1024);

    const auto ports = r.array("ports");
    for (std::size_t i = 0; i < ports->size(); ++i) {
        const Reader p = r.element("ports", i);
        p.onlyKeys({"name", "guest_port", "protocol"});
        GuestPort port{p.string("name"), p.integer("guest_port", 1, 65535),
                       p.optionalString("protocol", "tcp")};
        if (!isName(port.name)) {
            p.fail("name", "lower-case letters, digits, - and _ only");
        }
        if (port.protocol != "tcp" && port.protocol != "udp") {
            p.fail("protocol", "expected tcp or udp");
        }
        if (m.port(port.name)) {
            p.fail("name", "two ports named '" + port.name + "'");
        }
        m.ports.push_back(port);
    }
    if (r.has("host_services")) {
        const auto services = r.array("host_services");
        for (std::size_t i = 0; i < services->size(); ++i) {
            const Reader h = r.element("host_services", i);
            h.onlyKeys({"name", "guest_port", "host_port"});
            HostService service{h.string("name"), h.integer("guest_port", 1, 65535),
                                h.integer("host_port", 1, 65535)};
            if (!isName(service.name)) {
                h.fail("name", "lower-case letters, digits, - and _ only");
            }
            for (const auto& other : m.hostServices) {
                if (other.name == service.name) {
                    h.fail("name", "two host services named '" + service.name + "'");
                }
                if (other.guestPort == service.guestPort) {
                    h.fail("guest_port", "two host services on port " + std::to_string(service.guestPort));
                }
            }
            m.hostServices.push_back(service);
        }
    }
    if (r.has("http_endpoint")) {
        m.httpEndpoint = r.string("http_endpoint");
        if (!m.port(*m.httpEndpoint)) {
            r.fail("http_endpoint", "no port named '" + *m.httpEndpoint + "'");
        }
    }

    const Reader health = r.object("health");
    health.onlyKeys({"type", "port", "path", "expect_status", "interval_seconds", "timeout_seconds"});
    m.health.type = health.string("type");
    if (m.health.type != "http" && m.health.type != "tcp") {
        health.fail("type", "expected http or tcp");
    }
    m.health.port = health.string("port");
    if (!m.port(m.health.port)) {
        health.fail("port", "no port named '" + m.health.port + "'");
    }
    if (m.health.type == "http") {
        m.health.path = health.string("path");
        if (m.health.path.front() != '/') {
            health.fail("path", "must start with /");
        }
        m.health.expectStatus = health.optionalInteger("expect_status", 100, 599, 200);
    }
    m.health.intervalSeconds = health.optionalInteger("interval_seconds", 1, 3600, 30);
    m.health.timeoutSeconds = health.optionalInteger("timeout_seconds", 1, 300, 5);

    if (r.has("proxy")) {
        const Reader proxy = r.object("proxy");
        proxy.onlyKeys({"port", "max_body_mib", "websocket", "private_paths"});
        ProxySection section;
        section.port = proxy.string("port");
        if (!m.port(section.port)) {
            proxy.fail("port", "no port named '" + section.port + "'");
        }
        section.maxBodyMib = proxy.optionalInteger("max_body_mib", 1, 4096, 1);
        section.websocket = proxy.optionalBoolean("websocket", false);
        if (proxy.has("private_paths")) {
            const auto paths = proxy.array("private_paths");
            for (std::size_t i = 0; i < paths->size(); ++i) {
                const auto v = paths->get(static_cast<unsigned>(i));
                const std::string item = "private_paths." + std::to_string(i);
                if (!v.isString() || !isPrivatePath(v.extract<std::string>())) {
                    proxy.fail(item, "expected a path such as /api: /, then letters, digits, -, _ and /");
                }
                section.privatePaths.push_back(v.extract<std::string>());
            }
        }
        m.proxy = section;
    }

    m.metrics = r.strings("metrics", kMetrics);
    m.domainTypes = r.strings("domain_types", kDomainTypes);
    if (m.domainTypes.empty()) {
        r.fail("domain_types", "at least one of kvm, qemu, lxc");
    }
    if (r.has("config")) {
        const auto config = r.array("config");
        for (std::size_t i = 0; i < config->size(); ++i) {
            const Reader c = r.element("config", i);
            c.onlyKeys({"name", "source"});
            ConfigValue value{c.string("name"), c.string("source")};
            if (!isName(value.name)) {
                c.fail("name", "lower-case letters, digits, - and _ only");
            }
            if (!kSources.count(value.source)) {
                c.fail("source", "unknown source '" + value.source + "'");
            }
            m.config.push_back(value);
        }
    }

    const std::string domainFile = r.string("domain_xml");
    if (domainFile.find('/') != std::string::npos) {
        r.fail("domain_xml", "a file name in the template's folder");
    }
    m.domainXml = readFile(folder / domainFile);
    const std::string domainPath = (folder / domainFile).string();
    for (const auto& markup : kNetworkMarkup) {
        if (m.domainXml.find(markup) != std::string::npos) {
            throw TemplateError(
                domainPath + ": has " + markup +
                ": Chatière adds the guest's network itself (template.json's ports and host_services)");
        }
    }
    if (m.domainXml.find(kQemuNamespace) == std::string::npos) {
        throw TemplateError(domainPath + ": the <domain> element must declare " +
                            std::string(kQemuNamespace));
    }
    if (m.domainXml.find("</domain>") == std::string::npos) {
        throw TemplateError(domainPath + ": no </domain>");
    }

    const Reader image = r.object("image");
    image.onlyKeys({"recipe", "kernel", "initrd", "root"});
    m.imageRecipe = image.string("recipe");
    m.imageKernel = image.string("kernel");
    m.imageInitrd = image.string("initrd");
    m.imageRoot = image.optionalString("root", "");
    if (!std::filesystem::is_regular_file(folder / m.imageRecipe)) {
        image.fail("recipe", (folder / m.imageRecipe).string() + " does not exist");
    }
    return m;
}

Catalogue Catalogue::load(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir)) {
        throw TemplateError(dir.string() + ": the template directory does not exist");
    }
    Catalogue catalogue;
    std::vector<std::filesystem::path> folders;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_directory() && std::filesystem::exists(entry.path() / "template.json")) {
            folders.push_back(entry.path());
        }
    }
    std::sort(folders.begin(), folders.end());
    for (const auto& folder : folders) {
        catalogue.manifests_.push_back(loadManifest(folder));
    }
    return catalogue;
}

const Manifest* Catalogue::find(const std::string& name) const {
    for (const auto& m : manifests_) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

std::string escapeXml(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string guestNetwork(const Manifest& manifest, const std::map<std::string, std::string>& values) {
    // Every number is checked to be one, so nothing can add an option to QEMU's comma-separated list.
    std::string netdev = "user,id=n0,restrict=on,ipv6=off";
    for (const auto& port : manifest.ports) {
        const std::string key = "host_port_" + port.name;
        const auto it = values.find(key);
        if (it == values.end()) {
            throw TemplateError(manifest.name + " domain XML: no value for " + key);
        }
        const std::string& hostPort = it->second;
        const bool isPort =
            !hostPort.empty() && hostPort.size() <= 5 &&
            std::all_of(hostPort.begin(), hostPort.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
            std::stoi(hostPort) >= 1 && std::stoi(hostPort) <= 65535;
        if (!isPort) {
            throw TemplateError(manifest.name + " domain XML: " + key + " is not a port number: '" +
                                hostPort + "'");
        }
        netdev +=
            ",hostfwd=" + port.protocol + ":127.0.0.1:" + hostPort + "-:" + std::to_string(port.guestPort);
    }
    for (const auto& service : manifest.hostServices) {
        netdev += ",guestfwd=tcp:" + std::string(kHostServiceAddress) + ":" +
                  std::to_string(service.guestPort) + "-tcp:127.0.0.1:" + std::to_string(service.hostPort);
    }
    return "  <qemu:commandline>\n"
           "    <qemu:arg value='-netdev'/>\n"
           "    <qemu:arg value='" +
           escapeXml(netdev) +
           "'/>\n"
           "    <qemu:arg value='-device'/>\n"
           "    <qemu:arg value='virtio-net-pci,netdev=n0,addr=0x9'/>\n"
           "  </qemu:commandline>\n";
}

std::string renderDomainXml(const Manifest& manifest, const std::map<std::string, std::string>& values) {
    std::string out;
    try {
        out = substitute(manifest.domainXml, values, [&](const std::string& name, const std::string& value) {
            for (const char c : value) {
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
                    throw TemplateError(manifest.name + " domain XML: value of {{" + name +
                                        "}} has a control character");
                }
            }
            return escapeXml(value);
        });
    } catch (const SubstitutionError& e) {
        if (e.kind() == SubstitutionError::Kind::Unclosed) {
            throw TemplateError((manifest.folder / "domain.xml").string() + ": " + e.what());
        }
        throw TemplateError(manifest.name + " domain XML: " + e.what());
    }
    const std::size_t end = out.rfind("</domain>");
    if (end == std::string::npos) {
        throw TemplateError(manifest.name + " domain XML: no </domain>");
    }
    out.insert(end, guestNetwork(manifest, values));
    const auto type = values.find("domain_type");
    if (type != values.end() && type->second == "qemu") {
        const std::size_t features = out.find("<features>");
        const std::size_t os = out.find("</os>");
        if (features != std::string::npos) {
            out.insert(features + std::string("<features>").size(), kTcgFeatures);
        } else if (os != std::string::npos) {
            out.insert(os + 5, std::string("\n  <features>") + kTcgFeatures + "</features>");
        } else {
            throw TemplateError(manifest.name + " domain XML: no </os>");
        }
    }
    return out;
}

}  // namespace chatiere::templates
