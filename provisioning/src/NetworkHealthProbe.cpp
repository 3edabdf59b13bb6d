#include "chatiere/provisioning/HealthProbe.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>

namespace chatiere::provisioning {

bool NetworkHealthProbe::check(const templates::HealthCheck& check, int hostPort, std::string& detail) {
    const Poco::Timespan timeout(timeoutSeconds_ > 0 ? timeoutSeconds_ : check.timeoutSeconds, 0);
    try {
        if (check.type == "tcp") {
            Poco::Net::StreamSocket socket;
            socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(hostPort)),
                           timeout);
            return true;
        }
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(hostPort));
        session.setTimeout(timeout);
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, check.path,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& body = session.receiveResponse(response);
        Poco::NullOutputStream sink;
        Poco::StreamCopier::copyStream(body, sink);
        if (static_cast<int>(response.getStatus()) == check.expectStatus) {
            return true;
        }
        detail = "HTTP " + std::to_string(response.getStatus()) + " on " + check.path + ", expected " +
                 std::to_string(check.expectStatus);
        return false;
    } catch (const Poco::Exception& e) {
        detail = e.displayText();
        return false;
    }
}

}  // namespace chatiere::provisioning
