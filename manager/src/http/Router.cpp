#include "http/Router.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>

namespace chatiere::manager::http {

std::vector<std::string> Router::split(const std::string& path) {
    std::vector<std::string> out;
    std::string current;
    for (const char c : path) {
        if (c == '/') {
            if (!current.empty()) {
                out.push_back(current);
                current.clear();
            }
        } else {
            current.push_back(c);
        }
    }
    if (!current.empty()) {
        out.push_back(current);
    }
    return out;
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler) {
    routes_.push_back({method, pattern, split(pattern), std::move(handler)});
}

std::vector<Router::RouteInfo> Router::routes() const {
    std::vector<RouteInfo> out;
    out.reserve(routes_.size());
    for (const auto& route : routes_) {
        out.push_back({route.method, route.pattern});
    }
    return out;
}

bool Router::match(const Route& route, const std::vector<std::string>& segments,
                   std::map<std::string, std::string>& params) {
    if (route.segments.size() != segments.size()) {
        return false;
    }
    std::map<std::string, std::string> captured;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string& want = route.segments[i];
        if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
            captured[want.substr(1, want.size() - 2)] = segments[i];
        } else if (want != segments[i]) {
            return false;
        }
    }
    params = std::move(captured);
    return true;
}

void Router::discardUnreadBody(Poco::Net::HTTPServerRequest& request) {
    // The answer is sent; the connection closes after it. Reading (and dropping) a bounded part of
    // what the client is still sending keeps the kernel from resetting the connection before the
    // client has read the answer. Never more than kDrainBytes: a huge upload is cut off.
    constexpr std::streamsize kDrainBytes = 8 * 1024 * 1024;
    try {
        // Only what arrives promptly: a client that waits for the answer before sending more
        // must not hold this thread.
        static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket().setReceiveTimeout(
            Poco::Timespan(0, 200 * 1000));
        std::istream& in = request.stream();
        char buffer[16384];
        std::streamsize total = 0;
        while (in && total < kDrainBytes) {
            in.read(buffer, sizeof buffer);
            total += in.gcount();
        }
    } catch (const Poco::Exception&) {
        // The client went away: nothing left to protect.
    }
}

void Router::finishBody(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    // A handler may answer without reading the body (a route that takes none, a refusal before the
    // body was looked at): what it left would be read as the next request of a kept-alive
    // connection. The rest is read and dropped — a bounded amount, which a client that sent it has
    // already sent — or, past that, the connection closes after this answer.
    if (!request.getChunkedTransferEncoding() &&
        (!request.hasContentLength() || request.getContentLength64() == 0)) {
        return;
    }
    constexpr std::streamsize kFinishBytes = 1024 * 1024;
    try {
        std::istream& in = request.stream();
        char buffer[16384];
        std::streamsize total = 0;
        while (in && total <= kFinishBytes) {
            in.read(buffer, sizeof buffer);
            total += in.gcount();
        }
        if (!in.eof()) {
            response.setKeepAlive(false);
        }
    } catch (const Poco::Exception&) {
        response.setKeepAlive(false);
    }
}

void Router::dispatch(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) const {
    dispatchRoute(request, response);
    if (response.getKeepAlive()) {
        finishBody(request, response);
    }
}

void Router::dispatchRoute(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) const {
    bool refused = false;
    try {
        std::string path;
        try {
            Poco::URI::decode(Poco::URI(request.getURI()).getPath(), path);
        } catch (const Poco::SyntaxException&) {
            throw Error(ErrorKind::BadRequest, "bad_uri", "The request URI is malformed.");
        }
        const auto segments = split(path);
        bool pathKnown = false;
        for (const auto& route : routes_) {
            std::map<std::string, std::string> params;
            if (!match(route, segments, params)) {
                continue;
            }
            pathKnown = true;
            if (route.method != request.getMethod()) {
                continue;
            }
            Request req(request, response, std::move(params), transport_);
            if (guard_) {
                try {
                    guard_(req);
                } catch (const Error&) {
                    // Nothing of the body was read: the connection closes after the answer.
                    response.setKeepAlive(false);
                    refused = true;
                    throw;
                }
            }
            route.handler(req);
            if (!req.answered()) {
                throw Error(ErrorKind::Internal, "no_answer", "The handler sent no answer.");
            }
            return;
        }
        if (pathKnown) {
            throw Error(ErrorKind::MethodNotAllowed, "method_not_allowed",
                        request.getMethod() + " is not allowed on " + path + ".");
        }
        throw Error(ErrorKind::NotFound, "not_found", "No such resource: " + path + ".");
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::Internal) {
            logger_.error("%s %s: %s", request.getMethod(), request.getURI(), std::string(e.what()));
        }
        if (!response.sent()) {
            sendError(response, e);
        }
        if (refused || e.kind() == ErrorKind::PayloadTooLarge ||
            e.kind() == ErrorKind::UnsupportedMediaType) {
            discardUnreadBody(request);
        }
    } catch (const Poco::Exception& e) {
        logger_.error("%s %s: %s", request.getMethod(), request.getURI(), e.displayText());
        if (!response.sent()) {
            sendError(response, Error(ErrorKind::Internal, "internal", "Internal error; it was logged."));
        }
    } catch (const std::exception& e) {
        logger_.error("%s %s: %s", request.getMethod(), request.getURI(), std::string(e.what()));
        if (!response.sent()) {
            sendError(response, Error(ErrorKind::Internal, "internal", "Internal error; it was logged."));
        }
    }
}

}  // namespace chatiere::manager::http
