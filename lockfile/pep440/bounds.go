package pep440

import "strings"

// This file holds the version arithmetic behind PEP 440's exclusive
// operators: the first version outside "<V", ">V", "<=V" and "==V".

// minVersion is the smallest PEP 440 version, 0.dev0.
var minVersion = makeVersion(numZero, string(numZero), 0, numZero, flagDev, numZero, numZero)

// withoutLocal returns v with its local label ignored by Compare. The
// result is only for comparison; its String keeps the label.
func withoutLocal(v Version) Version {
	v.flags &^= flagLocal
	return v
}

// compareRelease compares epoch and release (trailing zeros ignored) only.
func compareRelease(v, w Version) int {
	if v.epoch != w.epoch {
		return strings.Compare(string(v.epoch), string(w.epoch))
	}
	return strings.Compare(v.rel[:v.relCmp], w.rel[:w.relCmp])
}

// prefixMatch reports whether v's epoch equals p's and v's release, padded
// with zeros, starts with the first n components of p's release.
func prefixMatch(v, p Version, n int) bool {
	if v.epoch != p.epoch {
		return false
	}
	vr, pr := v.rel, p.rel
	for range n {
		c := numZero
		if len(vr) > 0 {
			c, vr = splitNum(vr)
		}
		var want num
		want, pr = splitNum(pr)
		if c != want {
			return false
		}
	}
	return true
}

// exclusiveBound returns, for "<V", the smallest version "<V" rejects (V
// itself when V is a pre-release, V.dev0 otherwise, so that pre-releases of
// V are excluded), and for ">V" the smallest version ">V" admits, or the
// zero Version when V is a final release: then ">V" admits exactly the
// versions whose release is greater than V's, and no single smallest one
// exists (1.0.0.1 > 1.0.0.0.1 > ... are all above every 1.0.postN).
func exclusiveBound(op Operator, v Version) Version {
	switch op {
	case OpLess:
		if v.IsPrerelease() {
			return v
		}
		return v.with(v.preKind, v.pre, v.flags&flagPost, v.post, true, numZero)
	case OpGreater:
		switch {
		case v.flags&flagDev != 0:
			return v.with(v.preKind, v.pre, v.flags&flagPost, v.post, true, v.dev.plusOne())
		case v.flags&flagPost != 0:
			return v.with(v.preKind, v.pre, flagPost, v.post.plusOne(), true, numZero)
		case v.preKind != 0:
			return v.with(v.preKind, v.pre.plusOne(), 0, numZero, true, numZero)
		}
	}
	return Version{}
}

// with returns v's epoch and release with the given pre/post/dev segments
// and no local label.
func (v Version) with(preKind uint8, pre num, post uint8, postN num, dev bool, devN num) Version {
	flags := post & flagPost
	if dev {
		flags |= flagDev
	}
	return makeVersion(v.epoch, v.rel, preKind, pre, flags, postN, devN)
}

// afterLocals returns the smallest version above v and every v+local
// (v without local): v.dev(N+1) for a dev release, v.post(N+1).dev0 for a
// post-release, v.post0.dev0 otherwise.
func afterLocals(v Version) Version {
	switch {
	case v.flags&flagDev != 0:
		return v.with(v.preKind, v.pre, v.flags&flagPost, v.post, true, v.dev.plusOne())
	case v.flags&flagPost != 0:
		return v.with(v.preKind, v.pre, flagPost, v.post.plusOne(), true, numZero)
	}
	return v.with(v.preKind, v.pre, flagPost, numZero, true, numZero)
}

// releaseDev0 returns the smallest version with v's epoch and the first n
// release components of v: 1.2.dev0 for (1.2.3, 2).
func releaseDev0(v Version, n int) Version {
	return makeVersion(v.epoch, prefixNums(v.rel, n), 0, numZero, flagDev, numZero, numZero)
}

// nextPrefixDev0 returns the smallest version past every version matching
// the first n release components of v: 1.3.dev0 for (1.2.3, 2).
func nextPrefixDev0(v Version, n int) Version {
	head := prefixNums(v.rel, n-1)
	last, _ := splitNum(v.rel[len(head):])
	return makeVersion(v.epoch, head+string(last.plusOne()), 0, numZero, flagDev, numZero, numZero)
}
