package pylock_test

import (
	"fmt"
	"log"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pylock"
)

// Write a one-package lock. Keys come in the specification's order, the
// wheel table is indented and its hashes are an inline table.
func ExampleMarshal() {
	size := int64(63152)
	l := &pylock.Lock{
		LockVersion:    pylock.SupportedVersion,
		RequiresPython: ">=3.12",
		CreatedBy:      "pydeploy",
		Packages: []pylock.Package{{
			Name:    "idna",
			Version: "3.10",
			Index:   "https://pypi.org/simple/",
			Wheels: []pylock.File{{
				Name:       "idna-3.10-py3-none-any.whl",
				UploadTime: time.Date(2024, 9, 15, 18, 7, 37, 0, time.UTC),
				URL:        "https://files.example/idna-3.10-py3-none-any.whl",
				Size:       &size,
				Hashes:     map[string]string{"sha256": "946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3"},
			}},
		}},
	}
	data, err := pylock.Marshal(l)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))
	// Output:
	// lock-version = '1.0'
	// requires-python = '>=3.12'
	// extras = []
	// dependency-groups = []
	// default-groups = []
	// created-by = 'pydeploy'
	//
	// [[packages]]
	// name = 'idna'
	// version = '3.10'
	// index = 'https://pypi.org/simple/'
	//
	//     [[packages.wheels]]
	//     name = 'idna-3.10-py3-none-any.whl'
	//     upload-time = 2024-09-15T18:07:37Z
	//     url = 'https://files.example/idna-3.10-py3-none-any.whl'
	//     size = 63152
	//     hashes = {sha256 = '946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3'}
}

// Read a lock and report a problem by its key path.
func ExampleUnmarshal() {
	_, err := pylock.Unmarshal([]byte(`
lock-version = '1.0'
created-by = 'x'
[[packages]]
name = 'idna'
version = '3.10'
[[packages.wheels]]
url = 'https://files.example/idna-3.10-py3-none-any.whl'
hashes = {}
`))
	fmt.Println(err)
	_, err = pylock.Unmarshal([]byte("lock-version = '2.0'\ncreated-by = 'x'\npackages = []\n"))
	fmt.Println(err)
	// Output:
	// invalid pylock.toml: packages[0].wheels[0].hashes: at least one hash must be provided
	// lock-version: pylock version "2.0" is not supported (expected 1.x)
}

// Name a lock per service.
func ExampleParseFileName() {
	fmt.Println(pylock.FileName("payments"))
	service, err := pylock.ParseFileName("pylock.payments.toml")
	fmt.Println(service, err)
	_, err = pylock.ParseFileName("pylock.toml.bak")
	fmt.Println(err)
	// Output:
	// pylock.payments.toml
	// payments <nil>
	// invalid lock file name "pylock.toml.bak": expected pylock.toml or pylock.<name>.toml with no dot in <name>
}
