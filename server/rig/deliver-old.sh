#!/usr/bin/env bash
# Delivers one message to a mailbox of the demo's old server, as its mail system would after the
# switch (the address it came for in Delivered-To), for Fountain's catch-ups to find.
#
#   deliver-old.sh DOVECOT_CONF LOGIN ADDRESS [SUBJECT]
#   e.g. deliver-old.sh /tmp/fountain-demo/old/dovecot.conf alice.archer alice.archer@old.example.org
set -euo pipefail
conf=$1 login=$2 address=$3 subject=${4:-"Still sent to the old address"}
doveadm -c "$conf" save -u "$login" -m INBOX <<MAIL
Message-ID: <$(date +%s%N).$login@old.example.org>
Date: $(date -R)
From: Partner <someone@partner.example>
To: $address
Delivered-To: $address
Subject: $subject

Sent to $address after delivery moved to the new server.
MAIL
echo "delivered to $login ($address)"
