package testindex

import "time"

// PaymentsExcludeNewer is the exclude-newer cut-off the payments-api examples
// lock with: every file of Payments is uploaded before it, except the
// releases marked "after the cut-off", which a re-lock must never pick up.
var PaymentsExcludeNewer = time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)

// Payments returns the embedded package index of the payments-api examples:
// a small, self-contained universe shaped like the dependencies of a FastAPI
// service served by gunicorn with uvicorn workers (web framework, validation
// with a compiled core, ASGI server with optional compiled speed-ups, an ORM
// with a platform-dependent dependency, a PostgreSQL driver with a binary
// extra). The data is ours, written for the examples; it mirrors the shape of
// the real projects (version ranges, markers, extras, platform wheels) but is
// not a copy of PyPI. It needs nothing outside the repository, so the
// quickstart runs on a clean clone.
//
// A few releases exist to make the examples tell a story: fastapi 0.95.2
// requires pydantic<2 (a conflict for anyone also asking for pydantic>=2),
// and fastapi 0.115.2 is uploaded after PaymentsExcludeNewer.
func Payments() *Index {
	ix := New()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	pure := func(v string, at time.Time, reqs ...string) *Version {
		r := Pure(v, reqs...)
		r.UploadTime = at
		r.RequiresPython = ">=3.8"
		return r
	}
	// binary publishes CPython wheels for the usual Linux platforms plus an sdist.
	binary := func(v string, at time.Time, reqs ...string) *Version {
		r := &Version{Version: v, RequiresDist: reqs, UploadTime: at, RequiresPython: ">=3.8", Sdist: true}
		for _, py := range []string{"cp311", "cp312"} {
			r.WheelTags = append(r.WheelTags,
				py+"-"+py+"-manylinux_2_17_x86_64.manylinux2014_x86_64",
				py+"-"+py+"-manylinux_2_17_aarch64.manylinux2014_aarch64",
				py+"-"+py+"-musllinux_1_1_x86_64",
			)
		}
		return r
	}

	ix.Add("fastapi",
		pure("0.95.2", day(2023, 5, 16),
			"starlette>=0.27.0,<0.28.0",
			"pydantic!=1.7,!=1.7.1,!=1.7.2,!=1.7.3,!=1.8,!=1.8.1,<2.0.0,>=1.6.2"),
		pure("0.110.0", day(2024, 2, 24),
			"starlette>=0.36.3,<0.37.0",
			"pydantic!=1.8,!=1.8.1,!=2.0.0,!=2.0.1,!=2.1.0,<3.0.0,>=1.7.4",
			"typing-extensions>=4.8.0"),
		pure("0.112.2", day(2024, 8, 24),
			"starlette>=0.37.2,<0.39.0",
			"pydantic!=1.8,!=1.8.1,!=2.0.0,!=2.0.1,!=2.1.0,<3.0.0,>=1.7.4",
			"typing-extensions>=4.8.0"),
		pure("0.115.2", day(2024, 10, 12), // after the cut-off
			"starlette>=0.37.2,<0.41.0",
			"pydantic!=1.8,!=1.8.1,!=2.0.0,!=2.0.1,!=2.1.0,<3.0.0,>=1.7.4",
			"typing-extensions>=4.8.0"),
	)
	ix.Add("starlette",
		pure("0.27.0", day(2023, 5, 16), "anyio<5,>=3.4.0"),
		pure("0.36.3", day(2024, 2, 4), "anyio<5,>=3.4.0", `typing-extensions>=3.10.0; python_version < "3.10"`),
		pure("0.38.6", day(2024, 9, 22), "anyio<5,>=3.4.0", `typing-extensions>=3.10.0; python_version < "3.10"`),
	)
	ix.Add("pydantic",
		pure("1.10.13", day(2023, 9, 27), "typing-extensions>=4.2.0"),
		pure("2.6.4", day(2024, 3, 12), "annotated-types>=0.4.0", "pydantic-core==2.16.3", "typing-extensions>=4.6.1"),
		pure("2.9.2", day(2024, 9, 17), "annotated-types>=0.6.0", "pydantic-core==2.23.4",
			`typing-extensions>=4.6.1; python_version < "3.13"`,
			`typing-extensions>=4.12.2; python_version >= "3.13"`),
	)
	ix.Add("pydantic-core",
		binary("2.16.3", day(2024, 2, 27), "typing-extensions!=4.7.0,>=4.6.0"),
		binary("2.23.4", day(2024, 9, 16), "typing-extensions!=4.7.0,>=4.6.0"),
	)
	ix.Add("annotated-types",
		pure("0.6.0", day(2023, 10, 2)),
		pure("0.7.0", day(2024, 5, 20), `typing-extensions>=4.0.0; python_version < "3.9"`),
	)
	ix.Add("typing-extensions", pure("4.9.0", day(2023, 12, 10)), pure("4.12.2", day(2024, 6, 7)))
	ix.Add("anyio",
		pure("4.3.0", day(2024, 2, 19), "idna>=2.8", "sniffio>=1.1",
			`exceptiongroup>=1.0.2; python_version < "3.11"`, `typing-extensions>=4.1; python_version < "3.11"`),
		pure("4.6.0", day(2024, 9, 21), "idna>=2.8", "sniffio>=1.1",
			`exceptiongroup>=1.0.2; python_version < "3.11"`, `typing-extensions>=4.1; python_version < "3.11"`),
	)
	ix.Add("idna", pure("3.6", day(2023, 11, 25)), pure("3.10", day(2024, 9, 15)))
	ix.Add("sniffio", pure("1.3.1", day(2024, 2, 25)))
	ix.Add("exceptiongroup", pure("1.2.2", day(2024, 7, 12)))
	ix.Add("gunicorn",
		pure("21.2.0", day(2023, 7, 19), "packaging"),
		pure("22.0.0", day(2024, 4, 16), "packaging"),
		pure("23.0.0", day(2024, 8, 10), "packaging"),
	)
	ix.Add("packaging", pure("23.2", day(2023, 10, 1)), pure("24.1", day(2024, 6, 9)))
	uv := pure("0.30.6", day(2024, 8, 13), "click>=7.0", "h11>=0.8",
		`typing-extensions>=4.0; python_version < "3.11"`,
		`httptools>=0.5.0; extra == "standard"`,
		`uvloop!=0.15.0,!=0.15.1,>=0.14.0; (sys_platform != "win32" and (sys_platform != "cygwin" and platform_python_implementation != "PyPy")) and extra == "standard"`,
	)
	uv.ProvidesExtra = []string{"standard"}
	ix.Add("uvicorn", uv)
	ix.Add("httptools", binary("0.6.1", day(2023, 10, 16)))
	ix.Add("uvloop", binary("0.20.0", day(2024, 8, 15)))
	ix.Add("click", pure("8.1.7", day(2023, 8, 17), `colorama; platform_system == "Windows"`))
	ix.Add("colorama", pure("0.4.6", day(2022, 10, 25)))
	ix.Add("h11", pure("0.14.0", day(2022, 9, 25)))
	ix.Add("sqlalchemy",
		binary("2.0.35", day(2024, 9, 16), "typing-extensions>=4.6.0",
			`greenlet!=0.4.17; python_version < "3.13" and (platform_machine == "aarch64" or platform_machine == "x86_64")`),
	)
	ix.Add("greenlet", binary("3.1.1", day(2024, 9, 20)))
	pg := pure("3.2.3", day(2024, 9, 29), "typing-extensions>=4.6",
		`tzdata; sys_platform == "win32"`,
		`psycopg-binary==3.2.3; implementation_name != "pypy" and extra == "binary"`)
	pg.ProvidesExtra = []string{"binary"}
	ix.Add("psycopg", pg)
	ix.Add("psycopg-binary", binary("3.2.3", day(2024, 9, 29)))
	ix.Add("tzdata", pure("2024.2", day(2024, 9, 23)))
	return ix
}
