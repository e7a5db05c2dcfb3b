package resolve

import (
	"context"
	"errors"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

func TestResolutionFields(t *testing.T) {
	t.Parallel()
	src := newMemSource().
		add("app", dist{version: "1.0", extras: []string{"fast"}, requires: []string{"lib>=1", "speedup; extra == 'fast'", "broken>=1.0<2"}}).
		add("lib", dist{version: "1.5", rp: ">=3.8", tags: []string{"py3-none-any", "cp311-cp311-manylinux_2_17_x86_64"}, uploaded: epoch}).
		add("speedup", dist{version: "0.1"}).
		add("broken", dist{version: "1.2"})
	res, err := Resolve(context.Background(), Request{Target: testTarget(t), Requirements: reqs(t, "app[fast]")}, Options{Source: src})
	assert.NilError(t, err)
	lib := res.Packages[2]
	assert.DeepEqual(t, res.Packages[0].Dependencies, []string{"broken", "lib", "speedup"})
	assert.DeepEqual(t, res.Packages[0].Extras, []string{"fast"})
	assert.Assert(t, res.Packages[0].Direct)
	assert.Equal(t, lib.Name, "lib")
	assert.Assert(t, !lib.Direct)
	assert.Equal(t, lib.RequiresPython, ">=3.8")
	// The CPython wheel outranks the pure one for this target.
	assert.DeepEqual(t, lib.Files, []File{{
		Filename: "lib-1.5-cp311-cp311-manylinux_2_17_x86_64.whl", URL: "https://files.example/lib-1.5-cp311-cp311-manylinux_2_17_x86_64.whl",
		Hashes: map[string]string{"sha256": "0000000000000000000000000000000000000000000000000000000000000002"}, Size: 100,
		UploadTime: epoch, Index: "mem", Wheel: true,
	}})
	assert.Equal(t, len(res.Warnings), 1)
	assert.ErrorContains(t, errors.New(res.Warnings[0]), `app==1.0: repaired Requires-Dist "broken>=1.0<2"`)
}

func TestResolveDeterministic(t *testing.T) {
	t.Parallel()
	build := func() *memSource {
		s := newMemSource()
		for _, n := range []string{"a", "b", "c", "d", "e"} {
			s.add(n, dist{version: "1.0", requires: []string{"f<3"}}, dist{version: "2.0", requires: []string{"f>=2", "g"}})
		}
		return s.add("f", dist{version: "1.0"}, dist{version: "2.0"}, dist{version: "3.0"}).add("g", dist{version: "1.0", requires: []string{"a<2"}})
	}
	var first *Resolution
	var firstReqs []string
	for i := range 4 {
		src := build()
		res, err := Resolve(context.Background(), Request{Target: testTarget(t), Requirements: reqs(t, "a", "b", "c", "d", "e")}, Options{Source: src})
		assert.NilError(t, err)
		if i == 0 {
			first, firstReqs = res, src.sortedRequests()
			continue
		}
		assert.DeepEqual(t, res, first)
		// Prefetching may ask in another order, never for other things.
		assert.DeepEqual(t, src.sortedRequests(), firstReqs)
	}
}

func TestResolveCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := newMemSource().add("a", dist{version: "1.0"})
	_, err := Resolve(ctx, Request{Target: testTarget(t), Requirements: reqs(t, "a")}, Options{Source: src})
	assert.Assert(t, errors.Is(err, context.Canceled), "got %v", err)
}

func TestResolveSourceError(t *testing.T) {
	t.Parallel()
	src := newMemSource().add("a", dist{version: "1.0", requires: []string{"b"}})
	src.fail["b"] = errors.New("503 from index")
	_, err := Resolve(context.Background(), Request{Target: testTarget(t), Requirements: reqs(t, "a")}, Options{Source: src})
	assert.ErrorContains(t, err, "list files of b: 503 from index")
	var nse *NoSolutionError
	assert.Assert(t, !errors.As(err, &nse))
}

func TestResolveBadInput(t *testing.T) {
	t.Parallel()
	src := newMemSource()
	_, err := Resolve(context.Background(), Request{Requirements: reqs(t, "a")}, Options{Source: src})
	assert.ErrorContains(t, err, "request.Target is required")
	_, err = Resolve(context.Background(), Request{Target: testTarget(t)}, Options{})
	assert.ErrorContains(t, err, "options.Source is required")
	_, err = Resolve(context.Background(), Request{Target: testTarget(t), Requirements: reqs(t, "a @ https://example.com/a.whl")}, Options{Source: src})
	assert.ErrorContains(t, err, "direct references (name @ URL) are not supported")
}

func TestResolveNoPrefetch(t *testing.T) {
	t.Parallel()
	src := newMemSource().add("a", dist{version: "1.0", requires: []string{"b"}}).add("b", dist{version: "1.0"})
	res, err := Resolve(context.Background(), Request{Target: testTarget(t), Requirements: reqs(t, "a"),
		Preferences: map[string]pep440.Version{"b": pep440.MustParse("1.0")}}, Options{Source: src, Prefetch: -1})
	assert.NilError(t, err)
	assert.DeepEqual(t, pins(res), map[string]string{"a": "1.0", "b": "1.0"})
}
