// Package atomicfile writes files so that a reader sees either the old
// content or the complete new content, never a part of it: the data goes to
// a temporary file in the target's directory, which is renamed over the
// target once complete. Every package of the library that writes a file
// (lock files, rendered manifests, the index cache, downloaded
// distributions) writes it through here.
package atomicfile
