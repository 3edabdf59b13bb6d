#!/usr/bin/env bash
# Builds the appliance images of the templates, outside the daemon (docs/images.md).
#
# Usage: build.sh [--cache DIR] [--force] NAME...|--all      build what is missing or whose recipe changed
#        build.sh [--cache DIR] --check [--no-build] NAME...|--all
#                                  compare each build's packages with what Debian offers now; rebuild
#                                  when one has a newer version (security updates included)
#        build.sh [--cache DIR] --status [NAME...]   each template's current build, its age, its state
#
# Layout of the cache (default /var/lib/chatiere/images), per template NAME:
#   NAME/KEY/          one build: what the recipe wrote (kernel, initrd, root, packages.txt) + build-info
#   NAME/current       symlink to the build new guests use (replaced atomically); NAME/previous: the one before
#   NAME/build.log     the output of the last recipe run; NAME/check: the last update check
#   NAME.lock          flock(2): one build of a template at a time (the lock the daemon used to take)
# KEY hashes the recipe's inputs (every file of the template's folder but template.json and domain.xml,
# and the paths the recipe names on `# image-inputs: PATH...` lines, relative to its folder) with
# the package versions the build took (packages.txt: "NAME VERSION" lines).
# Exit status: 0 done, 1 a build or a check failed, 64 bad usage.
set -euo pipefail
umask 022

templates=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=/var/lib/chatiere/images
mode=build
force=
nobuild=
all=
names=()
readonly kLayout=chatiere-image-v1

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

while [ $# -gt 0 ]; do
  case "$1" in
    --cache) cache=${2:?--cache needs a folder}; shift 2 ;;
    --cache=*) cache=${1#--cache=}; shift ;;
    --force) force=1; shift ;;
    --check) mode=check; shift ;;
    --status) mode=status; shift ;;
    --no-build) nobuild=1; shift ;;
    --all) all=1; shift ;;
    -h|--help) usage ;;
    -*) echo "build.sh: unknown option $1" >&2; usage ;;
    *) names+=("$1"); shift ;;
  esac
done

all_templates() {
  local f
  for f in "$templates"/*/template.json; do
    [ -f "$f" ] && basename "$(dirname "$f")"
  done
}
if [ -n "$all" ] || { [ "$mode" = status ] && [ ${#names[@]} -eq 0 ]; }; then
  mapfile -t names < <(all_templates)
fi
[ ${#names[@]} -gt 0 ] || usage
for name in "${names[@]}"; do
  [[ "$name" =~ ^[a-z0-9][a-z0-9_-]*$ ]] && [ -f "$templates/$name/template.json" ] || {
    echo "build.sh: no template named '$name' in $templates" >&2
    exit 64
  }
done
[ "$mode" = status ] || mkdir -p "$cache"
cache=$(realpath -m "$cache")  # guests' domains name builds by this path

# The value of "key" in template.json's "image" object ("" when absent).
image_field() {
  tr -d '\n' <"$templates/$1/template.json" | grep -o '"image"[[:space:]]*:[[:space:]]*{[^}]*}' \
    | grep -o "\"$2\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" | sed 's/.*:[[:space:]]*"\(.*\)"/\1/' || true
}

# The hash of a template's recipe inputs.
inputs_hash() {
  local name=$1 recipe folder extra
  recipe=$(image_field "$name" recipe)
  folder=$templates/$name
  local paths=("$name")
  for extra in $(sed -n 's/^#[[:space:]]*image-inputs:[[:space:]]*//p' "$folder/$recipe"); do
    [ -e "$folder/$extra" ] || { echo "build.sh: $name/$recipe names $extra, which does not exist" >&2; return 1; }
    paths+=("$(realpath --relative-to="$templates" "$folder/$extra")")
  done
  {
    echo "$kLayout"
    (cd "$templates" && find "${paths[@]}" -type f ! -path "$name/template.json" ! -path "$name/domain.xml" -print0 \
      | sort -z -u | xargs -0 -r sha256sum)
  } | sha256sum | cut -c1-64
}

# A field of a build's build-info.
info() { sed -n "s/^$2=//p" "$1/build-info" 2>/dev/null | head -1; }

now() { date +%s; }
ago() {
  local s=$(( $(now) - $1 ))
  if [ $s -lt 120 ]; then echo "${s} s"
  elif [ $s -lt 7200 ]; then echo "$(( s / 60 )) min"
  elif [ $s -lt 172800 ]; then echo "$(( s / 3600 )) h"
  else echo "$(( s / 86400 )) d"; fi
}

# Builds that neither `current` nor `previous` names and that no guest uses: a guest's domain
# (libvirt's XML files) or a QEMU process (its command line) names the build's folder.
prune() {
  local dir=$1 keep_current keep_previous b
  keep_current=$(readlink "$dir/current" 2>/dev/null || true)
  keep_previous=$(readlink "$dir/previous" 2>/dev/null || true)
  local domains=${CHATIERE_IMAGE_DOMAINS:-/etc/libvirt/qemu:/run/libvirt/qemu}
  for b in "$dir"/*/; do
    b=$(basename "$b")
    [[ "$b" =~ ^[0-9a-f]{16}$ ]] || continue
    [ "$b" = "$keep_current" ] || [ "$b" = "$keep_previous" ] && continue
    local used= d
    IFS=: read -ra dirs <<<"$domains"
    for d in "${dirs[@]}"; do
      [ -d "$d" ] && grep -rqsF -- "$dir/$b/" "$d" && used=1 && break
    done
    [ -z "$used" ] && grep -qsaF -- "$dir/$b/" /proc/[0-9]*/cmdline && used=1
    if [ -n "$used" ]; then
      echo "$(basename "$dir"): keeping build $b, a guest still uses it"
    else
      rm -rf "${dir:?}/$b"
      echo "$(basename "$dir"): removed build $b"
    fi
  done
}

# Builds template $1 into a new folder and makes it current. Assumes the lock is held.
build_locked() {
  local name=$1 inputs=$2 dir=$cache/$1 recipe kernel initrd root started
  recipe=$(image_field "$name" recipe)
  kernel=$(image_field "$name" kernel)
  initrd=$(image_field "$name" initrd)
  root=$(image_field "$name" root)
  mkdir -p "$dir"
  # Work folders of drivers that were killed: gone after an hour (a recipe orphaned by a killed
  # driver may still write into its own).
  find "$dir" -mindepth 1 -maxdepth 1 -name '.build-*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
  local work
  work=$(mktemp -d "$dir/.build-XXXXXX")
  chmod 755 "$work"
  started=$(now)
  echo "$name: building with $templates/$name/$recipe"
  # The package lists the update check just read, for a recipe that downloads packages itself
  # (the website): it takes the versions the check saw. Stale lists are never handed over.
  local env=()
  [ -z "$apt_ready" ] || env=(CHATIERE_APT_CONFIG="$cache/.apt/apt.conf")
  set +e
  env "${env[@]}" bash "$templates/$name/$recipe" "$work" 2>&1 | tee "$dir/build.log"
  local rc=${PIPESTATUS[0]}
  set -e
  local missing=
  if [ "$rc" -eq 0 ]; then
    for f in "$kernel" "$initrd" $root; do
      [ -f "$work/$f" ] || missing="$missing $f"
    done
  fi
  if [ "$rc" -ne 0 ] || [ -n "$missing" ]; then
    rm -rf "$work"
    printf 'failed=%s\nexit=%s\n' "$(now)" "$rc" >"$dir/last-failure"
    if [ "$rc" -ne 0 ]; then
      echo "build.sh: the recipe of $name failed (exit $rc); the current build is unchanged (output: $dir/build.log)" >&2
    else
      echo "build.sh: the recipe of $name did not write$missing; the current build is unchanged" >&2
    fi
    return 1
  fi
  [ -f "$work/packages.txt" ] || {
    echo "build.sh: warning: the recipe of $name wrote no packages.txt: its packages cannot be checked for updates" >&2
    : >"$work/packages.txt"
  }
  LC_ALL=C sort -o "$work/packages.txt" "$work/packages.txt"
  local key
  key=$({ echo "$kLayout"; echo "$inputs"; cat "$work/packages.txt"; } | sha256sum | cut -c1-16)
  printf 'key=%s\ntemplate=%s\ninputs=%s\nbuilt=%s\nseconds=%s\n' "$key" "$name" "$inputs" "$(now)" \
    "$(( $(now) - started ))" >"$work/build-info"
  chmod -R a+rX "$work"
  if [ -d "$dir/$key" ]; then
    # The same inputs and the same package versions: the build already there serves.
    rm -rf "$work"
    echo "$name: the build took the same recipe and packages as build $key, kept"
    printf 'key=%s\ntemplate=%s\ninputs=%s\nbuilt=%s\nseconds=%s\n' "$key" "$name" "$inputs" "$(now)" \
      "$(( $(now) - started ))" >"$dir/$key/build-info"
  else
    mv "$work" "$dir/$key"
  fi
  local before
  before=$(readlink "$dir/current" 2>/dev/null || true)
  ln -sfn "$key" "$dir/.current.tmp"
  mv -T "$dir/.current.tmp" "$dir/current"
  if [ -n "$before" ] && [ "$before" != "$key" ]; then
    ln -sfn "$before" "$dir/.previous.tmp"
    mv -T "$dir/.previous.tmp" "$dir/previous"
  fi
  rm -f "$dir/last-failure"
  echo "$name: current build $key ($(wc -l <"$dir/$key/packages.txt") packages) in $(( $(now) - started )) s"
  prune "$dir"
}

# Runs "$2..." for template $1 under its lock.
with_lock() {
  local name=$1
  shift
  local fd
  exec {fd}>"$cache/$name.lock"
  if ! flock -n "$fd"; then
    echo "$name: waiting for another build of this template to finish"
    flock "$fd"
  fi
  local rc=0
  "$@" || rc=$?
  exec {fd}>&-
  return $rc
}

build_one() {
  local name=$1 inputs current
  inputs=$(inputs_hash "$name") || return 1
  current=$cache/$name/current
  if [ -z "$force" ] && [ -d "$current" ] && [ "$(info "$current" inputs)" = "$inputs" ]; then
    echo "$name: up to date (build $(readlink "$current"), built $(ago "$(info "$current" built)") ago)"
    return 0
  fi
  build_locked "$name" "$inputs"
}

# --- update check: Debian's current versions, from a scratch apt setup under the cache -----------

apt_ready=
apt_setup() {
  [ -z "$apt_ready" ] || return 0
  local d=$cache/.apt
  local mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
  local security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
  local suite=${DEBIAN_SUITE:-bookworm}
  local keyring=${DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
  mkdir -p "$d"/{lists/partial,cache/archives/partial,sources.list.d,preferences.d}
  touch "$d/status"
  cat >"$d/apt.conf" <<CONF
Dir::State "$d";
Dir::State::Lists "$d/lists";
Dir::State::status "$d/status";
Dir::Cache "$d/cache";
Dir::Etc::SourceList "$d/sources.list";
Dir::Etc::SourceParts "$d/sources.list.d";
Dir::Etc::Preferences "$d/preferences";
Dir::Etc::PreferencesParts "$d/preferences.d";
Acquire::Languages "none";
CONF
  cat >"$d/sources.list" <<LIST
deb [signed-by=$keyring] $mirror $suite main
deb [signed-by=$keyring] $mirror $suite-updates main
deb [signed-by=$keyring] $security $suite-security main
LIST
  if ! APT_CONFIG=$d/apt.conf apt-get -q -o APT::Sandbox::User=root update >"$d/update.log" 2>&1 ||
     grep -qE '^(E:|Err:|W: Failed to fetch|W: Some index files failed)' "$d/update.log"; then
    cat "$d/update.log" >&2
    echo "build.sh: cannot read Debian's package lists (above)" >&2
    return 1
  fi
  apt_ready=1
}

check_one() {
  local name=$1 dir=$cache/$1 inputs
  inputs=$(inputs_hash "$name") || return 1
  if [ ! -d "$dir/current" ]; then
    echo "$name: not built"
    [ -n "$nobuild" ] || build_locked "$name" "$inputs"
    return
  fi
  if [ "$(info "$dir/current" inputs)" != "$inputs" ]; then
    echo "$name: its recipe changed since build $(readlink "$dir/current")"
    [ -n "$nobuild" ] || build_locked "$name" "$inputs"
    return
  fi
  local packages=$dir/current/packages.txt key
  key=$(readlink "$dir/current")
  if [ ! -s "$packages" ]; then
    echo "$name: build $key lists no packages: nothing to check"
    return 0
  fi
  apt_setup || return 1
  local newer
  newer=$(cut -d' ' -f1 "$packages" | xargs -r env APT_CONFIG="$cache/.apt/apt.conf" apt-cache policy 2>/dev/null \
    | awk '/^[^ ].*:$/ { pkg = substr($0, 1, length($0) - 1); sub(/:.*/, "", pkg) }
           /^  Candidate:/ { print pkg, $2 }' \
    | while read -r pkg candidate; do
        [ "$candidate" != "(none)" ] || continue
        local have
        have=$(awk -v p="$pkg" '$1 == p { print $2; exit }' "$packages")
        if [ -n "$have" ] && dpkg --compare-versions "$candidate" gt "$have"; then
          echo "$pkg $have -> $candidate"
        fi
      done)
  local count=0
  [ -z "$newer" ] || count=$(wc -l <<<"$newer")
  { printf 'checked=%s\nbuild=%s\nnewer=%s\n' "$(now)" "$key" "$count"; [ -z "$newer" ] || echo "$newer"; } \
    >"$dir/check"
  if [ "$count" -eq 0 ]; then
    echo "$name: up to date (build $key, $(wc -l <"$packages") packages checked)"
    return 0
  fi
  echo "$name: $count package(s) have a newer version than build $key:"
  sed 's/^/  /' <<<"$newer"
  [ -n "$nobuild" ] || build_locked "$name" "$inputs"
}

status_one() {
  local name=$1 dir=$cache/$1 key="-" built="-" age="-" state
  local inputs
  inputs=$(inputs_hash "$name")
  if [ -d "$dir/current" ]; then
    key=$(readlink "$dir/current")
    local t
    t=$(info "$dir/current" built)
    built=$(date -u -d "@$t" '+%Y-%m-%d %H:%M UTC')
    age=$(ago "$t")
    if [ "$(info "$dir/current" inputs)" != "$inputs" ]; then
      state="outdated: the recipe changed"
    elif [ -f "$dir/check" ] && [ "$(sed -n 's/^build=//p' "$dir/check")" = "$key" ]; then
      local n c
      n=$(sed -n 's/^newer=//p' "$dir/check")
      c=$(sed -n 's/^checked=//p' "$dir/check")
      if [ "$n" -gt 0 ]; then
        state="outdated: $n newer package(s) (checked $(ago "$c") ago)"
      else
        state="up to date (checked $(ago "$c") ago)"
      fi
    else
      state="built, not checked for updates yet"
    fi
  else
    state="not built"
  fi
  if [ -f "$dir/last-failure" ]; then
    local f
    f=$(sed -n 's/^failed=//p' "$dir/last-failure")
    state="$state; last build failed $(ago "$f") ago ($dir/build.log)"
  fi
  printf '%-12s %-16s %-20s %-7s %s\n' "$name" "$key" "$built" "$age" "$state"
  # The guests defined on another build than current: they boot an outdated image until they are
  # defined again. Their domain names, from libvirt's XML files (readable by root).
  local domains=${CHATIERE_IMAGE_DOMAINS:-/etc/libvirt/qemu:/run/libvirt/qemu} b d
  local kernel
  kernel=$(image_field "$name" kernel)
  IFS=: read -ra dirs <<<"$domains"
  for b in "$dir"/*/ "$dir/$kernel<"; do
    local pattern
    if [ -d "$b" ]; then
      b=$(basename "$b")
      [[ "$b" =~ ^[0-9a-f]{16}$ ]] && [ "$b" != "$key" ] || continue
      pattern="$dir/$b/"
    else
      pattern=$b  # the layout before build keys: <cache>/<template>/vmlinuz
      b="(unkeyed)"
    fi
    local guests=
    for d in "${dirs[@]}"; do
      [ -d "$d" ] || continue
      guests="$guests $(grep -rlsF -- "$pattern" "$d" | xargs -r -n1 basename | sed 's/\.xml$//' | paste -sd' ' || true)"
    done
    guests=$(tr ' ' '\n' <<<"$guests" | grep . | sort -u | paste -sd' ' || true)
    [ -z "$guests" ] || echo "  guests on build $b, not current: $guests"
  done
}

status=0
case "$mode" in
  status)
    printf '%-12s %-16s %-20s %-7s %s\n' TEMPLATE BUILD BUILT AGE STATE
    for name in "${names[@]}"; do status_one "$name"; done
    ;;
  build)
    for name in "${names[@]}"; do with_lock "$name" build_one "$name" || status=1; done
    ;;
  check)
    for name in "${names[@]}"; do with_lock "$name" check_one "$name" || status=1; done
    ;;
esac
exit "$status"
