package grammar

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
)

func TestParse(t *testing.T) {
	got, err := Parse("crashloop;pull:err=429,times=2;ready:after=1s,pod=0|3")
	assert.NilError(t, err)
	assert.DeepEqual(t, got, []Clause{
		{Name: "crash", Opts: map[string]string{}},
		{Name: "pull", Opts: map[string]string{"err": "429", "times": "2"}},
		{Name: "ready", Opts: map[string]string{"after": "1s"}, Pods: []int{0, 3}},
	}, cmp.AllowUnexported(Clause{}))
	assert.Equal(t, got[0].Phase(), "run")
	assert.Equal(t, got[1].Phase(), "pull")
	assert.Equal(t, got[2].Phase(), "probe")
	assert.Assert(t, got[0].Applies(7))
	assert.Assert(t, got[2].Applies(3) && !got[2].Applies(1) && !got[2].Applies(-1))
	assert.Equal(t, Normalize(" Crash: Exit = 1 "), "crash:exit=1")
	assert.Assert(t, IsKeyword("slow") && !IsKeyword("crash"))
}

// FuzzParse checks that Parse never panics, and that what it accepts
// keeps every clause's options and ordinals well-formed.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"crashloop", "crash:exit=1,times=2", "pull:err=429;ready:after=2s", "crash:pod=0|2", "flap:period=1s", ";;", "crash:=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := Parse(Normalize(s))
		if err != nil {
			return
		}
		if len(cs) == 0 {
			t.Fatalf("Parse(%q) accepted no clauses", s)
		}
		for _, c := range cs {
			if _, ok := clauseOptions[c.Name]; !ok {
				t.Fatalf("Parse(%q) returned unknown clause %q", s, c.Name)
			}
			for _, n := range c.Pods {
				if n < 0 {
					t.Fatalf("Parse(%q) returned ordinal %d", s, n)
				}
			}
		}
	})
}
