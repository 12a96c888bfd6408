#!/usr/bin/env bash
# Installs the local, Docker-free test infrastructure from package registries:
#   kafka     broker classpath from Maven Central (deploy/local/kafka/pom.xml)
#   ferretdb  MongoDB-wire server built from the Go module proxy (deploy/local/ferretdb)
#   kcat      Debian package, a non-Python Kafka client for checks
#   chromium  Debian package, the browser the web app's browser tests drive
#   pango     Debian packages (Pango and the DejaVu fonts) billing's PDF invoices are drawn with
#   postgresql  Debian's PostgreSQL 15, FerretDB's other backend (infra.sh with STORE=postgresql,
#             and the store comparison of `make bench`)
# Usage: install.sh [kafka|ferretdb|kcat|chromium|pango|postgresql|all]...   (default: all)
# Idempotent and fast when already done: each part is skipped when a stamp holding
# the hash of its inputs matches, so a changed pom.xml / go.mod re-installs by itself.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PARKGRID_LOCAL="${PARKGRID_LOCAL:-$REPO/.local}"

say() { printf '[install] %s\n' "$*"; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }

# Hash of the given files' contents; the stamp records it so edits trigger a re-install.
inputs_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }

# Temp paths removed on exit, so an interrupted run leaves no half-made files behind.
CLEANUP=()
cleanup() { if [[ ${#CLEANUP[@]} -gt 0 ]]; then rm -rf -- "${CLEANUP[@]}"; fi; }
trap cleanup EXIT

stamp_ok() { # stamp_file expected_hash
    [[ -f "$1" ]] && [[ "$(cat "$1")" == "$2" ]]
}

install_kafka() {
    local pom="$HERE/kafka/pom.xml" dest="$PARKGRID_LOCAL/kafka/lib"
    local stamp="$PARKGRID_LOCAL/kafka/lib.stamp" hash tmp
    hash="$(inputs_hash "$pom")"
    if stamp_ok "$stamp" "$hash" && [[ -d "$dest" ]]; then
        say "kafka: jars up to date ($dest)"
        return 0
    fi
    command -v mvn >/dev/null || die "kafka: mvn not found (apt-get install -y maven)"
    command -v java >/dev/null || die "kafka: java not found (apt-get install -y openjdk-17-jre-headless)"
    say "kafka: fetching broker jars from Maven Central into $dest"
    mkdir -p "$PARKGRID_LOCAL/kafka"
    # Download into a temp dir next to the destination, then rename: an interrupted
    # download never looks complete, and the rename is on one filesystem.
    tmp="$(mktemp -d "$PARKGRID_LOCAL/kafka/lib.tmp.XXXXXX")"
    CLEANUP+=("$tmp" "$tmp.log")
    # mvn -q still prints stray ANSI codes: keep its output aside, show it on failure.
    if ! (cd "$HERE/kafka" && mvn -B -q -Dstyle.color=never dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime) >"$tmp.log" 2>&1; then
        cat "$tmp.log" >&2
        rm -f "$tmp.log"
        die "kafka: mvn dependency:copy-dependencies failed"
    fi
    rm -f "$tmp.log"
    compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "kafka: kafka_2.13 jar missing after download"
    chmod 0755 "$tmp"           # mktemp -d creates it 0700
    rm -f "$stamp"              # no stamp while the swap is in progress
    rm -rf "$dest.old"
    if [[ -d "$dest" ]]; then mv "$dest" "$dest.old"; fi
    mv "$tmp" "$dest"
    rm -rf "$dest.old"
    printf '%s\n' "$hash" >"$stamp"
    say "kafka: $(find "$dest" -name '*.jar' | wc -l) jars installed"
}

install_ferretdb() {
    local mod="$HERE/ferretdb" bin="$PARKGRID_LOCAL/bin/ferretdb"
    local stamp="$PARKGRID_LOCAL/bin/ferretdb.stamp" hash src ver tmp
    local patches=("$mod"/*.patch)
    hash="$(inputs_hash "$mod/go.mod" "$mod/go.sum" "${patches[@]}")"
    if stamp_ok "$stamp" "$hash" && [[ -x "$bin" ]]; then
        say "ferretdb: binary up to date ($bin)"
        return 0
    fi
    command -v go >/dev/null || die "ferretdb: go not found"
    say "ferretdb: building $bin (first build takes minutes; Go caches it)"
    mkdir -p "$PARKGRID_LOCAL/bin"
    # GOTOOLCHAIN=local: never download another toolchain. GOFLAGS='' and -mod=readonly:
    # use exactly what go.sum pins, even if the caller exported GOFLAGS=-mod=mod.
    export GOTOOLCHAIN=local GOFLAGS='' GOWORK=off CGO_ENABLED=0
    # 1. Fetch FerretDB at the version our wrapper go.mod pins; go verifies the module
    #    zip against our go.sum.
    (cd "$mod" && go mod download github.com/FerretDB/FerretDB) \
        || die "ferretdb: go mod download failed"
    read -r src ver < <(cd "$mod" && go list -mod=readonly -m -f '{{.Dir}} {{.Version}}' github.com/FerretDB/FerretDB)
    [[ -d "$src" && -n "$ver" ]] || die "ferretdb: cannot locate the FerretDB module"
    # 2. Build it as the main module of a writable copy that has build/version/version.txt.
    #    Why: its build/version package panics at start unless version.txt exists
    #    whenever the main package's module is github.com/FerretDB/FerretDB. That is
    #    also the case when building .../cmd/ferretdb from our wrapper module
    #    (debug.BuildInfo.Main is the main *package's* module), and go build -overlay
    #    refuses to replace files inside GOMODCACHE. The copy builds with FerretDB's
    #    own go.mod/go.sum; all dependencies come from the Go build/module caches.
    tmp="$(mktemp -d "$PARKGRID_LOCAL/.ferretdb-build.XXXXXX")"
    CLEANUP+=("$tmp")
    cp -R "$src/." "$tmp/src"
    chmod -R u+w "$tmp/src"     # module cache files are read-only
    printf '%s\n' "$ver" >"$tmp/src/build/version/version.txt"
    # 3. Apply the project's patches (each explains itself; serialize-writes.patch makes
    #    conditional updates atomic, which the store conformance suite proves).
    local patch
    for patch in "${patches[@]}"; do
        # GIT_CEILING_DIRECTORIES: $tmp may sit inside a git work tree, which must not
        # change how git apply resolves the patch's paths.
        (cd "$tmp/src" && GIT_CEILING_DIRECTORIES="$tmp" git apply -p1 "$patch") || die "ferretdb: cannot apply $(basename "$patch")"
        say "ferretdb: applied $(basename "$patch")"
    done
    (cd "$tmp/src" && go build -mod=readonly -trimpath -buildvcs=false \
        -o "$tmp/ferretdb" ./cmd/ferretdb) || die "ferretdb: go build failed"
    "$tmp/ferretdb" --version >/dev/null || die "ferretdb: built binary does not start"
    rm -f "$stamp"
    mv -f "$tmp/ferretdb" "$bin"    # atomic rename; a running ferretdb keeps its old inode
    printf '%s\n' "$hash" >"$stamp"
    say "ferretdb: built $bin ($ver)"
}

# apt_install PACKAGE CHECK...: install a Debian package unless CHECK (a command) succeeds.
apt_install() {
    local pkg="$1"; shift
    if "$@" >/dev/null 2>&1; then
        say "$pkg: present"
        return 0
    fi
    local sudo=()
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null || die "$pkg: not root and no sudo; run: apt-get install -y $pkg"
        sudo=(sudo)
    fi
    say "$pkg: installing with apt-get"
    # Try without 'apt-get update' first: it is slow and usually not needed.
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null 2>&1; then
        say "$pkg: install failed, running apt-get update and retrying"
        "${sudo[@]}" apt-get update -q >/dev/null
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null
    fi
    "$@" >/dev/null 2>&1 || die "$pkg: still not usable after apt-get install"
    say "$pkg: installed"
}

install_kcat() { apt_install kcat command -v kcat; }

# Debian's Chromium for the browser tests (Playwright drives it through executable_path;
# Playwright's own browser download is not reachable here). Checked with dpkg, since some
# images ship a /usr/bin/chromium launcher without the browser behind it.
install_chromium() { apt_install chromium dpkg -s chromium; }

# WeasyPrint (billing's invoices as PDF) loads Pango at run time; DejaVu has Latin and Arabic.
install_pango() {
    apt_install libpango-1.0-0 dpkg -s libpango-1.0-0
    apt_install libpangoft2-1.0-0 dpkg -s libpangoft2-1.0-0
    apt_install fonts-dejavu-core dpkg -s fonts-dejavu-core
}

# PostgreSQL 15 for FerretDB's PostgreSQL backend; only the server binaries are used (no service
# is enabled: infra.sh runs a cluster of its own under $PARKGRID_LOCAL).
install_postgresql() { apt_install postgresql-15 test -x "${POSTGRES_BIN:-/usr/lib/postgresql/15/bin}/initdb"; }

main() {
    local parts=("$@")
    [[ ${#parts[@]} -gt 0 ]] || parts=(all)
    mkdir -p "$PARKGRID_LOCAL"
    # Serialise concurrent runs (e.g. make -j): two mvn/go builds into the same place
    # would only waste time.
    exec 9>"$PARKGRID_LOCAL/.install.lock"
    flock 9
    local p
    for p in "${parts[@]}"; do
        case "$p" in
            kafka) install_kafka ;;
            ferretdb) install_ferretdb ;;
            kcat) install_kcat ;;
            chromium) install_chromium ;;
            pango) install_pango ;;
            postgresql) install_postgresql ;;
            all) install_kafka; install_ferretdb; install_kcat; install_chromium; install_pango; install_postgresql ;;
            *) die "unknown part '$p' (use kafka|ferretdb|kcat|chromium|pango|postgresql|all)" ;;
        esac
    done
}

main "$@"
