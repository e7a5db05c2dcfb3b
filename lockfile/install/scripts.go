package install

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// entryPoint is one console_scripts or gui_scripts entry.
type entryPoint struct{ name, value string }

// parseEntryPoints reads the console_scripts and gui_scripts sections of
// entry_points.txt as importlib.metadata does: stripped lines, "#"
// comments, "[section]" headers, "name = value" pairs split at the first
// "="; a name given twice keeps its first position and its last value.
func parseEntryPoints(data []byte) (console, gui []entryPoint) {
	var section string
	add := func(list []entryPoint, ep entryPoint) []entryPoint {
		for i := range list {
			if list[i].name == ep.name {
				list[i].value = ep.value
				return list
			}
		}
		return append(list, ep)
	}
	for line := range strings.SplitSeq(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.Trim(line, "[]")
			continue
		}
		name, value, _ := strings.Cut(line, "=")
		ep := entryPoint{strings.TrimSpace(name), strings.TrimSpace(value)}
		switch section {
		case "console_scripts":
			console = add(console, ep)
		case "gui_scripts":
			gui = add(gui, ep)
		}
	}
	return console, gui
}

// consoleScriptSpecs applies pip's special case for pip and easy_install:
// their versioned wrappers are generated for the target's Python, and any
// versioned ones the wheel declares are dropped.
func consoleScriptSpecs(console []entryPoint, major, minor int) []entryPoint {
	var out, rest []entryPoint
	var pip, easy *entryPoint
	for i := range console {
		switch console[i].name {
		case "pip":
			pip = &console[i]
		case "easy_install":
			easy = &console[i]
		default:
			rest = append(rest, console[i])
		}
	}
	mm := fmt.Sprintf("%d.%d", major, minor)
	if pip != nil {
		out = append(out, entryPoint{"pip", pip.value}, entryPoint{"pip" + strconv.Itoa(major), pip.value}, entryPoint{"pip" + mm, pip.value})
		rest = dropMatching(rest, regexp.MustCompile(`^pip(\d+(\.\d+)?)?$`))
	}
	if easy != nil {
		out = append(out, entryPoint{"easy_install", easy.value}, entryPoint{"easy_install-" + mm, easy.value})
		rest = dropMatching(rest, regexp.MustCompile(`^easy_install(-\d+\.\d+)?$`))
	}
	return append(out, rest...)
}

func dropMatching(eps []entryPoint, re *regexp.Regexp) []entryPoint {
	var out []entryPoint
	for _, ep := range eps {
		if !re.MatchString(ep.name) {
			out = append(out, ep)
		}
	}
	return out
}

// exportEntry is distlib's ENTRY_RE (Python's \w is Unicode-aware), applied
// to "name = value" with search semantics, as pip's script maker does.
var exportEntry = regexp.MustCompile(`([^\[]\S*)\s*=\s*([\p{L}\p{N}_]+(?:[:.][\p{L}\p{N}_]+)*)\s*(?:\[\s*[\w-]+(?:=\w+)?(?:,\s*\w+(?:=\w+)?)*\s*\])?`)

// launcher is a generated entry-point script.
type launcher struct {
	name string // file name in bin/
	body []byte
}

// makeLauncher renders the script pip 23 (distlib's ScriptMaker) writes
// for an entry point: a shebang for python (the /bin/sh trampoline when
// the path has a space or the line would exceed Linux's 127 bytes), then
// a stub importing and calling the entry point.
func makeLauncher(ep entryPoint, python string) (launcher, error) {
	m := exportEntry.FindStringSubmatch(ep.name + " = " + ep.value)
	if m == nil {
		return launcher{}, fmt.Errorf("entry point %q = %q is not \"name = module:callable\"", ep.name, ep.value)
	}
	name, callable := m[1], m[2]
	module, attr, ok := strings.Cut(callable, ":")
	if !ok || strings.Contains(attr, ":") {
		return launcher{}, fmt.Errorf("entry point %q = %q: expected exactly one \":\" between module and callable", ep.name, ep.value)
	}
	if strings.ContainsAny(name, "/\\\x00") || name == "." || name == ".." {
		return launcher{}, fmt.Errorf("entry point name %q is not a plain file name", name)
	}
	importName, _, _ := strings.Cut(attr, ".")
	body := shebang(python) +
		"# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom " + module + " import " + importName + "\n" +
		"if __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n" +
		"    sys.exit(" + attr + "())\n"
	return launcher{name: name, body: []byte(body)}, nil
}

// shebang is distlib's _build_shebang for POSIX.
func shebang(python string) string {
	exe := python
	if strings.Contains(exe, " ") {
		exe = `"` + exe + `"`
	}
	if !strings.Contains(exe, " ") && len(exe)+3 <= 127 {
		return "#!" + exe + "\n"
	}
	return "#!/bin/sh\n'''exec' " + exe + " \"$0\" \"$@\"\n' '''\n"
}

// fixScript is pip's fix_script for .data/scripts files: a first line
// starting with "#!python" becomes "#!<python>"; changed reports a rewrite.
func fixScript(data []byte, python string) (out []byte, changed bool) {
	if !bytes.HasPrefix(data, []byte("#!python")) {
		return data, false
	}
	_, rest, _ := bytes.Cut(data, []byte("\n"))
	return append([]byte("#!"+python+"\n"), rest...), true
}
