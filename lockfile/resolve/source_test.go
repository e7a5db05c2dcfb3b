package resolve

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// memSource is an in-memory index for tests: files and their metadata.
type memSource struct {
	mu       sync.Mutex
	projects map[string]*simpleapi.Project
	meta     map[string]*simpleapi.Metadata // by filename
	fail     map[string]error               // project name -> error
	requests []string
}

// dist describes one release for memSource.add.
type dist struct {
	version  string
	requires []string
	extras   []string
	rp       string
	yanked   bool
	tags     []string // wheel tags; nil means one py3-none-any wheel
	sdist    bool
	uploaded time.Time // zero: no upload time
}

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func newMemSource() *memSource {
	return &memSource{projects: map[string]*simpleapi.Project{}, meta: map[string]*simpleapi.Metadata{}, fail: map[string]error{}}
}

func (s *memSource) add(name string, dists ...dist) *memSource {
	p := s.projects[name]
	if p == nil {
		p = &simpleapi.Project{Name: name}
		s.projects[name] = p
	}
	for _, d := range dists {
		md := &simpleapi.Metadata{Name: name, Version: d.version, RequiresPython: d.rp, RequiresDist: d.requires, ProvidesExtra: d.extras}
		file := func(fn string) {
			p.Files = append(p.Files, simpleapi.File{Project: name, Filename: fn, URL: "https://files.example/" + fn,
				Hashes: map[string]string{"sha256": fmt.Sprintf("%064x", len(p.Files)+1)}, RequiresPython: d.rp,
				Yanked: d.yanked, UploadTime: d.uploaded, Size: 100, CoreMetadata: true, Index: "mem"})
			s.meta[fn] = md
		}
		under := strings.ReplaceAll(name, "-", "_")
		tags := d.tags
		if tags == nil {
			tags = []string{"py3-none-any"}
		}
		for _, t := range tags {
			file(under + "-" + d.version + "-" + t + ".whl")
		}
		if d.sdist {
			file(under + "-" + d.version + ".tar.gz")
		}
	}
	return s
}

func (s *memSource) Project(_ context.Context, name string) (*simpleapi.Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, "project "+name)
	if err := s.fail[name]; err != nil {
		return nil, err
	}
	p := s.projects[pep508.CanonicalName(name)]
	if p == nil {
		return nil, &simpleapi.NotFoundError{Project: name}
	}
	return p, nil
}

func (s *memSource) Metadata(_ context.Context, f *simpleapi.File) (*simpleapi.Metadata, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, "metadata "+f.Filename)
	md := s.meta[f.Filename]
	if md == nil {
		return nil, simpleapi.ErrNoMetadata
	}
	return md, nil
}

func (s *memSource) sortedRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]string(nil), s.requests...)
	sort.Strings(out)
	return out
}
