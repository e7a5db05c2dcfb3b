// Package wheel decides which distribution files can be installed in a
// target environment — what a container image runs, such as CPython 3.12 on
// manylinux_2_36 x86_64 or on musllinux_1_2 aarch64.
//
// ParseFilename reads a wheel file name into its normalized project name,
// PEP 440 version, optional build tag and expanded PEP 425 tag set
// (compressed sets like "py2.py3-none-any" become one Tag each);
// ParseSdistFilename reads source distribution names. Errors are
// *FilenameError values naming the file and the part at fault.
//
// A Target describes the install environment: implementation, Python
// version, optional free-threading, and a Platform (OS, architecture, and
// the glibc or musl version on Linux, the macOS version on macOS).
// ParseTarget reads the short form used in configuration, an interpreter
// and a platform tag ("cp312-manylinux_2_36_x86_64",
// "python3.12.4-musllinux_1_2-aarch64"). Target.Tags lists every tag the
// target accepts, most preferred first, in exactly the order
// packaging.tags.sys_tags produces on such an interpreter: the
// interpreter's own ABI, abi3 (down to cp32), "none", then pure-Python
// tags, and on Linux every manylinux level from the target's glibc down to
// 2.17 (2.5 on x86) with the legacy manylinux1/2010/2014 aliases. A Matcher
// (Target.Matcher) answers Supports for many files at once: whether a wheel
// installs and the priority of its best tag, which the resolver uses to
// pick the best file of a release. Whether to fall back to an sdist when no
// wheel fits is the resolver's policy, not this package's.
//
// Target.Environment gives the pep508.Environment of the target for
// evaluating markers without running Python in the image.
package wheel
