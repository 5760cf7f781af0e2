package sambaad

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// PackagesInstallCommand installs what LocalPackageRepository needs besides
// InstallCommand: dpkg-repack rebuilds installed packages as .deb files,
// dpkg-scanpackages (dpkg-dev) indexes them.
const PackagesInstallCommand = "apt-get install -y --no-install-recommends dpkg-repack dpkg-dev"

// packageOverlays are the directories apt and dpkg write to when they
// install: inside the namespaces each becomes an overlay whose writes land
// in a tmpfs, so the machine's packages, its dpkg database, apt's state and
// caches (and debconf's, under /var/cache) are never touched. /etc and
// /var/log are private copies already.
var packageOverlays = []string{"/usr", "/var/lib/dpkg", "/var/lib/apt", "/var/cache"}

// overlayScript mounts the overlays, then leaves apt one source: the local
// repository (a flat one, trusted as a file the test wrote itself).
const overlayScript = `set -euo pipefail
state="$1" repo="$2"
shift 2
mkdir -p "$state/overlays"
mount -t tmpfs -o mode=0700 tmpfs "$state/overlays"
for dir in "$@"; do
  name="${dir//\//_}"
  mkdir -p "$state/overlays/$name/upper" "$state/overlays/$name/work"
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$state/overlays/$name/upper,workdir=$state/overlays/$name/work" "$dir"
  [ "$(findmnt -n -o FSTYPE --target "$dir")" = overlay ] || { echo "$dir is not an overlay" >&2; exit 1; }
done
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
echo "deb [trusted=yes] file:$repo ./" >/etc/apt/sources.list.d/ssm-runas-test.list
# The repository is under the test's private temporary directory, which
# apt's unprivileged download user cannot read.
echo 'APT::Sandbox::User "root";' >/etc/apt/apt.conf.d/99ssm-runas-test
`

// LocalPackageRepository lets apt inside the namespaces install exactly
// packages, offline: each is rebuilt from what is installed on the machine
// (dpkg-repack, the same version and files) into a flat repository in the
// shared directory, which becomes apt's only source. /usr, /var/lib/dpkg,
// /var/lib/apt and /var/cache become overlays on a tmpfs first, so what apt
// and dpkg do inside never reaches the machine. Call it before starting
// daemons, so they run from the overlay too. It fails the test when a
// package is not installed on the machine.
func (n *Namespace) LocalPackageRepository(packages ...string) {
	n.t.Helper()
	for _, tool := range []string{"dpkg-repack", "dpkg-scanpackages", "findmnt"} {
		if _, err := exec.LookPath(tool); err != nil {
			n.t.Fatalf("%s not installed: %s", tool, PackagesInstallCommand)
		}
	}
	var missing []string
	for _, p := range packages {
		out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", p).Output()
		if err != nil || string(out) != "install ok installed" {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		n.t.Fatalf("%s not installed on this machine, so not in the local repository: apt-get install -y --no-install-recommends %s",
			strings.Join(missing, ", "), strings.Join(missing, " "))
	}
	repo := filepath.Join(n.dir, "apt-repository")
	if err := os.Mkdir(repo, 0o755); err != nil {
		n.t.Fatalf("creating the package repository: %v", err)
	}
	// Outside the namespaces: dpkg-repack only reads the machine's files.
	repack := exec.Command("dpkg-repack", append([]string{"--deb-option=-Zgzip"}, packages...)...)
	repack.Dir = repo
	if out, err := repack.CombinedOutput(); err != nil {
		n.t.Fatalf("rebuilding %s with dpkg-repack: %v\n%s", strings.Join(packages, " "), err, out)
	}
	scan := exec.Command("dpkg-scanpackages", "--multiversion", ".", "/dev/null")
	scan.Dir = repo
	index, err := scan.Output()
	if err != nil {
		n.t.Fatalf("indexing the package repository: %v", err)
	}
	if err := os.WriteFile(filepath.Join(repo, "Packages"), index, 0o644); err != nil {
		n.t.Fatalf("writing the package index: %v", err)
	}
	n.MustRun(time.Minute, "bash", append([]string{"-c", overlayScript, "overlays", filepath.Join(n.dir, "state"), repo}, packageOverlays...)...)
}

// RemovePackages removes packages inside the namespaces (dpkg --remove,
// ignoring what depends on them), so a script that installs what is missing
// has something to install. It refuses unless LocalPackageRepository made
// the package directories overlays: the machine's packages stay as they are.
func (n *Namespace) RemovePackages(packages ...string) {
	n.t.Helper()
	for _, dir := range packageOverlays {
		if fs := strings.TrimSpace(n.MustRun(time.Minute, "findmnt", "-n", "-o", "FSTYPE", "--target", dir).Stdout); fs != "overlay" {
			n.t.Fatalf("refusing to remove packages: %s is %s, not an overlay (call LocalPackageRepository first)", dir, fs)
		}
	}
	n.MustRun(2*time.Minute, "dpkg", append([]string{"--remove", "--force-depends"}, packages...)...)
}
