#!/usr/bin/env bash
# Installs the Debian packages ccpl needs to build, test and benchmark.
# Idempotent: packages already present are left alone; apt is only asked
# when something is missing.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config         # toolchain
  clang libomp-dev libclang-rt-14-dev      # clang builds and its sanitizer runtime
  libfuzzer-14-dev                         # libFuzzer for the fuzz/ harnesses (-DCCPL_FUZZ=ON)
  libopenblas-dev libopenblas-openmp-dev   # sgemm for convolutions (OpenMP build)
  libzip-dev                               # PyTorch zip checkpoints
  libpng-dev libjpeg-dev                   # image input/output
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev  # video input/output
  libavfilter-dev                          # GIF palettes (palettegen, paletteuse)
  python3-torch python3-numpy python3-pil  # reference implementation for parity tests
  libmicrohttpd-dev                        # ccpl serve: HTTP server and multipart parsing
  curl chromium                            # ccpl serve's tests: API calls, the page in a headless browser
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
