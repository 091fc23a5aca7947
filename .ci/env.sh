# Sourced by the scripts in .ci/: where the tools live, and the versions they must have.
# Tools are installed once per machine, outside the clone, and found on PATH from here.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/totp-signin-tools}"
CARGO_LEPTOS_VERSION="0.3.5"
BINARYEN_VERSION="132.0.0"
# Minifies the release JS and CSS (.ci/build-release), as cargo-leptos's swc and Lightning CSS did.
ESBUILD_VERSION="0.28.2"
# The SMTP server of the mail tests (PyPI).
AIOSMTPD_VERSION="1.4.6"
export PATH="$TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# cargo-leptos would download wasm-opt/sass/tailwind from GitHub if they were missing; they are
# never missing (install-tools) and nothing here needs sass or tailwind.
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen version pinned in Cargo.lock: the CLI must be exactly this one.
locked_wasm_bindgen() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}
