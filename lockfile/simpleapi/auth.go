package simpleapi

import (
	"bufio"
	"fmt"
	"net/url"
	"strings"

	"github.com/pydeploy/pydeploy/internal/boundedfile"
)

// credentials are basic-auth credentials for one host.
type credentials struct {
	user, password string
}

// netrcEntry is one machine (or default) entry of a netrc file.
type netrcEntry struct {
	machine, login, password string
}

// parseNetrc reads the netrc format: whitespace-separated tokens
// "machine <host> login <user> password <pw>", "default", and "macdef"
// blocks (skipped up to the next blank line).
func parseNetrc(data string) ([]netrcEntry, error) {
	var out []netrcEntry
	var cur *netrcEntry
	sc := bufio.NewScanner(strings.NewReader(data))
	inMacro := false
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if inMacro {
			if strings.TrimSpace(text) == "" {
				inMacro = false
			}
			continue
		}
		fields := strings.Fields(text)
		for i := 0; i < len(fields); i++ {
			tok := fields[i]
			if strings.HasPrefix(tok, "#") {
				break
			}
			next := func() (string, error) {
				if i+1 >= len(fields) {
					return "", fmt.Errorf("netrc line %d: %q needs a value", line, tok)
				}
				i++
				return fields[i], nil
			}
			switch tok {
			case "machine":
				v, err := next()
				if err != nil {
					return nil, err
				}
				out = append(out, netrcEntry{machine: v})
				cur = &out[len(out)-1]
			case "default":
				out = append(out, netrcEntry{})
				cur = &out[len(out)-1]
			case "login", "password", "account":
				v, err := next()
				if err != nil {
					return nil, err
				}
				if cur == nil {
					return nil, fmt.Errorf("netrc line %d: %q before any machine", line, tok)
				}
				switch tok {
				case "login":
					cur.login = v
				case "password":
					cur.password = v
				}
			case "macdef":
				inMacro = true
				i = len(fields)
			default:
				return nil, fmt.Errorf("netrc line %d: unexpected token (expected machine, default, login, password, account or macdef)", line)
			}
		}
	}
	return out, nil
}

// lookupNetrc returns the credentials for host: its machine entry, else the
// default entry.
func lookupNetrc(entries []netrcEntry, host string) (credentials, bool) {
	var def *netrcEntry
	for i := range entries {
		e := &entries[i]
		if e.machine == "" {
			if def == nil {
				def = e
			}
			continue
		}
		if strings.EqualFold(e.machine, host) {
			return credentials{e.login, e.password}, true
		}
	}
	if def != nil {
		return credentials{def.login, def.password}, true
	}
	return credentials{}, false
}

// maxNetrcSize bounds the netrc file read (1 MiB); real ones hold a few
// lines.
const maxNetrcSize = 1 << 20

func loadNetrc(path string) ([]netrcEntry, error) {
	data, err := boundedfile.ReadFile(path, maxNetrcSize, "a netrc file")
	if err != nil {
		return nil, fmt.Errorf("simpleapi: reading netrc %s: %w", path, err)
	}
	entries, err := parseNetrc(string(data))
	if err != nil {
		return nil, fmt.Errorf("simpleapi: netrc %s: %w", path, err)
	}
	return entries, nil
}

// stripCredentials returns u without user info, and the credentials it held.
func stripCredentials(u *url.URL) (*url.URL, credentials, bool) {
	c := *u
	if c.User == nil {
		return &c, credentials{}, false
	}
	pw, _ := c.User.Password()
	cred := credentials{c.User.Username(), pw}
	c.User = nil
	return &c, cred, true
}

// Redact returns rawURL with any user information replaced by "***", for
// messages and logs. Unparsable input is replaced entirely.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		if i := strings.LastIndex(rawURL, "@"); i >= 0 {
			if j := strings.Index(rawURL, "://"); j >= 0 && j < i {
				return rawURL[:j+3] + "***" + rawURL[i:]
			}
		}
		return "<unparsable URL>"
	}
	if u.User == nil {
		return rawURL
	}
	u.User = nil
	s := u.String()
	return strings.Replace(s, "://", "://***@", 1)
}
