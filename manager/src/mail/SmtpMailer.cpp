#include "chatiere/manager/SmtpMailer.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/MailRecipient.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureSMTPClientSession.h>
#include <Poco/Net/StringPartSource.h>

#include <mutex>

namespace chatiere::manager {

namespace {

void initializeSslOnce() {
    static std::once_flag once;
    std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

bool isPermanent(const Poco::Exception& e) {
    return e.code() >= 500 && e.code() < 600;
}

}  // namespace

SmtpMailer::SmtpMailer(SmtpSettings settings) : settings_(std::move(settings)) {
    initializeSslOnce();
}

void SmtpMailer::send(const MailMessage& m) {
    Poco::Net::MailMessage message;
    message.setSender(m.from);
    message.addRecipient(Poco::Net::MailRecipient(Poco::Net::MailRecipient::PRIMARY_RECIPIENT, m.to));
    message.setSubject(Poco::Net::MailMessage::encodeWord(m.subject, "UTF-8"));
    message.set("Message-ID", m.messageId);
    message.set("Auto-Submitted", "auto-generated");
    message.setContentType("text/plain; charset=UTF-8");
    message.setContent(m.body, Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);

    try {
        Poco::Net::SecureSMTPClientSession session(settings_.host, static_cast<Poco::UInt16>(settings_.port));
        session.setTimeout(Poco::Timespan(settings_.timeoutSeconds, 0));
        session.login();
        if (settings_.tls != SmtpSettings::Tls::Never) {
            Poco::Net::Context::Ptr context = new Poco::Net::Context(
                Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_RELAXED, 9, true);
            const bool secure = session.startTLS(context);
            if (!secure && settings_.tls == SmtpSettings::Tls::Always) {
                throw MailError(
                    "SMTP server " + settings_.host + " does not offer STARTTLS (smtp.tls=starttls)", false);
            }
            if (secure) {
                session.login();
            }
        }
        if (!settings_.username.empty()) {
            session.login(Poco::Net::SMTPClientSession::AUTH_LOGIN, settings_.username, settings_.password);
        }
        session.sendMessage(message);
        session.close();
    } catch (const MailError&) {
        throw;
    } catch (const Poco::Net::SMTPException& e) {
        throw MailError(
            "SMTP " + settings_.host + ":" + std::to_string(settings_.port) + ": " + e.displayText(),
            isPermanent(e));
    } catch (const Poco::Exception& e) {
        throw MailError(
            "SMTP " + settings_.host + ":" + std::to_string(settings_.port) + ": " + e.displayText(), false);
    }
}

}  // namespace chatiere::manager
