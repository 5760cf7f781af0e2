package settings

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/field"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/username"
)

// DomainController is the `domainController` section: the self-contained
// Active Directory domain the domain-controller model builds (a Windows
// Server 2022 domain controller, or a Samba AD one), the directory it is
// seeded with, and where it runs. The hosts' side (join, SSSD, sudo) is the
// perUser section, with perUser.domain.fromDomainControllerStack: true.
type DomainController struct {
	// Engine is optional, default windows: windows (Windows Server 2022 with
	// AD DS) or samba (Samba AD on Debian: cheaper, ready in minutes).
	Engine string `yaml:"engine,omitempty" json:"engine,omitempty"`
	// Domain is required: the new domain's DNS name in lower case, e.g.
	// corp.example.com. Use a name you own; .local breaks mDNS on hosts.
	Domain string `yaml:"domain" json:"domain"`
	// NetBIOSName is optional, default the domain's first label in upper
	// case (at most 15 characters).
	NetBIOSName string `yaml:"netbiosName,omitempty" json:"netbiosName,omitempty"`
	// Region is optional, default organization.homeRegion: where the
	// domain controller, its secrets and its network live.
	Region string `yaml:"region,omitempty" json:"region,omitempty"`
	// InstanceType is optional, default t3.large for windows (AD DS wants
	// the memory) and t3.small for samba.
	InstanceType string `yaml:"instanceType,omitempty" json:"instanceType,omitempty"`
	// Network is optional: an existing VPC and subnets, or (default) a
	// small VPC of the stack's own.
	Network DCNetwork `yaml:"network" json:"network"`
	// JoinUser is optional, default ssm-runas-join: the account hosts join
	// with, allowed only to manage computer accounts in JoinOU.
	JoinUser string `yaml:"joinUser,omitempty" json:"joinUser,omitempty"`
	// JoinOU is optional, default OU=LinuxHosts: the OU, relative to the
	// domain, the hosts' computer accounts go to. It is added to the seed's
	// OUs when they lack it.
	JoinOU string `yaml:"joinOu,omitempty" json:"joinOu,omitempty"`
	// Seed is required: what the directory holds after the second boot.
	Seed DirectorySeed `yaml:"seed" json:"seed"`
	// DemoHost is optional: a Linux instance joined to the domain through
	// the per-user association, to prove a session as a seeded person.
	DemoHost DemoHost `yaml:"demoHost" json:"demoHost"`
}

// DCNetwork is where the domain controller runs.
type DCNetwork struct {
	// VPCID is optional: an existing VPC. With it, SubnetIDs is required.
	VPCID string `yaml:"vpcId,omitempty" json:"vpcId,omitempty"`
	// SubnetIDs is required with VPCID: the domain controller goes to the
	// first; the demo host to the first as well.
	SubnetIDs []string `yaml:"subnetIds,omitempty" json:"subnetIds,omitempty"`
	// CIDR is optional, default 10.42.0.0/16, and only read without VPCID:
	// the address range of the VPC the stack creates.
	CIDR string `yaml:"cidr,omitempty" json:"cidr,omitempty"`
	// ClientCIDRs are optional: further IPv4 networks (the member
	// accounts' VPCs that reach the domain controller through peering or a
	// transit gateway) whose hosts may use the domain: the domain
	// controller's security group opens the Active Directory ports to them
	// as well as to its own VPC. The routes themselves are the network's.
	ClientCIDRs []string `yaml:"clientCidrs,omitempty" json:"clientCidrs,omitempty"`
}

// DirectorySeed is the directory's content: OUs, groups and users.
type DirectorySeed struct {
	// OUs are optional: relative distinguished names, parents first, e.g.
	// OU=Servers then OU=Linux,OU=Servers.
	OUs []string `yaml:"ous,omitempty" json:"ous,omitempty"`
	// Users are required: the people who land on the hosts.
	Users []SeedUser `yaml:"users" json:"users"`
	// Groups are optional: created after the users; members are users or
	// other groups of the seed.
	Groups []SeedGroup `yaml:"groups,omitempty" json:"groups,omitempty"`
}

// SeedUser is one directory account.
type SeedUser struct {
	// Name is required: the sAMAccountName, any case; its lower-case form
	// is the person's Run As value.
	Name string `yaml:"name" json:"name"`
	// GivenName, Surname are optional.
	GivenName string `yaml:"givenName,omitempty" json:"givenName,omitempty"`
	Surname   string `yaml:"surname,omitempty" json:"surname,omitempty"`
	// OU is optional, default the Users container: one of seed.ous.
	OU string `yaml:"ou,omitempty" json:"ou,omitempty"`
	// Disabled is optional: the account exists but cannot sign in.
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// UID and GID are optional (both or neither): the RFC2307 uidNumber and
	// gidNumber, at least 1000. Required for enabled users when
	// perUser.idMapping is false, since hosts then read them.
	UID int `yaml:"uid,omitempty" json:"uid,omitempty"`
	GID int `yaml:"gid,omitempty" json:"gid,omitempty"`
	// Home is optional, default /home/<lower-case name> (what the SSM agent
	// sets HOME to); Shell optional, default perUser.shell.
	Home  string `yaml:"home,omitempty" json:"home,omitempty"`
	Shell string `yaml:"shell,omitempty" json:"shell,omitempty"`
}

// SeedGroup is one security group.
type SeedGroup struct {
	// Name is required.
	Name string `yaml:"name" json:"name"`
	// GID is optional: the RFC2307 gidNumber, at least 1000.
	GID int `yaml:"gid,omitempty" json:"gid,omitempty"`
	// Members are optional: names of users or groups of the seed.
	Members []string `yaml:"members,omitempty" json:"members,omitempty"`
}

// DemoHost is the Linux instance that proves the chain.
type DemoHost struct {
	// Enabled is optional, default true.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// InstanceType is optional, default t3.micro.
	InstanceType string `yaml:"instanceType,omitempty" json:"instanceType,omitempty"`
}

// Domain controller engines and defaults.
const (
	EngineWindows = "windows"
	EngineSamba   = "samba"

	DefaultWindowsInstanceType = "t3.large"
	DefaultSambaInstanceType   = "t3.small"
	DefaultDemoInstanceType    = "t3.micro"
	DefaultDCVPCCIDR           = "10.42.0.0/16"
	DefaultJoinUser            = "ssm-runas-join"
	DefaultJoinOU              = "OU=LinuxHosts"
	// MinDirectoryID is the lowest uid and gid hosts take from the
	// directory (SSSD's min_id): 0 would be root.
	MinDirectoryID = 1000
	// maxSAMAccountNameLength is AD's limit on user logon names
	// (pre-Windows 2000).
	maxSAMAccountNameLength = 20
	maxNetBIOSNameLength    = 15
)

var (
	netbiosNameRe     = regexp.MustCompile(`^[A-Z][A-Z0-9-]{0,14}$`)
	instanceTypeRe    = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	vpcIDRe           = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	subnetIDRe        = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	samAccountRe      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	relativeOURe      = regexp.MustCompile(`^OU=[A-Za-z0-9][A-Za-z0-9 _.-]*(,OU=[A-Za-z0-9][A-Za-z0-9 _.-]*)*$`)
	personNameRe      = regexp.MustCompile(`^[A-Za-z0-9 .'-]{0,64}$`)
	regionNameRe      = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)
	reservedLocalName = map[string]bool{"administrator": true, "guest": true, "krbtgt": true}
)

// DemoHostEnabled reports whether the stack launches the demo host.
func (d *DomainController) DemoHostEnabled() bool {
	return d.DemoHost.Enabled == nil || *d.DemoHost.Enabled
}

// SeedOUs are the seed's OUs with the join OU added (last) when missing.
func (d *DomainController) SeedOUs() []string {
	for _, ou := range d.Seed.OUs {
		if ou == d.JoinOU {
			return d.Seed.OUs
		}
	}
	return append(append([]string(nil), d.Seed.OUs...), d.JoinOU)
}

// JoinOUDN is the join OU's distinguished name, which perUser's hosts use.
func (d *DomainController) JoinOUDN() string { return d.JoinOU + "," + BaseDN(d.Domain) }

func (c *Config) applyDomainControllerDefaults() {
	d := c.DomainController
	if d == nil {
		return
	}
	if d.Engine == "" {
		d.Engine = EngineWindows
	}
	if d.NetBIOSName == "" && d.Domain != "" {
		first, _, _ := strings.Cut(d.Domain, ".")
		if len(first) > maxNetBIOSNameLength {
			first = first[:maxNetBIOSNameLength]
		}
		d.NetBIOSName = strings.ToUpper(first)
	}
	if d.Region == "" {
		d.Region = c.Organization.HomeRegion
	}
	if d.InstanceType == "" {
		d.InstanceType = DefaultWindowsInstanceType
		if d.Engine == EngineSamba {
			d.InstanceType = DefaultSambaInstanceType
		}
	}
	if d.Network.VPCID == "" && d.Network.CIDR == "" {
		d.Network.CIDR = DefaultDCVPCCIDR
	}
	if d.JoinUser == "" {
		d.JoinUser = DefaultJoinUser
	}
	if d.JoinOU == "" {
		d.JoinOU = DefaultJoinOU
	}
	if d.DemoHost.InstanceType == "" {
		d.DemoHost.InstanceType = DefaultDemoInstanceType
	}
}

func (c *Config) validateDomainController() field.List {
	var errs field.List
	d := c.DomainController
	root := field.Path("domainController")
	switch {
	case d == nil && c.Model == ModelDomainController:
		errs.Add(field.Required(root, "is required for the domain-controller model: the domain to build and its directory"))
		return errs
	case d == nil:
		return nil
	case c.Model != ModelDomainController:
		errs.Add(field.Required(root, "is only read by the domain-controller model; remove it or change model"))
		return errs
	}
	if c.IdentityCenter == nil {
		errs.Add(field.Required("identityCenter", "is required for the domain-controller model: it deploys the per-user model's ABAC attribute and permission sets on the new domain"))
	}
	if d.Engine != EngineWindows && d.Engine != EngineSamba {
		errs.Add(field.Invalid(root.Child("engine"), d.Engine, "must be windows or samba"))
	}
	if d.Domain == "" {
		errs.Add(field.Required(root.Child("domain"), "is required: the new domain's DNS name, e.g. corp.example.com"))
	} else if !ValidDomainName(d.Domain) {
		errs.Add(field.Invalid(root.Child("domain"), d.Domain, "must be a DNS name in lower case with at least two labels, e.g. corp.example.com"))
	}
	if !netbiosNameRe.MatchString(d.NetBIOSName) {
		errs.Add(field.Invalid(root.Child("netbiosName"), d.NetBIOSName, "must be 1-15 upper-case letters, digits or -, starting with a letter"))
	}
	if !regionNameRe.MatchString(d.Region) {
		errs.Add(field.Invalid(root.Child("region"), d.Region, "must be an AWS region (default organization.homeRegion)"))
	}
	if !instanceTypeRe.MatchString(d.InstanceType) {
		errs.Add(field.Invalid(root.Child("instanceType"), d.InstanceType, "must be an EC2 instance type such as t3.large"))
	}
	if !instanceTypeRe.MatchString(d.DemoHost.InstanceType) {
		errs.Add(field.Invalid(root.Child("demoHost").Child("instanceType"), d.DemoHost.InstanceType, "must be an EC2 instance type such as t3.micro"))
	}
	errs.Extend(d.Network.validate(root.Child("network")))
	if len(d.JoinUser) > maxSAMAccountNameLength || !samAccountRe.MatchString(d.JoinUser) {
		errs.Add(field.Invalid(root.Child("joinUser"), d.JoinUser, "must be a sAMAccountName of at most 20 letters, digits, _ . -"))
	}
	if !relativeOURe.MatchString(d.JoinOU) {
		errs.Add(field.Invalid(root.Child("joinOu"), d.JoinOU, "must be an OU relative to the domain, e.g. OU=LinuxHosts or OU=Linux,OU=Servers"))
	}
	errs.Extend(c.validateSeed(root.Child("seed")))
	errs.Extend(c.validateDomainControllerHosts())
	return errs
}

func (n DCNetwork) validate(p field.Path) field.List {
	var errs field.List
	if n.VPCID != "" {
		if !vpcIDRe.MatchString(n.VPCID) {
			errs.Add(field.Invalid(p.Child("vpcId"), n.VPCID, "must be a VPC ID such as vpc-0123456789abcdef0"))
		}
		if len(n.SubnetIDs) == 0 {
			errs.Add(field.Required(p.Child("subnetIds"), "is required with vpcId: the subnets the instances go to"))
		}
		if n.CIDR != "" {
			errs.Add(field.Invalid(p.Child("cidr"), n.CIDR, "is only read when the stack creates the VPC; remove it with vpcId"))
		}
	} else if len(n.SubnetIDs) > 0 {
		errs.Add(field.Required(p.Child("vpcId"), "is required with subnetIds: the VPC they belong to"))
	}
	for i, s := range n.SubnetIDs {
		if !subnetIDRe.MatchString(s) {
			errs.Add(field.Invalid(p.Child("subnetIds").Index(i), s, "must be a subnet ID such as subnet-0123456789abcdef0"))
		}
	}
	if n.CIDR != "" {
		if pfx, err := netip.ParsePrefix(n.CIDR); err != nil || !pfx.Addr().Is4() || pfx.Bits() < 16 || pfx.Bits() > 24 || pfx.Masked() != pfx {
			errs.Add(field.Invalid(p.Child("cidr"), n.CIDR, "must be an IPv4 network from /16 to /24, e.g. 10.42.0.0/16"))
		}
	}
	vpc, vpcErr := netip.ParsePrefix(n.CIDR)
	seen := map[netip.Prefix]bool{}
	for i, c := range n.ClientCIDRs {
		// Nothing wider than a /8: the Active Directory ports are no
		// service for the internet.
		pfx, err := netip.ParsePrefix(c)
		if err != nil || !pfx.Addr().Is4() || pfx.Bits() < 8 || pfx.Masked() != pfx {
			errs.Add(field.Invalid(p.Child("clientCidrs").Index(i), c, "must be an IPv4 network of /8 or narrower, e.g. 10.60.0.0/16"))
			continue
		}
		// EC2 refuses a security group rule that names one range twice
		// ("The same permission must not appear multiple times").
		if seen[pfx] {
			errs.Add(field.Invalid(p.Child("clientCidrs").Index(i), c, "is listed twice"))
		}
		seen[pfx] = true
		if n.VPCID == "" && vpcErr == nil && pfx.Overlaps(vpc) {
			errs.Add(field.Invalid(p.Child("clientCidrs").Index(i), c, "overlaps network.cidr "+n.CIDR+": the VPC's own range is open already, and a network that overlaps it cannot be routed to it"))
		}
	}
	return errs
}

// validateSeed checks what the hosts need from the directory: names whose
// lower-case form is a Run As name, IDs of at least 1000, members that
// exist in the seed, OUs listed parents first.
func (c *Config) validateSeed(p field.Path) field.List {
	var errs field.List
	d := c.DomainController
	s := d.Seed
	ous := map[string]bool{}
	for i, ou := range s.OUs {
		op := p.Child("ous").Index(i)
		if !relativeOURe.MatchString(ou) {
			errs.Add(field.Invalid(op, ou, "must be an OU relative to the domain, e.g. OU=Linux,OU=Servers"))
			continue
		}
		if _, parent, nested := strings.Cut(ou, ","); nested && !ous[parent] {
			errs.Add(field.Invalid(op, ou, fmt.Sprintf("its parent %s must be listed before it", parent)))
		}
		ous[ou] = true
	}
	if parent, _, nested := cutParent(d.JoinOU); nested && !ous[parent] && relativeOURe.MatchString(d.JoinOU) {
		errs.Add(field.Invalid(field.Path("domainController").Child("joinOu"), d.JoinOU, fmt.Sprintf("its parent %s must be one of seed.ous", parent)))
	}
	if len(s.Users) == 0 {
		errs.Add(field.Required(p.Child("users"), "is required: at least one person to land on the hosts"))
	}
	idMapping := c.PerUser == nil || c.PerUser.IDMappingEnabled()
	names := map[string]field.Path{}
	claim := func(at field.Path, name string) {
		key := strings.ToLower(name)
		if other, ok := names[key]; ok {
			errs.Add(field.Invalid(at, name, fmt.Sprintf("is also %s (AD names compare without regard to case)", other)))
			return
		}
		names[key] = at
	}
	for i, u := range s.Users {
		up := p.Child("users").Index(i)
		np := up.Child("name")
		switch {
		case len(u.Name) > maxSAMAccountNameLength || !samAccountRe.MatchString(u.Name):
			errs.Add(field.Invalid(np, u.Name, "must be a sAMAccountName of at most 20 letters, digits, _ . -"))
		case reservedLocalName[strings.ToLower(u.Name)] || strings.EqualFold(u.Name, d.JoinUser):
			errs.Add(field.Invalid(np, u.Name, "is an account the domain or the stack already has"))
		default:
			if err := username.Validate(strings.ToLower(u.Name)); err != nil {
				errs.Add(field.Invalid(np, u.Name, fmt.Sprintf("its Run As name %q: %v", strings.ToLower(u.Name), err)))
			}
		}
		claim(np, u.Name)
		if !personNameRe.MatchString(u.GivenName) {
			errs.Add(field.Invalid(up.Child("givenName"), u.GivenName, "takes letters, digits, space and . ' - only (at most 64)"))
		}
		if !personNameRe.MatchString(u.Surname) {
			errs.Add(field.Invalid(up.Child("surname"), u.Surname, "takes letters, digits, space and . ' - only (at most 64)"))
		}
		if u.OU != "" && !ous[u.OU] && u.OU != d.JoinOU {
			errs.Add(field.Invalid(up.Child("ou"), u.OU, "must be one of seed.ous"))
		}
		switch {
		case u.UID == 0 && u.GID == 0:
			if !idMapping && !u.Disabled {
				errs.Add(field.Required(up.Child("uid"), "is required with perUser.idMapping: false: hosts read uid and gid from the directory, and the account would not resolve"))
			}
			if u.Home != "" || u.Shell != "" {
				errs.Add(field.Invalid(up.Child("home"), u.Home+u.Shell, "home and shell are RFC2307 attributes: set uid and gid with them"))
			}
		case u.UID < MinDirectoryID || u.GID < MinDirectoryID:
			errs.Add(field.Invalid(up.Child("uid"), fmt.Sprintf("%d/%d", u.UID, u.GID), fmt.Sprintf("uid and gid must both be set and at least %d (0 is root; lower IDs are local accounts')", MinDirectoryID)))
		}
		if u.Home != "" && !ValidShell(u.Home) {
			errs.Add(field.Invalid(up.Child("home"), u.Home, "must be an absolute path of plain characters"))
		}
		if u.Shell != "" && !ValidShell(u.Shell) {
			errs.Add(field.Invalid(up.Child("shell"), u.Shell, "must be an absolute path such as /bin/bash"))
		}
	}
	for i, g := range s.Groups {
		gp := p.Child("groups").Index(i)
		if !ValidADGroupName(g.Name) {
			errs.Add(field.Invalid(gp.Child("name"), g.Name, "must be an AD group name of at most 64 letters, digits, spaces, _ . - (starting with a letter or digit)"))
		}
		claim(gp.Child("name"), g.Name)
		if g.GID != 0 && g.GID < MinDirectoryID {
			errs.Add(field.Invalid(gp.Child("gid"), g.GID, fmt.Sprintf("must be at least %d", MinDirectoryID)))
		}
	}
	for i, g := range s.Groups {
		for j, m := range g.Members {
			mp := p.Child("groups").Index(i).Child("members").Index(j)
			switch _, ok := names[strings.ToLower(m)]; {
			case !ok:
				errs.Add(field.Invalid(mp, m, "is neither a user nor a group of the seed"))
			case strings.EqualFold(m, g.Name):
				errs.Add(field.Invalid(mp, m, "a group cannot be a member of itself"))
			}
		}
	}
	return errs
}

// validateDomainControllerHosts checks that perUser reads its domain from
// this stack and names groups the seed creates.
func (c *Config) validateDomainControllerHosts() field.List {
	var errs field.List
	p := c.PerUser
	if p == nil {
		return nil
	}
	root := field.Path("perUser")
	if !p.Domain.FromDomainControllerStack {
		errs.Add(field.Invalid(root.Child("domain").Child("fromDomainControllerStack"), false, "must be true with the domain-controller model: the hosts join the domain this stack builds"))
	}
	if p.JoinOU != "" {
		errs.Add(field.Invalid(root.Child("joinOu"), p.JoinOU, "must be unset with the domain-controller model: set domainController.joinOu, which the join account is delegated on"))
	}
	groups := map[string]bool{}
	for _, g := range c.DomainController.Seed.Groups {
		groups[strings.ToLower(g.Name)] = true
	}
	for i, g := range p.LoginGroups {
		if !groups[strings.ToLower(g)] {
			errs.Add(field.Invalid(root.Child("loginGroups").Index(i), g, "must be a group of domainController.seed.groups: nobody else is in the new domain"))
		}
	}
	for i, s := range p.Sudo {
		if !groups[strings.ToLower(s.Group)] {
			errs.Add(field.Invalid(root.Child("sudo").Index(i).Child("group"), s.Group, "must be a group of domainController.seed.groups"))
		}
	}
	return errs
}

// cutParent splits OU=a,OU=b into OU=b (the parent) and OU=a.
func cutParent(ou string) (parent, name string, nested bool) {
	name, parent, nested = strings.Cut(ou, ",")
	return parent, name, nested
}
