package pep508_test

import (
	"errors"
	"fmt"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

func ExampleParse() {
	r, err := pep508.Parse(`Requests[Socks, security] (>=2.8.1, ==2.8.*) ; python_version < "3.8"`)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Name, r.CanonicalName(), r.Extras)
	fmt.Println(r.Specifiers.Contains(pep440.MustParse("2.8.2")))
	fmt.Println(r.Marker)
	fmt.Println(r)
	// Output:
	// Requests requests [security socks]
	// true
	// python_version < "3.8"
	// Requests[Socks,security]==2.8.*,>=2.8.1; python_version < "3.8"
}

func ExampleParse_error() {
	_, err := pep508.Parse("name >= 1.0 <= 2.0")
	var se *pep508.SyntaxError
	fmt.Println(errors.As(err, &se))
	fmt.Println(err)
	// Output:
	// true
	// invalid requirement: Expected comma (within version specifier), semicolon (after version specifier) or end
	//     name >= 1.0 <= 2.0
	//          ~~~~~~~^
}

func ExampleMarker_Evaluate() {
	m, err := pep508.ParseMarker(`python_version >= "3.10" and (sys_platform == 'linux' or extra == "Win_Support")`)
	if err != nil {
		panic(err)
	}
	env := pep508.Environment{PythonVersion: "3.12", SysPlatform: "darwin"}
	fmt.Println(m)
	fmt.Println(m.Evaluate(env))
	fmt.Println(m.Evaluate(env.WithExtra("win-support")))
	fmt.Println(pep508.Mentions(m, pep508.VarExtra))
	// Output:
	// python_version >= "3.10" and (sys_platform == "linux" or extra == "win-support")
	// false
	// true
	// true
}

func ExampleEvaluateExtras() {
	r, err := pep508.Parse(`PySocks!=1.5.7,>=1.5.6; extra == "socks"`)
	if err != nil {
		panic(err)
	}
	env := pep508.Environment{PythonVersion: "3.12"}
	fmt.Println(pep508.EvaluateExtras(r.Marker, env, nil))
	fmt.Println(pep508.EvaluateExtras(r.Marker, env, []string{"socks"}))
	// Output:
	// false
	// true
}

func ExampleParseLenient() {
	r, notes, err := pep508.ParseLenient("tinycss2>=1.1.0<1.2")
	fmt.Println(r, notes, err)
	// Output:
	// tinycss2<1.2,>=1.1.0 [inserted a missing comma between clauses] <nil>
}

func ExampleCanonicalName() {
	fmt.Println(pep508.CanonicalName("Foo.Bar__baz"))
	fmt.Println(pep508.ValidateName("-foo"))
	// Output:
	// foo-bar-baz
	// invalid name "-foo": must start and end with a letter or digit, found '-'
}
