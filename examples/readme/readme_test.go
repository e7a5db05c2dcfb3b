package readme

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pydeploy/pydeploy/internal/testcluster"
	"github.com/pydeploy/pydeploy/rollout"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m, testcluster.Options{})) }

// snippet marks a Go block of README.md with the function it quotes:
// <!-- snippet: examples/readme/release.go Release -->
var snippet = regexp.MustCompile(`<!-- snippet: (\S+) (\w+) -->\n` + "```go\n" + `((?s).*?)` + "```")

// TestREADMEQuotesCompiledCode: every Go block of README.md is marked with
// the function it shows, and is that function's source, verbatim. The
// functions live in this module, so the README's Go compiles with the test
// command, and TestRelease runs it.
func TestREADMEQuotesCompiledCode(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	assert.NilError(t, err)
	blocks := strings.Count(string(readme), "```go\n")
	marked := snippet.FindAllStringSubmatch(string(readme), -1)
	assert.Equal(t, len(marked), blocks, "every ```go block of README.md needs a <!-- snippet: FILE FUNC --> line above it")
	for _, m := range marked {
		file, fn, quoted := m[1], m[2], m[3]
		assert.Equal(t, quoted, funcSource(t, filepath.Join(root, file), fn), "README.md's snippet of %s %s", file, fn)
	}
}

// funcSource returns a function's source as written, with its doc comment.
func funcSource(t *testing.T, path, name string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	assert.NilError(t, err)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	assert.NilError(t, err)
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != name {
			continue
		}
		start := fd.Pos()
		if fd.Doc != nil {
			start = fd.Doc.Pos()
		}
		return string(src[fset.Position(start).Offset:fset.Position(fd.End()).Offset]) + "\n"
	}
	t.Fatalf("%s has no function %s", path, name)
	return ""
}

// TestRelease runs README.md's Release on the embedded control plane: a
// good release rolls out; a crash-looping one fails with the pod's
// evidence and is rolled back to the good image.
func TestRelease(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	_, err := c.Client().CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		assert.NilError(t, err)
	}
	const good = "ghcr.io/acme/payments:1.4.2"
	assert.NilError(t, Release(ctx, c.Config(), good, "3f2c1d0", "sha256:1f2e"))

	err = Release(ctx, c.Config(), "ghcr.io/acme/payments:crashloop", "4a5b6c7", "sha256:1f2e")
	assert.Equal(t, rollout.ClassOf(err), rollout.PodFailure, "%v", err)
	d, err := c.Client().AppsV1().Deployments("shop").Get(ctx, "payments-api", metav1.GetOptions{})
	assert.NilError(t, err)
	assert.Equal(t, d.Spec.Template.Spec.Containers[0].Image, good, "rolled back")
}
