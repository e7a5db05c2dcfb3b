package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// ParseOptions controls [Parse]. The zero value is strict.
type ParseOptions struct {
	// AllowUnknownFields accepts fields that the kind's schema does not
	// define (they are dropped from typed objects) and duplicate keys (the
	// last one wins). By default both are errors, as with kubectl's default
	// --validate=strict. Objects of kinds client-go does not know have no
	// schema here, so only their duplicate keys can be detected.
	AllowUnknownFields bool
}

// ParseError is a problem with one document of a [Parse] input.
type ParseError struct {
	// Doc is the 1-based number of the document in the stream.
	Doc int
	// Line is the 1-based line in the whole input: of the offending key
	// when it can be located, otherwise of the document's first line.
	Line int
	// Field is the path of the offending field ("spec.replicas"), if any.
	Field string
	// Err is the underlying problem.
	Err error
}

// Error reports the document, the line and the problem.
func (e *ParseError) Error() string {
	return fmt.Sprintf("document %d, line %d: %v", e.Doc, e.Line, e.Err)
}

// Unwrap returns the underlying problem.
func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads a stream of YAML documents separated by "---" lines, or of
// concatenated JSON objects, into objects: typed (for example
// *appsv1.Deployment) for the kinds in client-go's scheme, and
// *unstructured.Unstructured otherwise. Documents that are empty or hold only
// comments are skipped, and a v1 List is flattened into its items. Objects
// keep the apiVersion and kind they were written with.
//
// Every problem in every document is reported, each as a [*ParseError]
// joined with errors.Join; when any document fails, no objects are returned.
func Parse(r io.Reader, opts ParseOptions) ([]runtime.Object, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var docs []document
	if first := firstNonSpace(data); first == '{' {
		docs, err = splitJSON(data)
	} else {
		docs = splitYAML(data)
	}
	p := parser{opts: opts, codec: kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory,
		scheme.Scheme, scheme.Scheme, kjson.SerializerOptions{Strict: !opts.AllowUnknownFields})}
	var objs []runtime.Object
	var errs []error
	for _, d := range docs {
		got, docErrs := p.parseDoc(d)
		objs = append(objs, got...)
		errs = append(errs, docErrs...)
	}
	if err != nil {
		// A JSON syntax error ends the stream; the documents before it
		// were still checked above.
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return objs, nil
}

// document is one document of the input and where it starts.
type document struct {
	num   int  // 1-based
	line  int  // 1-based line of the first byte of text
	first int  // 1-based line of the first content (not blank, not comment)
	json  bool // text is JSON, not YAML
	text  []byte
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return c
		}
	}
	return 0
}

// splitYAML cuts at "---" and "..." marker lines, as the YAML spec and
// kubectl do, remembering each document's first line.
func splitYAML(data []byte) []document {
	var docs []document
	cur := document{num: 1, line: 1}
	lineNo := 0
	flush := func(nextLine int) {
		docs = append(docs, cur)
		cur = document{num: cur.num + 1, line: nextLine}
	}
	for len(data) > 0 {
		lineNo++
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		switch {
		case bytes.HasPrefix(trimmed, []byte("---")) && (len(trimmed) == 3 || trimmed[3] == ' ' || trimmed[3] == '\t'):
			flush(lineNo)
			// "--- {a: 1}" starts the document on the marker line.
			cur.text = append(cur.text, append(bytes.Repeat([]byte(" "), 3), line[3:]...)...)
			continue
		case bytes.Equal(trimmed, []byte("...")):
			flush(lineNo + 1)
			continue
		case len(bytes.TrimSpace(cur.text)) == 0 && bytes.HasPrefix(trimmed, []byte("%")):
			// A directive (%YAML 1.2) belongs to the document that follows.
			cur.text = append(cur.text, '\n')
			continue
		}
		cur.text = append(cur.text, line...)
	}
	docs = append(docs, cur)
	for i := range docs {
		docs[i].first = docs[i].line + contentOffset(docs[i].text)
	}
	return docs
}

// contentOffset counts the lines before the first one with content.
func contentOffset(text []byte) int {
	n := 0
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return n
		}
		n++
	}
	return 0
}

// splitJSON cuts a stream of concatenated JSON values.
func splitJSON(data []byte) ([]document, error) {
	var docs []document
	dec := json.NewDecoder(bytes.NewReader(data))
	for n := 1; ; n++ {
		start := int(dec.InputOffset())
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return docs, nil
		}
		for start < len(data) && strings.IndexByte(" \t\r\n", data[start]) >= 0 {
			start++
		}
		if err != nil {
			off := start
			if syn, ok := errors.AsType[*json.SyntaxError](err); ok {
				off = int(syn.Offset)
			}
			return docs, &ParseError{Doc: n, Line: lineAt(data, off), Err: fmt.Errorf("invalid JSON: %w", err)}
		}
		l := lineAt(data, start)
		docs = append(docs, document{num: n, line: l, first: l, json: true, text: raw})
	}
}

func lineAt(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

type parser struct {
	opts  ParseOptions
	codec *kjson.Serializer
}

func (p parser) fail(d document, field string, err error) *ParseError {
	line := d.first
	if field != "" {
		if l, ok := fieldLine(d.text, field); ok {
			line = d.line + l - 1
		}
	}
	return &ParseError{Doc: d.num, Line: line, Field: field, Err: err}
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// yamlError rebases the document-relative line numbers in a YAML error.
func (p parser) yamlError(d document, err error) *ParseError {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	line := d.first
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		line = d.line + n - 1
	}
	if len(yamlLineRE.FindAllString(msg, -1)) == 1 {
		// The line is in the ParseError already; do not say it twice.
		msg = strings.Replace(msg, "unmarshal errors:\n", "", 1)
		msg = yamlLineRE.ReplaceAllString(msg, "")
		msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, " : ", " ")), " ")
		msg = strings.ReplaceAll(msg, "yaml: :", "yaml:")
	} else {
		msg = yamlLineRE.ReplaceAllStringFunc(msg, func(s string) string {
			n, _ := strconv.Atoi(s[len("line "):])
			return "line " + strconv.Itoa(d.line+n-1)
		})
	}
	return &ParseError{Doc: d.num, Line: line, Err: errors.New(msg)}
}

func (p parser) parseDoc(d document) ([]runtime.Object, []error) {
	js := d.text
	if !d.json {
		var err error
		if js, err = yaml.YAMLToJSONStrict(d.text); err != nil && p.opts.AllowUnknownFields {
			js, err = yaml.YAMLToJSON(d.text)
		}
		if err != nil {
			return nil, []error{p.yamlError(d, err)}
		}
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return nil, nil // empty or comment-only document
	}
	var head map[string]any
	if err := json.Unmarshal(js, &head); err != nil {
		return nil, []error{p.fail(d, "", fmt.Errorf("expected an object (a mapping with apiVersion and kind), found %s", jsonKind(js)))}
	}
	apiVersion, _ := head["apiVersion"].(string)
	kind, _ := head["kind"].(string)
	if apiVersion == "" || kind == "" {
		return nil, []error{p.fail(d, "", fmt.Errorf("object has no apiVersion or kind (apiVersion %q, kind %q)", apiVersion, kind))}
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, []error{p.fail(d, "apiVersion", fmt.Errorf("invalid apiVersion %q: expected \"version\" or \"group/version\"", apiVersion))}
	}
	gvk := gv.WithKind(kind)
	if gvk.Group == "" && gvk.Version == "v1" && kind == "List" {
		return p.parseList(d, js)
	}
	obj, err := p.decode(gvk, js)
	if err != nil {
		return nil, p.decodeErrors(d, kind, err)
	}
	return []runtime.Object{obj}, nil
}

func (p parser) decode(gvk schema.GroupVersionKind, js []byte) (runtime.Object, error) {
	var into runtime.Object
	if !scheme.Scheme.Recognizes(gvk) {
		into = &unstructured.Unstructured{}
	}
	obj, _, err := p.codec.Decode(js, &gvk, into)
	if err != nil {
		return nil, err
	}
	return obj, nil
}

// parseList flattens a v1 List; its items share the document's number.
func (p parser) parseList(d document, js []byte) ([]runtime.Object, []error) {
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(js, &list); err != nil {
		return nil, []error{p.fail(d, "items", fmt.Errorf("invalid List: %w", err))}
	}
	var objs []runtime.Object
	var errs []error
	for i, item := range list.Items {
		sub := document{num: d.num, line: d.line, first: d.first, json: true, text: item}
		got, itemErrs := p.parseDoc(sub)
		for _, e := range itemErrs {
			if pe, ok := errors.AsType[*ParseError](e); ok {
				pe.Err = fmt.Errorf("items[%d]: %w", i, pe.Err)
				if pe.Field != "" {
					pe.Field = fmt.Sprintf("items[%d].%s", i, pe.Field)
				}
			}
			errs = append(errs, e)
		}
		objs = append(objs, got...)
	}
	return objs, errs
}

var quotedFieldRE = regexp.MustCompile(`^(unknown|duplicate) field "(.*)"$`)

var typeErrorRE = regexp.MustCompile(`Go struct field [A-Za-z0-9_]+\.(\S+) of type`)

func (p parser) decodeErrors(d document, kind string, err error) []error {
	strict, ok := runtime.AsStrictDecodingError(err)
	if !ok {
		field := ""
		if m := typeErrorRE.FindStringSubmatch(err.Error()); m != nil {
			field = m[1]
		}
		return []error{p.fail(d, field, fmt.Errorf("decode %s: %w", kind, err))}
	}
	var errs []error
	for _, e := range strict.Errors() {
		field := ""
		if m := quotedFieldRE.FindStringSubmatch(e.Error()); m != nil {
			field = m[2]
		}
		errs = append(errs, p.fail(d, field, e))
	}
	return errs
}

func jsonKind(js []byte) string {
	switch firstNonSpace(js) {
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	default:
		return "a scalar"
	}
}
