// Package sambaad runs a real Active Directory domain for tests: a Samba AD
// domain controller and a Linux client (SSSD, adcli, sudo) on one machine,
// inside private network, mount, UTS and PID namespaces created with
// `unshare`. Nothing leaves the namespaces: the network is loopback only,
// /etc, /home, /var/lib/sss and /var/log are private copies under the test's
// temporary directory, /run is a fresh tmpfs, and killing the namespace's
// first process ends every daemon in it (samba, sssd) at the end of the test.
//
// It needs root and the packages in InstallCommand. A test skips only when
// it cannot get root or namespaces, and fails, naming InstallCommand, when a
// package is missing.
//
// The domain itself is built by the code under test (the domain
// controller's bootstrap), run inside the namespaces.
//
// Installing packages offline: LocalPackageRepository rebuilds installed
// packages with dpkg-repack into a flat apt repository (dpkg-scanpackages)
// and makes it apt's only source inside the namespaces, after turning /usr,
// /var/lib/dpkg, /var/lib/apt and /var/cache into overlays on a tmpfs; so
// `apt-get update && apt-get install` runs for real, with no network, and
// the machine's packages, dpkg database and apt configuration are never
// touched. RemovePackages (dpkg --remove, refused without the overlays)
// gives a script something to install.
//
// Loopback Kerberos: Samba listens on lo only when told to (interfaces = lo,
// bind interfaces only), and adcli joins only when krb5.conf does no reverse
// DNS (rdns = false, dns_canonicalize_hostname = false) and names the DC by
// its FQDN, which the join script under test does.
//
// https://wiki.samba.org/index.php/Setting_up_Samba_as_an_Active_Directory_Domain_Controller
// https://manpages.debian.org/bookworm/dpkg-repack/dpkg-repack.1.en.html
// https://manpages.debian.org/bookworm/dpkg-dev/dpkg-scanpackages.1.en.html
// https://docs.kernel.org/filesystems/overlayfs.html
package sambaad
