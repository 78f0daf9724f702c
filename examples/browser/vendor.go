//go:build ignore

// Vendor copies the browser build of @msgpack/msgpack from node_modules
// (npm ci installs it) into static/, with its licence as a header comment,
// since no CDN is at hand and the page must work offline. Run it with go
// generate in this directory.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

const pkg = "node_modules/@msgpack/msgpack"

// sourceMap matches the comment that points at a source map.
var sourceMap = regexp.MustCompile(`(?m)^//# sourceMappingURL=.*\n?`)

func main() {
	if err := vendor(); err != nil {
		fmt.Fprintln(os.Stderr, "vendor:", err)
		os.Exit(1)
	}
}

func vendor() error {
	manifest, err := os.ReadFile(filepath.Join(pkg, "package.json"))
	if err != nil {
		return fmt.Errorf("%w (run npm ci first)", err)
	}
	var meta struct{ Name, Version, License string }
	if err := json.Unmarshal(manifest, &meta); err != nil {
		return err
	}
	license, err := os.ReadFile(filepath.Join(pkg, "LICENSE"))
	if err != nil {
		return err
	}
	code, err := os.ReadFile(filepath.Join(pkg, "dist.umd", "msgpack.min.js"))
	if err != nil {
		return err
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "/*! %s %s (%s licence): its npm package's dist.umd/msgpack.min.js,\n", meta.Name, meta.Version, meta.License)
	out.WriteString("without the source map comment, since the map is not served.\n\n")
	out.Write(bytes.TrimSpace(license))
	out.WriteString("\n*/\n")
	out.Write(sourceMap.ReplaceAll(code, nil))
	return os.WriteFile(filepath.Join("static", "msgpack.min.js"), out.Bytes(), 0o644)
}
