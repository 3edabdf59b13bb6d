#include "hosting/Doveadm.h"

#include "chatiere/manager/Error.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/NumberParser.h>

#include <sstream>

namespace chatiere::manager {

namespace {

// A mailbox's messages come back in one reply: at most 1 GiB.
constexpr std::streamsize kMaxReply = 1LL << 30;

Error unavailable(const std::string& why) {
    return Error(ErrorKind::Unavailable, "service_unavailable", "The mail service does not answer: " + why);
}

std::string base64(const std::string& text) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << text;
    encoder.close();
    return out.str();
}

// Runs one doveadm command; returns its result (doveadmResponse's array).
Poco::JSON::Array::Ptr run(const DoveadmEndpoint& at, std::chrono::milliseconds timeout,
                           const std::string& command, const Poco::JSON::Object& parameters) {
    Poco::JSON::Array call;
    call.add(command);
    call.add(parameters);
    call.add("c1");
    Poco::JSON::Array calls;
    calls.add(call);
    std::ostringstream body;
    calls.stringify(body);
    std::string reply;
    int status = 0;
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(at.hostPort));
        session.setTimeout(
            Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count()));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/doveadm/v1",
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", "X-Dovecot-API " + base64(at.apiKey));
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.str().size()));
        session.sendRequest(request) << body.str();
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        status = response.getStatus();
        char buffer[65536];
        while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
            reply.append(buffer, static_cast<std::size_t>(in.gcount()));
            if (static_cast<std::streamsize>(reply.size()) > kMaxReply) {
                throw unavailable("doveadm's reply is too long");
            }
        }
    } catch (const Poco::Exception& e) {
        throw unavailable(e.displayText());
    }
    if (status != 200) {
        throw unavailable("doveadm answered HTTP " + std::to_string(status));
    }
    try {
        const auto replies = Poco::JSON::Parser().parse(reply).extract<Poco::JSON::Array::Ptr>();
        const auto first = replies ? replies->getArray(0) : nullptr;
        if (!first || first->size() < 2) {
            throw unavailable("doveadm's reply is not what was expected");
        }
        const std::string kind = first->getElement<std::string>(0);
        if (kind != "doveadmResponse") {
            const auto error = first->getObject(1);
            throw unavailable(
                command + " failed" +
                (error ? " (" + error->optValue<std::string>("type", "") + ")" : std::string()));
        }
        return first->getArray(1);
    } catch (const Poco::Exception& e) {
        throw unavailable("doveadm's reply is not JSON: " + e.displayText());
    }
}

int64_t number(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    Poco::Int64 n = 0;
    return o && Poco::NumberParser::tryParse64(o->optValue<std::string>(key, "0"), n) ? n : 0;
}

}  // namespace

HttpDoveadmApi::HttpDoveadmApi(std::chrono::milliseconds quotaTimeout, std::chrono::milliseconds fetchTimeout)
    : quotaTimeout_(quotaTimeout), fetchTimeout_(fetchTimeout) {}

MailboxQuota HttpDoveadmApi::quota(const DoveadmEndpoint& at, const std::string& user) {
    Poco::JSON::Object parameters;
    parameters.set("user", user);
    const auto rows = run(at, quotaTimeout_, "quotaGet", parameters);
    MailboxQuota out;
    for (std::size_t i = 0; rows && i < rows->size(); ++i) {
        const auto row = rows->getObject(static_cast<unsigned>(i));
        const std::string type = row ? row->optValue<std::string>("type", "") : "";
        if (type == "STORAGE") {
            out.bytes = number(row, "value") * 1024;  // Dovecot counts storage in KiB
        } else if (type == "MESSAGE") {
            out.messages = number(row, "value");
        }
    }
    return out;
}

std::vector<StoredMessage> HttpDoveadmApi::messages(const DoveadmEndpoint& at, const std::string& user) {
    Poco::JSON::Object parameters;
    parameters.set("user", user);
    Poco::JSON::Array fields;
    for (const char* f : {"mailbox", "uid", "text"}) {
        fields.add(f);
    }
    parameters.set("field", fields);
    Poco::JSON::Array query;
    query.add("all");
    parameters.set("query", query);
    const auto rows = run(at, fetchTimeout_, "fetch", parameters);
    std::vector<StoredMessage> out;
    for (std::size_t i = 0; rows && i < rows->size(); ++i) {
        const auto row = rows->getObject(static_cast<unsigned>(i));
        if (row) {
            out.push_back({row->optValue<std::string>("mailbox", "INBOX"), number(row, "uid"),
                           row->optValue<std::string>("text", "")});
        }
    }
    return out;
}

}  // namespace chatiere::manager
