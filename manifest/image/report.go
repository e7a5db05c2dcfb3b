package image

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// MarshalJSON writes the report with its target as a string
// ("cp312-manylinux_2_36_x86_64").
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		*plain
		Target string `json:"target"`
	}{(*plain)(r), r.Target.String()})
}

// WriteText writes the report for people: a header naming the image,
// target and directory checked, one line per finding, and a verdict.
//
//	image sha256:4f… (linux/amd64) for cp312-manylinux_2_36_x86_64
//	site-packages /opt/venv/lib/python3.12/site-packages: 14 distributions
//	  missing    anyio 4.6.0
//	  extra      requests 2.32.3
//	  version    pydantic: locked 2.9.2, installed 2.6.4
//	  modified   /opt/venv/lib/python3.12/site-packages/fastapi/routing.py (fastapi): RECORD sha256=…, image sha256=…
//	  missing    /opt/venv/bin/uvicorn (uvicorn)
//	  untracked  /opt/venv/lib/python3.12/site-packages/zz.pth
//	drift: 1 missing, 1 extra, 1 version, 3 files
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "image %s (%s) for %s\n", r.Image, r.Platform.String(), r.Target)
	if r.SitePackages == "" {
		b.WriteString("site-packages: none (the image holds no *.dist-info)\n")
	} else {
		fmt.Fprintf(&b, "site-packages %s: %d distributions\n", r.SitePackages, r.Installed)
	}
	for _, s := range r.OtherSites {
		fmt.Fprintf(&b, "  (not compared: %s)\n", s)
	}
	for _, d := range r.Missing {
		fmt.Fprintf(&b, "  %-10s %s %s\n", "missing", d.Name, d.Version)
	}
	for _, d := range r.Extra {
		fmt.Fprintf(&b, "  %-10s %s %s\n", "extra", d.Name, d.Version)
	}
	for _, v := range r.Versions {
		fmt.Fprintf(&b, "  %-10s %s: locked %s, installed %s\n", "version", v.Name, v.Locked, v.Installed)
	}
	for _, f := range r.Files {
		owner := ""
		if f.Package != "" {
			owner = " (" + f.Package + ")"
		}
		switch f.Kind {
		case FileModified:
			fmt.Fprintf(&b, "  %-10s %s%s: RECORD %s, image %s\n", f.Kind, f.Path, owner, f.Want, f.Got)
		case FileNoRecord:
			fmt.Fprintf(&b, "  %-10s %s%s: cannot check the distribution's files %s\n", f.Kind, f.Path, owner, f.Got)
		default:
			fmt.Fprintf(&b, "  %-10s %s%s\n", f.Kind, f.Path, owner)
		}
	}
	if r.Clean() {
		fmt.Fprintf(&b, "ok: the image holds exactly the locked packages and every RECORD hash matches\n")
	} else {
		fmt.Fprintf(&b, "drift: %d missing, %d extra, %d version, %d files\n", len(r.Missing), len(r.Extra), len(r.Versions), len(r.Files))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
