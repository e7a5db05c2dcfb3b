package wheel_test

import (
	"fmt"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

func ExampleParseFilename() {
	f, err := wheel.ParseFilename("numpy-1.26.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Name, f.Version, f.Build)
	for _, t := range f.Tags {
		fmt.Println(t)
	}
	// Output:
	// numpy 1.26.0 <nil>
	// cp312-cp312-manylinux2014_x86_64
	// cp312-cp312-manylinux_2_17_x86_64
}

func ExampleTarget_Supports() {
	target, err := wheel.ParseTarget("cp312-manylinux_2_36_x86_64")
	if err != nil {
		panic(err)
	}
	m := target.Matcher()
	for _, name := range []string{
		"numpy-1.26.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"numpy-1.26.0-cp312-cp312-musllinux_1_1_x86_64.whl",
		"numpy-1.26.0-cp312-cp312-macosx_11_0_arm64.whl",
		"cryptography-41.0.4-cp37-abi3-manylinux_2_28_x86_64.whl",
		"six-1.16.0-py2.py3-none-any.whl",
	} {
		f, err := wheel.ParseFilename(name)
		if err != nil {
			panic(err)
		}
		priority, ok := m.Supports(f)
		fmt.Println(ok, priority, name)
	}
	// Output:
	// true 19 numpy-1.26.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
	// false -1 numpy-1.26.0-cp312-cp312-musllinux_1_1_x86_64.whl
	// false -1 numpy-1.26.0-cp312-cp312-macosx_11_0_arm64.whl
	// true 260 cryptography-41.0.4-cp37-abi3-manylinux_2_28_x86_64.whl
	// true 974 six-1.16.0-py2.py3-none-any.whl
}

func ExampleTarget_Tags() {
	target, err := wheel.ParseTarget("python3.12-musllinux_1_1-aarch64")
	if err != nil {
		panic(err)
	}
	tags := target.Tags()
	for _, t := range tags[:7] {
		fmt.Println(t)
	}
	fmt.Println("...", tags[len(tags)-1])
	// Output:
	// cp312-cp312-musllinux_1_1_aarch64
	// cp312-cp312-musllinux_1_0_aarch64
	// cp312-cp312-linux_aarch64
	// cp312-abi3-musllinux_1_1_aarch64
	// cp312-abi3-musllinux_1_0_aarch64
	// cp312-abi3-linux_aarch64
	// cp312-none-musllinux_1_1_aarch64
	// ... py30-none-any
}

func ExampleTarget_Environment() {
	target, err := wheel.ParseTarget("python3.11.9-manylinux_2_28_aarch64")
	if err != nil {
		panic(err)
	}
	m, err := pep508.ParseMarker(`platform_machine == "aarch64" and python_full_version >= "3.11.4"`)
	if err != nil {
		panic(err)
	}
	fmt.Println(target, m.Evaluate(target.Environment()))
	// Output:
	// cpython3.11.9-manylinux_2_28_aarch64 true
}
