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
// Loopback Kerberos: Samba listens on lo only when told to (interfaces = lo,
// bind interfaces only), and adcli joins only when krb5.conf does no reverse
// DNS (rdns = false, dns_canonicalize_hostname = false) and names the DC by
// its FQDN, which the join script under test does.
//
// https://wiki.samba.org/index.php/Setting_up_Samba_as_an_Active_Directory_Domain_Controller
package sambaad
