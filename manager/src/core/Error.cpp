#include "chatiere/manager/Error.h"

namespace chatiere::manager {

Error::Error(ErrorKind kind, std::string code, const std::string& message, std::vector<FieldError> fields)
    : std::runtime_error(message), kind_(kind), code_(std::move(code)), fields_(std::move(fields)) {}

Error& Error::withRetryAfter(int seconds) {
    retryAfter_ = seconds;
    return *this;
}

Error Error::notFound(const std::string& what) {
    return Error(ErrorKind::NotFound, "not_found", what + " not found.");
}

Error Error::forbidden(const std::string& message) {
    return Error(ErrorKind::Forbidden, "forbidden", message);
}

Error Error::unauthenticated(const std::string& message) {
    return Error(ErrorKind::Unauthenticated, "unauthenticated", message);
}

Error Error::badRequest(const std::string& code, const std::string& message) {
    return Error(ErrorKind::BadRequest, code, message);
}

int httpStatusOf(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::BadRequest:
        case ErrorKind::Validation:
            return 400;
        case ErrorKind::Unauthenticated:
            return 401;
        case ErrorKind::Forbidden:
            return 403;
        case ErrorKind::NotFound:
            return 404;
        case ErrorKind::MethodNotAllowed:
            return 405;
        case ErrorKind::Conflict:
            return 409;
        case ErrorKind::PayloadTooLarge:
            return 413;
        case ErrorKind::UnsupportedMediaType:
            return 415;
        case ErrorKind::TooManyRequests:
            return 429;
        case ErrorKind::Unavailable:
            return 503;
        case ErrorKind::Internal:
            return 500;
    }
    return 500;
}

int exitCodeOf(ErrorKind kind) {
    // sysexits.h: EX_USAGE 64, EX_DATAERR 65, EX_NOINPUT 66, EX_UNAVAILABLE 69, EX_SOFTWARE 70,
    // EX_TEMPFAIL 75, EX_NOPERM 77.
    switch (kind) {
        case ErrorKind::BadRequest:
        case ErrorKind::Validation:
        case ErrorKind::PayloadTooLarge:
        case ErrorKind::UnsupportedMediaType:
            return 65;
        case ErrorKind::Conflict:
            return 65;
        case ErrorKind::NotFound:
            return 66;
        case ErrorKind::MethodNotAllowed:
            return 64;
        case ErrorKind::Unauthenticated:
        case ErrorKind::Forbidden:
            return 77;
        case ErrorKind::TooManyRequests:
            return 75;
        case ErrorKind::Unavailable:
            return 69;
        case ErrorKind::Internal:
            return 70;
    }
    return 70;
}

std::optional<ErrorKind> errorKindOfStatus(int status) {
    if (status < 400) {
        return std::nullopt;
    }
    switch (status) {
        case 400:
            return ErrorKind::BadRequest;
        case 401:
            return ErrorKind::Unauthenticated;
        case 403:
            return ErrorKind::Forbidden;
        case 404:
            return ErrorKind::NotFound;
        case 405:
            return ErrorKind::MethodNotAllowed;
        case 409:
            return ErrorKind::Conflict;
        case 413:
            return ErrorKind::PayloadTooLarge;
        case 415:
            return ErrorKind::UnsupportedMediaType;
        case 429:
            return ErrorKind::TooManyRequests;
        case 502:
        case 503:
        case 504:
            return ErrorKind::Unavailable;
        default:
            return status < 500 ? ErrorKind::BadRequest : ErrorKind::Internal;
    }
}

int exitCodeOfStatus(int status) {
    if (status < 300) {
        return 0;
    }
    return exitCodeOf(errorKindOfStatus(status).value_or(ErrorKind::BadRequest));
}

void FieldErrors::add(std::string field, std::string code, std::string message) {
    fields_.push_back({std::move(field), std::move(code), std::move(message)});
}

void FieldErrors::throwIfAny() const {
    if (fields_.empty()) {
        return;
    }
    const std::string message =
        fields_.size() == 1 ? fields_.front().message : "Some fields are not valid: see `fields`.";
    throw Error(ErrorKind::Validation, "invalid_fields", message, fields_);
}

}  // namespace chatiere::manager
