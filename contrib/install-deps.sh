#!/bin/sh
# Install Herald's build and test dependencies on Debian 12, idempotently:
# every dependency is probed first (pkg-config, header or command), and only
# the packages whose probe fails are handed to apt-get.
set -eu

missing=""
need() { missing="$missing $1"; }

have_pc() { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$1"; }

command -v pkg-config >/dev/null 2>&1 || need pkg-config
have_pc libcurl     || need libcurl4-openssl-dev
have_pc libxml-2.0  || need libxml2-dev
have_pc libuv       || need libuv1-dev
have_pc sqlite3     || need libsqlite3-dev
have_pc jansson     || need libjansson-dev
have_pc inih        || need libinih-dev
have_pc openssl     || need libssl-dev
have_pc libpsl      || need libpsl-dev
have_pc libpcre2-8  || need libpcre2-dev
have_pc zlib        || need zlib1g-dev
have_pc libxxhash   || need libxxhash-dev
have_pc cmocka      || need libcmocka-dev
# Debian's http-parser ships no pkg-config file: probe the header.
[ -f /usr/include/http_parser.h ] || need libhttp-parser-dev
# Nor does libunistring (Unicode case folding for story fingerprints).
[ -f /usr/include/unicase.h ] || need libunistring-dev

# Test tools: real consumers of the merged feed and an SQLite shell.
if [ "${HERALD_DEPS:-test}" = test ]; then
    /usr/bin/python3 -c 'import feedparser' >/dev/null 2>&1 || need python3-feedparser
    # An HTTP/2 server for the multiplexing test, and the openssl CLI for its certificate.
    /usr/bin/python3 -c 'import h2' >/dev/null 2>&1 || need python3-h2
    command -v openssl >/dev/null 2>&1 || need openssl
    command -v newsboat >/dev/null 2>&1 || need newsboat
    command -v sfeed >/dev/null 2>&1 || need sfeed
    command -v sqlite3 >/dev/null 2>&1 || need sqlite3
    command -v curl >/dev/null 2>&1 || need curl
    command -v chromium >/dev/null 2>&1 || need chromium
    # systemd-socket-activate (socket activation test) and systemd-analyze
    # (verify and security of contrib/heraldd.service): no running systemd needed.
    { command -v systemd-socket-activate && command -v systemd-analyze; } >/dev/null 2>&1 ||
        need systemd
fi

if [ -z "$missing" ]; then
    exit 0
fi

echo "install-deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing || {
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $missing
}
