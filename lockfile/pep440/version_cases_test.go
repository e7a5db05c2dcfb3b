package pep440

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
)

func TestCasesVersionsSorted(t *testing.T) {
	var vs []Version
	eachRow(t, "versions_sorted", func(t *testing.T, row []json.RawMessage) {
		s := field[string](t, row[0])
		v, err := Parse(s)
		assert.NilError(t, err, "version %q", s)
		vs = append(vs, v)
	})
	for i := range vs {
		for j := range vs {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			assert.Equal(t, vs[i].Compare(vs[j]), want, "compare %s with %s", vs[i], vs[j])
		}
	}
}

func TestCasesValidVersions(t *testing.T) {
	eachRow(t, "valid_versions", func(t *testing.T, row []json.RawMessage) {
		s := field[string](t, row[0])
		_, err := Parse(s)
		assert.NilError(t, err, "version %q", s)
	})
}

func TestCasesInvalidVersions(t *testing.T) {
	eachRow(t, "invalid_versions", func(t *testing.T, row []json.RawMessage) {
		s := field[string](t, row[0])
		_, err := Parse(s)
		var ive *InvalidVersionError
		assert.Assert(t, errors.As(err, &ive), "version %q: got %v", s, err)
	})
}

func TestCasesOversizedVersions(t *testing.T) {
	eachRow(t, "oversized_versions", func(t *testing.T, row []json.RawMessage) {
		s := field[string](t, row[0])
		_, err := Parse(s)
		assert.ErrorContains(t, err, "longer than")
		assert.Assert(t, len(err.Error()) < 200, "error message should not echo the whole input: %d bytes", len(err.Error()))
	})
}

func TestCasesNormalized(t *testing.T) {
	for _, table := range []string{"normalized", "version_str"} {
		eachRow(t, table, func(t *testing.T, row []json.RawMessage) {
			in, want := field[string](t, row[0]), field[string](t, row[1])
			v, err := Parse(in)
			assert.NilError(t, err)
			assert.Equal(t, v.String(), want, "%s: normalizing %q", table, in)
			again, err := Parse(v.String())
			assert.NilError(t, err)
			assert.Equal(t, again, v, "round trip of %q", in)
		})
	}
}

func TestCasesVersionParts(t *testing.T) {
	parse := func(t *testing.T, row []json.RawMessage) Version {
		t.Helper()
		return MustParse(field[string](t, row[0]))
	}
	eachRow(t, "version_parts_public", func(t *testing.T, row []json.RawMessage) {
		assert.Equal(t, parse(t, row).Public().String(), field[string](t, row[1]))
	})
	eachRow(t, "version_parts_base_version", func(t *testing.T, row []json.RawMessage) {
		assert.Equal(t, parse(t, row).BaseVersion().String(), field[string](t, row[1]))
	})
	eachRow(t, "version_parts_epoch", func(t *testing.T, row []json.RawMessage) {
		assert.Equal(t, parse(t, row).Epoch(), field[int](t, row[1]))
	})
	eachRow(t, "version_parts_release", func(t *testing.T, row []json.RawMessage) {
		assert.DeepEqual(t, parse(t, row).Release(), field[[]int](t, row[1]))
	})
	eachRow(t, "version_parts_local", func(t *testing.T, row []json.RawMessage) {
		want := field[*string](t, row[1])
		got := parse(t, row).Local()
		if want == nil {
			assert.Equal(t, got, "")
		} else {
			assert.Equal(t, got, *want)
		}
	})
	eachRow(t, "version_parts_pre", func(t *testing.T, row []json.RawMessage) {
		want := field[[]any](t, row[1])
		label, n, ok := parse(t, row).Pre()
		if want == nil {
			assert.Assert(t, !ok)
			return
		}
		assert.Assert(t, ok)
		assert.DeepEqual(t, []any{label, float64(n)}, want)
	})
	for _, tc := range []struct {
		table string
		get   func(Version) (int, bool)
	}{{"version_parts_dev", Version.Dev}, {"version_parts_post", Version.Post}} {
		eachRow(t, tc.table, func(t *testing.T, row []json.RawMessage) {
			want := field[*int](t, row[1])
			n, ok := tc.get(parse(t, row))
			assert.Equal(t, ok, want != nil)
			if want != nil {
				assert.Equal(t, n, *want)
			}
		})
	}
	for _, tc := range []struct {
		table string
		get   func(Version) bool
	}{
		{"version_parts_is_prerelease", Version.IsPrerelease},
		{"version_parts_is_devrelease", Version.IsDevrelease},
		{"version_parts_is_postrelease", Version.IsPostrelease},
	} {
		eachRow(t, tc.table, func(t *testing.T, row []json.RawMessage) {
			assert.Equal(t, tc.get(parse(t, row)), field[bool](t, row[1]), "%s(%s)", tc.table, row[0])
		})
	}
}

func TestCasesVersionFromParts(t *testing.T) {
	eachRow(t, "version_from_parts", func(t *testing.T, row []json.RawMessage) {
		var args struct {
			Release []int
			Epoch   *int
			Pre     []any
			Post    *int
			Dev     *int
			Local   *string
		}
		assert.NilError(t, json.Unmarshal(row[0], &args))
		p := Parts{Release: args.Release, Post: args.Post, Dev: args.Dev}
		if args.Epoch != nil {
			p.Epoch = *args.Epoch
		}
		if args.Pre != nil {
			p.Pre = &PreRelease{Label: args.Pre[0].(string), N: int(args.Pre[1].(float64))}
		}
		if args.Local != nil {
			p.Local = *args.Local
		}
		v, err := FromParts(p)
		assert.NilError(t, err)
		want := MustParse(field[string](t, row[1]))
		assert.Equal(t, v, want, cmp.Diff(v.String(), want.String()))
	})
}

func TestCasesCanonicalizeVersion(t *testing.T) {
	eachRow(t, "canonicalize_version", func(t *testing.T, row []json.RawMessage) {
		assert.Equal(t, Canonicalize(field[string](t, row[0])), field[string](t, row[1]))
	})
	eachRow(t, "canonicalize_version_no_strip_trailing_zero", func(t *testing.T, row []json.RawMessage) {
		s := field[string](t, row[0])
		assert.Equal(t, MustParse(s).String(), s)
	})
}

func TestFromPartsErrors(t *testing.T) {
	neg := -1
	for _, tc := range []struct {
		name string
		p    Parts
		want string
	}{
		{"no release", Parts{}, "release must have at least one component"},
		{"negative component", Parts{Release: []int{1, -2}}, "release component 1 must not be negative"},
		{"negative post", Parts{Release: []int{1}, Post: &neg}, "post number must not be negative"},
		{"bad label", Parts{Release: []int{1}, Pre: &PreRelease{Label: "gamma", N: 1}}, "invalid version"},
		{"label is not a pre-release", Parts{Release: []int{1}, Pre: &PreRelease{Label: "post", N: 1}}, "invalid pre-release label"},
		{"bad local", Parts{Release: []int{1}, Local: "a b"}, "invalid version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromParts(tc.p)
			assert.ErrorContains(t, err, tc.want)
			assert.Assert(t, strings.HasPrefix(err.Error(), "version parts: "))
		})
	}
}
