package simpleapi

import (
	"encoding/binary"
	"hash/crc32"
	"net/url"
	"strings"
	"testing"
)

var fuzzBase = &url.URL{Scheme: "https", Host: "idx.example", Path: "/simple/a/"}

// checkFiles asserts the invariants every successfully parsed page keeps.
func checkFiles(t *testing.T, p *Project) {
	for _, f := range p.Files {
		if f.Filename == "" {
			t.Fatalf("file with empty name: %+v", f)
		}
		u, err := url.Parse(f.URL)
		if err != nil || !u.IsAbs() || u.User != nil || u.Fragment != "" {
			t.Fatalf("file URL %q must be absolute, without credentials or fragment", f.URL)
		}
		for k, v := range f.Hashes {
			if k != strings.ToLower(k) || v != strings.ToLower(v) {
				t.Fatalf("hash %s=%s is not lower-case", k, v)
			}
		}
	}
}

func FuzzParseHTML(f *testing.F) {
	f.Add(`<a href="../../files/a/a-1.0-py3-none-any.whl#sha256=ab" data-requires-python="&gt;=3.8" data-core-metadata="sha256=cd">a-1.0-py3-none-any.whl</a>`)
	f.Add(`<base href="https://cdn/x/"><A HREF=a.whl data-yanked>a.whl</A><!-- <a href=b> -->`)
	f.Add(`<meta name="pypi:repository-version" content="1.1"><a href='https://u:p@h/a.tar.gz#md5=00' data-dist-info-metadata=true><b>a.tar.gz</b></a>`)
	f.Add(`<a href="`)
	f.Fuzz(func(t *testing.T, page string) {
		p, err := ParseHTML([]byte(page), "a", fuzzBase)
		if err != nil {
			return
		}
		checkFiles(t, p)
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add(`{"meta":{"api-version":"1.1"},"name":"a","versions":["1"],"files":[{"filename":"a-1-py3-none-any.whl","url":"a.whl","hashes":{"sha256":"AB"},"yanked":"r","size":3,"upload-time":"2024-01-01T00:00:00Z","core-metadata":{"sha256":"cd"}}]}`)
	f.Add(`{"meta":{"api-version":"1.0"},"name":"a","files":[{"filename":"a.tar.gz","url":"https://x/a.tar.gz#sha256=ff","hashes":{},"yanked":true,"dist-info-metadata":true}]}`)
	f.Add(`{"files":[{"filename":"x","url":"%"}]}`)
	f.Fuzz(func(t *testing.T, page string) {
		p, err := ParseJSON([]byte(page), fuzzBase)
		if err != nil {
			return
		}
		checkFiles(t, p)
		for _, file := range p.Files {
			if file.Size < -1 {
				t.Fatalf("size %d", file.Size)
			}
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add("Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: b>=1; extra == \"x\"\nProvides-Extra: x\n\nbody\n")
	f.Add("Metadata-Version: 2.3\r\nName: a\r\nVersion: 1\r\nSummary: x\r\n continued\r\n")
	f.Add(" leading continuation\n")
	f.Add("Name:\n")
	f.Fuzz(func(t *testing.T, data string) {
		m, err := ParseMetadata([]byte(data))
		if err != nil {
			return
		}
		if m.Name == "" || m.Version == "" || m.MetadataVersion == "" {
			t.Fatalf("parsed metadata lacks a required field: %+v", m)
		}
		for _, r := range m.RequiresDist {
			if strings.ContainsAny(r, "\n\r") {
				t.Fatalf("Requires-Dist %q spans lines", r)
			}
		}
	})
}

// FuzzDecodeParsed feeds damaged parsed forms (with a valid checksum, so
// the decoder itself is exercised) and checks they never panic and never
// decode into something that re-encodes differently.
func FuzzDecodeParsed(f *testing.F) {
	k, p := parsedFixture()
	f.Add(encodeParsed(k, p)[:len(encodeParsed(k, p))-4])
	f.Add(encodeParsed(k, &Project{Name: "a"})[:len(encodeParsed(k, &Project{Name: "a"}))-4])
	f.Add([]byte(parsedMagic + "\x04ab12\x04json"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		data := binary.BigEndian.AppendUint32(append([]byte(nil), payload...), crc32.Checksum(payload, crcTable))
		got, err := decodeParsed(k, data)
		if err != nil {
			return
		}
		again, err := decodeParsed(k, encodeParsed(k, got))
		if err != nil {
			t.Fatalf("re-encoded page does not decode: %v", err)
		}
		if len(again.Files) != len(got.Files) || again.Name != got.Name {
			t.Fatalf("re-encoding changed the page")
		}
	})
}
