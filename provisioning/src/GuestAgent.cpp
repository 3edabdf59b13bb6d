#include "chatiere/provisioning/GuestAgent.h"

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>
#include <thread>

namespace chatiere::provisioning {

namespace {

using Code = HypervisorError::Code;

std::string command(const std::string& execute, const Poco::JSON::Object* arguments = nullptr) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("execute", execute);
    if (arguments) {
        o.set("arguments", *arguments);
    }
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

std::string base64(const std::string& bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

// The handle guest-file-open returned: {"return": 1000}.
int64_t handleOf(const std::string& reply, const std::string& guest) {
    try {
        const auto parsed = Poco::JSON::Parser().parse(reply);
        const auto object = parsed.extract<Poco::JSON::Object::Ptr>();
        if (object && object->has("return")) {
            return object->getValue<int64_t>("return");
        }
    } catch (const Poco::Exception&) {
        // below
    }
    throw HypervisorError(Code::Failed, "the guest agent of " + guest + " gave no file handle");
}

}  // namespace

bool agentAnswers(Hypervisor& hypervisor, const std::string& name, std::chrono::seconds timeout) {
    try {
        hypervisor.agentCommand(name, command("guest-ping"), timeout);
        return true;
    } catch (const HypervisorError& e) {
        if (e.code() == Code::AgentUnavailable || e.code() == Code::InvalidState) {
            return false;
        }
        throw;
    }
}

void waitForAgent(Hypervisor& hypervisor, const std::string& name,
                  std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds interval) {
    while (true) {
        const auto left =
            std::chrono::duration_cast<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
        if (agentAnswers(hypervisor, name, std::max(left, std::chrono::seconds(1)))) {
            return;
        }
        if (std::chrono::steady_clock::now() + interval >= deadline) {
            throw HypervisorError(Code::AgentUnavailable,
                                  "the guest agent of " + name + " did not answer in time");
        }
        std::this_thread::sleep_for(interval);
    }
}

void writeGuestFile(Hypervisor& hypervisor, const std::string& name, const std::string& path,
                    const std::string& content, std::chrono::seconds timeout) {
    Poco::JSON::Object open(Poco::JSON_PRESERVE_KEY_ORDER);
    open.set("path", path);
    open.set("mode", "w");
    const int64_t handle =
        handleOf(hypervisor.agentCommand(name, command("guest-file-open", &open), timeout), name);
    Poco::JSON::Object close;
    close.set("handle", handle);
    try {
        // qemu-ga takes a write of up to 48 MiB; a configuration is far smaller: one write per 1 MiB.
        constexpr std::size_t kChunk = 1 << 20;
        std::size_t at = 0;
        do {
            Poco::JSON::Object write(Poco::JSON_PRESERVE_KEY_ORDER);
            write.set("handle", handle);
            write.set("buf-b64", base64(content.substr(at, kChunk)));
            hypervisor.agentCommand(name, command("guest-file-write", &write), timeout);
            at += kChunk;
        } while (at < content.size());
    } catch (const HypervisorError&) {
        try {
            hypervisor.agentCommand(name, command("guest-file-close", &close), timeout);
        } catch (const HypervisorError&) {
            // The write's error is the one to report; qemu-ga drops its handles when it restarts.
        }
        throw;
    }
    hypervisor.agentCommand(name, command("guest-file-close", &close), timeout);
}

}  // namespace chatiere::provisioning
