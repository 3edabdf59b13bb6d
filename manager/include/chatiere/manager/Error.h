#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chatiere::manager {

// What kind of failure it is: decides the HTTP status and the CLI exit code.
enum class ErrorKind {
    BadRequest,            // malformed request (400)
    Validation,            // well-formed but bad fields (400)
    Unauthenticated,       // 401
    Forbidden,             // 403
    NotFound,              // 404
    MethodNotAllowed,      // 405
    Conflict,              // 409
    PayloadTooLarge,       // 413
    UnsupportedMediaType,  // 415
    TooManyRequests,       // 429
    Unavailable,           // 503
    Internal,              // 500
};

// One bad field of a request: `field` is a dotted path into the request body.
struct FieldError {
    std::string field;
    std::string code;
    std::string message;
};

// The one exception type of the domain. `code` is a stable machine-readable word
// ("invalid_siren", "email_taken", …); `message` is for people.
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string code, const std::string& message, std::vector<FieldError> fields = {});

    ErrorKind kind() const { return kind_; }
    const std::string& code() const { return code_; }
    const std::vector<FieldError>& fields() const { return fields_; }
    // Seconds the client should wait, for TooManyRequests.
    int retryAfterSeconds() const { return retryAfter_; }
    Error& withRetryAfter(int seconds);

    static Error notFound(const std::string& what);
    static Error forbidden(const std::string& message = "You may not do this.");
    static Error unauthenticated(const std::string& message = "Authentication required.");
    static Error badRequest(const std::string& code, const std::string& message);

private:
    ErrorKind kind_;
    std::string code_;
    std::vector<FieldError> fields_;
    int retryAfter_ = 0;
};

int httpStatusOf(ErrorKind kind);
// The CLI's exit code for a failure of this kind (sysexits.h).
int exitCodeOf(ErrorKind kind);
// The kind of failure an HTTP error status says: the inverse of httpStatusOf; another 4xx is a
// BadRequest, a 502 or 504 (a proxy in front of the daemon) Unavailable, another 5xx Internal.
// nullopt below 400.
std::optional<ErrorKind> errorKindOfStatus(int status);
// The CLI's exit code for an API answer: 0 below 300, else that of its status's kind (a 3xx, which
// the API never sends, as a BadRequest). One map for the CLI's own failures and the daemon's.
int exitCodeOfStatus(int status);

// Collects field errors while a request is validated, then throws them all at once.
class FieldErrors {
public:
    void add(std::string field, std::string code, std::string message);
    bool empty() const { return fields_.empty(); }
    // Throws a Validation error if any field was bad.
    void throwIfAny() const;

private:
    std::vector<FieldError> fields_;
};

}  // namespace chatiere::manager
