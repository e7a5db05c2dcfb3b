package pubgrub

import (
	"strconv"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// Format says how Explain names things.
type Format struct {
	// Root is the root package's name; its terms are written as Display(Root)
	// without a version.
	Root string
	// Display maps a package name to the text shown for it; nil shows the
	// name unchanged.
	Display func(pkg string) string
}

func (f Format) name(pkg string) string {
	if f.Display != nil {
		return f.Display(pkg)
	}
	return pkg
}

// term writes a term as its positive statement ("a>=1.0, <2.0.dev0";
// a negative term is written as the versions it excludes).
func (f Format) term(t Term) string {
	if t.Package == f.Root {
		return f.name(t.Package)
	}
	if t.Range.IsFull() {
		return f.name(t.Package)
	}
	return f.name(t.Package) + RangeString(t.Range)
}

// RangeString writes r in PEP 440 specifier spelling where that names
// exactly the same versions, since that is what users wrote (see
// pep440.Range.SpecifierString): "!=1.8, !=1.8.1" rather than the interval
// bounds "<1.8 || >=1.8.post0.dev0, <1.8.1 || …", "<2" rather than "<2.dev0"
// (which excludes 2's pre-releases), "==1.0" (which admits 1.0+local),
// ">1.0" and "<=1.0". Bounds no clause names are rewritten one by one.
func RangeString(r pep440.Range) string {
	s := r.SpecifierString()
	if !strings.Contains(s, ".dev0") && !strings.Contains(s, ".*") {
		return s
	}
	alts := strings.Split(s, " || ")
	for i, alt := range alts {
		bounds := strings.Split(alt, ", ")
		if len(bounds) == 2 {
			lo, okLo := strings.CutPrefix(bounds[0], ">=")
			hi, okHi := strings.CutPrefix(bounds[1], "<")
			if okLo && okHi && isFinal(lo) && hi == lo+".post0.dev0" {
				alts[i] = "==" + lo
				continue
			}
		}
		for j, b := range bounds {
			bounds[j] = rewriteBound(b)
		}
		alts[i] = strings.Join(bounds, ", ")
	}
	return strings.Join(alts, " || ")
}

func isFinal(s string) bool {
	v, err := pep440.Parse(s)
	if err != nil {
		return false
	}
	_, _, pre := v.Pre()
	return !pre && !v.IsPostrelease() && !v.IsDevrelease() && v.Local() == ""
}

func rewriteBound(b string) string {
	if v, ok := strings.CutPrefix(b, ">"); ok && !strings.HasPrefix(v, "=") {
		if base, ok := strings.CutSuffix(v, ".*"); ok && isFinal(base) {
			return ">" + base
		}
		return b
	}
	if v, ok := strings.CutPrefix(b, "<"); ok && !strings.HasPrefix(v, "=") {
		if base, ok := strings.CutSuffix(v, ".post0.dev0"); ok && isFinal(base) {
			return "<=" + base
		}
		if base, ok := strings.CutSuffix(v, ".dev0"); ok && isFinal(base) {
			return "<" + base
		}
	}
	return b
}

// String renders ic as one clause.
func (f Format) String(ic *Incompatibility) string {
	switch ic.Kind {
	case KindRoot:
		return f.name(f.Root) + " is the root"
	case KindNoVersions:
		t := ic.Terms[0]
		if t.Range.IsFull() {
			return "there is no version of " + f.name(t.Package)
		}
		return "there is no version of " + f.term(t)
	case KindUnavailable:
		return f.term(ic.Terms[0]) + " " + ic.Reason
	case KindDependency:
		if len(ic.Terms) == 1 {
			return f.term(ic.Terms[0]) + " depends on itself at another version"
		}
		return f.term(ic.Terms[0]) + " depends on " + f.term(ic.Terms[1])
	}
	return f.derived(ic)
}

func (f Format) derived(ic *Incompatibility) string {
	var pos, neg []Term
	for _, t := range ic.Terms {
		if t.Positive {
			pos = append(pos, t)
		} else {
			neg = append(neg, t)
		}
	}
	switch {
	case len(ic.Terms) == 0 || (len(ic.Terms) == 1 && pos != nil && pos[0].Package == f.Root):
		return "version solving failed"
	case len(ic.Terms) == 1 && pos != nil:
		return f.term(pos[0]) + " is forbidden"
	case len(ic.Terms) == 1:
		return f.term(neg[0]) + " is required"
	case len(pos) == 1 && len(neg) == 1:
		return f.term(pos[0]) + " requires " + f.term(neg[0])
	case len(pos) == 2 && len(neg) == 0:
		return f.term(pos[0]) + " is incompatible with " + f.term(pos[1])
	case len(neg) == 0:
		return "one of " + f.list(pos, "and") + " must be false"
	case len(pos) == 0:
		return "one of " + f.list(neg, "or") + " must be true"
	}
	return "if " + f.list(pos, "and") + " then " + f.list(neg, "or")
}

func (f Format) list(ts []Term, conj string) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = f.term(t)
	}
	if len(parts) <= 2 {
		return strings.Join(parts, " "+conj+" ")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + ", " + conj + " " + parts[len(parts)-1]
}

// Explain renders the derivation tree under ic as numbered English
// sentences, one step per line, in the style of pub and pubgrub-rs:
//
//	Because a>=1.0 depends on b<2.0.dev0 and root depends on b>=2.0, a>=1.0 is forbidden.
//	And because root depends on a, version solving failed.
//
// A derived fact used more than once gets a number "(1)" at the end of the
// line that concludes it, and later lines refer to it by that number instead
// of repeating its derivation.
func Explain(ic *Incompatibility, f Format) string {
	r := &reporter{f: f, counts: map[*Incompatibility]int{}, numbers: map[*Incompatibility]int{}}
	r.count(ic)
	if ic.derived() {
		r.visit(ic, false)
	} else {
		r.write(ic, "Because "+f.String(ic)+", version solving failed.", false)
	}
	var b strings.Builder
	for i, l := range r.lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.text)
		if l.num > 0 {
			b.WriteString(" (" + strconv.Itoa(l.num) + ")")
		}
	}
	return b.String()
}

type line struct {
	text string
	num  int
}

type reporter struct {
	f       Format
	counts  map[*Incompatibility]int
	numbers map[*Incompatibility]int
	lines   []line
}

func (r *reporter) count(ic *Incompatibility) {
	r.counts[ic]++
	if r.counts[ic] == 1 && ic.derived() {
		r.count(ic.Cause1)
		r.count(ic.Cause2)
	}
}

func (r *reporter) write(ic *Incompatibility, text string, numbered bool) {
	if numbered {
		n := len(r.numbers) + 1
		r.numbers[ic] = n
		r.lines = append(r.lines, line{text: text, num: n})
		return
	}
	r.lines = append(r.lines, line{text: text})
}

func (r *reporter) ref(ic *Incompatibility) string {
	return r.f.String(ic) + " (" + strconv.Itoa(r.numbers[ic]) + ")"
}

func (r *reporter) visit(ic *Incompatibility, conclusion bool) {
	numbered := conclusion || r.counts[ic] > 1
	s := r.f.String(ic)
	c1, c2 := ic.Cause1, ic.Cause2
	switch {
	case c1.derived() && c2.derived():
		_, ok1 := r.numbers[c1]
		_, ok2 := r.numbers[c2]
		switch {
		case ok1 && ok2:
			r.write(ic, "Because "+r.ref(c1)+" and "+r.ref(c2)+", "+s+".", numbered)
		case ok1 || ok2:
			with, without := c1, c2
			if ok2 {
				with, without = c2, c1
			}
			r.visit(without, false)
			r.write(ic, "And because "+r.ref(with)+", "+s+".", numbered)
		default:
			single1, single2 := r.singleLine(c1), r.singleLine(c2)
			if single1 || single2 {
				first, second := c1, c2
				if single1 {
					first, second = c2, c1
				}
				r.visit(first, false)
				r.visit(second, false)
				r.write(ic, "Thus, "+s+".", numbered)
			} else {
				r.visit(c1, true)
				r.lines = append(r.lines, line{})
				r.visit(c2, false)
				r.write(ic, "And because "+r.ref(c1)+", "+s+".", numbered)
			}
		}
	case c1.derived() || c2.derived():
		derived, ext := c1, c2
		if c2.derived() {
			derived, ext = c2, c1
		}
		if _, ok := r.numbers[derived]; ok {
			r.write(ic, "Because "+r.f.String(ext)+" and "+r.ref(derived)+", "+s+".", numbered)
		} else if r.collapsible(derived) {
			inner, innerExt := derived.Cause1, derived.Cause2
			if !inner.derived() {
				inner, innerExt = innerExt, inner
			}
			r.visit(inner, false)
			r.write(ic, "And because "+r.f.String(innerExt)+" and "+r.f.String(ext)+", "+s+".", numbered)
		} else {
			r.visit(derived, false)
			r.write(ic, "And because "+r.f.String(ext)+", "+s+".", numbered)
		}
	default:
		r.write(ic, "Because "+r.f.String(c1)+" and "+r.f.String(c2)+", "+s+".", numbered)
	}
}

// singleLine reports whether ic is derived from two external facts, so its
// explanation fits on one line.
func (r *reporter) singleLine(ic *Incompatibility) bool {
	return !ic.Cause1.derived() && !ic.Cause2.derived()
}

// collapsible reports whether a derived ic used once, with exactly one
// derived cause that has no number yet, can be folded into the next line.
func (r *reporter) collapsible(ic *Incompatibility) bool {
	if r.counts[ic] > 1 {
		return false
	}
	if ic.Cause1.derived() == ic.Cause2.derived() {
		return false
	}
	inner := ic.Cause1
	if !inner.derived() {
		inner = ic.Cause2
	}
	_, numbered := r.numbers[inner]
	return !numbered
}
