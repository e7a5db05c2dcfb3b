package testcluster

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// startEtcd runs etcd in-process with its data under dir, on free
// 127.0.0.1 ports, and waits until it serves. It returns the client URL.
func startEtcd(ctx context.Context, dir string, logs *logSink) (*embed.Etcd, string, error) {
	var lastErr error
	for range 3 { // a free port can be taken between probing and listening
		e, clientURL, err := tryStartEtcd(ctx, dir, logs)
		if err == nil {
			return e, clientURL, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", lastErr
}

func tryStartEtcd(ctx context.Context, dir string, logs *logSink) (*embed.Etcd, string, error) {
	clientURL, err := freeURL()
	if err != nil {
		return nil, "", err
	}
	peerURL, err := freeURL()
	if err != nil {
		return nil, "", err
	}
	cfg := embed.NewConfig()
	cfg.Name = "testcluster"
	cfg.Dir = filepath.Join(dir, "etcd")
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	cfg.ListenPeerUrls = []url.URL{*peerURL}
	cfg.AdvertisePeerUrls = []url.URL{*peerURL}
	cfg.InitialCluster = cfg.Name + "=" + peerURL.String()
	cfg.UnsafeNoFsync = true // a test control plane need not survive a power cut
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.New(zapcore.NewCore(
		zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()), zapcore.AddSync(logs), zapcore.WarnLevel)))
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("start etcd in %s: %w", cfg.Dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, clientURL.String(), nil
	case err := <-e.Err():
		e.Close()
		return nil, "", fmt.Errorf("etcd on %s failed while starting: %w", clientURL, err)
	case <-time.After(time.Minute):
		e.Close()
		return nil, "", fmt.Errorf("etcd on %s not ready after a minute", clientURL)
	case <-ctx.Done():
		e.Close()
		return nil, "", fmt.Errorf("wait for etcd on %s: %w", clientURL, ctx.Err())
	}
}

// freeURL is an http URL on a 127.0.0.1 port that was free a moment ago.
func freeURL() (*url.URL, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	return &url.URL{Scheme: "http", Host: addr}, nil
}
