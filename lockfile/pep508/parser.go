package pep508

import (
	"fmt"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// The parser is a recursive descent over the scanner, one function per
// rule of packaging's grammar (src/packaging/_parser.py), so that accepted
// input, error messages and error spans agree with pip:
//
//	requirement  = WS? IDENTIFIER WS? extras WS? details END
//	details      = AT WS? URL (WS (SEMICOLON marker WS?)?)?
//	             | specifier WS? (SEMICOLON marker WS?)?
//	extras       = (LEFT_BRACKET WS? extras_list? WS? RIGHT_BRACKET)?
//	specifier    = LEFT_PARENTHESIS WS? version_many WS? RIGHT_PARENTHESIS
//	             | WS? version_many WS?
//	version_many = (SPECIFIER (WS? COMMA WS? SPECIFIER)*)?   (trailing comma allowed)
//	marker       = marker_atom (BOOLOP marker_atom)*
//	marker_atom  = WS? (LEFT_PARENTHESIS WS? marker WS? RIGHT_PARENTHESIS | marker_item) WS?
//	marker_item  = marker_var WS? marker_op WS? marker_var
//	marker_op    = IN | NOT WS IN | OP

const opList = "<=, <, !=, ==, >=, >, ~=, ===, in, not in"

// Limits on what Parse and ParseMarker accept. Real requirement strings
// are well under a kilobyte and nest parentheses a few levels at most; the
// limits keep hostile metadata (3 MB of "(" from a malicious index) from
// exhausting the stack or memory: such input is a *SyntaxError, never a
// crash.
const (
	// MaxLength is the longest requirement or marker string, in bytes.
	MaxLength = 64 << 10
	// MaxNesting is the deepest nesting of parentheses in a marker.
	MaxNesting = 100
)

// tooLong reports input over MaxLength as a *SyntaxError.
func tooLong(what, s string) error {
	if len(s) <= MaxLength {
		return nil
	}
	return &SyntaxError{What: what, Source: s, Message: fmt.Sprintf("longer than %d bytes (%d)", MaxLength, len(s)), Start: MaxLength, End: MaxLength}
}

// Parse parses a PEP 508 dependency specifier such as
// `requests[security] >=2.8.1, ==2.8.* ; python_version < "2.7"` or
// `pip @ https://github.com/pypa/pip/archive/1.3.1.zip`.
// Errors are *SyntaxError values.
func Parse(s string) (Requirement, error) {
	if err := tooLong("requirement", s); err != nil {
		return Requirement{}, err
	}
	p := &scanner{src: s, what: "requirement"}
	r, err := parseRequirement(p)
	if err != nil {
		return Requirement{}, err
	}
	return r, nil
}

func parseRequirement(p *scanner) (Requirement, error) {
	var r Requirement
	p.ws()
	name, ok := p.identifier()
	if !ok {
		return r, p.errAt("Expected package name at the start of dependency specifier")
	}
	r.Name = name
	p.ws()
	extras, err := parseExtras(p)
	if err != nil {
		return r, err
	}
	r.Extras = normalizeExtras(extras)
	r.written = writtenExtras(extras)
	p.ws()
	if err := parseDetails(p, &r); err != nil {
		return r, err
	}
	if !p.atEnd() {
		return r, p.errAt("Expected end of dependency specifier")
	}
	return r, nil
}

func parseDetails(p *scanner, r *Requirement) error {
	if p.char('@') {
		p.ws()
		urlStart := p.pos
		u, ok := p.url()
		if !ok {
			return p.errAt("Expected URL after @")
		}
		r.URL = u
		if p.atEnd() {
			return nil
		}
		if !p.ws() {
			return p.errAt("Expected whitespace after URL")
		}
		if p.atEnd() {
			return nil
		}
		return parseRequirementMarker(p, r, urlStart, "Expected semicolon (after URL and whitespace) or end")
	}
	specStart := p.pos
	clauses, err := parseSpecifier(p)
	if err != nil {
		return err
	}
	if len(clauses) > 0 {
		specs, err := buildSpecifiers(p, specStart, clauses)
		if err != nil {
			return err
		}
		r.Specifiers = specs
	}
	p.ws()
	if p.atEnd() {
		return nil
	}
	msg := "Expected semicolon (after name with no version specifier) or end"
	if len(clauses) > 0 {
		msg = "Expected comma (within version specifier), semicolon (after version specifier) or end"
	}
	return parseRequirementMarker(p, r, specStart, msg)
}

func parseRequirementMarker(p *scanner, r *Requirement, spanStart int, msg string) error {
	if !p.char(';') {
		return p.errorf(spanStart, p.pos, msg)
	}
	m, _, err := parseMarker(p)
	if err != nil {
		return err
	}
	r.Marker = m
	p.ws()
	return nil
}

func parseExtras(p *scanner) ([]string, error) {
	if !p.peekChar('[') {
		return nil, nil
	}
	open := p.pos
	p.pos++
	p.ws()
	var extras []string
	if id, ok := p.identifier(); ok {
		extras = append(extras, id)
		for {
			p.ws()
			save := p.pos
			if _, ok := p.identifier(); ok {
				p.pos = save
				return nil, p.errAt("Expected comma between extra names")
			}
			if !p.char(',') {
				break
			}
			p.ws()
			id, ok := p.identifier()
			if !ok {
				return nil, p.errAt("Expected extra name after comma")
			}
			extras = append(extras, id)
		}
	}
	p.ws()
	if !p.char(']') {
		return nil, p.errorf(open, p.pos, "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras")
	}
	return extras, nil
}

// parseSpecifier returns the clauses as "op"+"version" strings without
// inner whitespace.
func parseSpecifier(p *scanner) ([]string, error) {
	open := -1
	if p.char('(') {
		open = p.pos - 1
	}
	p.ws()
	var clauses []string
	for {
		start := p.pos
		op, version, ok := p.specifier()
		if !ok {
			break
		}
		clauses = append(clauses, op+version)
		if strings.HasPrefix(p.rest(), ".*") {
			msg := ".* suffix can only be used with `==` or `!=` operators"
			if op == "==" || op == "!=" {
				msg = ".* suffix cannot be used with pre-release, post-release, dev or local versions"
			}
			return nil, p.errorf(start, p.pos+1, msg)
		}
		if localTrail.MatchString(p.rest()) {
			return nil, p.errorf(start, p.pos, "Local version label can only be used with `==` or `!=` operators")
		}
		p.ws()
		if !p.char(',') {
			break
		}
		p.ws()
	}
	p.ws()
	if open >= 0 && !p.char(')') {
		return nil, p.errorf(open, p.pos, "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier")
	}
	return clauses, nil
}

// buildSpecifiers hands the clauses to pep440. An "===" clause may swallow
// commas ("===x,y"), so a failure is traced to the clause that caused it.
func buildSpecifiers(p *scanner, start int, clauses []string) (pep440.Specifiers, error) {
	joined := strings.Join(clauses, ",")
	specs, err := pep440.ParseSpecifiers(joined)
	if err == nil {
		return specs, nil
	}
	bad := joined
	for c := range strings.SplitSeq(joined, ",") {
		if _, cerr := pep440.ParseSpecifiers(c); cerr != nil {
			bad = c
			break
		}
	}
	e := p.errorf(start, p.pos, fmt.Sprintf("Invalid specifier: '%s'", bad))
	e.Err = err
	return pep440.Specifiers{}, e
}

// ParseMarker parses a PEP 508 environment marker such as
// `python_version >= "3.9" and sys_platform == "linux"`.
// Errors are *SyntaxError values.
func ParseMarker(s string) (Marker, error) {
	if err := tooLong("marker", s); err != nil {
		return nil, err
	}
	p := &scanner{src: s, what: "marker"}
	m, _, err := parseMarker(p)
	if err != nil {
		return nil, err
	}
	if !p.atEnd() {
		return nil, p.errAt("Expected end of marker expression")
	}
	return m, nil
}

// parseMarker returns the marker and how many atoms the list held, which
// decides whether parentheses around it are kept when printing.
func parseMarker(p *scanner) (Marker, int, error) {
	first, err := parseAtom(p)
	if err != nil {
		return nil, 0, err
	}
	groups := [][]Marker{{first}}
	n := 1
	for {
		w := p.peekWord("or", "and")
		if w == "" {
			break
		}
		p.pos += len(w)
		atom, err := parseAtom(p)
		if err != nil {
			return nil, 0, err
		}
		n++
		if w == "or" {
			groups = append(groups, []Marker{atom})
		} else {
			groups[len(groups)-1] = append(groups[len(groups)-1], atom)
		}
	}
	ors := make([]Marker, 0, len(groups))
	for _, g := range groups {
		if len(g) == 1 {
			ors = append(ors, g[0])
		} else {
			ors = append(ors, &And{Markers: g})
		}
	}
	if len(ors) == 1 {
		return ors[0], n, nil
	}
	return &Or{Markers: ors}, n, nil
}

func parseAtom(p *scanner) (Marker, error) {
	p.ws()
	var m Marker
	if p.peekChar('(') {
		open := p.pos
		if p.depth >= MaxNesting {
			return nil, p.errorf(open, open, fmt.Sprintf("Marker nests parentheses more than %d deep", MaxNesting))
		}
		p.pos++
		p.ws()
		p.depth++
		inner, n, err := parseMarker(p)
		p.depth--
		if err != nil {
			return nil, err
		}
		p.ws()
		if !p.char(')') {
			return nil, p.errorf(open, p.pos, "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression")
		}
		m = setGrouped(inner, n > 1)
	} else {
		c, err := parseItem(p)
		if err != nil {
			return nil, err
		}
		m = c
	}
	p.ws()
	return m, nil
}

func setGrouped(m Marker, g bool) Marker {
	switch m := m.(type) {
	case *And:
		if m.grouped != g {
			return &And{Markers: m.Markers, grouped: g}
		}
	case *Or:
		if m.grouped != g {
			return &Or{Markers: m.Markers, grouped: g}
		}
	}
	return m
}

func parseItem(p *scanner) (*Compare, error) {
	p.ws()
	left, err := parseOperand(p)
	if err != nil {
		return nil, err
	}
	p.ws()
	op, err := parseOp(p)
	if err != nil {
		return nil, err
	}
	p.ws()
	right, err := parseOperand(p)
	if err != nil {
		return nil, err
	}
	p.ws()
	c := &Compare{Left: left, Op: op, Right: right}
	// PEP 685: extra names compare normalized, so store them normalized.
	if left.Variable.normalizesValues() && !right.IsVariable() {
		c.Right.Value = CanonicalName(right.Value)
	} else if right.Variable.normalizesValues() && !left.IsVariable() {
		c.Left.Value = CanonicalName(left.Value)
	}
	return c, nil
}

func parseOperand(p *scanner) (Operand, error) {
	if v, ok := p.variable(); ok {
		return Operand{Variable: v}, nil
	}
	start := p.pos
	if tok, ok := p.quoted(); ok {
		// PEP 508 strings have no escapes; packaging rejects backslashes
		// rather than guess at Python escape rules.
		if strings.IndexByte(tok, '\\') >= 0 {
			return Operand{}, p.errorf(start, p.pos, "Invalid quoted string")
		}
		return Operand{Value: tok[1 : len(tok)-1]}, nil
	}
	return Operand{}, p.errAt("Expected a marker variable or quoted string")
}

func parseOp(p *scanner) (Op, error) {
	switch p.peekWord("in", "not") {
	case "in":
		p.pos += 2
		return OpIn, nil
	case "not":
		p.pos += 3
		if !p.ws() {
			return "", p.errAt("Expected whitespace after 'not'")
		}
		if p.peekWord("in") == "" {
			return "", p.errAt("Expected 'in' after 'not'")
		}
		p.pos += 2
		return OpNotIn, nil
	}
	if o, ok := p.op(); ok {
		return Op(o), nil
	}
	return "", p.errAt("Expected marker operator, one of " + opList)
}
