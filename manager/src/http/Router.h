#pragma once

#include "http/Request.h"

#include <Poco/Logger.h>

#include <functional>
#include <string>
#include <vector>

namespace chatiere::manager::http {

// Maps "METHOD /path/{param}" to handlers; answers 404 for unknown paths, 405 for a known path
// with another method, and turns every exception into a JSON error (500s are logged).
class Router {
public:
    using Handler = std::function<void(Request&)>;
    // Runs once a route matched, before its handler; throws an Error to refuse the request.
    using Guard = std::function<void(Request&)>;

    // One registered route, as added: "GET" and "/api/v1/services/{id}".
    struct RouteInfo {
        std::string method;
        std::string pattern;
    };

    explicit Router(Poco::Logger& logger) : logger_(logger) {}
    void add(const std::string& method, const std::string& pattern, Handler handler);
    void setGuard(Guard guard) { guard_ = std::move(guard); }
    // Whose forwarded headers every Request believes, and whether public.url is https.
    void setTransport(Transport transport) { transport_ = std::move(transport); }
    // Every route in the order added (read-only: for the role matrix test and documentation).
    std::vector<RouteInfo> routes() const;
    void dispatch(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) const;

private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;  // "{name}" segments capture
        Handler handler;
    };
    void dispatchRoute(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) const;
    static void discardUnreadBody(Poco::Net::HTTPServerRequest& request);
    static void finishBody(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
    static std::vector<std::string> split(const std::string& path);
    static bool match(const Route& route, const std::vector<std::string>& segments,
                      std::map<std::string, std::string>& params);

    Poco::Logger& logger_;
    std::vector<Route> routes_;
    Guard guard_;
    Transport transport_;
};

}  // namespace chatiere::manager::http
