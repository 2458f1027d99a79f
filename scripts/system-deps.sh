#!/usr/bin/env bash
# Install the Debian packages the full test suite needs, only those missing. Run as root.
#   scripts/system-deps.sh        everything `make test` needs
#   scripts/system-deps.sh run    only what serving needs (PDF rendering: Pango, Vietnamese fonts)
#   scripts/system-deps.sh bench  everything, plus wrk (a C load generator for `make bench`)
set -euo pipefail
RUNTIME=(fonts-noto-core fonts-liberation2 libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0)
if [ "${1:-}" = run ]; then
  PACKAGES=("${RUNTIME[@]}")
elif [ "${1:-}" = bench ]; then
  PACKAGES=(postgresql postgresql-contrib chromium "${RUNTIME[@]}" poppler-utils zbar-tools wrk)
else
  PACKAGES=(postgresql postgresql-contrib chromium "${RUNTIME[@]}" poppler-utils zbar-tools)
fi
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing Debian packages (${missing[*]}); run as root or install them" >&2
  [ "${1:-}" = run ] && exit 0  # serving works without them; only PDF rendering needs them
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed"
