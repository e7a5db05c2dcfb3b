package testcluster

import (
	"os"
	"strings"
	"time"

	"k8s.io/klog/v2"
)

// logLine is one line a container prints, on stdout or stderr.
type logLine struct {
	stream string
	text   string
}

// writeLog appends lines to a container's log file in the CRI log format
// kubelet reads ("<RFC3339Nano time> <stream> F <text>"), as containerd
// writes it.
func writeLog(path string, lines []logLine) {
	if path == "" || len(lines) == 0 {
		return
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(time.Now().UTC().Format(time.RFC3339Nano))
		b.WriteByte(' ')
		b.WriteString(l.stream)
		b.WriteString(" F ")
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		klog.ErrorS(err, "testcluster: write container log", "path", path)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(b.String()); err != nil {
		klog.ErrorS(err, "testcluster: write container log", "path", path)
	}
}

func stdout(lines ...string) []logLine {
	out := make([]logLine, len(lines))
	for i, l := range lines {
		out[i] = logLine{"stdout", l}
	}
	return out
}

func stderr(lines ...string) []logLine {
	out := make([]logLine, len(lines))
	for i, l := range lines {
		out[i] = logLine{"stderr", l}
	}
	return out
}

func splitLogLines(v string) []string {
	return strings.Split(strings.TrimSuffix(v, "\n"), "\n")
}

// What a Python web service prints in each scenario.
var (
	bootLines = []string{
		"[INFO] Starting gunicorn 23.0.0",
		"[INFO] Listening at: http://0.0.0.0:8000 (1)",
		"[INFO] Using worker: sync",
		"[INFO] Booting worker with pid: 7",
	}
	tracebackLines = []string{
		"Traceback (most recent call last):",
		`  File "/app/app/main.py", line 4, in <module>`,
		"    from app.settings import DATABASE_URL",
		`  File "/app/app/settings.py", line 7, in <module>`,
		`    DATABASE_URL = os.environ["DATABASE_URL"]`,
		"                   ~~~~~~~~~~^^^^^^^^^^^^^^^^",
		`  File "<frozen os>", line 714, in __getitem__`,
		"KeyError: 'DATABASE_URL'",
	}
	oomLines = append(append([]string{}, bootLines...),
		"[INFO] loading model weights into memory",
		"[INFO] allocating 4096 MiB buffer")
	completeLines = []string{"[INFO] running", "[INFO] done"}
)

// startLines is what a start of kind kind prints at once: the pod's
// LogAnnotation if set.
func startLines(p containerPlan, kind runKind) []logLine {
	if p.logs != nil {
		return stdout(p.logs...)
	}
	switch {
	case kind == runComplete:
		return stdout(completeLines...)
	case kind == runCrash && p.run.reason == "OOMKilled":
		return stdout(oomLines...)
	case kind == runCrash:
		return stdout(bootLines[0])
	}
	return stdout(bootLines...)
}

// exitLines is what an instance prints when it exits with code: a crash
// prints a Python traceback, an OOM kill nothing more.
func exitLines(p containerPlan, code int32) []logLine {
	if p.logs != nil || code == 0 || p.run.reason == "OOMKilled" {
		return nil
	}
	return stderr(tracebackLines...)
}
