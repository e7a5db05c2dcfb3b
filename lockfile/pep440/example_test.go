package pep440_test

import (
	"fmt"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

func Example() {
	v, err := pep440.Parse("v1.0-RC-1_r2")
	if err != nil {
		panic(err)
	}
	fmt.Println(v, v.IsPrerelease(), v.IsPostrelease())

	set, err := pep440.ParseSpecifiers(">=1.0a1, <2, != 1.5.*")
	if err != nil {
		panic(err)
	}
	fmt.Println(set)
	for _, s := range []string{"1.0rc1.post2", "1.5.3", "2.0rc1", "1.9"} {
		fmt.Println(s, set.Contains(pep440.MustParse(s)))
	}
	// Output:
	// 1.0rc1.post2 true true
	// !=1.5.*,<2,>=1.0a1
	// 1.0rc1.post2 true
	// 1.5.3 false
	// 2.0rc1 false
	// 1.9 true
}

func ExampleVersion_Compare() {
	a, b := pep440.MustParse("1.0.dev0"), pep440.MustParse("1.0a1")
	fmt.Println(a.Compare(b), pep440.MustParse("1.0").Compare(pep440.MustParse("1.0.0")))
	fmt.Println(pep440.MustParse("1.0").Key() == pep440.MustParse("1.0.0").Key())
	// Output:
	// -1 0
	// true
}

func ExampleSpecifiers_Filter() {
	set := pep440.MustParseSpecifiers(">=1.0")
	var vs []pep440.Version
	for _, s := range []string{"0.9", "1.0", "1.1b1", "1.2"} {
		vs = append(vs, pep440.MustParse(s))
	}
	fmt.Println(set.Filter(vs, nil))
	// Only pre-releases match: PEP 440 then returns them.
	fmt.Println(set.Filter(vs[2:3], nil))
	no := false
	fmt.Println(set.Filter(vs[2:3], &no))
	// Output:
	// [1.0 1.2]
	// [1.1b1]
	// []
}

func ExampleSpecifiers_ContainsWith() {
	set := pep440.MustParseSpecifiers("~=1.0").WithPrereleases(false)
	v := pep440.MustParse("1.1.0.dev1")
	fmt.Println(set.Contains(v), set.ContainsWith(v, nil, true))
	// Output: false true
}

func ExampleFromSpecifiers() {
	a := pep440.FromSpecifiers(pep440.MustParseSpecifiers(">=1.0,<2.0"))
	b := pep440.FromSpecifiers(pep440.MustParseSpecifiers("!=1.5.*"))
	fmt.Println(a.Intersect(b))
	fmt.Println(a.Complement())
	fmt.Println(pep440.FromSpecifiers(pep440.MustParseSpecifiers(">1.0,<=1.0.post1")))
	fmt.Println(a.IsSubset(pep440.FromSpecifiers(pep440.MustParseSpecifiers(">=0.5"))))
	// Output:
	// >=1.0, <1.5.dev0 || >=1.6.dev0, <2.0.dev0
	// <1.0 || >=2.0.dev0
	// ∅
	// true
}

func ExampleCanonicalize() {
	fmt.Println(pep440.Canonicalize("1.4.0.0"), pep440.Canonicalize("1.0+ABC"), pep440.Canonicalize("lolwat"))
	// Output: 1.4 1+abc lolwat
}
