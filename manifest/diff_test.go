package manifest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

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
// checks that the target comes out, and that the edit is minimal against
// an independent LCS length.
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
		removed, added := countChanges(d)
		common := lcsLen(a, b)
		assert.Equal(t, removed, len(a)-common, "case %d: not minimal\n%s", i, d)
		assert.Equal(t, added, len(b)-common, "case %d: not minimal\n%s", i, d)
		assert.Equal(t, unifiedDiff("a", "b", at, bt), d, "case %d: not deterministic", i)
	}
}

func TestUnifiedDiffLargeFallsBackCorrectly(t *testing.T) {
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

func lcsLen(a, b []string) int {
	prev := make([]int, len(b)+1)
	for i := range a {
		cur := make([]int, len(b)+1)
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev = cur
	}
	return prev[len(b)]
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
		if want := joinLines(splitLines(b)); got != want {
			t.Fatalf("patched text %q, want %q\n%s", got, want, d)
		}
	})
}
