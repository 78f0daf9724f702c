package peer_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeAPISnippets checks that every Go block of README.md's "The API,
// task by task" is a piece of readme_api_example_test.go, line for line
// (leading tabs aside), so that the README shows code that compiles and
// that the examples run.
func TestReadmeAPISnippets(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := os.ReadFile("readme_api_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "\n## The API, task by task\n")
	if start < 0 {
		t.Fatal(`README.md has no section "The API, task by task"`)
	}
	section := text[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	source := "\n" + strings.Join(trimTabs(string(examples)), "\n") + "\n"
	blocks := 0
	for _, part := range strings.Split(section, "```go\n")[1:] {
		code, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatalf("an unterminated Go block: %.60q", part)
		}
		blocks++
		piece := "\n" + strings.Join(trimTabs(code), "\n")
		if !strings.Contains(source, piece) {
			t.Errorf("README.md's block\n%s\nis not a piece of readme_api_example_test.go", code)
		}
	}
	if blocks < 5 {
		t.Errorf("found %d Go blocks in the section; want at least the 5 it has", blocks)
	}
}

// trimTabs splits s into lines without their leading tabs.
func trimTabs(s string) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimLeft(l, "\t")
	}
	return lines
}
