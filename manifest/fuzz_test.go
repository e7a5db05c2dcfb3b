package manifest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
		"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 2\n---\n",
		`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}]}`,
		"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  name: x\n",
		"--- {apiVersion: v1, kind: Namespace, metadata: {name: n}}\n...\n",
	} {
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, lenient bool) {
		objs, err := Parse(bytes.NewReader(data), ParseOptions{AllowUnknownFields: lenient})
		if err != nil {
			if objs != nil {
				t.Fatalf("objects returned with an error: %v", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) && !strings.HasPrefix(err.Error(), "read manifests") {
				t.Fatalf("error is not a *ParseError: %v", err)
			}
			if pe != nil && (pe.Doc < 1 || pe.Line < 1) {
				t.Fatalf("bad position doc %d line %d: %v", pe.Doc, pe.Line, err)
			}
			return
		}
		for _, o := range objs {
			if o == nil {
				t.Fatal("nil object without an error")
			}
			if o.GetObjectKind().GroupVersionKind().Kind == "" {
				t.Fatalf("object without kind: %#v", o)
			}
		}
		// Whatever parses and renders must parse again to the same bytes.
		out, err := RenderBytes(objs...)
		if err != nil {
			return // e.g. no name or duplicates: Render's own checks
		}
		again, err := Parse(bytes.NewReader(out), ParseOptions{AllowUnknownFields: true})
		if err != nil {
			t.Fatalf("rendered output does not parse: %v\n%s", err, out)
		}
		out2, err := RenderBytes(again...)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("render is not stable after a round trip: %v\n%s\n---- vs ----\n%s", err, out, out2)
		}
	})
}

func FuzzExpand(f *testing.F) {
	for _, seed := range []string{"", "plain", "${A}", "$${A}", "${A}${B}", "$", "${", "${A", "${1}", "${A:-x}", "x$y${A}$$"} {
		f.Add(seed, "value", false)
	}
	f.Fuzz(func(t *testing.T, s, value string, allowEmpty bool) {
		vars := map[string]string{"A": value, "GIT_SHA": "0b5e1d2"}
		x := Expander{Lookup: MapLookup(vars), AllowEmpty: allowEmpty}
		out, err := x.Expand(s)
		var missing *MissingVarsError
		var syntax *SyntaxError
		switch {
		case err == nil:
			if !strings.Contains(s, "$") && out != s {
				t.Fatalf("text without $ changed: %q -> %q", s, out)
			}
		case errors.As(err, &missing):
			if out != "" || len(missing.Names) == 0 {
				t.Fatalf("bad missing error %v for %q", err, s)
			}
			for _, n := range missing.Names {
				if v, ok := vars[n]; ok && (v != "" || allowEmpty) {
					t.Fatalf("%s is set but reported missing", n)
				}
			}
		case errors.As(err, &syntax):
			if syntax.Offset < 0 || syntax.Offset >= len(s) || s[syntax.Offset] != '$' {
				t.Fatalf("syntax error offset %d does not point at a $ in %q", syntax.Offset, s)
			}
		default:
			t.Fatalf("untyped error %v", err)
		}
		// Escaping every $ makes any text expand to itself.
		escaped := strings.ReplaceAll(s, "$", "$$")
		if back, err := x.Expand(escaped); err != nil || back != s {
			t.Fatalf("escaped %q expanded to %q, %v", escaped, back, err)
		}
	})
}

func FuzzParseImage(f *testing.F) {
	for _, seed := range []string{
		"nginx:1.27", "ghcr.io/acme/web:1.0", "localhost:5000/a/b:v1@" + testDigest, "nginx", "nginx:latest",
		"ghcr.io/acme/web:${GIT_SHA}", "UPPER/case:1", "a@sha256:abc", "127.0.0.1:5000/x:y",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		img, err := ParseImage(ref)
		if err != nil {
			if img != (Image{}) {
				t.Fatalf("partial image with an error: %+v", img)
			}
			return
		}
		if img.Tag == "latest" || (img.Tag == "" && img.Digest == "") || strings.Contains(ref, "${") {
			t.Fatalf("accepted an unpinnable reference %q: %+v", ref, img)
		}
		again, err := ParseImage(img.String())
		if err != nil || again != img {
			t.Fatalf("String() does not round-trip: %q -> %q -> %+v, %v", ref, img.String(), again, err)
		}
		if fam, err := ParseImage(img.Familiar()); err != nil || fam != img {
			t.Fatalf("Familiar() does not round-trip: %q -> %+v, %v", img.Familiar(), fam, err)
		}
	})
}

// FuzzStamp: reading and writing a stamp never panics, whatever shape the
// objects have (typed or unstructured, partial, with odd field types), and
// a stamp written is read back.
func FuzzStamp(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: app, image: ghcr.io/a/b:1}]\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {metadata: {annotations: {pydeploy.io/git-sha: abcdef0}}}}\n",
		"apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: null}\n",
		"apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: 3}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {pydeploy.io/image: 'x:1'}}\nspec: {containers: [{name: a, image: 'x:1', env: [{name: PYDEPLOY_IMAGE}]}]}\n",
		"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {template: {spec: {initContainers: [7]}}}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Parse(bytes.NewReader(data), ParseOptions{AllowUnknownFields: true})
		if err != nil {
			return
		}
		for _, o := range objs {
			_, _ = ReadStamp(o)
			s := Stamp{GitSHA: "abcdef0", LockHash: "sha256:1f2e", Version: "v1.0.0"}
			if err := StampObjects([]runtime.Object{o}, s); err != nil {
				continue
			}
			got, err := ReadStamp(o)
			if err != nil {
				t.Fatalf("stamped object reads back with an error: %v", err)
			}
			if got.GitSHA != s.GitSHA || got.LockHash != s.LockHash || got.Version != s.Version {
				t.Fatalf("stamp read back as %+v, want %+v", got, s)
			}
		}
	})
}
