package testindex

import (
	"fmt"
	"time"
)

// GenerateOptions sizes the generated index.
type GenerateOptions struct {
	// HugeVersions is the number of versions of project "huge"; 0 means 2000.
	HugeVersions int
}

// generatedEpoch is the upload time of the oldest generated version.
var generatedEpoch = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)

// Generated returns an index with the shapes the real fixtures lack:
//
//   - "yanked": 1.0.0 (fine), 1.1.0 (yanked, reason "broken build"),
//     2.0.0 (yanked, no reason), 0.9.0 (fine).
//   - "platform": 1.0.0 with cp312 wheels for manylinux, musllinux, macOS
//     and Windows, a cp38-abi3 wheel and an sdist; 0.9.0 pure.
//   - "huge": HugeVersions versions 0.0.1 … with a py3-none-any wheel each,
//     upload times one hour apart.
//   - "no-upload-time": 1.0.0 with no PEP 700 upload time.
//   - "needs-py312": 2.0.0 requiring Python >=3.12, 1.0.0 requiring >=3.8.
//   - "app": 1.0.0 depending on the others, with an extra "fast".
func Generated(opts GenerateOptions) *Index {
	n := opts.HugeVersions
	if n <= 0 {
		n = 2000
	}
	at := func(h int) time.Time { return generatedEpoch.Add(time.Duration(h) * time.Hour) }
	ix := New()

	y := []*Version{Pure("0.9.0"), Pure("1.0.0"), Pure("1.1.0"), Pure("2.0.0")}
	y[2].Yanked, y[2].YankedReason = true, "broken build"
	y[3].Yanked = true
	for i, v := range y {
		v.UploadTime = at(i)
	}
	ix.Add("yanked", y...)

	plat := &Version{Version: "1.0.0", RequiresPython: ">=3.8", Sdist: true, UploadTime: at(10), WheelTags: []string{
		"cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
		"cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64",
		"cp312-cp312-musllinux_1_1_x86_64",
		"cp312-cp312-macosx_11_0_arm64",
		"cp312-cp312-win_amd64",
		"cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64",
	}}
	old := Pure("0.9.0")
	old.UploadTime = at(9)
	ix.Add("platform", old, plat)

	huge := ix.Add("huge")
	for i := 0; i < n; i++ {
		v := &Version{
			Version:        fmt.Sprintf("%d.%d.%d", i/100, (i/10)%10, i%10+1),
			RequiresPython: ">=3.8",
			RequiresDist:   []string{"yanked>=1.0"},
			WheelTags:      []string{"py3-none-any"},
			UploadTime:     at(100 + i),
		}
		huge.Versions = append(huge.Versions, v)
	}

	ix.Add("no-upload-time", Pure("1.0.0"))

	p38, p312 := Pure("1.0.0"), Pure("2.0.0")
	p38.RequiresPython, p312.RequiresPython = ">=3.8", ">=3.12"
	p38.UploadTime, p312.UploadTime = at(20), at(21)
	ix.Add("needs-py312", p38, p312)

	app := Pure("1.0.0", "yanked>=0.9", "platform", "needs-py312", `huge>=1.0; extra == "fast"`)
	app.ProvidesExtra = []string{"fast"}
	app.UploadTime = at(30)
	ix.Add("app", app)
	return ix
}
