#pragma once

// What a browser without JavaScript does with the pages: keeps the cookies it is given, sends
// them back, posts forms urlencoded with the token of the last page it read, and says where its
// requests come from as a browser does on a page of the site (Sec-Fetch-Site: same-origin, and
// Origin on what is not GET). For the page tests; the e2e tests use a real Chromium.

#include "ApiClient.h"

#include <Poco/URI.h>

#include <map>
#include <regex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace chatiere::testing {

class Browser {
public:
    explicit Browser(int port) : client_(port) {}

    explicit Browser(int port, std::string origin) : client_(port), origin_(std::move(origin)) {}

    ApiResponse get(const std::string& path, std::map<std::string, std::string> headers = {}) {
        return keep(client_.request("GET", path, "", "", withCookies(std::move(headers), "GET")));
    }
    // Posts `fields` as application/x-www-form-urlencoded; `csrf` adds the form token this
    // browser was last shown (csrfToken()) as csrf_token.
    ApiResponse post(const std::string& path, std::vector<std::pair<std::string, std::string>> fields,
                     bool csrf = true) {
        if (csrf) {
            fields.emplace_back("csrf_token", csrfToken());
        }
        std::string body;
        for (const auto& [k, v] : fields) {
            std::string ek, ev;
            Poco::URI::encode(k, "&=+;", ek);
            Poco::URI::encode(v, "&=+;", ev);
            body += (body.empty() ? "" : "&") + ek + "=" + ev;
        }
        return keep(client_.request("POST", path, body, "application/x-www-form-urlencoded",
                                    withCookies({}, "POST")));
    }
    // Posts multipart/form-data: the form token (this browser's with `csrf`, else `token` if any)
    // and one file.
    ApiResponse postFile(const std::string& path, const std::string& fileField, const std::string& fileName,
                         const std::string& bytes, bool csrf = true, const std::string& token = "") {
        const std::string boundary = "----chatiere-test-boundary-7f3a";
        std::string body;
        if (csrf || !token.empty()) {
            body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" +
                    (csrf ? csrfToken() : token) + "\r\n";
        }
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + fileField +
                "\"; filename=\"" + fileName + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" +
                bytes + "\r\n--" + boundary + "--\r\n";
        return keep(client_.request("POST", path, body, "multipart/form-data; boundary=" + boundary,
                                    withCookies({}, "POST")));
    }
    // The form token of the last page read since the session last changed (a browser posts the
    // form of the page it shows); when there is none, a page is read to find one, as a user
    // would open one: the home page when signed in (its logout form), the login page otherwise.
    std::string csrfToken() {
        if (token_.empty()) {
            get(signedIn() ? "/" : "/login");
        }
        return token_;
    }
    std::string cookie(const std::string& name) const {
        const auto it = cookies_.find(name);
        return it == cookies_.end() ? "" : it->second;
    }
    void setCookie(const std::string& name, const std::string& value) { cookies_[name] = value; }

private:
    bool signedIn() const {
        return !cookie("chatiere_session").empty() || !cookie("__Host-chatiere_session").empty();
    }
    std::map<std::string, std::string> withCookies(std::map<std::string, std::string> headers,
                                                   const std::string& method) const {
        headers.emplace("Sec-Fetch-Site", "same-origin");
        if (method != "GET" && method != "HEAD") {
            headers.emplace("Origin",
                            origin_.empty() ? "http://127.0.0.1:" + std::to_string(client_.port()) : origin_);
        }
        std::string header;
        for (const auto& [k, v] : cookies_) {
            header += (header.empty() ? "" : "; ") + k + "=" + v;
        }
        if (!header.empty()) {
            headers["Cookie"] = header;
        }
        return headers;
    }
    ApiResponse keep(ApiResponse r) {
        static const std::regex kToken(R"re(name="csrf_token" value="([^"]*)")re");
        std::smatch found;
        if (std::regex_search(r.body, found, kToken)) {
            token_ = found[1].str();
        }
        const std::string session = cookie("chatiere_session") + cookie("__Host-chatiere_session");
        for (const auto& c : r.cookies) {
            if (c.getMaxAge() == 0 || c.getValue().empty()) {
                cookies_.erase(c.getName());
            } else {
                cookies_[c.getName()] = c.getValue();
            }
        }
        if (session != cookie("chatiere_session") + cookie("__Host-chatiere_session")) {
            token_.clear();  // the session changed: the pages' token changes with it
        }
        return r;
    }

    ApiClient client_;
    std::string origin_;
    std::map<std::string, std::string> cookies_;
    std::string token_;
};

// Text as a browser reads it: mstch writes '/', '=' and '&' as entities.
inline std::string decodeEntities(std::string s) {
    for (const auto& [entity, c] :
         {std::pair{"&#x2F;", "/"}, std::pair{"&#x3D;", "="}, std::pair{"&amp;", "&"}}) {
        for (std::size_t at; (at = s.find(entity)) != std::string::npos;) {
            s.replace(at, std::string(entity).size(), c);
        }
    }
    return s;
}

inline std::string pageText(const ApiResponse& r) {
    return decodeEntities(r.body);
}

// The challenge of the login's second step (the form asking the TOTP code); "" when the page has none.
inline std::string loginChallenge(const ApiResponse& r) {
    static const std::regex kChallenge(R"re(name="challenge" value="([^"]*)")re");
    std::smatch found;
    return std::regex_search(r.body, found, kChallenge) ? found[1].str() : std::string();
}

// A browser signed in through the login form (the test accounts' password by default); for an
// account with a second factor, `totp` is its code (TestDaemon::nextTotpCode), given on the
// second step of the login.
inline Browser signedInBrowser(int port, const std::string& email,
                               const std::string& password = "correct horse battery",
                               const std::string& totp = "") {
    Browser b(port);
    b.get("/login");
    auto r = b.post("/login", {{"email", email}, {"password", password}});
    if (const std::string challenge = loginChallenge(r); r.status == 200 && !challenge.empty()) {
        if (totp.empty()) {
            throw std::runtime_error("login of " + email + " asks for a TOTP code, and none was given");
        }
        r = b.post("/login/totp", {{"challenge", challenge}, {"code", totp}});
    }
    if (r.status != 303) {
        throw std::runtime_error("login of " + email + " failed: " + std::to_string(r.status) + " " + r.body);
    }
    return b;
}

// The same for an account of the test daemon `d` (a TestDaemon): with its next TOTP code when the
// fixture enrolled it (staffClient), none otherwise.
template <class Daemon>
Browser signedInBrowser(Daemon& d, const std::string& email,
                        const std::string& password = "correct horse battery") {
    return signedInBrowser(d.daemon().port(), email, password, d.nextTotpCode(email));
}

}  // namespace chatiere::testing
