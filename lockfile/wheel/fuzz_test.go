package wheel

import (
	"errors"
	"slices"
	"testing"
)

// FuzzParseFilename checks that ParseFilename never panics, that strict
// mode accepts a subset of the default mode, and that accepted names have
// a non-empty sorted tag set.
func FuzzParseFilename(f *testing.F) {
	for _, s := range benchFiles {
		f.Add(s)
	}
	for _, s := range []string{"foo-1.0.whl", "-1.0-py3-none-any.whl", "foo-1.0-py3.-none-any.whl", "foo_bár-1.0-py3-none-any.whl", "a-1-2-b-c-d.whl"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseFilename(s)
		_, strictErr := ParseFilenameStrict(s)
		if err != nil {
			if strictErr == nil {
				t.Fatalf("%q: strict mode accepts what default mode rejects", s)
			}
			if _, ok := errors.AsType[*FilenameError](err); !ok {
				t.Fatalf("%q: error of type %T", s, err)
			}
			return
		}
		if len(w.Tags) == 0 || !slices.IsSortedFunc(w.Tags, Tag.compare) {
			t.Fatalf("%q: tags %v", s, w.Tags)
		}
		if w.String() != s {
			t.Fatalf("%q: String() = %q", s, w.String())
		}
	})
}

// FuzzParseTarget checks that ParseTarget never panics and that accepted
// targets round-trip through String.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"cp312-manylinux_2_36_x86_64", "python3.12.4-musllinux_1_2-aarch64", "pp310-pypy310_pp73-manylinux2014_x86_64", "cp39-win32", "cp311-macosx_10_9_x86_64"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		target, err := ParseTarget(s)
		if err != nil {
			return
		}
		again, err := ParseTarget(target.String())
		if err != nil {
			t.Fatalf("%q: String() = %q does not parse: %v", s, target.String(), err)
		}
		if again.String() != target.String() {
			t.Fatalf("%q: round trip %q then %q", s, target.String(), again.String())
		}
	})
}
