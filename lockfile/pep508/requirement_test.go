package pep508

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/shareddata"
	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// partsDimension is one dimension of the requirements_valid_parts product.
type partsDimension struct {
	Argnames []string          `json:"argnames"`
	Values   []json.RawMessage `json:"values"`
}

func TestRequirementsValidParts(t *testing.T) {
	t.Parallel()
	var dims []partsDimension
	for _, r := range loadTable(t, "requirements_valid_parts") {
		var d partsDimension
		assert.NilError(t, json.Unmarshal(r, &d))
		dims = append(dims, d)
	}
	assert.Equal(t, len(dims), 5)
	var names []string
	var extras [][]string
	type urlSpec struct {
		url  *string
		spec string
	}
	var urlSpecs []urlSpec
	var markers []*string
	var spaces []string
	for _, v := range dims[0].Values {
		names = append(names, str(t, v))
	}
	for _, v := range dims[1].Values {
		var e []string
		assert.NilError(t, json.Unmarshal(v, &e))
		extras = append(extras, e)
	}
	for _, v := range dims[2].Values {
		var pair []json.RawMessage
		assert.NilError(t, json.Unmarshal(v, &pair))
		var u *string
		assert.NilError(t, json.Unmarshal(pair[0], &u))
		urlSpecs = append(urlSpecs, urlSpec{u, str(t, pair[1])})
	}
	for _, v := range dims[3].Values {
		var m *string
		assert.NilError(t, json.Unmarshal(v, &m))
		markers = append(markers, m)
	}
	for _, v := range dims[4].Values {
		spaces = append(spaces, str(t, v))
	}

	count := 0
	for _, name := range names {
		for _, ex := range extras {
			for _, us := range urlSpecs {
				for _, marker := range markers {
					for _, ws := range spaces {
						count++
						fill := func(s string) string { return strings.ReplaceAll(s, "{ws}", ws) }
						parts := []string{name}
						if len(ex) > 0 {
							sorted := slices.Clone(ex)
							slices.Sort(sorted)
							parts = append(parts, "[", strings.Join(sorted, fill("{ws},{ws}")), "]")
						}
						if us.spec != "" {
							parts = append(parts, fill(us.spec))
						}
						if us.url != nil {
							parts = append(parts, "@", fill(*us.url))
						}
						if marker != nil {
							if us.url != nil {
								parts = append(parts, " ;")
							} else {
								parts = append(parts, ";")
							}
							parts = append(parts, fill(*marker))
						}
						input := strings.Join(parts, ws)

						r, err := Parse(input)
						assert.NilError(t, err, "requirement %q", input)
						assert.Equal(t, r.Name, name, input)
						assert.DeepEqual(t, r.Extras, normalizeExtras(ex))
						wantURL := ""
						if us.url != nil {
							wantURL = *us.url
						}
						assert.Equal(t, r.URL, wantURL, input)
						wantSpec := pep440.MustParseSpecifiers(strings.Trim(strings.ReplaceAll(us.spec, "{ws}", ""), "()"))
						assert.Assert(t, r.Specifiers.Equal(wantSpec), "%q: specifiers %s, want %s", input, r.Specifiers, wantSpec)
						if marker == nil {
							assert.Assert(t, r.Marker == nil, input)
						} else {
							want, err := ParseMarker(strings.ReplaceAll(*marker, "{ws}", ""))
							assert.NilError(t, err)
							assert.Assert(t, Equal(r.Marker, want), "%q: marker %s, want %s", input, r.Marker, want)
						}
					}
				}
			}
		}
	}
	assert.Equal(t, count, 5184)
}

func TestRequirementsNormalized(t *testing.T) {
	t.Parallel()
	for _, row := range tuples(t, "requirements_normalized") {
		r, err := Parse(str(t, row[0]))
		assert.NilError(t, err)
		assert.Equal(t, r.String(), str(t, row[1]))
	}
}

func TestRequirementsValidMarker(t *testing.T) {
	t.Parallel()
	for _, m := range strings1(t, "requirements_valid_marker") {
		r, err := Parse("name; " + m)
		assert.NilError(t, err, m)
		assert.Assert(t, r.Marker != nil)
	}
}

func TestRequirementsURL(t *testing.T) {
	t.Parallel()
	for _, u := range strings1(t, "requirements_url") {
		r, err := Parse("name @ " + u)
		assert.NilError(t, err, u)
		assert.Equal(t, r.URL, u)
	}
}

func TestRequirementsInvalidLineBreak(t *testing.T) {
	t.Parallel()
	for _, s := range strings1(t, "requirements_invalid_line_break") {
		_, err := Parse(s)
		var se *SyntaxError
		assert.Assert(t, errors.As(err, &se), "%q: got %v", s, err)
	}
}

func TestRequirementsTrailingWhitespace(t *testing.T) {
	t.Parallel()
	want, err := Parse("name>=1")
	assert.NilError(t, err)
	for _, ws := range strings1(t, "requirements_trailing_whitespace") {
		got, err := Parse("name>=1" + ws)
		assert.NilError(t, err, "whitespace %q", ws)
		assert.Assert(t, got.Equal(want))
		assert.Equal(t, got.String(), "name>=1")
	}
}

func TestRequirementsPrefixMatchPostReleaseError(t *testing.T) {
	t.Parallel()
	for _, op := range strings1(t, "requirements_prefix_match_post_release_error") {
		for _, s := range []string{"name" + op + "1.2.3.post4.*", "name " + op + " 1.2.3.post4.*"} {
			_, err := Parse(s)
			assert.ErrorContains(t, err, ".* suffix cannot be used with pre-release, post-release, dev or local versions", s)
		}
	}
}

func TestRequirementsLocalLabelError(t *testing.T) {
	t.Parallel()
	for _, op := range strings1(t, "requirements_local_label_error") {
		s := "name " + op + " 1.0+local.version.label"
		_, err := Parse(s)
		assert.ErrorContains(t, err, "Local version label can only be used with `==` or `!=` operators", s)
	}
}

func TestRequirementsInvalidMalformedQuotedMarker(t *testing.T) {
	t.Parallel()
	for _, row := range tuples(t, "requirements_invalid_malformed_quoted_marker") {
		_, err := Parse(str(t, row[0]))
		assert.Assert(t, err != nil)
		want := strings.Replace(str(t, row[1]), "packaging.requirements.InvalidRequirement: ", "invalid requirement: ", 1)
		assert.Equal(t, err.Error(), want)
	}
}

func TestRequirementsInvalid(t *testing.T) {
	t.Parallel()
	for _, row := range tuples(t, "requirements_invalid") {
		s := str(t, row[0])
		_, err := Parse(s)
		var se *SyntaxError
		assert.Assert(t, errors.As(err, &se), "%q: got %v", s, err)
		if exc, ok := optStr(t, row[1]); ok {
			want := strings.Replace(exc, "packaging.requirements.InvalidRequirement: ", "invalid requirement: ", 1)
			assert.Equal(t, err.Error(), want, "requirement %q", s)
		}
		if re, ok := optStr(t, row[2]); ok {
			assert.Assert(t, regexp.MustCompile(re).MatchString(err.Error()), "%q: %v does not match %q", s, err, re)
		}
	}
}

func TestRequirementsStrRoundtrip(t *testing.T) {
	t.Parallel()
	for _, row := range tuples(t, "requirements_str_roundtrip") {
		r, err := Parse(str(t, row[0]))
		assert.NilError(t, err)
		assert.Equal(t, r.String(), str(t, row[1]))
		again, err := Parse(r.String())
		assert.NilError(t, err)
		assert.Assert(t, again.Equal(r))
	}
}

func testRequirementPairs(t *testing.T, key string, equal bool) {
	t.Helper()
	for _, row := range tuples(t, key) {
		a, err := Parse(str(t, row[0]))
		assert.NilError(t, err)
		b, err := Parse(str(t, row[1]))
		assert.NilError(t, err)
		assert.Equal(t, a.Equal(b), equal, "%s vs %s", a, b)
		assert.Equal(t, b.Equal(a), equal, "%s vs %s", b, a)
	}
}

func TestRequirementsEqual(t *testing.T) {
	t.Parallel()
	testRequirementPairs(t, "requirements_equal", true)
}

func TestRequirementsEquivalent(t *testing.T) {
	t.Parallel()
	testRequirementPairs(t, "requirements_equivalent", true)
}

func TestRequirementsDifferent(t *testing.T) {
	t.Parallel()
	testRequirementPairs(t, "requirements_different", false)
}

func TestRequirementFields(t *testing.T) {
	t.Parallel()
	r, err := Parse(`Requests[Security, socks,security] (>=2.8.1, ==2.8.*) ; python_version < "2.7"`)
	assert.NilError(t, err)
	assert.Equal(t, r.Name, "Requests")
	assert.Equal(t, r.CanonicalName(), "requests")
	assert.DeepEqual(t, r.Extras, []string{"security", "socks"})
	assert.Equal(t, r.Specifiers.String(), "==2.8.*,>=2.8.1")
	assert.Equal(t, r.URL, "")
	// str(packaging.requirements.Requirement(...)) keeps the extras as
	// written, sorted: "Requests[Security,security,socks]".
	assert.Equal(t, r.String(), `Requests[Security,security,socks]==2.8.*,>=2.8.1; python_version < "2.7"`)
	assert.Equal(t, r.Normalized().String(), `requests[security,socks]==2.8.*,>=2.8.1; python_version < "2.7"`)
	again, err := Parse(r.String())
	assert.NilError(t, err)
	assert.Assert(t, again.Equal(r))
	// Extras changed by hand are written as they are.
	r.Extras = []string{"http2"}
	assert.Equal(t, r.String(), `Requests[http2]==2.8.*,>=2.8.1; python_version < "2.7"`)

	r, err = Parse("name>=1.0,")
	assert.NilError(t, err, "trailing comma in version_many is allowed")
	assert.Equal(t, r.String(), "name>=1.0")

	r, err = Parse("pip @ file:///tmp/pip-24.0-py3-none-any.whl")
	assert.NilError(t, err)
	assert.Assert(t, r.Marker == nil)
	assert.Equal(t, r.Specifiers.Len(), 0)
}

// pypiProject is the part of testdata/pypi/projects/*.json the test reads.
type pypiProject struct {
	Name     string `json:"name"`
	Versions []struct {
		Version        string   `json:"version"`
		RequiresPython *string  `json:"requires_python"`
		RequiresDist   []string `json:"requires_dist"`
	} `json:"versions"`
}

// TestRealPyPIRequirements parses every Requires-Dist and Requires-Python
// string of the PyPI snapshot; the normalized form must parse back to an
// equal requirement.
func TestRealPyPIRequirements(t *testing.T) {
	t.Parallel()
	dir := shareddata.Dir(t, "pypi/projects")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	assert.NilError(t, err)
	assert.Assert(t, len(files) > 100)
	reqs, pythons := 0, 0
	var legacy []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		assert.NilError(t, err)
		var p pypiProject
		assert.NilError(t, json.Unmarshal(data, &p), f)
		for _, v := range p.Versions {
			for _, s := range v.RequiresDist {
				reqs++
				r, err := Parse(s)
				if err != nil {
					// Legacy metadata that packaging and pip >= 24.1 reject
					// must still be readable through ParseLenient.
					var notes []string
					r, notes, err = ParseLenient(s)
					assert.NilError(t, err, "%s %s: %q", p.Name, v.Version, s)
					assert.Assert(t, len(notes) > 0)
					legacy = append(legacy, s)
				}
				again, err := Parse(r.String())
				assert.NilError(t, err, "re-parsing %q", r.String())
				assert.Assert(t, again.Equal(r), "%q -> %q", s, r.String())
			}
			if v.RequiresPython != nil {
				pythons++
				_, err := pep440.ParseSpecifiers(*v.RequiresPython)
				assert.NilError(t, err, "%s %s requires_python %q", p.Name, v.Version, *v.RequiresPython)
			}
		}
	}
	assert.Equal(t, reqs, 13609, "requirement strings in the snapshot")
	slices.Sort(legacy)
	assert.DeepEqual(t, slices.Compact(legacy), []string{
		"aniso8601<=6.0.*,>=3",
		"jupyter-core!=~5.0,>=4.12",
		"pytz (>dev)",
		`tinycss2>=1.1.0<1.2; extra == "css"`,
	})
	t.Logf("parsed %d requirements and %d requires_python values", reqs, pythons)
}

func TestParseLenient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		notes    []string
	}{
		{`tinycss2>=1.1.0<1.2; extra == "css"`, `tinycss2<1.2,>=1.1.0; extra == "css"`, []string{"inserted a missing comma between clauses"}},
		{"pytz (>dev)", "pytz>=0.dev0", []string{"read a bare 'dev' bound as 0.dev0"}},
		{"aniso8601<=6.0.*,>=3", "aniso8601<=6.0,>=3", []string{"dropped '.*' after an ordering operator"}},
		{"jupyter-core!=~5.0,>=4.12", "jupyter-core!=5.0,>=4.12", []string{"dropped '~' after '!=' or '=='"}},
		{"valid>=1.0", "valid>=1.0", nil},
	}
	for _, tc := range tests {
		_, strictErr := Parse(tc.in)
		r, notes, err := ParseLenient(tc.in)
		assert.NilError(t, err, tc.in)
		assert.Equal(t, r.String(), tc.want)
		assert.DeepEqual(t, notes, tc.notes)
		assert.Equal(t, strictErr == nil, tc.notes == nil, tc.in)
	}
	for _, bad := range []string{"name==", "name @ url; x", "[x]", "name >= 1.0 #"} {
		_, notes, err := ParseLenient(bad)
		var se *SyntaxError
		assert.Assert(t, errors.As(err, &se), "%q: got %v", bad, err)
		assert.Assert(t, notes == nil)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	for _, row := range tuples(t, "canonicalize_name") {
		assert.Equal(t, CanonicalName(str(t, row[0])), str(t, row[1]))
		assert.NilError(t, ValidateName(str(t, row[0])))
	}
	for _, row := range tuples(t, "canonicalize_name_invalid") {
		name := str(t, row[0])
		var ne *NameError
		assert.Assert(t, errors.As(ValidateName(name), &ne), "%q", name)
		assert.Equal(t, CanonicalName(name), str(t, row[1]))
	}
	for _, row := range tuples(t, "is_normalized_name") {
		name, expected := str(t, row[0]), str(t, row[1])
		assert.Assert(t, IsCanonicalName(expected), expected)
		assert.Equal(t, IsCanonicalName(name), name == expected, name)
	}
	got := []bool{IsCanonicalName(""), IsCanonicalName("-a"), IsCanonicalName("a-"), IsCanonicalName("A")}
	assert.DeepEqual(t, got, []bool{false, false, false, false}, cmp.Comparer(func(a, b bool) bool { return a == b }))
	assert.ErrorContains(t, ValidateName(""), "empty")
	assert.ErrorContains(t, ValidateName("a b"), `found ' ' at byte 1`)
}
