package runas

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
)

// DomainControllerType is the component's type token.
const DomainControllerType = "ssm-runas:aws:DomainController"

// Domain controller engines.
const (
	DomainControllerWindows = "windows"
	DomainControllerSamba   = "samba"
)

// DomainControllerEngineTag is the instance's tag naming its engine;
// changing the engine replaces the instance.
const DomainControllerEngineTag = "ssm-runas:engine"

// Public SSM parameters naming the current AMIs: Windows Server 2022
// (English, full) and Debian 12.
//
// https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-public-parameters-ami.html
//
// Debian's cloud team publishes its own: the put-ssm command of
// debian-cloud-images (src/debian_cloud_images/cli/put_ssm.py, Debian's
// image build tool) writes <prefix>/<type>/<release>/<version>/<arch> for
// the type release, the release by codename (bookworm) and by number (12),
// the version latest (overwritten by each build) and the build's own, so
// /aws/service/debian/release/12/latest/amd64 is the newest Debian 12
// amd64 release image. https://wiki.debian.org/Cloud/AmazonEC2Image/Bookworm
const (
	WindowsServer2022AMIParameter = "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base"
	Debian12AMIParameter          = "/aws/service/debian/release/12/latest/amd64"
)

// generatedPasswordLength is the length of the passwords the component
// generates; AD's complexity rules want three character classes, which the
// alphabet and the fixed prefix guarantee.
const generatedPasswordLength = 32

// ADPorts are the ports a domain controller serves to the VPC: DNS,
// Kerberos, NTP, RPC endpoint mapper, LDAP, SMB, Kerberos password change,
// LDAPS, the global catalog and the dynamic RPC range.
//
// https://learn.microsoft.com/en-us/troubleshoot/windows-server/networking/service-overview-and-network-port-requirements
var ADPorts = []struct {
	Protocol string
	From, To int
}{
	{"tcp", 53, 53}, {"udp", 53, 53}, {"tcp", 88, 88}, {"udp", 88, 88}, {"udp", 123, 123}, {"tcp", 135, 135},
	{"tcp", 389, 389}, {"udp", 389, 389}, {"tcp", 445, 445}, {"tcp", 464, 464}, {"udp", 464, 464},
	{"tcp", 636, 636}, {"tcp", 3268, 3269}, {"tcp", 49152, 65535},
}

// DomainControllerArgs configure the domain controller. The region is the
// one of the aws provider passed with pulumi.Provider.
type DomainControllerArgs struct {
	// Engine is optional, default windows: windows or samba.
	Engine string
	// Domain is required: the domain's DNS name; NetBIOS its short name.
	Domain, NetBIOS string
	// Region is required: the provider's region, which the scripts read
	// the secrets and write the status in.
	Region string
	// InstanceType is required.
	InstanceType string
	// JoinUser and JoinOU are required: the account hosts join with and the
	// OU (relative to the domain, one of Seed.OUs) it is delegated on.
	JoinUser, JoinOU string
	// Seed is required: the directory's content.
	Seed directory.Seed
	// VPCID and SubnetID are optional: an existing network. Without them
	// the component creates a VPC of VPCCIDR with one public subnet (no
	// inbound access from outside the VPC) and DHCP options that name the
	// domain controller as the VPC's first DNS server.
	VPCID, SubnetID string
	// VPCCIDR is required without VPCID.
	VPCCIDR string
	// ClientCIDRs are optional: IPv4 networks besides the VPC's own whose
	// hosts may reach the Active Directory ports (member accounts' VPCs
	// routed to this one).
	ClientCIDRs []string
	// StatusParameterName is required: the SSM parameter the bootstrap
	// writes its progress to (not under /aws or /ssm).
	StatusParameterName string
	// OrganizationID is optional: the organization (o-...) whose accounts'
	// hosts may read the join secret. With it the join secret is encrypted
	// with a customer managed key the component creates, whose key policy
	// lets principals of the organization decrypt through Secrets Manager,
	// and gets a resource policy allowing them secretsmanager:GetSecretValue
	// (aws:PrincipalOrgID). The AWS managed key aws/secretsmanager cannot be
	// used from another account. Empty keeps the join secret to this
	// account.
	// https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html
	OrganizationID string
}

// DomainController is a domain controller built from nothing: network (or
// an existing one), the administrator and join secrets (generated, marked
// secret, read by the instance at run time), an instance role with SSM
// core and access to those secrets and the status parameter, and the
// instance whose user data builds and seeds the domain.
type DomainController struct {
	pulumi.ResourceState

	// InstanceID is the domain controller's instance.
	InstanceID pulumi.StringOutput `pulumi:"instanceId"`
	// PrivateIP is its address, the domain's DNS server.
	PrivateIP pulumi.StringOutput `pulumi:"privateIp"`
	// VPCID and SubnetID are where it runs.
	VPCID    pulumi.StringOutput `pulumi:"vpcId"`
	SubnetID pulumi.StringOutput `pulumi:"subnetId"`
	// SecurityGroupID lets the VPC reach the AD ports.
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`
	// AdminSecretARN and JoinSecretARN are the secrets (their values never
	// leave Secrets Manager and the stack's encrypted state).
	AdminSecretARN pulumi.StringOutput `pulumi:"adminSecretArn"`
	JoinSecretARN  pulumi.StringOutput `pulumi:"joinSecretArn"`
	// JoinSecretKeyARN is the customer managed key of the join secret
	// shared with OrganizationID; empty when it is not shared.
	JoinSecretKeyARN pulumi.StringOutput `pulumi:"joinSecretKeyArn"`
	// StatusParameter is the SSM parameter holding the bootstrap's progress.
	StatusParameter pulumi.StringOutput `pulumi:"statusParameter"`
	// LogPath is the bootstrap's log on the instance.
	LogPath pulumi.StringOutput `pulumi:"logPath"`

	instance *ec2.Instance
	// sharing are the join secret's resource policy and its key's policy
	// when the secret is shared with the organization.
	sharing []pulumi.Resource
}

// JoinSecretShared returns what lets the organization's hosts read the
// join secret (its resource policy and its key's policy; none when it is
// not shared), for what must not run before they can.
func (d *DomainController) JoinSecretShared() []pulumi.Resource {
	return append([]pulumi.Resource(nil), d.sharing...)
}

// Ready returns the domain controller's instance, for what must wait for
// it. Depend on it rather than on the component: a dependency on a
// component covers only the children the SDK has attached to it by then,
// which races with their registration.
func (d *DomainController) Ready() []pulumi.Resource {
	return []pulumi.Resource{d.instance}
}

func (a *DomainControllerArgs) validate() (string, error) {
	engine := a.Engine
	if engine == "" {
		engine = DomainControllerWindows
	}
	if engine != DomainControllerWindows && engine != DomainControllerSamba {
		return "", fmt.Errorf("NewDomainController: engine %q: must be windows or samba", a.Engine)
	}
	if a.InstanceType == "" {
		return "", errors.New("NewDomainController: InstanceType is required")
	}
	if (a.VPCID == "") != (a.SubnetID == "") {
		return "", errors.New("NewDomainController: VPCID and SubnetID go together")
	}
	if a.VPCID == "" {
		if _, _, err := subnetPlan(a.VPCCIDR); err != nil {
			return "", err
		}
	}
	vpc, vpcErr := netip.ParsePrefix(a.VPCCIDR)
	seen := map[netip.Prefix]bool{}
	for _, c := range a.ClientCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil || !p.Addr().Is4() || p.Masked() != p {
			return "", fmt.Errorf("NewDomainController: ClientCIDRs %q: must be an IPv4 network", c)
		}
		// EC2 refuses a rule naming one range twice.
		if seen[p] {
			return "", fmt.Errorf("NewDomainController: ClientCIDRs %q: is listed twice", c)
		}
		seen[p] = true
		if a.VPCID == "" && vpcErr == nil && p.Overlaps(vpc) {
			return "", fmt.Errorf("NewDomainController: ClientCIDRs %q: overlaps VPCCIDR %s", c, a.VPCCIDR)
		}
	}
	if a.OrganizationID != "" && !organizationIDRe.MatchString(a.OrganizationID) {
		return "", fmt.Errorf("NewDomainController: OrganizationID %q: must be an organization id (o-...)", a.OrganizationID)
	}
	// Render once with placeholder ARNs: bad input fails here, before
	// anything is registered, not later inside an output.
	d := a.domain("arn:aws:secretsmanager:us-east-1:000000000000:secret:admin", "arn:aws:secretsmanager:us-east-1:000000000000:secret:join")
	if _, err := render(engine, d); err != nil {
		return "", fmt.Errorf("NewDomainController: %w", err)
	}
	return engine, nil
}

func (a *DomainControllerArgs) domain(adminARN, joinARN string) dcbootstrap.Domain {
	return dcbootstrap.Domain{
		Name: a.Domain, NetBIOS: a.NetBIOS, Region: a.Region,
		AdminSecretARN: adminARN, JoinSecretARN: joinARN,
		JoinUser: a.JoinUser, JoinOU: a.JoinOU, StatusParameter: a.StatusParameterName, Seed: a.Seed,
	}
}

// render is the instance's user data: the Samba bootstrap or the Windows
// user data, within what EC2 accepts.
func render(engine string, d dcbootstrap.Domain) ([]byte, error) {
	if engine != DomainControllerSamba {
		return dcbootstrap.WindowsUserData(d)
	}
	out, err := dcbootstrap.SambaBootstrap(dcbootstrap.Samba{Domain: d})
	if err != nil {
		return nil, err
	}
	if err := dcbootstrap.FitsUserData(out); err != nil {
		return nil, err
	}
	return out, nil
}

// subnetPlan is the subnet the component creates in a VPC of cidr (its
// first /24, or the whole VPC when it is smaller) and the domain
// controller's fixed address in it (the 10th host).
func subnetPlan(cidr string) (netip.Prefix, netip.Addr, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Masked() != p || p.Bits() < 16 || p.Bits() > 24 {
		return netip.Prefix{}, netip.Addr{}, fmt.Errorf("NewDomainController: VPCCIDR %q: must be an IPv4 network from /16 to /24", cidr)
	}
	subnet := netip.PrefixFrom(p.Addr(), 24)
	ip := subnet.Addr()
	for range 10 {
		ip = ip.Next()
	}
	return subnet, ip, nil
}

// NewDomainController registers the domain controller and what it needs.
func NewDomainController(ctx *pulumi.Context, name string, args *DomainControllerArgs, opts ...pulumi.ResourceOption) (*DomainController, error) {
	if args == nil {
		return nil, errors.New("NewDomainController: args are required")
	}
	engine, err := args.validate()
	if err != nil {
		return nil, err
	}
	comp := &DomainController{}
	if err := ctx.RegisterComponentResource(DomainControllerType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	tags := pulumi.StringMap{"managed-by": pulumi.String("ssm-runas"), "Name": pulumi.String(name)}

	net, err := domainControllerNetwork(ctx, name, args, tags, parent)
	if err != nil {
		return nil, err
	}

	adminPassword, err := generatePassword()
	if err != nil {
		return nil, err
	}
	joinPassword, err := generatePassword()
	if err != nil {
		return nil, err
	}
	joinJSON, err := json.Marshal(map[string]string{
		dcbootstrap.JoinSecretUsernameKey: args.JoinUser,
		dcbootstrap.JoinSecretPasswordKey: joinPassword,
	})
	if err != nil {
		return nil, fmt.Errorf("encoding the join secret: %w", err)
	}
	adminSecret, err := generatedSecret(ctx, name+"-admin", "ssm-runas: administrator and DSRM password of "+args.Domain, adminPassword, nil, tags, parent)
	if err != nil {
		return nil, err
	}
	var joinKey *kms.Key
	if args.OrganizationID != "" {
		joinKey, err = kms.NewKey(ctx, name+"-join", &kms.KeyArgs{
			Description:          pulumi.String("ssm-runas: encrypts the join secret of " + args.Domain + ", which hosts of organization " + args.OrganizationID + " read"),
			EnableKeyRotation:    pulumi.Bool(true),
			DeletionWindowInDays: pulumi.Int(joinKeyDeletionWindowDays),
			Tags:                 tags,
		}, parent)
		if err != nil {
			return nil, err
		}
	}
	joinSecret, err := generatedSecret(ctx, name+"-join", "ssm-runas: account that joins hosts to "+args.Domain, string(joinJSON), joinKey, tags, parent)
	if err != nil {
		return nil, err
	}
	comp.JoinSecretKeyARN = pulumi.String("").ToStringOutput()
	var sharing []pulumi.Resource
	if joinKey != nil {
		keyPolicy, err := kms.NewKeyPolicy(ctx, name+"-join", &kms.KeyPolicyArgs{
			KeyId: joinKey.KeyId,
			Policy: joinSecret.Arn.ApplyT(func(arn string) (string, error) {
				doc, err := JoinKeyPolicy(arn, args.OrganizationID)
				if err != nil {
					return "", err
				}
				return string(doc.JSON()), nil
			}).(pulumi.StringOutput),
		}, parent)
		if err != nil {
			return nil, err
		}
		secretPolicy, err := secretsmanager.NewSecretPolicy(ctx, name+"-join", &secretsmanager.SecretPolicyArgs{
			SecretArn: joinSecret.Arn,
			Policy: joinSecret.Arn.ApplyT(func(arn string) string {
				return string(JoinSecretPolicy(arn, args.OrganizationID).JSON())
			}).(pulumi.StringOutput),
			// Secrets Manager's public-policy check accepts only fixed values
			// of aws:SourceArn, aws:SourceVpc, aws:SourceVpce and
			// aws:SourceAccount as limits on a wildcard principal
			// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_secret-policy.html);
			// aws:PrincipalOrgID is not among them, so with the check on the
			// first pulumi up could be refused. The policy is this one
			// function's, limited to the organization and to reading.
			BlockPublicPolicy: pulumi.Bool(false),
		}, parent)
		if err != nil {
			return nil, err
		}
		sharing = []pulumi.Resource{keyPolicy, secretPolicy}
		comp.JoinSecretKeyARN = joinKey.Arn
	}
	comp.sharing = sharing

	status, err := ssm.NewParameter(ctx, name+"-status", &ssm.ParameterArgs{
		Name:        pulumi.String(args.StatusParameterName),
		Type:        pulumi.String("String"),
		Value:       pulumi.String("pending"),
		Description: pulumi.String("ssm-runas: progress of the domain controller's bootstrap"),
		Tags:        tags,
	}, parent, pulumi.IgnoreChanges([]string{"value"}))
	if err != nil {
		return nil, err
	}

	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description: pulumi.String("ssm-runas: domain controller " + args.Domain),
		AssumeRolePolicy: pulumi.String(string(policy.Document{Version: policy.Version, Statement: []policy.Statement{{
			Effect: policy.Allow, Principal: &policy.Principal{Service: policy.Strings{"ec2.amazonaws.com"}},
			Action: policy.Strings{"sts:AssumeRole"},
		}}}.JSON())),
		Tags: tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	core, err := iam.NewRolePolicyAttachment(ctx, name+"-ssm-core", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
	}, parent)
	if err != nil {
		return nil, err
	}
	access, err := iam.NewRolePolicy(ctx, name+"-bootstrap", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: pulumi.All(adminSecret.Arn, joinSecret.Arn, status.Arn).ApplyT(func(v []any) string {
			return string(bootstrapPolicy(v[0].(string), v[1].(string), v[2].(string), joinKey != nil).JSON())
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, err
	}
	profile, err := iam.NewInstanceProfile(ctx, name+"-profile", &iam.InstanceProfileArgs{Role: role.Name, Tags: tags}, parent)
	if err != nil {
		return nil, err
	}

	userData := pulumi.All(adminSecret.Arn, joinSecret.Arn).ApplyT(func(v []any) (string, error) {
		out, err := render(engine, args.domain(v[0].(string), v[1].(string)))
		return string(out), err
	}).(pulumi.StringOutput)
	ami, volume, logPath := WindowsServer2022AMIParameter, 50, dcbootstrap.WindowsLogPath
	if engine == DomainControllerSamba {
		ami, volume, logPath = Debian12AMIParameter, 16, dcbootstrap.SambaLogPath
	}
	instanceArgs := &ec2.InstanceArgs{
		// EC2 resolves the public parameter at launch; a later AMI does
		// not replace a running domain controller (ignoreChanges).
		Ami:                 pulumi.String("resolve:ssm:" + ami),
		InstanceType:        pulumi.String(args.InstanceType),
		SubnetId:            net.subnetID,
		VpcSecurityGroupIds: pulumi.StringArray{net.securityGroupID},
		IamInstanceProfile:  profile.Name,
		UserData:            userData,
		MetadataOptions: &ec2.InstanceMetadataOptionsArgs{
			HttpTokens:   pulumi.String("required"),
			HttpEndpoint: pulumi.String("enabled"),
		},
		RootBlockDevice: &ec2.InstanceRootBlockDeviceArgs{
			Encrypted:  pulumi.Bool(true),
			VolumeSize: pulumi.Int(volume),
			VolumeType: pulumi.String("gp3"),
		},
		Tags: tags,
	}
	if net.privateIP != "" {
		instanceArgs.PrivateIp = pulumi.String(net.privateIP)
	}
	// The engine is a tag of the instance, and changing it replaces the
	// instance: the AMI that would say so is ignored (a newer image must
	// not rebuild the domain), and an update in place would keep the old
	// system (and EC2 refuses shrinking the root volume). The old instance
	// goes first, as the new one takes its fixed address. It waits for its
	// internet route, so that in a new network the old gateway outlives
	// the old instance's public address.
	instanceTags := pulumi.StringMap{DomainControllerEngineTag: pulumi.String(engine)}
	for k, v := range tags {
		instanceTags[k] = v
	}
	instanceArgs.Tags = instanceTags
	instance, err := ec2.NewInstance(ctx, name, instanceArgs, parent,
		pulumi.IgnoreChanges([]string{"ami"}),
		pulumi.ReplaceOnChanges([]string{`tags["` + DomainControllerEngineTag + `"]`}),
		pulumi.DeleteBeforeReplace(true),
		pulumi.DependsOn(append([]pulumi.Resource{core, access, status}, net.ready...)))
	if err != nil {
		return nil, err
	}

	comp.instance = instance
	comp.InstanceID = instance.ID().ToStringOutput()
	comp.PrivateIP = instance.PrivateIp
	comp.VPCID = net.vpcID
	comp.SubnetID = net.subnetID
	comp.SecurityGroupID = net.securityGroupID
	comp.AdminSecretARN = adminSecret.Arn
	comp.JoinSecretARN = joinSecret.Arn
	comp.StatusParameter = status.Name
	comp.LogPath = pulumi.String(logPath).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"joinSecretKeyArn": comp.JoinSecretKeyARN,
		"instanceId":       comp.InstanceID,
		"privateIp":        comp.PrivateIP,
		"vpcId":            comp.VPCID,
		"subnetId":         comp.SubnetID,
		"securityGroupId":  comp.SecurityGroupID,
		"adminSecretArn":   comp.AdminSecretARN,
		"joinSecretArn":    comp.JoinSecretARN,
		"statusParameter":  comp.StatusParameter,
		"logPath":          comp.LogPath,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

type dcNetwork struct {
	vpcID, subnetID, securityGroupID pulumi.StringOutput
	// ready is what the instance waits for in a created network: its
	// subnet's route to the internet gateway.
	ready []pulumi.Resource
	// privateIP is the fixed address in a created subnet; "" in an
	// existing one.
	privateIP string
}

func domainControllerNetwork(ctx *pulumi.Context, name string, args *DomainControllerArgs, tags pulumi.StringMap, parent pulumi.ResourceOption) (*dcNetwork, error) {
	n := &dcNetwork{}
	var vpcCIDR pulumi.StringInput
	if args.VPCID != "" {
		existing, err := ec2.GetVpc(ctx, name+"-vpc", pulumi.ID(args.VPCID), nil, parent)
		if err != nil {
			return nil, fmt.Errorf("reading VPC %s: %w", args.VPCID, err)
		}
		n.vpcID, n.subnetID, vpcCIDR = pulumi.String(args.VPCID).ToStringOutput(), pulumi.String(args.SubnetID).ToStringOutput(), existing.CidrBlock
	} else {
		subnet, ip, err := subnetPlan(args.VPCCIDR)
		if err != nil {
			return nil, err
		}
		n.privateIP = ip.String()
		vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
			CidrBlock:          pulumi.String(args.VPCCIDR),
			EnableDnsHostnames: pulumi.Bool(true),
			EnableDnsSupport:   pulumi.Bool(true),
			Tags:               tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		sn, err := ec2.NewSubnet(ctx, name+"-subnet", &ec2.SubnetArgs{
			VpcId:               vpc.ID(),
			CidrBlock:           pulumi.String(subnet.String()),
			MapPublicIpOnLaunch: pulumi.Bool(true),
			Tags:                tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		// A gateway moves between VPCs in place, but not while the old
		// VPC's instances have public addresses: in a new VPC it is a new
		// gateway, and the old one goes once the old instance has.
		igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{VpcId: vpc.ID(), Tags: tags}, parent,
			pulumi.ReplaceOnChanges([]string{"vpcId"}))
		if err != nil {
			return nil, err
		}
		rt, err := ec2.NewRouteTable(ctx, name+"-routes", &ec2.RouteTableArgs{
			VpcId:  vpc.ID(),
			Routes: ec2.RouteTableRouteArray{&ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID()}},
			Tags:   tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		rta, err := ec2.NewRouteTableAssociation(ctx, name+"-routes-subnet", &ec2.RouteTableAssociationArgs{
			SubnetId: sn.ID(), RouteTableId: rt.ID(),
		}, parent)
		if err != nil {
			return nil, err
		}
		n.ready = append(n.ready, rta)
		// The domain controller first, the Amazon resolver second: hosts
		// find the domain, and everything resolves while the controller
		// is still building.
		dhcp, err := ec2.NewVpcDhcpOptions(ctx, name+"-dhcp", &ec2.VpcDhcpOptionsArgs{
			DomainName:        pulumi.String(args.Domain),
			DomainNameServers: pulumi.StringArray{pulumi.String(n.privateIP), pulumi.String("AmazonProvidedDNS")},
			Tags:              tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		if _, err := ec2.NewVpcDhcpOptionsAssociation(ctx, name+"-dhcp-vpc", &ec2.VpcDhcpOptionsAssociationArgs{
			VpcId: vpc.ID(), DhcpOptionsId: dhcp.ID(),
		}, parent); err != nil {
			return nil, err
		}
		n.vpcID, n.subnetID, vpcCIDR = vpc.ID().ToStringOutput(), sn.ID().ToStringOutput(), pulumi.String(args.VPCCIDR)
	}
	ingress := ec2.SecurityGroupIngressArray{}
	description := "Active Directory from the VPC"
	if len(args.ClientCIDRs) > 0 {
		description = "Active Directory from the VPC and its client networks"
	}
	// An existing VPC's range is known only once it is read; a client
	// range equal to it is left out, since EC2 refuses a rule that names
	// one range twice.
	clients := vpcCIDR.ToStringOutput().ApplyT(func(vpc string) []string {
		return clientRanges(vpc, args.ClientCIDRs)
	}).(pulumi.StringArrayOutput)
	for _, p := range ADPorts {
		ingress = append(ingress, &ec2.SecurityGroupIngressArgs{
			Protocol: pulumi.String(p.Protocol), FromPort: pulumi.Int(p.From), ToPort: pulumi.Int(p.To),
			CidrBlocks: clients, Description: pulumi.String(description),
		})
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		VpcId:       n.vpcID,
		Description: pulumi.String("ssm-runas: Active Directory ports, from the VPC only"),
		Ingress:     ingress,
		Egress: ec2.SecurityGroupEgressArray{&ec2.SecurityGroupEgressArgs{
			Protocol: pulumi.String("-1"), FromPort: pulumi.Int(0), ToPort: pulumi.Int(0), CidrBlocks: pulumi.StringArray{pulumi.String("0.0.0.0/0")},
		}},
		Tags: tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	n.securityGroupID = sg.ID().ToStringOutput()
	return n, nil
}

// clientRanges are the ranges the Active Directory ports open to: the
// VPC's, then each client range that is not the VPC's.
func clientRanges(vpc string, clients []string) []string {
	out := []string{vpc}
	for _, c := range clients {
		if c != vpc {
			out = append(out, c)
		}
	}
	return out
}

// generatedSecret is a secret whose first value the component generates.
// The value is marked secret, and later runs (which generate another)
// leave the stored one alone: passwords change only by rotating the secret.
// With key the secret is encrypted with that customer managed key instead
// of aws/secretsmanager.
func generatedSecret(ctx *pulumi.Context, name, description, value string, key *kms.Key, tags pulumi.StringMap, parent pulumi.ResourceOption) (*secretsmanager.Secret, error) {
	args := &secretsmanager.SecretArgs{
		NamePrefix:           pulumi.String("ssm-runas/" + name + "-"),
		Description:          pulumi.String(description),
		RecoveryWindowInDays: pulumi.Int(0),
		Tags:                 tags,
	}
	if key != nil {
		args.KmsKeyId = key.Arn
	}
	secret, err := secretsmanager.NewSecret(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}
	if _, err := secretsmanager.NewSecretVersion(ctx, name, &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(pulumi.String(value)).(pulumi.StringOutput),
	}, parent, pulumi.IgnoreChanges([]string{"secretString"})); err != nil {
		return nil, err
	}
	return secret, nil
}

// bootstrapPolicy lets the instance read its two secrets and write its
// status, nothing else. With sharedJoinKey the join secret is encrypted
// with a customer managed key, which the instance may use only through
// Secrets Manager for that secret.
func bootstrapPolicy(adminARN, joinARN, statusARN string, sharedJoinKey bool) policy.Document {
	doc := policy.Document{Version: policy.Version, Statement: []policy.Statement{
		{Sid: "ReadBootstrapSecrets", Effect: policy.Allow, Action: policy.Strings{"secretsmanager:GetSecretValue"},
			Resource: policy.Values{adminARN, joinARN}},
		{Sid: "WriteBootstrapStatus", Effect: policy.Allow, Action: policy.Strings{"ssm:PutParameter"},
			Resource: policy.Values{statusARN}},
	}}
	if sharedJoinKey {
		if region, _, err := secretRegionAccount(joinARN); err == nil {
			doc.Statement = append(doc.Statement, policy.Statement{
				Sid: "DecryptJoinSecret", Effect: policy.Allow, Action: policy.Strings{"kms:Decrypt"}, Resource: policy.Values{"*"},
				Condition: policy.Condition{"StringEquals": {
					"kms:ViaService":                  {"secretsmanager." + region + ".amazonaws.com"},
					"kms:EncryptionContext:SecretARN": {joinARN},
				}},
			})
		}
	}
	return doc
}

// organizationIDRe is the shape of an organization id (Organizations API
// reference).
var organizationIDRe = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

// secretARNRe reads the partition, region and account of a Secrets Manager
// secret ARN.
var secretARNRe = regexp.MustCompile(`^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):(\d{12}):secret:.+$`)

func secretRegionAccount(arn string) (region, account string, err error) {
	m := secretARNRe.FindStringSubmatch(arn)
	if m == nil {
		return "", "", fmt.Errorf("join secret %q: must be a Secrets Manager secret ARN", arn)
	}
	return m[2], m[3], nil
}

// joinKeyDeletionWindowDays is how long a deleted join key can still be
// restored (7-30 days): the shortest, since the key protects nothing but
// the join secret, which is deleted at once.
// https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
const joinKeyDeletionWindowDays = 7

// JoinKeyPolicy is the key policy of the join secret's customer managed
// key: the secret's account administers the key through IAM (the default
// key policy's statement, which also keeps the policy changeable), and
// principals of the organization may decrypt with it only through Secrets
// Manager in the secret's region and only for that secret (its encryption
// context). Who may read the secret is decided by the secret's resource
// policy and the reader's own IAM policy; the key adds no wider access.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
func JoinKeyPolicy(secretARN, organizationID string) (policy.Document, error) {
	region, account, err := secretRegionAccount(secretARN)
	if err != nil {
		return policy.Document{}, err
	}
	partition := strings.SplitN(secretARN, ":", 3)[1]
	return policy.Document{Version: policy.Version, Statement: []policy.Statement{
		{
			Sid: "AccountAdministersTheKey", Effect: policy.Allow,
			Principal: &policy.Principal{AWS: policy.Strings{"arn:" + partition + ":iam::" + account + ":root"}},
			Action:    policy.Strings{"kms:*"}, Resource: policy.Values{"*"},
		},
		{
			Sid: "OrganizationDecryptsTheJoinSecret", Effect: policy.Allow,
			Principal: &policy.Principal{AWS: policy.Strings{"*"}},
			Action:    policy.Strings{"kms:Decrypt"}, Resource: policy.Values{"*"},
			Condition: policy.Condition{"StringEquals": {
				"aws:PrincipalOrgID":              {organizationID},
				"kms:ViaService":                  {"secretsmanager." + region + ".amazonaws.com"},
				"kms:EncryptionContext:SecretARN": {secretARN},
			}},
		},
	}}, nil
}

// JoinSecretPolicy is the join secret's resource policy: principals of the
// organization may read its value, which their own IAM policy must allow
// as well (hostjoin.SecretReadPolicy, attached to the hosts' instance
// role). Secrets Manager's public-policy check does not list
// aws:PrincipalOrgID among the limits it accepts, so the stack attaches it
// without that check.
func JoinSecretPolicy(secretARN, organizationID string) policy.Document {
	return policy.Document{Version: policy.Version, Statement: []policy.Statement{{
		Sid: "OrganizationHostsReadTheJoinSecret", Effect: policy.Allow,
		Principal: &policy.Principal{AWS: policy.Strings{"*"}},
		Action:    policy.Strings{"secretsmanager:GetSecretValue"},
		Resource:  policy.Values{"*"},
		Condition: policy.Condition{"StringEquals": {"aws:PrincipalOrgID": {organizationID}}},
	}}}
}

const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// generatePassword returns a random password of upper- and lower-case
// letters and digits, with a prefix that holds all three and a symbol.
func generatePassword() (string, error) {
	b := []byte("Aa1.")
	for len(b) < generatedPasswordLength {
		i, err := rand.Int(rand.Reader, big.NewInt(int64(len(passwordAlphabet))))
		if err != nil {
			return "", fmt.Errorf("generating a password: %w", err)
		}
		b = append(b, passwordAlphabet[i.Int64()])
	}
	return string(b), nil
}
