// Package grammar parses the scenarios of package testcluster: keywords,
// and clauses with options, "crash:exit=1,times=2;ready:after=5s". It
// depends on nothing but the standard library, so that it can be fuzzed
// without building Kubernetes.
package grammar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// keywords maps each keyword (a single word an image reference may carry)
// to its clauses.
var keywords = map[string]string{
	"ready":         "ready",
	"slow":          "pull:delay=slow",
	"crashloop":     "crash",
	"oomkilled":     "oom",
	"imagepull":     "pull:err=notfound",
	"unauthorized":  "pull:err=unauthorized",
	"ratelimited":   "pull:err=429",
	"readinessfail": "notready",
}

// KeywordNames lists the keywords, sorted.
func KeywordNames() []string {
	names := make([]string, 0, len(keywords))
	for k := range keywords {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// IsKeyword reports whether s is a keyword.
func IsKeyword(s string) bool {
	_, ok := keywords[s]
	return ok
}

// Normalize is s in lower case without white space: the canonical form.
func Normalize(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

// Clause is one parsed clause.
type Clause struct {
	Name string
	Opts map[string]string
	Pods []int // ordinals the clause applies to; nil: every pod
}

// Phase says which part of a container's life a clause scripts: "pull",
// "run" or "probe".
func (c Clause) Phase() string {
	switch c.Name {
	case "pull":
		return "pull"
	case "ready", "notready", "flap":
		return "probe"
	}
	return "run"
}

// clauseOptions lists the options each clause takes, besides pod.
var clauseOptions = map[string][]string{
	"pull":     {"err", "times", "delay"},
	"run":      nil,
	"complete": {"after"},
	"crash":    {"exit", "after", "times"},
	"oom":      {"after", "times"},
	"ready":    {"after"},
	"notready": nil,
	"flap":     {"period"},
}

// Parse parses a normalized scenario into its clauses, expanding
// keywords, and checks every option value.
func Parse(s string) ([]Clause, error) {
	if s == "" {
		return nil, fmt.Errorf("empty: expected a keyword (%s) or clauses such as crash:times=2", keywordList())
	}
	var out []Clause
	for part := range strings.SplitSeq(s, ";") {
		if part == "" {
			return nil, fmt.Errorf("empty clause: expected name[:key=value,...] between the semicolons")
		}
		if exp, ok := keywords[part]; ok && exp != part {
			cs, err := Parse(exp)
			if err != nil {
				return nil, err
			}
			out = append(out, cs...)
			continue
		}
		c, err := parseClause(part)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func keywordList() string { return strings.Join(KeywordNames(), ", ") }

func parseClause(part string) (Clause, error) {
	name, rest, hasOpts := strings.Cut(part, ":")
	allowed, ok := clauseOptions[name]
	if !ok {
		return Clause{}, fmt.Errorf("unknown clause %q: expected a keyword (%s) or one of pull, run, complete, crash, oom, ready, notready, flap", name, keywordList())
	}
	c := Clause{Name: name, Opts: map[string]string{}}
	if !hasOpts {
		return c, nil
	}
	for opt := range strings.SplitSeq(rest, ",") {
		key, val, ok := strings.Cut(opt, "=")
		if !ok || key == "" || val == "" {
			return Clause{}, fmt.Errorf("clause %s: option %q: expected key=value", name, opt)
		}
		if _, dup := c.Opts[key]; dup || (key == "pod" && c.Pods != nil) {
			return Clause{}, fmt.Errorf("clause %s: option %s given twice", name, key)
		}
		if key == "pod" {
			pods, err := ParseOrdinals(val)
			if err != nil {
				return Clause{}, fmt.Errorf("clause %s: pod=%s: %w", name, val, err)
			}
			c.Pods = pods
			continue
		}
		if !slices.Contains(allowed, key) {
			return Clause{}, fmt.Errorf("clause %s: unknown option %q: expected %s", name, key, optionList(allowed))
		}
		if err := checkOption(name, key, val); err != nil {
			return Clause{}, fmt.Errorf("clause %s: %s=%s: %w", name, key, val, err)
		}
		c.Opts[key] = val
	}
	return c, nil
}

func optionList(allowed []string) string {
	return strings.Join(append(slices.Clone(allowed), "pod"), ", ")
}

// ParseOrdinals reads pod ordinals separated by "|".
func ParseOrdinals(v string) ([]int, error) {
	var out []int
	for s := range strings.SplitSeq(v, "|") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1<<20 {
			return nil, fmt.Errorf("expected ordinals (0, 1, …) separated by |")
		}
		out = append(out, n)
	}
	return out, nil
}

func checkOption(clause, key, val string) error {
	switch key {
	case "err":
		if !slices.Contains([]string{"notfound", "unauthorized", "429"}, val) {
			return fmt.Errorf("expected notfound, unauthorized or 429")
		}
	case "times":
		if n, err := strconv.Atoi(val); err != nil || n < 1 || n > 1<<20 {
			return fmt.Errorf("expected a count of 1 or more")
		}
	case "exit":
		if n, err := strconv.Atoi(val); err != nil || n < 0 || n > 255 {
			return fmt.Errorf("expected an exit code 0-255")
		}
	case "delay", "after", "period":
		if clause == "pull" && val == "slow" {
			return nil // Options.SlowReadyDelay, for the Slow keyword
		}
		d, err := time.ParseDuration(val)
		if err != nil || d < 0 || d > time.Hour || (key == "period" && d == 0) {
			return fmt.Errorf("expected a duration such as 300ms or 2s, up to 1h")
		}
	}
	return nil
}

// Applies reports whether the clause applies to the pod with this ordinal
// (-1: unknown).
func (c Clause) Applies(ordinal int) bool {
	return c.Pods == nil || slices.Contains(c.Pods, ordinal)
}
