package testcluster

import (
	"bytes"
	"io"
	"log"
	"strings"
	"sync"
)

// logSink collects the control plane's log lines (klog, etcd): it keeps the
// last lines in memory for LogTail and copies everything to out, if set.
type logSink struct {
	out io.Writer

	mu      sync.Mutex
	lines   []string
	next    int // ring index of the oldest line once full
	full    bool
	partial []byte
}

const logSinkLines = 2000

func newLogSink(out io.Writer) *logSink {
	return &logSink{out: out, lines: make([]string, logSinkLines)}
}

// Write implements io.Writer.
func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out != nil {
		_, _ = s.out.Write(p) // a failing copy must not break the control plane
	}
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		s.lines[s.next] = string(s.partial[:i])
		s.next = (s.next + 1) % len(s.lines)
		if s.next == 0 {
			s.full = true
		}
		s.partial = s.partial[i+1:]
	}
	return len(p), nil
}

// tail returns the last n lines (all kept lines if n <= 0), oldest first.
func (s *logSink) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []string
	if s.full {
		all = append(all, s.lines[s.next:]...)
	}
	all = append(all, s.lines[:s.next]...)
	if n > 0 && n < len(all) {
		all = all[len(all)-n:]
	}
	return strings.Join(all, "\n")
}

// discardLog is a *log.Logger for net/http servers whose complaints about
// clients that went away are noise here.
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
