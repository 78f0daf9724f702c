#!/usr/bin/env bash
# install.sh installs what the cross-language example tests need on a fresh
# Debian machine: msgpack for /usr/bin/python3, Node.js with npm, the locked
# dependencies of the Node, browser, MCP and language server examples,
# Chromium, and gopls at its pinned version.
# It installs only what is missing, so running it again is cheap, and it
# prints nothing unless something fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# quietly runs a command and shows its output only if it fails.
quietly() {
	local out
	if ! out=$("$@" 2>&1); then
		printf '%s\n' "$out" >&2
		echo "install.sh: failed: $*" >&2
		return 1
	fi
}

# Debian's packages, for whichever of the three tools is missing. A Node.js
# from elsewhere (nodesource bundles npm) is left as it is.
packages=()
/usr/bin/python3 -c 'import msgpack' >/dev/null 2>&1 || packages+=(python3-msgpack)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
if ((${#packages[@]} > 0)); then
	sudo=()
	if [[ $(id -u) != 0 ]]; then sudo=(sudo); fi
	quietly "${sudo[@]}" apt-get update
	quietly "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${packages[@]}"
fi

# The Node example's dependencies, exactly as package-lock.json has them.
# npm writes node_modules/.package-lock.json on every install: when it is
# older than package-lock.json, node_modules is stale.
node_dir=$root/examples/node
if [[ ! -f $node_dir/node_modules/.package-lock.json ||
	$node_dir/package-lock.json -nt $node_dir/node_modules/.package-lock.json ]]; then
	(cd "$node_dir" && quietly npm ci --no-audit --no-fund --loglevel=error)
fi

# Debian's Chromium, which the browser example's test drives headless
# (playwright-core never downloads a browser of its own).
if [[ ! -x /usr/bin/chromium ]]; then
	sudo=()
	if [[ $(id -u) != 0 ]]; then sudo=(sudo); fi
	quietly "${sudo[@]}" apt-get update
	quietly "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends chromium
fi

# The browser example's dependencies (@msgpack/msgpack, whose browser build
# it vendors, and playwright-core for its test), as the Node example's.
browser_dir=$root/examples/browser
if [[ ! -f $browser_dir/node_modules/.package-lock.json ||
	$browser_dir/package-lock.json -nt $browser_dir/node_modules/.package-lock.json ]]; then
	(cd "$browser_dir" && quietly npm ci --no-audit --no-fund --loglevel=error)
fi

# The MCP example's dependencies (the official MCP TypeScript SDK, whose
# Client its test drives against the Go server), as the Node example's.
mcp_dir=$root/examples/mcp
if [[ ! -f $mcp_dir/node_modules/.package-lock.json ||
	$mcp_dir/package-lock.json -nt $mcp_dir/node_modules/.package-lock.json ]]; then
	(cd "$mcp_dir" && quietly npm ci --no-audit --no-fund --loglevel=error)
fi

# The language server example's client: vscode-languageserver-protocol and
# the vscode-jsonrpc under it, pinned, as the Node example's.
lspserver_dir=$root/examples/lspserver
if [[ ! -f $lspserver_dir/node_modules/.package-lock.json ||
	$lspserver_dir/package-lock.json -nt $lspserver_dir/node_modules/.package-lock.json ]]; then
	(cd "$lspserver_dir" && quietly npm ci --no-audit --no-fund --loglevel=error)
fi

# gopls, pinned, which the LSP example's test drives. go install builds it
# from source, which takes minutes on a fresh 2-core machine, into GOBIN or
# the first $(go env GOPATH)/bin, which outlive a checkout: the build is
# skipped when the gopls there is the pinned one already.
gopls_version=v0.23.0
gobin=$(go env GOBIN)
if [[ -z $gobin ]]; then
	gopath=$(go env GOPATH)
	gobin=${gopath%%:*}/bin
fi
if ! "$gobin/gopls" version 2>/dev/null | grep -qF " $gopls_version"; then
	quietly go install "golang.org/x/tools/gopls@$gopls_version"
fi
