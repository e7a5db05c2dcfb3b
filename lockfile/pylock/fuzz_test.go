package pylock

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzUnmarshal checks that the reader never panics and that anything it
// accepts re-marshals, reads back equal, and marshals to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	for _, name := range []string{"spec-example.toml", "full.golden.toml", "spec-example.golden.toml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(wheelDoc("", goodWheel)))
	f.Add([]byte("lock-version = '1.1'\ncreated-by = 'x'\npackages = []\n[tool]\nx = nan\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Unmarshal(data)
		if err != nil {
			return
		}
		out, err := Marshal(l)
		if err != nil {
			t.Fatalf("accepted lock does not marshal: %v", err)
		}
		back, err := Unmarshal(out)
		if err != nil {
			t.Fatalf("marshalled lock does not read back: %v\n%s", err, out)
		}
		if d := cmp.Diff(l.sorted(), back, cmpopts.EquateNaNs()); d != "" {
			t.Fatalf("round trip changed the lock (-want +got):\n%s", d)
		}
		again, err := Marshal(back)
		if err != nil || string(again) != string(out) {
			t.Fatalf("Marshal is not idempotent: %v\n%s\n---\n%s", err, out, again)
		}
	})
}
