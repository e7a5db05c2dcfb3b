package testindex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/url"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// apiVersion is the Simple API version served (PEP 700 adds versions,
// size and upload-time in 1.1).
const apiVersion = "1.1"

type jsonMeta struct {
	APIVersion string `json:"api-version"`
}

type jsonList struct {
	Meta     jsonMeta `json:"meta"`
	Projects []struct {
		Name string `json:"name"`
	} `json:"projects"`
}

type jsonFile struct {
	Filename         string            `json:"filename"`
	URL              string            `json:"url"`
	Hashes           map[string]string `json:"hashes"`
	RequiresPython   string            `json:"requires-python,omitempty"`
	Size             int               `json:"size"`
	UploadTime       string            `json:"upload-time,omitempty"`
	Yanked           any               `json:"yanked"`
	CoreMetadata     any               `json:"core-metadata,omitempty"`
	DistInfoMetadata any               `json:"dist-info-metadata,omitempty"`
}

type jsonProject struct {
	Meta     jsonMeta   `json:"meta"`
	Name     string     `json:"name"`
	Versions []string   `json:"versions"`
	Files    []jsonFile `json:"files"`
}

func (s *Server) renderList(format string) []byte {
	names := s.ix.Names()
	if format == "json" {
		l := jsonList{Meta: jsonMeta{apiVersion}}
		for _, n := range names {
			l.Projects = append(l.Projects, struct {
				Name string `json:"name"`
			}{s.ix.projects[n].Name})
		}
		out, _ := json.Marshal(l)
		return out
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"%s\">\n    <title>Simple index</title>\n  </head>\n  <body>\n", apiVersion)
	for _, n := range names {
		fmt.Fprintf(&b, "    <a href=\"%s/\">%s</a>\n", url.PathEscape(n), html.EscapeString(s.ix.projects[n].Name))
	}
	b.WriteString("  </body>\n</html>\n")
	return b.Bytes()
}

// pageFile is one file as a page advertises it, faults applied.
type pageFile struct {
	f          *File
	href       string
	sha        string
	metaSHA    string // "" when no metadata file is offered
	uploadTime string
}

func (s *Server) pageFiles(p *Project) ([]pageFile, error) {
	var out []pageFile
	for _, v := range p.Versions {
		files, err := v.Files(p.Name)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			wrong, wrongMeta, noMeta := s.renderFault(f.URLPath())
			pf := pageFile{f: f, href: "../../files/" + url.PathEscape(f.Project) + "/" + url.PathEscape(f.Filename), sha: f.SHA256}
			if wrong {
				pf.sha = hexSHA(append([]byte("wrong hash of "), f.Body...))
			}
			if len(f.Metadata) > 0 && !noMeta {
				pf.metaSHA = f.MetadataSHA256
				if wrongMeta {
					pf.metaSHA = hexSHA(append([]byte("wrong hash of "), f.Metadata...))
				}
			}
			if !v.UploadTime.IsZero() {
				pf.uploadTime = v.UploadTime.UTC().Format("2006-01-02T15:04:05.000000Z")
			}
			out = append(out, pf)
		}
	}
	return out, nil
}

func (s *Server) renderProject(p *Project, format string) ([]byte, error) {
	files, err := s.pageFiles(p)
	if err != nil {
		return nil, err
	}
	if format == "json" {
		jp := jsonProject{Meta: jsonMeta{apiVersion}, Name: pep508.CanonicalName(p.Name), Versions: []string{}, Files: []jsonFile{}}
		for _, v := range p.Versions {
			jp.Versions = append(jp.Versions, v.Version)
		}
		for _, pf := range files {
			v := pf.f.Version
			jf := jsonFile{Filename: pf.f.Filename, URL: pf.href, Hashes: map[string]string{"sha256": pf.sha},
				RequiresPython: v.RequiresPython, Size: len(pf.f.Body), UploadTime: pf.uploadTime, Yanked: false}
			if v.Yanked {
				jf.Yanked = true
				if v.YankedReason != "" {
					jf.Yanked = v.YankedReason
				}
			}
			if pf.metaSHA != "" {
				jf.CoreMetadata = map[string]string{"sha256": pf.metaSHA}
				jf.DistInfoMetadata = jf.CoreMetadata
			}
			jp.Files = append(jp.Files, jf)
		}
		return json.Marshal(jp)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"%s\">\n    <title>Links for %s</title>\n  </head>\n  <body>\n    <h1>Links for %s</h1>\n",
		apiVersion, html.EscapeString(p.Name), html.EscapeString(p.Name))
	for _, pf := range files {
		v := pf.f.Version
		fmt.Fprintf(&b, "    <a href=\"%s#sha256=%s\"", html.EscapeString(pf.href), pf.sha)
		if v.RequiresPython != "" {
			fmt.Fprintf(&b, " data-requires-python=\"%s\"", html.EscapeString(v.RequiresPython))
		}
		if v.Yanked {
			fmt.Fprintf(&b, " data-yanked=\"%s\"", html.EscapeString(v.YankedReason))
		}
		if pf.metaSHA != "" {
			fmt.Fprintf(&b, " data-dist-info-metadata=\"sha256=%s\" data-core-metadata=\"sha256=%s\"", pf.metaSHA, pf.metaSHA)
		}
		fmt.Fprintf(&b, ">%s</a><br />\n", html.EscapeString(pf.f.Filename))
	}
	b.WriteString("  </body>\n</html>\n")
	return b.Bytes(), nil
}
