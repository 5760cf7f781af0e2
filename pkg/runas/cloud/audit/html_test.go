package audit_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ssm-runas/ssm-runas/internal/motoserver"
	"github.com/ssm-runas/ssm-runas/internal/testtools"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/audit"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
)

// chromium runs headless Chromium with args and returns what it printed on
// stdout and its log (console messages show as INFO:CONSOLE lines).
func chromium(t *testing.T, args ...string) (stdout, log string) {
	t.Helper()
	bin := testtools.Require(t, "chromium", "apt-get install -y chromium")
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + t.TempDir()}, args...)
	cmd := exec.Command(bin, all...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "chromium: %s", errb.String())
	return out.String(), errb.String()
}

// testHTMLReport renders the report of the seeded organization and opens
// it in a real browser: the page runs its script without a console
// message, has one grid cell per target, opens a cell's findings, and the
// screenshot shows the status colours.
func testHTMLReport(t *testing.T, srv *motoserver.Server) {
	srv.Reset(t)
	w := build(t, srv.URL, srv, awsorg.FactoryOptions{})
	rep, err := audit.Run(motoserver.Context(t), w.cfg, w.sources(), audit.Options{})
	require.NoError(t, err)
	var page bytes.Buffer
	require.NoError(t, rep.WriteHTML(&page))
	assert.NotContains(t, page.String(), "<script src", "the page is self-contained")
	assert.NotContains(t, page.String(), `<link rel="stylesheet"`)
	path := filepath.Join(t.TempDir(), "audit.html")
	require.NoError(t, os.WriteFile(path, page.Bytes(), 0o644))

	// The first drift cell, opened by link as a click opens it.
	cell := regexp.MustCompile(`<td class="cell drift" id="(t\d+)" data-target="([^"]+)"`).FindStringSubmatch(page.String())
	require.NotNil(t, cell, "a drift cell in the grid")
	dom, log := chromium(t, "--dump-dom", "file://"+path+"#"+cell[1])
	assert.NotContains(t, log, "CONSOLE", "the page logs nothing and throws nothing")
	assert.Contains(t, dom, `data-ready="true"`, "the page's script ran to its end")
	assert.Equal(t, len(rep.Targets), strings.Count(dom, `<td class="cell `), "one cell per target")
	for _, a := range w.org.Accounts {
		assert.Contains(t, dom, "<th>"+a+"</th>", "a row per account")
	}
	for _, ou := range w.org.OUs {
		assert.Contains(t, dom, ou, "accounts grouped by OU")
	}
	details := regexp.MustCompile(`(?s)<div id="details">(.*?)</div>`).FindStringSubmatch(dom)
	require.NotNil(t, details)
	assert.Contains(t, details[1], cell[2]+": drift", "the linked cell's findings are shown")
	assert.Contains(t, details[1], "<li><b>", "with its findings")
	assert.Contains(t, dom, "scp-attachment", "the organization findings are above the grid")
	assert.Contains(t, dom, "value-stale", "and the Identity Center findings")

	shot := filepath.Join(t.TempDir(), "audit.png")
	if d := os.Getenv("AUDIT_HTML_KEEP"); d != "" {
		shot = filepath.Join(d, "audit.png")
	}
	_, log = chromium(t, "--window-size=1400,2000", "--screenshot="+shot, "file://"+path)
	assert.NotContains(t, log, "CONSOLE")
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	for name, c := range map[string]color.RGBA{
		"compliant": {0xb7, 0xe4, 0xb0, 0xff}, "drift": {0xff, 0xd9, 0x8a, 0xff}, "missing": {0xf4, 0xa3, 0xa3, 0xff},
	} {
		assert.True(t, hasColour(img, c), "the screenshot shows %s cells", name)
	}
}

func hasColour(img image.Image, want color.RGBA) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(bl>>8) == want.B {
				return true
			}
		}
	}
	return false
}
