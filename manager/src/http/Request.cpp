#include "http/Request.h"

#include "chatiere/manager/Secrets.h"

#include <Poco/String.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <sstream>

namespace chatiere::manager::http {

Request::Request(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                 std::map<std::string, std::string> params, const Transport& transport)
    : request_(request), response_(response), params_(std::move(params)) {
    // Every X-Forwarded-For line, in order, as one list: its last address is the nearest proxy's.
    std::optional<std::string> forwardedFor;
    for (const auto& [name, value] : request_) {
        if (Poco::icompare(name, "X-Forwarded-For") == 0) {
            forwardedFor = forwardedFor ? *forwardedFor + "," + value : value;
        }
    }
    const auto client = transport.trustedProxies.clientOf(request_.clientAddress().host().toString(),
                                                          request_.secure() ? "https" : "http", forwardedFor,
                                                          header("X-Forwarded-Proto"));
    clientAddress_ = client.address;
    scheme_ = client.scheme;
    secureCookies_ = scheme_ == "https" || transport.publicHttps;
    try {
        const Poco::URI uri(request_.getURI());
        for (const auto& [k, v] : uri.getQueryParameters()) {
            query_[k] = v;
        }
    } catch (const Poco::SyntaxException&) {
        // A bad %-escape in the query ("?lang=%zz"), which the router's path check does not see.
        throw Error(ErrorKind::BadRequest, "bad_uri", "The request URI is malformed.");
    }
}

const std::string& Request::param(const std::string& name) const {
    const auto it = params_.find(name);
    if (it == params_.end()) {
        throw Error(ErrorKind::Internal, "route", "route has no parameter " + name);
    }
    return it->second;
}

std::optional<std::string> Request::query(const std::string& name) const {
    const auto it = query_.find(name);
    if (it == query_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::optional<std::string> Request::header(const std::string& name) const {
    if (!request_.has(name)) {
        return std::nullopt;
    }
    return request_.get(name);
}

std::optional<std::string> Request::cookie(const std::string& name) const {
    Poco::Net::NameValueCollection cookies;
    request_.getCookies(cookies);
    if (!cookies.has(name)) {
        return std::nullopt;
    }
    return cookies.get(name);
}

std::string Request::readBodyLimited(std::size_t limit) {
    const std::string tooLarge = limit == kMaxBodyBytes
                                     ? std::string("The request body is larger than 1 MiB.")
                                     : "The request body is larger than " + std::to_string(limit) + " bytes.";
    if (request_.hasContentLength() && request_.getContentLength64() > static_cast<Poco::Int64>(limit)) {
        response_.setKeepAlive(false);
        throw Error(ErrorKind::PayloadTooLarge, "payload_too_large", tooLarge);
    }
    std::string body;
    std::istream& in = request_.stream();
    char buffer[16384];
    while (in) {
        in.read(buffer, sizeof buffer);
        body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (body.size() > limit) {
            response_.setKeepAlive(false);
            throw Error(ErrorKind::PayloadTooLarge, "payload_too_large", tooLarge);
        }
    }
    return body;
}

Poco::JSON::Object::Ptr Request::jsonBody() {
    const std::string type = Poco::toLower(request_.getContentType());
    if (type.rfind("application/json", 0) != 0) {
        response_.setKeepAlive(false);
        throw Error(ErrorKind::UnsupportedMediaType, "unsupported_media_type",
                    "Send the body as application/json.");
    }
    const std::string body = readBodyLimited(kMaxBodyBytes);
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var parsed = parser.parse(body);
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
            throw Error(ErrorKind::BadRequest, "invalid_json", "The body must be a JSON object.");
        }
        return parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::JSON::JSONException& e) {
        throw Error(ErrorKind::BadRequest, "invalid_json", "The body is not valid JSON: " + e.message());
    } catch (const Poco::SyntaxException& e) {
        throw Error(ErrorKind::BadRequest, "invalid_json", "The body is not valid JSON: " + e.message());
    }
}

std::string Request::rawBody(std::size_t limit, const std::vector<std::string>& types) {
    const std::string type = Poco::toLower(request_.getContentType());
    const bool known =
        std::any_of(types.begin(), types.end(), [&](const std::string& t) { return type.rfind(t, 0) == 0; });
    if (!known) {
        response_.setKeepAlive(false);
        std::string list;
        for (const auto& t : types) {
            list += (list.empty() ? "" : ", ") + t;
        }
        throw Error(ErrorKind::UnsupportedMediaType, "unsupported_media_type",
                    "Send the body as one of: " + list + ".");
    }
    return readBodyLimited(limit);
}

void Request::setCookie(const std::string& name, const std::string& value, int maxAge, bool strict) {
    Poco::Net::HTTPCookie cookie(name, value);
    cookie.setPath("/");
    cookie.setHttpOnly(true);
    cookie.setSameSite(strict ? Poco::Net::HTTPCookie::SAME_SITE_STRICT
                              : Poco::Net::HTTPCookie::SAME_SITE_LAX);
    cookie.setSecure(secureCookies_);
    cookie.setMaxAge(maxAge);
    response_.addCookie(cookie);
}

void Request::sendJson(int status, const Poco::JSON::Object& body) {
    std::ostringstream out;
    body.stringify(out);
    sendText(status, "application/json; charset=utf-8", out.str());
}

void Request::sendNoContent() {
    response_.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
    response_.setContentLength(0);
    response_.send();
    answered_ = true;
}

void Request::sendText(int status, const std::string& contentType, const std::string& body) {
    if (Poco::toLower(contentType).rfind("text/html", 0) == 0 && !response_.has("Content-Security-Policy")) {
        addPageSecurityHeaders(response_);
    }
    response_.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response_.setContentType(contentType);
    response_.set("Cache-Control", "no-store");
    response_.set("X-Content-Type-Options", "nosniff");
    response_.setContentLength(static_cast<std::streamsize>(body.size()));
    response_.send() << body << std::flush;
    answered_ = true;
}

std::string cookieName(const std::string& name, bool secure) {
    return secure ? "__Host-" + name : name;
}

void addPageSecurityHeaders(Poco::Net::HTTPServerResponse& response,
                            const std::vector<std::string>& inlineStyles) {
    std::string styles;
    for (const auto& style : inlineStyles) {
        styles += " 'sha256-" + sha256Base64(style) + "'";
    }
    response.set("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; " +
                     (styles.empty() ? std::string() : "style-src 'self'" + styles + "; ") +
                     "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Referrer-Policy", "same-origin");
    response.set("X-Frame-Options", "DENY");
    response.set("Cache-Control", "no-store");
}

void sendError(Poco::Net::HTTPServerResponse& response, const Error& error) {
    Poco::JSON::Object inner;
    inner.set("code", error.code());
    inner.set("message", std::string(error.what()));
    if (!error.fields().empty()) {
        Poco::JSON::Array fields;
        for (const auto& f : error.fields()) {
            Poco::JSON::Object field;
            field.set("field", f.field);
            field.set("code", f.code);
            field.set("message", f.message);
            fields.add(field);
        }
        inner.set("fields", fields);
    }
    Poco::JSON::Object outer;
    outer.set("error", inner);
    std::ostringstream out;
    outer.stringify(out);
    const std::string body = out.str();
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(httpStatusOf(error.kind())));
    if (error.retryAfterSeconds() > 0) {
        response.set("Retry-After", std::to_string(error.retryAfterSeconds()));
    }
    response.setContentType("application/json; charset=utf-8");
    response.set("Cache-Control", "no-store");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body << std::flush;
}

std::string languageOf(Request& request) {
    if (const auto lang = request.query("lang")) {
        return *lang == "en" ? "en" : "fr";
    }
    const std::string accept = Poco::toLower(request.header("Accept-Language").value_or(""));
    // The first language named wins; French unless it is English.
    const auto en = accept.find("en");
    const auto fr = accept.find("fr");
    if (en != std::string::npos && (fr == std::string::npos || en < fr)) {
        return "en";
    }
    return "fr";
}

}  // namespace chatiere::manager::http
