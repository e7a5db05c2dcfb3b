package main

import (
	"context"
	_ "embed"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
)

//go:embed payments-api/pyproject.toml
var pyprojectTOML []byte

// indexURL is the embedded index's stable name. It is recorded in the lock;
// the HTTP client routes it to the loopback server, whose port changes every
// run, so that two runs write the same bytes.
const indexURL = "http://index.payments.example/simple/"

// target is the environment the lock is for: what the service's image runs.
const target = "cp312-manylinux_2_36_x86_64"

type lockResult struct {
	path string
	hash string
	// cleanup removes the temporary directory of a lock written without -o.
	cleanup func()
}

// lockStep resolves payments-api's dependencies against the embedded index
// and writes pylock.payments-api.toml (into -o DIR, or a temporary directory).
func lockStep(ctx context.Context, o options, s *story) (lockResult, error) {
	dir, cleanup := o.outDir, func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "payments-api-lock-")
		if err != nil {
			return lockResult{}, err
		}
		dir, cleanup = tmp, func() { os.RemoveAll(tmp) }
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return lockResult{}, err
	}
	res, err := lockInto(ctx, dir, s)
	if err != nil {
		cleanup()
		return lockResult{}, err
	}
	if o.outDir == "" {
		s.printf("(the lock file is removed at exit; -o DIR keeps it with the manifests)")
	}
	res.cleanup = cleanup
	return res, nil
}

// lockInto writes pyproject.toml and the lock into dir.
func lockInto(ctx context.Context, dir string, s *story) (lockResult, error) {
	pyproject := filepath.Join(dir, "pyproject.toml")
	if err := os.WriteFile(pyproject, pyprojectTOML, 0o644); err != nil {
		return lockResult{}, err
	}
	proj, err := project.LoadPyProject(pyproject)
	if err != nil {
		return lockResult{}, err
	}
	reqs, err := proj.Requirements(nil, nil)
	if err != nil {
		return lockResult{}, err
	}

	srv, err := testindex.Start(testindex.Payments(), testindex.Options{})
	if err != nil {
		return lockResult{}, fmt.Errorf("start the embedded package index: %w", err)
	}
	defer srv.Close()
	in := project.Inputs{
		Requirements:   reqs,
		RequiresPython: proj.RequiresPython,
		IndexURLs:      []string{indexURL},
		Targets:        []string{target},
		ExcludeNewer:   testindex.PaymentsExcludeNewer,
	}
	path := filepath.Join(dir, pylock.FileName("payments-api"))
	client, err := loopbackClient(srv.URL)
	if err != nil {
		return lockResult{}, err
	}
	hash, err := lockfile.Write(ctx, path, in, lockfile.Options{HTTPClient: client})
	if err != nil {
		return lockResult{}, fmt.Errorf("lock payments-api: %w", err)
	}
	l, err := pylock.ReadFile(path)
	if err != nil {
		return lockResult{}, err
	}
	s.step("locked %d packages for %s (exclude-newer %s) into %s",
		len(l.Packages), target, testindex.PaymentsExcludeNewer.Format("2006-01-02"), path)
	for _, p := range l.Packages {
		s.printf("%s==%s", p.Name, p.Version)
	}
	s.printf("lock hash %s", hash)
	return lockResult{path: path, hash: hash}, nil
}

// loopbackClient sends every request to the embedded index, whatever host the
// URL names.
func loopbackClient(serverURL string) (*http.Client, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil, fmt.Errorf("embedded index URL %q: %w", serverURL, err)
	}
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, u.Host)
		},
	}}, nil
}
