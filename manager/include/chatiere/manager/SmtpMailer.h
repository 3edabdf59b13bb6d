#pragma once

#include "chatiere/manager/Mailer.h"
#include "chatiere/manager/Settings.h"

namespace chatiere::manager {

// SMTP with Poco: EHLO, STARTTLS when offered (smtp.tls=auto) or required (starttls), AUTH when a
// user name is set; UTF-8 subject (RFC 2047) and quoted-printable body.
class SmtpMailer final : public Mailer {
public:
    explicit SmtpMailer(SmtpSettings settings);
    void send(const MailMessage& message) override;

private:
    SmtpSettings settings_;
};

}  // namespace chatiere::manager
