package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

func FuzzParseRecord(f *testing.F) {
	f.Add("a/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\r\na-1.0.dist-info/RECORD,,\r\n")
	f.Add("\"a,b.py\",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\nx,,\n")
	f.Add("a.py,md5=abc,1\n")
	f.Add("a.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,-1,extra\n")
	f.Fuzz(func(t *testing.T, data string) {
		entries, err := ParseRecord([]byte(data))
		if err != nil {
			return
		}
		rows := make([]recordRow, len(entries))
		for i, e := range entries {
			if e.Path == "" || e.Size < -1 {
				t.Fatalf("invalid entry %+v", e)
			}
			if e.Hash != "" && e.Algorithm() == "" {
				t.Fatalf("hash %q without algorithm", e.Hash)
			}
			size := ""
			if e.Size >= 0 {
				size = "1"
			}
			rows[i] = recordRow{e.Path, e.Hash, size}
		}
		// What Install writes, it reads back.
		again, err := ParseRecord(writeRecord(rows))
		if err != nil {
			t.Fatalf("written RECORD does not parse: %v", err)
		}
		if len(again) != len(entries) {
			t.Fatalf("round trip: %d rows, want %d", len(again), len(entries))
		}
	})
}

func FuzzEntryPoints(f *testing.F) {
	f.Add("[console_scripts]\nrun = pkg.cli:main\nadmin = pkg.cli:Admin.run [extra]\n[gui_scripts]\ngui=pkg:gui\n")
	f.Add("[console_scripts]\npip = pip._internal.cli.main:main\npip3.8 = pip._internal.cli.main:main\n")
	f.Add("[console_scripts]\n bad name = x:y\nnocolon = pkg\n")
	f.Fuzz(func(t *testing.T, data string) {
		console, gui := parseEntryPoints([]byte(data))
		for _, ep := range append(consoleScriptSpecs(console, 3, 12), gui...) {
			l, err := makeLauncher(ep, "/opt/venv/bin/python")
			if err != nil {
				continue
			}
			if l.name == "" || strings.ContainsAny(l.name, "/\x00") || l.name == ".." {
				t.Fatalf("launcher name %q is not a plain file name", l.name)
			}
			if !strings.HasPrefix(string(l.body), "#!/opt/venv/bin/python\n") {
				t.Fatalf("launcher without shebang: %q", l.body)
			}
		}
	})
}

func FuzzPlanWheel(f *testing.F) {
	f.Add(craftWheel(f, "fz", "1.0", zmember{name: "fz/__init__.py", data: ""}, zmember{name: "fz-1.0.data/scripts/x", data: "#!python\n"}))
	f.Add(craftWheel(f, "fz", "1.0", zmember{name: "../fz.py", data: ""}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	dir := f.TempDir()
	lay := newLayout(mustTarget(f, hostTarget), "/opt/venv")
	f.Fuzz(func(t *testing.T, body []byte) {
		p := filepath.Join(dir, "fz-1.0-py3-none-any.whl")
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := planWheel(&simpleapi.LocalFile{Path: p, Size: int64(len(body))}, "fz", "1.0", "fz-1.0-py3-none-any.whl", lay)
		if err != nil {
			return
		}
		defer w.close()
		for _, m := range w.members {
			if !within(m.dest) || strings.HasPrefix(m.dest, "/") {
				t.Fatalf("member %q planned outside the environment: %q", m.src, m.dest)
			}
		}
	})
}
