#!/usr/bin/env bash
# The mail appliance's customize hook (see ../debian-base/build-image.sh): `customize.sh ROOT_DIR`.
# Debian's packages were installed with their own units and defaults, made for a writable root:
# those units are masked (the appliance's own, chatiere-*.service, run the servers with the
# configuration made from the host's at each start), Postfix's main.cf becomes a link to the one
# made under /run, and the certificates a package made at build time (which every guest of the
# image would share) are removed: each guest makes its own on its data volume.
set -euo pipefail
r=${1:?usage: customize.sh ROOT_DIR}

# The mail's owner: a fixed uid, since the Maildirs on the data volume outlive the image.
chroot "$r" groupadd --system --gid 5000 vmail
chroot "$r" useradd --system --uid 5000 --gid 5000 --home-dir /srv/data/mail --no-create-home \
  --shell /usr/sbin/nologin vmail

ln -sfn /run/chatiere-mail/postfix/main.cf "$r/etc/postfix/main.cf"
rm -f "$r/etc/aliases.db" "$r/etc/postfix/sasl_passwd"*
# Snakeoil and Dovecot's build-time certificates: one private key in every guest otherwise.
rm -f "$r/etc/ssl/private/ssl-cert-snakeoil.key" "$r/etc/ssl/certs/ssl-cert-snakeoil.pem" \
  "$r/etc/dovecot/private/dovecot.key" "$r/etc/dovecot/private/dovecot.pem"
# Debian's units: default instances with their own configuration (a Postfix chrooted in
# /var/spool/postfix, Dovecot's conf.d with POP3 and 993, OpenDKIM on its own socket).
chroot "$r" systemctl mask postfix.service postfix@-.service dovecot.service dovecot.socket \
  opendkim.service
chroot "$r" systemctl enable chatiere-mail-setup.service chatiere-dovecot.service \
  chatiere-opendkim.service chatiere-postfix.service

# What the configuration relies on is there.
for f in /usr/lib/dovecot/quota-status /usr/lib/dovecot/modules/lib10_quota_plugin.so \
         /usr/lib/dovecot/modules/lib90_sieve_plugin.so /usr/lib/dovecot/modules/lib11_imap_quota_plugin.so \
         /usr/share/dovecot/dh.pem /usr/sbin/opendkim /usr/sbin/postfix; do
  [ -e "$r$f" ] || { echo "customize: $f is missing" >&2; exit 1; }
done
chroot "$r" postconf -d mail_version >&2
