#!/bin/sh
# Build Herald's Debian package and check it (not part of `make test`).
#
#   contrib/build-deb.sh [--chroot] [--keep] [--out DIR]
#
# 1. copies the source tree (git's tracked and untracked, not ignored, files)
#    to a temporary folder and contrib/debian to its debian/;
# 2. installs what is missing with apt-get: devscripts, debhelper, dpkg-dev,
#    lintian, then the package's Build-Depends (apt-get build-dep);
# 3. builds with `dpkg-buildpackage -us -uc -b` and runs lintian on the
#    result: any error fails; warnings and infos are listed;
# 4. with --chroot, creates a fresh Debian bookworm chroot with debootstrap
#    (mirror: the first Debian one in /etc/apt/sources.list or
#    /etc/apt/sources.list.d/*.sources), installs the .deb in it with apt
#    and checks: `heraldd --version`, `heraldd check -c
#    /etc/herald/heraldd.conf`, the unit file present and not enabled, the
#    man pages present, and that a purge leaves nothing in /etc/herald.
#
# The .deb, the lintian report and the log go to --out (default build-deb/
# in the source tree). Needs root (or sudo) for apt-get and the chroot.
# Exits non-zero on any failure; 3 when debootstrap cannot reach a mirror.
set -eu

chroot_check=no
keep=no
src=$(cd "$(dirname "$0")/.." && pwd)
out=$src/build-deb
while [ $# -gt 0 ]; do
    case $1 in
    --chroot) chroot_check=yes ;;
    --keep) keep=yes ;;
    --out) out=$2; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-deb: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

say() { printf '\n=== %s\n' "$*"; }
fail() { printf 'build-deb: FAIL: %s\n' "$*" >&2; exit 1; }
if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive

version=$(sed -n '1s/^herald (\([^)]*\)).*/\1/p' "$src/contrib/debian/changelog")
upstream=${version%-*}
[ -n "$version" ] || fail "no version in contrib/debian/changelog"

work=$(mktemp -d /tmp/herald-deb.XXXXXX)
root=
cleanup() {
    if [ -n "$root" ] && mountpoint -q "$root/proc" 2>/dev/null; then
        $SUDO umount "$root/proc" || true
    fi
    if [ "$keep" = no ]; then $SUDO rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT INT TERM

say "copying the tree to $work/herald-$upstream"
tree=$work/herald-$upstream
mkdir -p "$tree"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$src" ls-files -z --cached --others --exclude-standard |
        (cd "$src" && xargs -0 cp --parents -a -t "$tree")
else
    (cd "$src" && tar --exclude='./build*' --exclude=./var -cf - .) | tar -C "$tree" -xf -
fi
[ -f "$tree/CMakeLists.txt" ] || fail "copy of the tree failed"
rm -rf "$tree/debian"
cp -a "$tree/contrib/debian" "$tree/debian"
for unit in heraldd.service heraldd.socket; do
    if [ -f "$tree/contrib/$unit" ]; then echo "unit: contrib/$unit"; else echo "unit: contrib/$unit absent"; fi
done

say "build tools"
tools=
command -v dpkg-buildpackage >/dev/null 2>&1 || tools="$tools dpkg-dev"
command -v dh >/dev/null 2>&1 || tools="$tools debhelper"
command -v lintian >/dev/null 2>&1 || tools="$tools lintian"
command -v debuild >/dev/null 2>&1 || tools="$tools devscripts"
if [ "$chroot_check" = yes ]; then
    command -v debootstrap >/dev/null 2>&1 || tools="$tools debootstrap"
fi
if [ -n "$tools" ]; then
    echo "installing:$tools"
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $tools || {
        $SUDO apt-get update -q
        # shellcheck disable=SC2086
        $SUDO apt-get install -y -q --no-install-recommends $tools
    }
else
    echo "dpkg-dev, debhelper, lintian and devscripts are installed"
fi
if ! (cd "$tree" && dpkg-checkbuilddeps); then
    echo "installing the missing Build-Depends"
    (cd "$tree" && $SUDO apt-get build-dep -y -q ./) || {
        $SUDO apt-get update -q
        (cd "$tree" && $SUDO apt-get build-dep -y -q ./)
    }
fi

say "dpkg-buildpackage -us -uc -b"
(cd "$tree" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b) || fail "dpkg-buildpackage failed"
arch=$(dpkg --print-architecture)
changes=$work/herald_${version}_${arch}.changes
deb=$(ls "$work"/heraldd_"${version}"_*.deb)
if [ ! -f "$changes" ] || [ ! -f "$deb" ]; then fail "no .changes or .deb in $work"; fi
mkdir -p "$out"
cp "$deb" "$out/"
echo "built $(basename "$deb")"
say "contents of $(basename "$deb")"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb" | awk '{print $1, $NF}'

say "lintian"
status=0
lintian --fail-on error --display-info --tag-display-limit 0 "$changes" >"$out/lintian.txt" 2>&1 ||
    status=$?
cat "$out/lintian.txt"
errors=$(grep -c '^E:' "$out/lintian.txt" || true)
warnings=$(grep -c '^W:' "$out/lintian.txt" || true)
echo "lintian: $errors errors, $warnings warnings (exit status $status)"
if [ "$status" -ne 0 ] || [ "$errors" -ne 0 ]; then fail "lintian reports errors"; fi

if [ "$chroot_check" = no ]; then
    say "done: $out/$(basename "$deb") (run with --chroot to install it in a fresh bookworm)"
    exit 0
fi

# ---- a fresh bookworm chroot -------------------------------------------
mirror=
if [ -f /etc/apt/sources.list ]; then
    mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ && $2 !~ /security/ {print $2; exit}
                  $1 == "deb" && $2 ~ /^\[/ && $3 !~ /security/ {print $3; exit}' /etc/apt/sources.list)
fi
if [ -z "$mirror" ]; then
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        mirror=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$f")
        [ -n "$mirror" ] && break
    done
fi
mirror=${mirror:-http://deb.debian.org/debian}

say "debootstrap bookworm from $mirror"
root=$work/chroot
if ! $SUDO debootstrap --variant=minbase --include=systemd bookworm "$root" "$mirror" \
        >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log"
    if grep -qiE 'Failed getting release|Couldn.t download|unable to resolve|could not resolve|connection (refused|timed out)|temporary failure' "$work/debootstrap.log"; then
        echo "build-deb: debootstrap could not reach the mirror $mirror: no chroot check" >&2
        exit 3
    fi
    fail "debootstrap failed (log above)"
fi
tail -n 1 "$work/debootstrap.log"
$SUDO mount -t proc proc "$root/proc"
in_root() { $SUDO chroot "$root" "$@"; }

say "apt-get install ./$(basename "$deb") in the chroot"
cp "$deb" "$root/tmp/"
in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$deb")" ||
    fail "the package does not install in a fresh bookworm"

say "checks in the chroot"
v=$(in_root heraldd --version) || fail "heraldd --version failed"
echo "heraldd --version: $v"
[ "$v" = "heraldd $upstream" ] || fail "heraldd --version says '$v', expected 'heraldd $upstream'"
c=$(in_root heraldd check -c /etc/herald/heraldd.conf 2>&1) || fail "heraldd check: $c"
echo "heraldd check -c /etc/herald/heraldd.conf: $c"
for page in /usr/share/man/man8/heraldd.8.gz /usr/share/man/man5/heraldd.conf.5.gz; do
    [ -f "$root$page" ] || fail "$page missing"
    echo "present: $page"
done
unit=/lib/systemd/system/heraldd.service
[ -f "$root$unit" ] || fail "$unit missing (contrib/heraldd.service not in the tree?)"
echo "present: $unit"
en=$(in_root systemctl is-enabled heraldd.service 2>&1 || true)
echo "systemctl is-enabled heraldd.service: $en"
[ "$en" = disabled ] || fail "heraldd.service is '$en', expected 'disabled'"
if [ -f "$root/lib/systemd/system/heraldd.socket" ]; then
    en=$(in_root systemctl is-enabled heraldd.socket 2>&1 || true)
    echo "systemctl is-enabled heraldd.socket: $en"
    [ "$en" = disabled ] || fail "heraldd.socket is '$en', expected 'disabled'"
fi
links=$(find "$root/etc/systemd" -name 'heraldd.*' 2>/dev/null || true)
[ -z "$links" ] || fail "enablement symlinks: $links"
echo "no heraldd.* symlink under /etc/systemd"
v=$(in_root systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify $unit: $v"
[ -z "$v" ] || fail "systemd-analyze verify $unit: $v"
echo "systemd-analyze verify $unit: clean"

say "apt-get purge heraldd in the chroot"
in_root apt-get purge -y -q heraldd || fail "purge failed"
[ ! -e "$root/etc/herald" ] || fail "/etc/herald left after purge: $(ls -A "$root/etc/herald")"
[ ! -e "$root/usr/bin/heraldd" ] || fail "/usr/bin/heraldd left after purge"
echo "purged: /etc/herald and /usr/bin/heraldd are gone"

say "done: $out/$(basename "$deb") builds, passes lintian and installs in a fresh bookworm"
