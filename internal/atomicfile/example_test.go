package atomicfile_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pydeploy/pydeploy/internal/atomicfile"
)

// A streamed write that is only kept once it checks out: until Commit,
// nothing is at the target, and the deferred Abort removes the temporary
// file on every early return.
func ExampleCreate() {
	dir, err := os.MkdirTemp("", "atomicfile-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	target := filepath.Join(dir, "payments_api-1.4.2-py3-none-any.whl")

	f, err := atomicfile.Create(target, 0o444)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Abort()
	if _, err := f.WriteString("PK..."); err != nil {
		log.Fatal(err)
	}
	_, statErr := os.Stat(target)
	fmt.Println("before Commit, target exists:", statErr == nil)
	if err := f.Commit(); err != nil {
		log.Fatal(err)
	}
	st, err := os.Stat(target)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("after Commit:", st.Mode().Perm())
	// Output:
	// before Commit, target exists: false
	// after Commit: -r--r--r--
}
