package lockfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/resolve"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// DefaultVerifyParallel bounds the downloads Write's verification runs at
// once when Options.VerifyParallel is 0.
const DefaultVerifyParallel = 4

// VerifyError lists the locked files whose download did not match the
// lock (size or hash), or could not be made.
type VerifyError struct {
	// Failures, one per file, sorted by file name: "name: reason".
	Failures []string
	// Errs are the underlying errors in the same order
	// (*simpleapi.HashMismatchError, *simpleapi.TruncatedError, …).
	Errs []error
}

// Error says how many locked files failed and that nothing was written,
// then lists each failure ("file name: reason", sorted by file name) on
// its own indented line.
func (e *VerifyError) Error() string {
	return fmt.Sprintf("lock: %d locked file(s) failed verification; nothing was written:\n\t%s", len(e.Failures), strings.Join(e.Failures, "\n\t"))
}

// Unwrap returns the underlying errors, for errors.As and errors.Is.
func (e *VerifyError) Unwrap() []error { return e.Errs }

// Verify downloads every file the lock names (wheels, sdists, archives with
// a URL) through the source — streamed into its on-disk cache when it has
// one (simpleapi.Client.DownloadFile), else in memory (Download) — and
// checks each one's size and hashes against the lock, parallel downloads
// bounded by Options.VerifyParallel. Files already in the cache are checked
// again without a request. A file whose body differs from what
// the index advertised (and the lock recorded) is a *VerifyError naming
// it. The source must be able to download (resolve.Downloader, which
// *simpleapi.Client is).
//
// pip checks hashes only when it installs (--require-hashes); uv checks
// them when it downloads an artifact and at install. Write checks every
// locked file before the lock exists, so a wrong hash on the index fails
// the lock step in CI rather than an image build later.
func Verify(ctx context.Context, l *pylock.Lock, src resolve.Source, opts Options) error {
	dl, ok := src.(resolve.Downloader)
	if !ok {
		return fmt.Errorf("lock: cannot verify the locked files: the source (%T) cannot download; use a *simpleapi.Client or set Options.SkipVerify", src)
	}
	files := lockedFiles(l)
	n := opts.VerifyParallel
	if n <= 0 {
		n = DefaultVerifyParallel
	}
	sem := make(chan struct{}, n)
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			errs[i] = download(ctx, dl, f)
		})
	}
	wg.Wait()
	var ve VerifyError
	for i, err := range errs {
		if err != nil {
			ve.Failures = append(ve.Failures, files[i].Filename+": "+err.Error())
			ve.Errs = append(ve.Errs, err)
		}
	}
	if len(ve.Failures) > 0 {
		if ctx.Err() != nil && errors.Is(ve.Errs[0], ctx.Err()) {
			return fmt.Errorf("lock: verifying the locked files: %w", ctx.Err())
		}
		return &ve
	}
	return nil
}

// fileDownloader is simpleapi.Client.DownloadFile: a download streamed into
// the cache, checked against size and hashes, reused (and checked again)
// when already there.
type fileDownloader interface {
	DownloadFile(ctx context.Context, f *simpleapi.File) (*simpleapi.LocalFile, error)
}

// download verifies one file: streamed into the cache when the source
// keeps one (so a lock of large wheels needs no memory for them, and
// later installs find them there), else in memory through Download.
func download(ctx context.Context, dl resolve.Downloader, f *simpleapi.File) error {
	if fd, ok := dl.(fileDownloader); ok {
		_, err := fd.DownloadFile(ctx, f)
		if !errors.Is(err, simpleapi.ErrNoCacheDir) {
			return err
		}
	}
	return dl.Download(ctx, f, io.Discard)
}

// lockedFiles lists the files of a lock once each, sorted by name.
func lockedFiles(l *pylock.Lock) []*simpleapi.File {
	seen := map[string]bool{}
	var out []*simpleapi.File
	add := func(project string, f *pylock.File) {
		if f == nil || f.URL == "" || seen[f.URL] {
			return
		}
		seen[f.URL] = true
		size := int64(-1)
		if f.Size != nil {
			size = *f.Size
		}
		out = append(out, &simpleapi.File{Project: project, Filename: f.FileName(), URL: f.URL, Hashes: f.Hashes, Size: size})
	}
	for i := range l.Packages {
		p := &l.Packages[i]
		for j := range p.Wheels {
			add(p.Name, &p.Wheels[j])
		}
		add(p.Name, p.Sdist)
		if a := p.Archive; a != nil && a.URL != "" {
			add(p.Name, &pylock.File{URL: a.URL, Size: a.Size, Hashes: a.Hashes})
		}
	}
	slices.SortFunc(out, func(a, b *simpleapi.File) int { return strings.Compare(a.Filename, b.Filename) })
	return out
}
