#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace chatiere::manager {

// The lifecycles of the things the manager keeps, as enums. This header is the one place that
// names their states for the wire: the database, the JSON API and the pages all write the names of
// the tables below (the same words as the migrations' CHECK constraints).

enum class AssociationStatus { Pending, Active, Suspended, Closed, Rejected };
enum class ServiceState { Requested, Provisioning, Active, Failed, Deleting, Deleted };
enum class ServiceHealth { Unknown, Ok, Degraded };  // apart from the state: the last checks' outcome
enum class JobStatus { Pending, Done, Failed };
enum class SubscriptionStatus { Active, Ended };
enum class InvoiceStatus { Draft, Finalized, Paid, Cancelled };
enum class MailStatus { Pending, Sent, Failed };               // a mail of the outbox
enum class TlsStatus { SelfSigned, Pending, Issued, Failed };  // a public name's certificate

// Lifecycle<E>: what the lifecycle is called (for errors) and its names, in enumerator order.
template <typename E>
struct Lifecycle;

template <>
struct Lifecycle<AssociationStatus> {
    using enum AssociationStatus;
    static constexpr std::string_view kWhat = "association status";
    static constexpr std::array kNames = {
        std::pair{Pending, std::string_view("pending")}, std::pair{Active, std::string_view("active")},
        std::pair{Suspended, std::string_view("suspended")}, std::pair{Closed, std::string_view("closed")},
        std::pair{Rejected, std::string_view("rejected")}};
};

template <>
struct Lifecycle<ServiceState> {
    using enum ServiceState;
    static constexpr std::string_view kWhat = "service state";
    static constexpr std::array kNames = {std::pair{Requested, std::string_view("requested")},
                                          std::pair{Provisioning, std::string_view("provisioning")},
                                          std::pair{Active, std::string_view("active")},
                                          std::pair{Failed, std::string_view("failed")},
                                          std::pair{Deleting, std::string_view("deleting")},
                                          std::pair{Deleted, std::string_view("deleted")}};
};

template <>
struct Lifecycle<ServiceHealth> {
    using enum ServiceHealth;
    static constexpr std::string_view kWhat = "service health";
    static constexpr std::array kNames = {std::pair{Unknown, std::string_view("unknown")},
                                          std::pair{Ok, std::string_view("ok")},
                                          std::pair{Degraded, std::string_view("degraded")}};
};

template <>
struct Lifecycle<JobStatus> {
    using enum JobStatus;
    static constexpr std::string_view kWhat = "job status";
    static constexpr std::array kNames = {std::pair{Pending, std::string_view("pending")},
                                          std::pair{Done, std::string_view("done")},
                                          std::pair{Failed, std::string_view("failed")}};
};

template <>
struct Lifecycle<SubscriptionStatus> {
    using enum SubscriptionStatus;
    static constexpr std::string_view kWhat = "subscription status";
    static constexpr std::array kNames = {std::pair{Active, std::string_view("active")},
                                          std::pair{Ended, std::string_view("ended")}};
};

template <>
struct Lifecycle<InvoiceStatus> {
    using enum InvoiceStatus;
    static constexpr std::string_view kWhat = "invoice status";
    static constexpr std::array kNames = {
        std::pair{Draft, std::string_view("draft")}, std::pair{Finalized, std::string_view("finalized")},
        std::pair{Paid, std::string_view("paid")}, std::pair{Cancelled, std::string_view("cancelled")}};
};

template <>
struct Lifecycle<MailStatus> {
    using enum MailStatus;
    static constexpr std::string_view kWhat = "mail status";
    static constexpr std::array kNames = {std::pair{Pending, std::string_view("pending")},
                                          std::pair{Sent, std::string_view("sent")},
                                          std::pair{Failed, std::string_view("failed")}};
};

template <>
struct Lifecycle<TlsStatus> {
    using enum TlsStatus;
    static constexpr std::string_view kWhat = "certificate status";
    static constexpr std::array kNames = {std::pair{SelfSigned, std::string_view("self_signed")},
                                          std::pair{Pending, std::string_view("pending")},
                                          std::pair{Issued, std::string_view("issued")},
                                          std::pair{Failed, std::string_view("failed")}};
};

namespace states_detail {
// Each table lists every enumerator once, in order, so that an enumerator indexes its name.
template <typename E>
constexpr bool inOrder() {
    const auto& names = Lifecycle<E>::kNames;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (static_cast<std::size_t>(names[i].first) != i || names[i].second.empty())
            return false;
    }
    return true;
}
[[noreturn]] void throwUnknownState(std::string_view what, std::string_view value, std::string_view where);
[[noreturn]] void throwBadFilter(std::string_view what, std::string_view value, std::string_view param,
                                 const std::string& names);
}  // namespace states_detail

// Every state of a lifecycle, in order.
template <typename E>
constexpr auto allStates() {
    static_assert(states_detail::inOrder<E>(), "a lifecycle's names must follow its enumerators");
    std::array<E, Lifecycle<E>::kNames.size()> out{};
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = Lifecycle<E>::kNames[i].first;
    return out;
}

// The name of a state, as the database, the API and the pages write it.
template <typename E>
const std::string& wireName(E state) {
    static_assert(states_detail::inOrder<E>(), "a lifecycle's names must follow its enumerators");
    static const auto names = [] {
        std::array<std::string, Lifecycle<E>::kNames.size()> out;
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = std::string(Lifecycle<E>::kNames[i].second);
        return out;
    }();
    return names.at(static_cast<std::size_t>(state));
}

// The state of that name; nullopt for a word that names none (input to refuse).
template <typename E>
constexpr std::optional<E> parseState(std::string_view text) {
    for (const auto& [state, name] : Lifecycle<E>::kNames) {
        if (name == text)
            return state;
    }
    return std::nullopt;
}

// The state a stored row holds: an unknown value is an internal error naming `where` (the table and
// column) and the value, never taken for another state.
template <typename E>
E storedState(std::string_view text, std::string_view where) {
    if (const auto state = parseState<E>(text))
        return *state;
    states_detail::throwUnknownState(Lifecycle<E>::kWhat, text, where);
}

// A filter from outside (a query parameter): a state, or a 400 `invalid_<param>` naming the value.
template <typename E>
E requestedState(std::string_view text, std::string_view param) {
    if (const auto state = parseState<E>(text))
        return *state;
    std::string names;
    for (const auto& [state, name] : Lifecycle<E>::kNames)
        names += (names.empty() ? "" : ", ") + std::string(name);
    states_detail::throwBadFilter(Lifecycle<E>::kWhat, text, param, names);
}

// For test output and logs.
template <typename E>
requires requires {
    Lifecycle<E>::kNames;
}
std::ostream& operator<<(std::ostream& out, E state) {
    return out << wireName(state);
}

}  // namespace chatiere::manager
