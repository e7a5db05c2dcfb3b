// Package image builds, pushes and verifies the container image of a
// Python service from its lock, with go-containerregistry and without a
// Docker engine: the step between a pylock.toml and a Deployment pinned
// by digest.
//
// Build assembles an OCI image from a base image pinned by digest, one
// layer holding the virtual environment lockfile/install writes for the
// image's target (at Spec.VenvDir, /opt/venv by default), one holding the
// application directory (Spec.Source at Spec.WorkDir, /app, minus
// gitignore-style exclude patterns; links may not leave it), and a config:
// user 10001 (deploy's default), the working directory, PATH and
// VIRTUAL_ENV for the environment, the entrypoint and command of the
// server preset (ProcessFrom reads them from the Deployment deploy
// renders), and labels carrying the stamp (lock hash, git SHA, library
// version, target, base digest). It is byte-reproducible: same lock, base,
// source and options give the same digest on any machine (fixed modes and
// times from Spec.Created or SOURCE_DATE_EPOCH, owner-less tar headers,
// timestamp-free gzip). A lock with several targets gives a multi-platform
// index. Built.Push writes it to a registry and returns the reference
// pinned by digest, for deploy.App.WithImage and manifest.Stamp.
//
// Verify reads any image (built here or by `docker build` with pip),
// flattens its layers with whiteouts and opaque directories honoured,
// finds the environment's *.dist-info and reports drift against the lock:
// missing, extra and different-version packages, and files that are
// missing, contradict their RECORD hash or sit in site-packages without
// any RECORD (a dropped .pth file). The Report prints as text or JSON;
// examples/image-check is the CI helper around it.
//
// Remote says how registries are reached: authn.DefaultKeychain (docker's
// config.json and credential helpers) unless told otherwise, plain HTTP
// for localhost, go-containerregistry's retries.
package image
