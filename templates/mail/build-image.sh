#!/usr/bin/env bash
# Builds the `mail` appliance: the Debian appliance base (../debian-base/build-image.sh) with
# Debian's Postfix, Dovecot (IMAP, LMTP, Sieve) and OpenDKIM, configured from the host's
# configuration at each start by /usr/local/lib/chatiere/mail-config (docs/appliances.md).
# Usage: build-image.sh OUTPUT_DIR → OUTPUT_DIR/vmlinuz, initrd.img, root.img, packages.txt
# Packages: postfix (SMTP 25 and submission 587), dovecot-imapd dovecot-lmtpd (IMAP 143, LMTP
# delivery, quota and quota-status, the doveadm HTTP API: all in dovecot-core), dovecot-sieve
# (Sieve in LMTP, for a later out-of-office), opendkim (signs what submission sends), jq (reads
# config.json), openssl (checks the DKIM key, makes the guest's self-signed STARTTLS certificate).
# image-inputs: ../debian-base
set -euo pipefail
out=${1:?usage: build-image.sh OUTPUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
export EXTRA_PACKAGES="postfix dovecot-imapd dovecot-lmtpd dovecot-sieve opendkim jq openssl"
export EXTRA_FILES="$here/rootfs"
export CUSTOMIZE_HOOKS="$here/customize.sh"
exec "$here/../debian-base/build-image.sh" "$out"
