#!/usr/bin/env bash
# What the packages' document.pdf needs from Debian (compliance/package_pdf.py): the CJK font it embeds, and pango,
# which WeasyPrint lays text out with. Installs only what is missing; `make install` and .ci/services.sh run it.
set -euo pipefail

need=()
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
/sbin/ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0 ' || need+=(libpango-1.0-0 libpangoft2-1.0-0)
((${#need[@]})) || exit 0
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
echo "installing from Debian: ${need[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
