#include "hosting/CertificateBook.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"

namespace chatiere::manager {

CertificateBook::CertificateBook(Database& db, base::Clock& clock, bool proxyOn,
                                 std::function<void()> ordersWake)
    : db_(db), clock_(clock), proxyOn_(proxyOn), ordersWake_(std::move(ordersWake)) {}

void CertificateBook::requireAdmin(const Actor& actor) const {
    if (!actor.userId) {
        throw Error::unauthenticated();
    }
    if (!actor.isAdmin()) {
        throw Error::forbidden("The certificates are the admin's.");
    }
}

std::vector<CertificateRecord> CertificateBook::list(const Actor& actor) {
    requireAdmin(actor);
    auto s = db_.session();
    return CertificateRepository(s).all();
}

std::vector<CertificateRecord> CertificateBook::needingAttention(const Actor& actor, int days) {
    requireAdmin(actor);
    auto s = db_.session();
    return CertificateRepository(s).needingAttention(
        formatTime(clock_.now() + std::chrono::hours(24 * days)));
}

CertificateRecord CertificateBook::renew(const Actor& actor, const std::string& name) {
    requireAdmin(actor);
    if (!proxyOn_) {
        throw Error(ErrorKind::Conflict, "proxy_off",
                    "The proxy is off (proxy.mode): no certificate is ordered.");
    }
    auto s = db_.session();
    Transaction tx(s);
    CertificateRepository certificates(s);
    if (!certificates.find(name)) {
        throw Error::notFound("Certificate");
    }
    const std::string at = formatTime(clock_.now());
    certificates.makeDue(name, at);
    Poco::JSON::Object details;
    details.set("name", name);
    AuditLog::record(s, actor, at, "certificate.renew", "certificate", name, std::nullopt, details);
    auto record = *certificates.find(name);
    tx.commit();
    ordersWake_();
    return record;
}

}  // namespace chatiere::manager
