// Package rollouttest lets users unit-test their own CI helpers' waiting
// logic without a cluster: a script of object states (YAML or typed objects)
// at fake-clock times drives the real rollout engine — the same status rules,
// the same progress events, the same typed errors — so a test can assert how
// a helper reacts to a crash loop at 12s or a timeout at 3m in microseconds.
//
// A script is built with New, then At(d, objects...) for each state change
// (Deployments, their ReplicaSets and Pods, Events, Jobs, …), Delete and Logs
// where needed, and Horizon for how far the fake clock may run. Waiter(opts)
// returns a *rollout.Waiter on a fake clock starting at Epoch; Source gives
// the rollout.Source alone, to combine with rollout.NewWaiter.
package rollouttest
