// Package boundedfile opens and reads input files without trusting them:
// Open refuses anything but a regular file (a FIFO, a device, a directory)
// without blocking on it, and ReadFile reads at most a given number of
// bytes, so a FIFO whose writer never closes it, /dev/zero or a huge file
// gives an error naming the file instead of a hang or an exhausted memory.
// Every reader of pyproject.toml, requirements files, lock files and the
// index cache goes through here.
package boundedfile
