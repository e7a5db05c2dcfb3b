package install

import (
	"errors"
	"fmt"
)

// Reasons Install and Export refuse a lock; test with errors.Is.
var (
	// ErrSdist: the only file of a package that fits the target is a
	// source distribution. Building it needs a build backend from an
	// index and runs arbitrary code, which an image build must not do:
	// lock with wheels only, or build the wheel and lock that.
	ErrSdist = errors.New("only a source distribution fits the target; building from source is not supported")
	// ErrUnsupportedSource: a VCS or directory source, which has no
	// hashed archive to install.
	ErrUnsupportedSource = errors.New("vcs and directory sources have no hashed archive to install")
	// ErrNoTarget: no Options.Target and the lock does not record one.
	ErrNoTarget = errors.New("no target")
	// ErrTargetExists: the target directory exists and is not empty, and
	// Options.Replace is not set.
	ErrTargetExists = errors.New("target directory exists and is not empty")
)

// UnsafeArchiveError reports a wheel entry that would be written outside
// its directory (an absolute path, a ".." component, a link whose target
// leaves the environment) or that cannot be installed unambiguously (a
// duplicate name): a malicious or broken wheel, refused before anything
// of it is written.
type UnsafeArchiveError struct {
	// Wheel is the file name of the wheel.
	Wheel string
	// Entry is the archive member's name as stored.
	Entry string
	// Reason says what is wrong with it.
	Reason string
}

// Error names the wheel, quotes the archive entry and says why it is unsafe.
func (e *UnsafeArchiveError) Error() string {
	return fmt.Sprintf("install: wheel %s: unsafe entry %q: %s", e.Wheel, e.Entry, e.Reason)
}

// RecordError reports a wheel whose content disagrees with its RECORD: a
// file the RECORD does not list, or whose hash or size differs. The
// binary distribution format asks installers to refuse such a wheel.
type RecordError struct {
	Wheel string
	// Path is the archive member.
	Path string
	// Reason says what differs.
	Reason string
}

// Error names the wheel and the archive member, and says what differs from
// its RECORD.
func (e *RecordError) Error() string {
	return fmt.Sprintf("install: wheel %s: %s: %s", e.Wheel, e.Path, e.Reason)
}

// ConflictError reports two packages installing different content at the
// same path; which one pip would leave depends on its install order, so
// no deterministic environment exists.
type ConflictError struct {
	// Path is relative to the environment's root.
	Path string
	// Packages are the two package names, sorted.
	Packages [2]string
}

// Error names both packages and the path they install with different
// content.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("install: packages %q and %q both install %s with different content", e.Packages[0], e.Packages[1], e.Path)
}
