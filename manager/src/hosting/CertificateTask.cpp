#include "hosting/CertificateTask.h"

#include "chatiere/manager/Time.h"
#include "core/PublicName.h"
#include "hosting/SelfSignedCertificate.h"
#include "store/Alerts.h"
#include "store/Certificates.h"

#include <Poco/Logger.h>

namespace chatiere::manager {

namespace {

std::string alertKeyOf(const std::string& name) {
    return "certificate:" + name;
}

// dehydrated's output is long: the ACME problem is in its last lines.
std::string shortError(const std::string& error) {
    constexpr std::size_t kMax = 600;
    std::string text = error;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text.size() <= kMax ? text : "…" + text.substr(text.size() - kMax);
}

}  // namespace

CertificateTask::CertificateTask(Database& db, base::Clock& clock, const Settings& settings, AcmeClient& acme,
                                 ProxyDriver& driver, std::function<void()> certificatesChanged,
                                 Poco::Logger& logger)
    : db_(db),
      clock_(clock),
      settings_(settings),
      acme_(acme),
      driver_(driver),
      certificatesChanged_(std::move(certificatesChanged)),
      log_(logger) {}

std::chrono::seconds CertificateTask::backoff(int failures, std::chrono::seconds first,
                                              std::chrono::seconds cap) {
    auto wait = first;
    for (int i = 1; i < failures && wait < cap; ++i) {
        wait *= 2;
    }
    return std::min(wait, cap);
}

bool CertificateTask::orderable(const std::string& name) {
    return isCanonicalDomainName(name) && registrableDomain(name).has_value() &&
           !name.ends_with(".localhost");
}

bool CertificateTask::renewNow(const std::string& name) {
    auto s = db_.session();
    Transaction tx(s);
    CertificateRepository certificates(s);
    const auto record = certificates.find(name);
    if (!record) {
        return false;
    }
    certificates.makeDue(name, formatTime(clock_.now()));
    tx.commit();
    return true;
}

int CertificateTask::runOnce() {
    if (settings_.acme.directoryUrl.empty()) {
        return 0;
    }
    const std::lock_guard lock(running_);
    std::vector<CertificateRecord> due;
    {
        auto s = db_.session();
        Transaction tx(s);
        CertificateRepository certificates(s);
        if (!resetDone_) {
            certificates.resetPending(formatTime(clock_.now()));  // orders a stopped daemon left
            resetDone_ = true;
        }
        due = certificates.due(formatTime(clock_.now()));
        tx.commit();
    }
    int issued = 0;
    for (const auto& record : due) {
        if (!orderable(record.name)) {
            continue;
        }
        order(record.name, record.failures);
        auto s = db_.session();
        if (const auto after = CertificateRepository(s).find(record.name);
            after && after->status == TlsStatus::Issued && after->failures == 0) {
            ++issued;
        }
    }
    return issued;
}

void CertificateTask::order(const std::string& name, int failuresBefore) {
    {
        auto s = db_.session();
        Transaction tx(s);
        CertificateRepository(s).markPending(name, formatTime(clock_.now()));
        tx.commit();
    }
    log_.information("acme: ordering a certificate for %s", name);
    AcmeOutcome outcome;
    try {
        outcome = acme_.issue(name);
    } catch (const std::exception& e) {
        outcome.issued = false;
        outcome.error = e.what();
    }
    std::optional<CertificateInfo> info;
    if (outcome.issued) {
        try {
            info = readCertificate(outcome.certificate.certificatePem);
            driver_.installCertificate(name, outcome.certificate);
        } catch (const std::exception& e) {
            info.reset();
            outcome.error = std::string("the issued certificate could not be installed: ") + e.what();
        }
    }

    const auto now = clock_.now();
    const std::string at = formatTime(now);
    auto s = db_.session();
    Transaction tx(s);
    CertificateRepository certificates(s);
    const auto record = certificates.find(name);
    if (!record) {
        tx.commit();  // the name was freed during the order
        return;
    }
    AlertBook alerts(s);
    if (info) {
        const auto renewAt = info->notAfter - std::chrono::hours(24 * settings_.acme.renewDays);
        certificates.markIssued(name, info->issuer, formatTime(info->notAfter), formatTime(renewAt), at);
        alerts.resolve(alertKeyOf(name), at);
        log_.information("acme: %s issued by %s until %s", name, info->issuer, formatTime(info->notAfter));
    } else {
        const int failures = failuresBefore + 1;
        const auto wait = backoff(failures, std::chrono::seconds(settings_.acme.retrySeconds),
                                  std::chrono::seconds(settings_.acme.retryMaxSeconds));
        const std::string error = shortError(outcome.error);
        certificates.markFailed(name, error, failures, formatTime(now + wait), at);
        const bool served = record->issuer.has_value();
        alerts.raise(
            {0, alertKeyOf(name), "certificate", "warning", std::nullopt, record->serviceId,
             "No certificate for " + name + " from the ACME server (" + std::to_string(failures) +
                 (failures == 1 ? " failure" : " failures in a row") + "; next try " +
                 formatTime(now + wait) + "): " + error +
                 (served ? " — the current certificate is still served" : " — a self-signed one is served"),
             at, at, std::nullopt},
            at);
        log_.warning("acme: %s not issued (%d): %s", name, failures, error);
    }
    tx.commit();
    if (info) {
        certificatesChanged_();
    }
}

}  // namespace chatiere::manager
