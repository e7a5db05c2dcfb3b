package testcluster

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/google/go-cmp/cmp"
)

var (
	cmpSummary = cmp.AllowUnexported(summary{})
	cmpStep    = cmp.AllowUnexported(step{}, kubeletEvent{})
)

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func splitLines(s string) []string { return strings.Split(s, "\n") }
