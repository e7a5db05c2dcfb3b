package manifest

import (
	"fmt"
	"slices"
	"strings"
)

// MissingVarsError lists every variable a text referred to that had no
// value. It is returned by [Expand] and its relatives instead of silently
// substituting empty strings.
type MissingVarsError struct {
	// Names holds every missing variable, sorted and de-duplicated,
	// including those in Empty.
	Names []string
	// Empty holds the subset of Names that were set to the empty string.
	Empty []string
}

// Error lists the missing names, then those among them set but empty.
func (e *MissingVarsError) Error() string {
	msg := "missing variables: " + strings.Join(e.Names, ", ")
	if len(e.Empty) > 0 {
		msg += " (set but empty: " + strings.Join(e.Empty, ", ") + ")"
	}
	return msg
}

// SyntaxError is a malformed variable reference.
type SyntaxError struct {
	// Offset is the byte offset of the "$" that starts the reference.
	Offset int
	// Reason says what is wrong.
	Reason string
}

// Error reports the offset and the reason.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("variable reference at offset %d: %s", e.Offset, e.Reason)
}

// Lookup returns the value of a variable and whether it is set.
// os.LookupEnv is one; [MapLookup] makes one from a map.
type Lookup func(name string) (value string, ok bool)

// MapLookup returns a [Lookup] over vars.
func MapLookup(vars map[string]string) Lookup {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// Expander substitutes ${NAME} references. The zero value has no variables;
// set Lookup.
type Expander struct {
	// Lookup resolves variable names. A nil Lookup knows no variables.
	Lookup Lookup
	// AllowEmpty accepts variables set to the empty string. By default
	// they count as missing: an empty image tag or git SHA is nearly always
	// an unset CI variable exported as "".
	AllowEmpty bool
}

// Expand substitutes ${NAME} references in s using lookup; see [Expander.Expand].
func Expand(s string, lookup Lookup) (string, error) {
	return Expander{Lookup: lookup}.Expand(s)
}

// ExpandBytes is [Expand] on a byte slice. To expand manifests prefer
// [ExpandObjects], which substitutes after parsing so that a value cannot
// change the YAML structure.
func ExpandBytes(b []byte, lookup Lookup) ([]byte, error) {
	out, err := Expand(string(b), lookup)
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}

// Expand substitutes every ${NAME} in s, where NAME is a letter or
// underscore followed by letters, digits or underscores. "$$" stands for a
// literal "$", and a "$" followed by anything else is kept as it is, so
// "$HOME" and "echo $1" pass through untouched. Values are inserted
// verbatim and never expanded again.
//
// Every unset (or, unless AllowEmpty, empty) variable is collected into one
// [*MissingVarsError]; a malformed reference ("${", "${1X}", "${A:-b}") is a
// [*SyntaxError]. On error the returned string is empty.
func (x Expander) Expand(s string) (string, error) {
	var missing, empty []string
	out, err := x.expand(s, &missing, &empty)
	if err != nil {
		return "", err
	}
	if err := missingError(missing, empty); err != nil {
		return "", err
	}
	return out, nil
}

func missingError(missing, empty []string) error {
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	slices.Sort(empty)
	return &MissingVarsError{Names: slices.Compact(missing), Empty: slices.Compact(empty)}
}

// expand does the substitution and appends missing names instead of failing,
// so that callers expanding many strings can report them all at once.
func (x Expander) expand(s string, missing, empty *[]string) (string, error) {
	if strings.IndexByte(s, '$') < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for pos := 0; pos < len(s); {
		i := strings.IndexByte(s[pos:], '$')
		if i < 0 {
			b.WriteString(s[pos:])
			break
		}
		b.WriteString(s[pos : pos+i])
		pos += i
		rest := s[pos:]
		switch {
		case strings.HasPrefix(rest, "$$"):
			b.WriteByte('$')
			pos += 2
		case strings.HasPrefix(rest, "${"):
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return "", &SyntaxError{Offset: pos, Reason: `"${" without a closing "}"`}
			}
			name := rest[2:end]
			if !validVarName(name) {
				return "", &SyntaxError{Offset: pos, Reason: fmt.Sprintf("invalid variable name %q: expected ${NAME}, NAME made of letters, digits and underscores and not starting with a digit (defaults and other shell forms are not supported)", name)}
			}
			v, ok := x.lookup(name)
			switch {
			case !ok:
				*missing = append(*missing, name)
			case v == "" && !x.AllowEmpty:
				*missing = append(*missing, name)
				*empty = append(*empty, name)
			default:
				b.WriteString(v)
			}
			pos += end + 1
		default:
			b.WriteByte('$')
			pos++
		}
	}
	return b.String(), nil
}

func (x Expander) lookup(name string) (string, bool) {
	if x.Lookup == nil {
		return "", false
	}
	return x.Lookup(name)
}

func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
