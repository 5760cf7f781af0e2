package dcbootstrap_test

import (
	"fmt"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
)

func exampleDomain() dcbootstrap.Domain {
	return dcbootstrap.Domain{
		Name: "corp.example.com", NetBIOS: "CORP", Region: "eu-west-1",
		AdminSecretARN:  "arn:aws:secretsmanager:eu-west-1:111122223333:secret:dc/admin-AbCdEf",
		JoinSecretARN:   "arn:aws:secretsmanager:eu-west-1:111122223333:secret:dc/join-GhIjKl",
		JoinUser:        "ssm-runas-join",
		JoinOU:          "OU=LinuxHosts",
		StatusParameter: "/runas/dc/status",
		Seed: directory.Seed{
			Domain: "corp.example.com",
			OUs:    []string{"OU=LinuxHosts"},
			Users:  []directory.User{{Name: "alice", Surname: "O'Neil", POSIX: &directory.POSIX{UID: 10001, GID: 10000}}},
			Groups: []directory.Group{{Name: "Linux-Users", GID: 10000, Members: []string{"alice"}}},
		},
	}
}

func ExampleWindowsUserData() {
	ud, err := dcbootstrap.WindowsUserData(exampleDomain())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(string(ud), "\n") {
		if strings.HasPrefix(line, "    Add-Seed") || strings.HasPrefix(line, "<") {
			fmt.Println(line)
		}
	}
	// Output:
	// <powershell>
	//     Add-SeedOU -Name 'LinuxHosts' -Path 'DC=corp,DC=example,DC=com'
	//     Add-SeedGroup -Name 'Linux-Users' -Path 'CN=Users,DC=corp,DC=example,DC=com' -Gid 10000
	//     Add-SeedUser -Name 'alice' -Path 'CN=Users,DC=corp,DC=example,DC=com' -GivenName '' -Surname 'O''Neil' -Disabled $false -Uid 10001 -Gid 10000 -UnixHome '/home/alice' -LoginShell '/bin/bash'
	//     Add-SeedMembers -Group 'Linux-Users' -Members @('alice')
	// </powershell>
	// <persist>true</persist>
}

func ExampleSambaBootstrap() {
	script, err := dcbootstrap.SambaBootstrap(dcbootstrap.Samba{Domain: exampleDomain()})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(string(script), "\n") {
		if strings.HasPrefix(line, "DOMAIN=") || strings.HasPrefix(line, "HOST_NAME=") || strings.HasPrefix(line, "ensure_user ") {
			fmt.Println(line)
		}
	}
	// Output:
	// DOMAIN='corp.example.com'
	// HOST_NAME='dc1'
	// ensure_user 'alice' '--surname=O'\''Neil' '--nis-domain=corp' '--uid-number=10001' '--gid-number=10000' '--unix-home=/home/alice' '--login-shell=/bin/bash'
}
