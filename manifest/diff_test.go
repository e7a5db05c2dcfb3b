package manifest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"
	"gotest.tools/v3/assert"
)

func TestUnifiedDiff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want string
	}{
		{name: "equal", a: "a\nb\n", b: "a\nb\n", want: ""},
		{name: "only the final newline differs", a: "a\nb\n", b: "a\nb", want: ""},
		{name: "created", a: "", b: "x: 1\ny: 2\n", want: "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x: 1\n+y: 2\n"},
		{name: "deleted", a: "x: 1\n", b: "", want: "--- a\n+++ b\n@@ -1 +0,0 @@\n-x: 1\n"},
		{
			name: "one change with context",
			a:    "1\n2\n3\n4\n5\n6\n7\n8\n9\n",
			b:    "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			want: "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
		},
		{
			name: "two hunks far apart",
			a:    "a\n1\n2\n3\n4\n5\n6\n7\n8\nb\n",
			b:    "A\n1\n2\n3\n4\n5\n6\n7\n8\nB\n",
			want: "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -7,4 +7,4 @@\n 6\n 7\n 8\n-b\n+B\n",
		},
		{
			name: "close changes share a hunk",
			a:    "a\n1\n2\n3\n4\n5\n6\nb\n",
			b:    "A\n1\n2\n3\n4\n5\n6\nB\n",
			want: "--- a\n+++ b\n@@ -1,8 +1,8 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n-b\n+B\n",
		},
		{
			name: "insertion in the middle",
			a:    "spec:\n  replicas: 2\n  selector: {}\n",
			b:    "spec:\n  paused: true\n  replicas: 2\n  selector: {}\n",
			want: "--- a\n+++ b\n@@ -1,3 +1,4 @@\n spec:\n+  paused: true\n   replicas: 2\n   selector: {}\n",
		},
		{
			name: "a Deployment: replicas and both images bumped, one hunk",
			a: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    spec:\n" +
				"      containers:\n      - image: web:1.4.1\n        name: app\n      initContainers:\n      - image: web:1.4.1\n        name: migrate\n",
			b: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  template:\n    spec:\n" +
				"      containers:\n      - image: web:1.4.2\n        name: app\n      initContainers:\n      - image: web:1.4.2\n        name: migrate\n",
			want: "--- a\n+++ b\n@@ -3,12 +3,12 @@\n metadata:\n   name: web\n spec:\n-  replicas: 2\n+  replicas: 3\n   template:\n     spec:\n" +
				"       containers:\n-      - image: web:1.4.1\n+      - image: web:1.4.2\n         name: app\n       initContainers:\n-      - image: web:1.4.1\n+      - image: web:1.4.2\n         name: migrate\n",
		},
		{
			name: "no trailing newline is the same text",
			a:    "a\nb",
			b:    "a\nc",
			want: "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, unifiedDiff("a", "b", tc.a, tc.b), tc.want)
		})
	}
}

// TestUnifiedDiffRoundTrip applies generated diffs to their source and
// checks that the target comes out, that the output is deterministic, and
// that the longest run of lines common to both texts is kept whole: the
// property that makes go-difflib's output read well (a minimal edit script
// may cut that run to match scattered equal lines instead).
func TestUnifiedDiffRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		a := randomLines(rng)
		b := mutate(rng, a)
		at, bt := joinLines(a), joinLines(b)
		d := unifiedDiff("a", "b", at, bt)
		got, err := applyUnified(at, d)
		assert.NilError(t, err, "case %d\n%s", i, d)
		assert.Equal(t, got, bt, "case %d\n%s", i, d)
		assert.Equal(t, longestKeptRun(t, at, d), longestCommonRun(a, b), "case %d: the longest common run is cut\n%s", i, d)
		assert.Equal(t, unifiedDiff("a", "b", at, bt), d, "case %d: not deterministic", i)
	}
}

// TestUnifiedDiffOneRegion: when one region of distinct lines is replaced
// (an image bump, a new env var), the diff is exactly that region, with up
// to three lines of context on each side: the minimal diff.
func TestUnifiedDiffOneRegion(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for c := range 300 {
		n := 1 + rng.IntN(40)
		a := make([]string, n)
		for i := range a {
			a[i] = "line " + strconv.Itoa(i)
		}
		i := rng.IntN(n + 1)
		j := i + rng.IntN(n-i+1)
		fresh := make([]string, rng.IntN(4))
		for k := range fresh {
			fresh[k] = "new " + strconv.Itoa(k)
		}
		if j == i && len(fresh) == 0 {
			continue
		}
		b := slices.Concat(a[:i], fresh, a[j:])
		d := unifiedDiff("a", "b", joinLines(a), joinLines(b))
		var removed, added []string
		for _, l := range strings.Split(d, "\n")[2:] {
			switch {
			case strings.HasPrefix(l, "-"):
				removed = append(removed, l[1:])
			case strings.HasPrefix(l, "+"):
				added = append(added, l[1:])
			}
		}
		assert.DeepEqual(t, removed, a[i:j], cmpopts.EquateEmpty())
		assert.DeepEqual(t, added, fresh, cmpopts.EquateEmpty())
		assert.Equal(t, strings.Count(d, "\n@@ "), 1, "case %d: one hunk\n%s", c, d)
		before, after := min(i, diffContext), min(n-j, diffContext)
		assert.Equal(t, strings.Count(d, "\n "), before+after, "case %d: context\n%s", c, d)
	}
}

// TestUnifiedDiffRepetitiveText: a long text (over 200 lines, where
// difflib starts treating frequent lines as noise) full of repeated lines,
// with one line changed, still diffs to that one line.
func TestUnifiedDiffRepetitiveText(t *testing.T) {
	t.Parallel()
	var a []string
	for i := range 60 {
		a = append(a, "server_"+strconv.Itoa(i)+" {", "    listen 80;", "    }", "")
	}
	b := slices.Clone(a)
	b[121] = "    listen 8080;"
	d := unifiedDiff("live", "applied", joinLines(a), joinLines(b))
	assert.Equal(t, d, "--- live\n+++ applied\n@@ -119,7 +119,7 @@\n     }\n \n server_30 {\n-    listen 80;\n+    listen 8080;\n     }\n \n server_31 {\n")
}

func TestUnifiedDiffLarge(t *testing.T) {
	t.Parallel()
	var a, b []string
	for i := range 2100 {
		a = append(a, "a"+strconv.Itoa(i))
		b = append(b, "b"+strconv.Itoa(i))
	}
	at, bt := "head\n"+joinLines(a)+"tail\n", "head\n"+joinLines(b)+"tail\n"
	d := unifiedDiff("a", "b", at, bt)
	got, err := applyUnified(at, d)
	assert.NilError(t, err)
	assert.Equal(t, got, bt)
	removed, added := countChanges(d)
	assert.Equal(t, removed, 2100)
	assert.Equal(t, added, 2100)
}

func randomLines(rng *rand.Rand) []string {
	n := rng.IntN(25)
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('a' + rng.IntN(5)))
	}
	return out
}

func mutate(rng *rand.Rand, a []string) []string {
	out := append([]string(nil), a...)
	for range rng.IntN(6) {
		switch p := rng.IntN(len(out) + 1); rng.IntN(3) {
		case 0:
			out = append(out[:p], append([]string{string(rune('a' + rng.IntN(7)))}, out[p:]...)...)
		case 1:
			if p < len(out) {
				out = append(out[:p], out[p+1:]...)
			}
		default:
			if p < len(out) {
				out[p] = string(rune('a' + rng.IntN(7)))
			}
		}
	}
	return out
}

func joinLines(ls []string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

// longestCommonRun is the length of the longest run of consecutive lines
// that a and b share.
func longestCommonRun(a, b []string) int {
	best := 0
	prev := make([]int, len(b)+1)
	for i := range a {
		cur := make([]int, len(b)+1)
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
				best = max(best, cur[j+1])
			}
		}
		prev = cur
	}
	return best
}

// longestKeptRun is the length of the longest run of src's lines that the
// diff d keeps unchanged with nothing inserted inside it, counting the
// lines between hunks.
func longestKeptRun(t *testing.T, src, d string) int {
	t.Helper()
	n := len(splitLines(src))
	if d == "" {
		return n
	}
	best, run, pos := 0, 0, 0
	keep := func(k int) {
		run += k
		best = max(best, run)
	}
	for _, h := range strings.Split(strings.TrimSuffix(d, "\n"), "\n@@")[1:] {
		lines := strings.Split(h, "\n")
		var aStart, aLen, bStart, bLen int
		assert.NilError(t, parseHunkHeader("@@"+lines[0], &aStart, &aLen, &bStart, &bLen))
		if aLen > 0 {
			aStart--
		}
		keep(aStart - pos)
		pos = aStart
		for _, l := range lines[1:] {
			switch l[0] {
			case ' ':
				keep(1)
				pos++
			case '-':
				run = 0
				pos++
			case '+':
				run = 0
			}
		}
	}
	keep(n - pos)
	return best
}

func countChanges(d string) (removed, added int) {
	for l := range strings.SplitSeq(d, "\n") {
		switch {
		case strings.HasPrefix(l, "---"), strings.HasPrefix(l, "+++"):
		case strings.HasPrefix(l, "-"):
			removed++
		case strings.HasPrefix(l, "+"):
			added++
		}
	}
	return removed, added
}

// applyUnified is a strict patch(1): context and removed lines must match
// and hunk headers must agree with their bodies.
func applyUnified(src, d string) (string, error) {
	if d == "" {
		return joinLines(splitLines(src)), nil
	}
	in := splitLines(src)
	lines := strings.Split(strings.TrimSuffix(d, "\n"), "\n")[2:]
	var out []string
	pos := 0
	for len(lines) > 0 {
		var aStart, aLen, bStart, bLen int
		if err := parseHunkHeader(lines[0], &aStart, &aLen, &bStart, &bLen); err != nil {
			return "", err
		}
		lines = lines[1:]
		if aLen > 0 {
			aStart--
		}
		if aStart < pos {
			return "", fmt.Errorf("hunk at %d overlaps", aStart)
		}
		out = append(out, in[pos:aStart]...)
		pos = aStart
		seenA, seenB := 0, 0
		for len(lines) > 0 && !strings.HasPrefix(lines[0], "@@") {
			l := lines[0]
			lines = lines[1:]
			switch l[0] {
			case ' ', '-':
				if pos >= len(in) || in[pos] != l[1:] {
					return "", fmt.Errorf("line %d: want %q", pos+1, l[1:])
				}
				if l[0] == ' ' {
					out = append(out, l[1:])
					seenB++
				}
				pos++
				seenA++
			case '+':
				out = append(out, l[1:])
				seenB++
			}
		}
		if seenA != aLen || seenB != bLen {
			return "", fmt.Errorf("hunk header says %d,%d lines, body has %d,%d", aLen, bLen, seenA, seenB)
		}
	}
	out = append(out, in[pos:]...)
	return joinLines(out), nil
}

func parseHunkHeader(h string, aStart, aLen, bStart, bLen *int) error {
	var a, b string
	if _, err := fmt.Sscanf(h, "@@ %s %s @@", &a, &b); err != nil {
		return fmt.Errorf("hunk header %q: %w", h, err)
	}
	parse := func(r string, start, length *int) error {
		s, l, found := strings.Cut(r[1:], ",")
		*length = 1
		var err error
		if found {
			if *length, err = strconv.Atoi(l); err != nil {
				return err
			}
		}
		*start, err = strconv.Atoi(s)
		return err
	}
	if err := parse(a, aStart, aLen); err != nil {
		return err
	}
	return parse(b, bStart, bLen)
}

func FuzzUnifiedDiff(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd\n")
	f.Add("", "x\n")
	f.Add("spec:\n  replicas: 2\n", "spec:\n  replicas: 3\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := unifiedDiff("a", "b", a, b)
		got, err := applyUnified(a, d)
		if err != nil {
			t.Fatalf("diff does not apply: %v\n%s", err, d)
		}
		if again := unifiedDiff("a", "b", a, b); again != d {
			t.Fatalf("not deterministic:\n%s\nthen\n%s", d, again)
		}
		if want := joinLines(splitLines(b)); got != want {
			t.Fatalf("patched text %q, want %q\n%s", got, want, d)
		}
	})
}

// splitLines splits s into lines without their newlines; "" has no lines.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// BenchmarkUnifiedDiff diffs what Apply diffs: a Deployment-sized object
// (150 lines) with three changed lines, and a 2000-line ConfigMap with one.
func BenchmarkUnifiedDiff(b *testing.B) {
	object := func(n int) []string {
		lines := make([]string, n)
		for i := range lines {
			lines[i] = strings.Repeat("  ", i%5) + "field" + strconv.Itoa(i%37) + ": value" + strconv.Itoa(i)
		}
		return lines
	}
	for _, bc := range []struct {
		name    string
		n       int
		changed []int
	}{{"deployment", 150, []int{20, 70, 71}}, {"configmap", 2000, []int{1000}}} {
		a := object(bc.n)
		c := slices.Clone(a)
		for _, i := range bc.changed {
			c[i] += " (changed)"
		}
		at, ct := joinLines(a), joinLines(c)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if unifiedDiff("live", "applied", at, ct) == "" {
					b.Fatal("no diff")
				}
			}
		})
	}
}
