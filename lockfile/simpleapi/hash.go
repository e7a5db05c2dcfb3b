package simpleapi

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strings"
)

// hashAlgorithms are the hashlib names the Simple API may use, strongest
// first; the strongest one an index offers is checked.
var hashAlgorithms = []struct {
	name string
	new  func() hash.Hash
}{
	{"sha512", sha512.New},
	{"sha384", sha512.New384},
	{"sha256", sha256.New},
	{"sha224", sha256.New224},
	{"sha1", sha1.New},
	{"md5", md5.New},
}

// verifyHashes checks body against the strongest known algorithm in want
// (keys lower-case hashlib names, values hex). With no known algorithm it
// accepts the body: there is nothing to check against.
func verifyHashes(name string, want map[string]string, body []byte) error {
	for _, a := range hashAlgorithms {
		w, ok := want[a.name]
		if !ok {
			continue
		}
		h := a.new()
		h.Write(body)
		got := hex.EncodeToString(h.Sum(nil))
		if !strings.EqualFold(got, w) {
			return &HashMismatchError{File: name, Algorithm: a.name, Want: strings.ToLower(w), Got: got}
		}
		return nil
	}
	return nil
}
