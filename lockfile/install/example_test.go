package install_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/install"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// Lock two packages against a loopback index, then install the lock as the
// virtual environment an image would carry at /opt/venv.
func Example() {
	ix := testindex.New()
	ix.Add("idna", testindex.Pure("3.7"))
	ix.Add("requests-lite", testindex.Pure("1.0.0", "idna>=3"))
	srv, err := testindex.Start(ix, testindex.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	tmp, err := os.MkdirTemp("", "install-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	req, err := pep508.Parse("requests-lite")
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	l, err := lockfile.Lock(ctx, project.Inputs{Requirements: []pep508.Requirement{req},
		IndexURLs: []string{srv.SimpleURL()}, Targets: []string{"cp312-manylinux_2_36_x86_64"}}, lockfile.Options{})
	if err != nil {
		log.Fatal(err)
	}
	client, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL()}},
		CacheDir: filepath.Join(tmp, "cache"), NoNetrc: true})
	if err != nil {
		log.Fatal(err)
	}
	res, err := install.Install(ctx, l, filepath.Join(tmp, "venv"), install.Options{
		Client: client, Prefix: "/opt/venv", Python: install.Python{Executable: "/usr/local/bin/python3.12", Version: "3.12.7"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Target, res.SitePackages)
	for _, p := range res.Packages {
		fmt.Println(p.Name, p.Version, p.File)
	}
	cfg, err := os.ReadFile(filepath.Join(res.Dir, "pyvenv.cfg"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(cfg))
	// Output:
	// cp312-manylinux_2_36_x86_64 lib/python3.12/site-packages
	// idna 3.7 idna-3.7-py3-none-any.whl
	// requests-lite 1.0.0 requests_lite-1.0.0-py3-none-any.whl
	// home = /usr/local/bin
	// include-system-site-packages = false
	// version = 3.12.7
	// executable = /usr/local/bin/python3.12
}

// Export the same kind of lock as a requirements file for pip.
func ExampleExport() {
	ix := testindex.New()
	ix.Add("idna", testindex.Pure("3.7"))
	srv, err := testindex.Start(ix, testindex.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	req, err := pep508.Parse("idna")
	if err != nil {
		log.Fatal(err)
	}
	l, err := lockfile.Lock(context.Background(), project.Inputs{Requirements: []pep508.Requirement{req},
		IndexURLs: []string{srv.SimpleURL()}, Targets: []string{"cp312-manylinux_2_36_x86_64"}}, lockfile.Options{})
	if err != nil {
		log.Fatal(err)
	}
	err = install.Export(os.Stdout, l, install.ExportOptions{IndexURL: "https://pypi.internal.example/simple/"})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// # Exported by pydeploy from a pylock.toml for cp312-manylinux_2_36_x86_64.
	// # Install with: pip install --no-deps --require-hashes -r <this file>
	// --index-url https://pypi.internal.example/simple/
	// idna==3.7 \
	//     --hash=sha256:c821b586048f86c465f16eee7dc4dfab839e3ef6efa45d69ace2c0de406fccc6
}
