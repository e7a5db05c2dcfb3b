package pep440

import (
	"math"
	"math/big"
	"strconv"
)

// num is a non-negative integer of any size in an order-preserving
// encoding: a 2-byte big-endian byte count, then the magnitude in minimal
// big-endian bytes (zero has count 0). Comparing two nums as strings
// compares the numbers, and concatenated nums compare component by
// component, which is how a release compares. PEP 440 puts no bound on a
// numeric component and packaging compares them as Python ints, so
// "1.18446744073709551616" (2^64) is a valid version that sorts after
// "1.18446744073709551615".
type num string

// numZero is the encoding of 0.
const numZero num = "\x00\x00"

// smallNums holds the encodings of 0..255, which most components are, so
// that parsing them allocates nothing.
var smallNums = func() (t [256]num) {
	for i := range t {
		if i == 0 {
			t[i] = numZero
		} else {
			t[i] = num([]byte{0, 1, byte(i)})
		}
	}
	return t
}()

// numFromUint encodes n.
func numFromUint(n uint64) num {
	if n < uint64(len(smallNums)) {
		return smallNums[n]
	}
	var buf [10]byte
	l := 0
	for x := n; x > 0; x >>= 8 {
		l++
	}
	buf[0], buf[1] = 0, byte(l)
	for i := 0; i < l; i++ {
		buf[2+l-1-i] = byte(n >> (8 * i))
	}
	return num(buf[:2+l])
}

// numFromDigits encodes a non-empty run of ASCII digits (leading zeros
// allowed). The digit count is bounded by MaxVersionLength, so the
// encoding always fits its 2-byte length.
func numFromDigits(d string) num {
	if len(d) <= 19 {
		n, err := strconv.ParseUint(d, 10, 64)
		if err == nil {
			return numFromUint(n)
		}
	}
	var b big.Int
	b.SetString(d, 10)
	mag := b.Bytes()
	out := make([]byte, 2+len(mag))
	out[0], out[1] = byte(len(mag)>>8), byte(len(mag))
	copy(out[2:], mag)
	return num(out)
}

// mag returns the magnitude bytes.
func (n num) mag() string {
	if len(n) < 2 {
		return ""
	}
	return string(n[2:])
}

func (n num) isZero() bool { return len(n.mag()) == 0 }

// uint64 returns the value and whether it fits.
func (n num) uint64() (uint64, bool) {
	m := n.mag()
	if len(m) > 8 {
		return 0, false
	}
	var x uint64
	for i := 0; i < len(m); i++ {
		x = x<<8 | uint64(m[i])
	}
	return x, true
}

// Int returns the value, or MaxComponent when it does not fit an int.
func (n num) Int() int {
	x, ok := n.uint64()
	if !ok || x > MaxComponent {
		return MaxComponent
	}
	return int(x)
}

// String writes the value in decimal.
func (n num) String() string {
	if x, ok := n.uint64(); ok {
		return strconv.FormatUint(x, 10)
	}
	var b big.Int
	b.SetBytes([]byte(n.mag()))
	return b.Text(10)
}

// plusOne returns n+1.
func (n num) plusOne() num {
	if x, ok := n.uint64(); ok && x < math.MaxUint64 {
		return numFromUint(x + 1)
	}
	var b big.Int
	b.SetBytes([]byte(n.mag()))
	b.Add(&b, big.NewInt(1))
	return numFromDigits(b.Text(10))
}

// splitNum returns the first num of an encoded sequence and the rest.
func splitNum(s string) (num, string) {
	l := int(s[0])<<8 | int(s[1])
	return num(s[:2+l]), s[2+l:]
}

// appendDigits appends the encoding of a run of digits to b.
func appendDigits(b []byte, d string) []byte {
	if len(d) <= 18 {
		var x uint64
		for i := 0; i < len(d); i++ {
			x = x*10 + uint64(d[i]-'0')
		}
		return append(b, numFromUint(x)...)
	}
	return append(b, numFromDigits(d)...)
}

// prefixNums returns the first n nums of an encoded sequence.
func prefixNums(s string, n int) string {
	rest := s
	for range n {
		_, rest = splitNum(rest)
	}
	return s[:len(s)-len(rest)]
}

// nums decodes a concatenation of nums.
func nums(s string) []num {
	var out []num
	for len(s) > 0 {
		var n num
		n, s = splitNum(s)
		out = append(out, n)
	}
	return out
}
