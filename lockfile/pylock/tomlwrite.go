package pylock

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
)

// emitter accumulates TOML text and remembers the first value it could not
// write, so the writing code stays linear.
type emitter struct {
	b   strings.Builder
	err error
}

func (e *emitter) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// line writes indent, "key = value" and a newline.
func (e *emitter) line(indent, k, v string) {
	e.b.WriteString(indent)
	e.b.WriteString(key(e, k))
	e.b.WriteString(" = ")
	e.b.WriteString(v)
	e.b.WriteByte('\n')
}

// quote writes s as a TOML string. A literal string ('…') is used when s
// holds no single quote and no control character, which keeps markers
// (full of double quotes) readable as in the specification's example; any
// other string becomes a basic string ("…") with escapes. Invalid UTF-8 is
// an error: TOML files are UTF-8 and nothing may be lost.
func quote(e *emitter, s string) string {
	if !utf8.ValidString(s) {
		e.fail(fmt.Errorf("string %q is not valid UTF-8", s))
	}
	if literalSafe(s) {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func literalSafe(s string) bool {
	for _, r := range s {
		if r == '\'' || (r < 0x20 && r != '\t') || r == 0x7f {
			return false
		}
	}
	return true
}

// key writes a TOML key: bare when it only uses A-Za-z0-9_-, quoted
// otherwise.
func key(e *emitter, k string) string {
	if k == "" {
		return `""`
	}
	for _, r := range k {
		if !isBareKeyRune(r) {
			return quote(e, k)
		}
	}
	return k
}

// isBareKeyRune reports whether r may stand in a bare TOML key.
func isBareKeyRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// datetime writes an offset date-time in UTC, RFC 3339 with the fractional
// seconds that are present.
func datetime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// value writes any supported Go value as a single-line TOML value.
func value(e *emitter, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return quote(e, x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return float(x), nil
	case time.Time:
		return datetime(x), nil
	case toml.LocalDate:
		return x.String(), nil
	case toml.LocalTime:
		return x.String(), nil
	case toml.LocalDateTime:
		return x.String(), nil
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = quote(e, s)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case []any:
		parts := make([]string, len(x))
		for i, el := range x {
			s, err := value(e, el)
			if err != nil {
				return "", fmt.Errorf("[%d]: %w", i, err)
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case []map[string]any:
		parts := make([]string, len(x))
		for i, el := range x {
			s, err := inlineTable(e, el)
			if err != nil {
				return "", fmt.Errorf("[%d]: %w", i, err)
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case map[string]any:
		return inlineTable(e, x)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return inlineTable(e, m)
	case nil:
		return "", fmt.Errorf("TOML has no null value")
	default:
		return "", fmt.Errorf("unsupported value of type %T", v)
	}
}

func float(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".en") {
		s += ".0"
	}
	return s
}

// inlineTable writes {k = v, …} with sorted keys.
func inlineTable(e *emitter, m map[string]any) (string, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range sortedKeys(m) {
		s, err := value(e, m[k])
		if err != nil {
			return "", fmt.Errorf("%s: %w", k, err)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(key(e, k))
		b.WriteString(" = ")
		b.WriteString(s)
	}
	b.WriteByte('}')
	return b.String(), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
