#include "hosting/HttpEtherpadApi.h"

#include "chatiere/manager/Error.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>

namespace chatiere::manager {

namespace {

constexpr const char* kApiPath = "/api/1.2.15/";
// Etherpad's replies are small but getHTML and getText carry a whole pad: at most 64 MiB.
constexpr std::streamsize kMaxReply = 64 << 20;

Error unavailable(const std::string& why) {
    return Error(ErrorKind::Unavailable, "service_unavailable", "The editor does not answer: " + why);
}

std::string encoded(const std::string& value) {
    std::string out;
    Poco::URI::encode(value, "!#$&'()*+,/:;=?@[]", out);
    return out;
}

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [name, value] : fields) {
        out += (out.empty() ? "" : "&") + name + "=" + encoded(value);
    }
    return out;
}

}  // namespace

HttpEtherpadApi::HttpEtherpadApi(std::chrono::milliseconds timeout) : timeout_(timeout) {}

Poco::JSON::Object::Ptr HttpEtherpadApi::call(const EditorEndpoint& at, const std::string& function,
                                              const Fields& fields, bool post) {
    Fields all{{"apikey", at.apiKey}};
    all.insert(all.end(), fields.begin(), fields.end());
    const std::string query = form(all);
    std::string reply;
    int status = 0;
    auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(timeout_);
    if (at.deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
            *at.deadline - std::chrono::steady_clock::now());
        if (left < std::chrono::milliseconds(1)) {
            throw unavailable("no answer to " + function + " in time.");
        }
        timeout = std::min(timeout, left);
    }
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(at.hostPort));
        session.setTimeout(Poco::Timespan(timeout.count()));
        // The key travels in the query (or the body): this URI is never logged.
        Poco::Net::HTTPRequest request(
            post ? Poco::Net::HTTPRequest::HTTP_POST : Poco::Net::HTTPRequest::HTTP_GET,
            std::string(kApiPath) + function + (post ? "" : "?" + query), Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Accept", "application/json");
        if (post) {
            request.setContentType("application/x-www-form-urlencoded");
            request.setContentLength(static_cast<std::streamsize>(query.size()));
            session.sendRequest(request) << query;
        } else {
            session.sendRequest(request);
        }
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        status = response.getStatus();
        char buffer[8192];
        while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
            reply.append(buffer, static_cast<std::size_t>(in.gcount()));
            if (static_cast<std::streamsize>(reply.size()) > kMaxReply) {
                throw unavailable("its answer to " + function + " is too large.");
            }
        }
    } catch (const Poco::TimeoutException&) {
        throw unavailable("no answer to " + function + " in time.");
    } catch (const Poco::Exception& e) {
        throw unavailable(function + " failed (" + e.className() + ").");
    }
    Poco::JSON::Object::Ptr json;
    try {
        json = Poco::JSON::Parser().parse(reply).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        throw unavailable("its answer to " + function + " (HTTP " + std::to_string(status) +
                          ") is not Etherpad's JSON.");
    }
    if (!json || !json->has("code")) {
        throw unavailable("its answer to " + function + " has no code.");
    }
    int code = -1;
    try {
        code = json->getValue<int>("code");
    } catch (const Poco::Exception&) {
        throw unavailable("its answer to " + function + " has no code.");
    }
    const std::string message = json->optValue<std::string>("message", "");
    if (code == 1) {
        // A wrong parameter: the pad exists already, or does not.
        if (message.find("already exist") != std::string::npos) {
            throw Error(ErrorKind::Conflict, "pad_exists", "There is already a pad of this name.");
        }
        if (message.find("does not exist") != std::string::npos) {
            throw Error::notFound("Pad");
        }
        throw unavailable(function + " was refused (" + message + ").");
    }
    if (code != 0) {
        // 2: internal error, 3: no such function, 4: no or wrong API key (never repeated here).
        throw unavailable(function + " failed (code " + std::to_string(code) + ").");
    }
    if (json->isObject("data")) {
        return json->getObject("data");
    }
    return new Poco::JSON::Object;
}

std::vector<std::string> HttpEtherpadApi::listAllPads(const EditorEndpoint& at) {
    const auto data = call(at, "listAllPads", {});
    std::vector<std::string> pads;
    if (const auto ids = data->getArray("padIDs")) {
        for (std::size_t i = 0; i < ids->size(); ++i) {
            pads.push_back(ids->getElement<std::string>(static_cast<unsigned>(i)));
        }
    } else {
        throw unavailable("listAllPads gave no padIDs.");
    }
    return pads;
}

int64_t HttpEtherpadApi::getLastEdited(const EditorEndpoint& at, const std::string& pad) {
    const auto data = call(at, "getLastEdited", {{"padID", pad}});
    try {
        return data->getValue<Poco::Int64>("lastEdited");
    } catch (const Poco::Exception&) {
        throw unavailable("getLastEdited gave no lastEdited.");
    }
}

int64_t HttpEtherpadApi::getRevisionsCount(const EditorEndpoint& at, const std::string& pad) {
    const auto data = call(at, "getRevisionsCount", {{"padID", pad}});
    try {
        return data->getValue<Poco::Int64>("revisions");
    } catch (const Poco::Exception&) {
        throw unavailable("getRevisionsCount gave no revisions.");
    }
}

void HttpEtherpadApi::createPad(const EditorEndpoint& at, const std::string& pad,
                                const std::optional<std::string>& text) {
    Fields fields{{"padID", pad}};
    if (text) {
        fields.emplace_back("text", *text);
    }
    call(at, "createPad", fields, true);
}

void HttpEtherpadApi::deletePad(const EditorEndpoint& at, const std::string& pad) {
    call(at, "deletePad", {{"padID", pad}});
}

std::string HttpEtherpadApi::getText(const EditorEndpoint& at, const std::string& pad) {
    return call(at, "getText", {{"padID", pad}})->optValue<std::string>("text", "");
}

std::string HttpEtherpadApi::getHTML(const EditorEndpoint& at, const std::string& pad) {
    return call(at, "getHTML", {{"padID", pad}})->optValue<std::string>("html", "");
}

}  // namespace chatiere::manager
