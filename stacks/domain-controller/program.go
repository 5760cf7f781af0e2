package domaincontroller

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/cfn"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/hostjoin"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/policy"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
	"github.com/ssm-runas/ssm-runas/stacks/deploy"
	peruser "github.com/ssm-runas/ssm-runas/stacks/per-user"
)

// Inputs are what the program needs besides the configuration.
type Inputs = deploy.Inputs

// AmazonLinux2023AMIParameter is the public SSM parameter of the current
// Amazon Linux 2023 AMI, which the demo host runs.
const AmazonLinux2023AMIParameter = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

// StatusParameterName is the SSM parameter the bootstrap of the stack's
// domain controller writes its progress to, and `runas audit` reads
// (dcbootstrap.StatusParameterName).
func StatusParameterName(ctx *pulumi.Context) string {
	return dcbootstrap.StatusParameterName(ctx.Project(), ctx.Stack())
}

// Program deploys the self-contained domain from a validated
// configuration, and the whole per-user model on it: the domain
// controller, its network and demo host, and the per-user program's layers
// (peruser.AWSLayer and peruser.EntraLayer: the organization layer with the
// domain join in the member template, the ABAC attribute, the permission
// sets of perUser.permissionSets, and the Entra application with an entra
// section), on one set of providers.
//
// The member template's join reads the domain controller's join secret and
// names its DNS server: values that exist only once it does. They are the
// template's parameters (hostjoin.ParamJoinSecretARN and ParamDNSServers),
// set from the component's outputs. The join secret is shared with the
// organization (resource policy on aws:PrincipalOrgID, customer managed
// key), so hosts in member accounts can read it; reaching the domain from
// their VPCs (DNS, routes, the domain controller's security group) is left
// to the network's owner: docs/domain-controller.md says what to set up.
func Program(ctx *pulumi.Context, cfg *settings.Config, in Inputs) error {
	out, err := Deploy(ctx, cfg, in)
	if err != nil {
		return err
	}
	for name, v := range out {
		ctx.Export(name, v)
	}
	return nil
}

// Deploy registers what Program does and returns the stack outputs it
// adds (those of the domain controller, the demo host and nextSteps;
// the per-user layers export their own).
func Deploy(ctx *pulumi.Context, cfg *settings.Config, in Inputs) (pulumi.Map, error) {
	if cfg == nil {
		return nil, errors.New("domain-controller program: the configuration is required")
	}
	d, p := cfg.DomainController, cfg.PerUser
	if cfg.Model != settings.ModelDomainController || d == nil || p == nil {
		return nil, fmt.Errorf("domain-controller program: model domain-controller with domainController and perUser sections is required (got %q)", cfg.Model)
	}
	if cfg.IdentityCenter == nil {
		return nil, errors.New("domain-controller program: identityCenter is required: the per-user model's ABAC attribute and permission sets are deployed on the domain")
	}
	access := peruser.AccessOf(cfg)
	out := pulumi.Map{}
	var next []pulumi.StringInput
	if in.Layers.AWS() {
		steps, err := awsLayer(ctx, cfg, in, access, out)
		if err != nil {
			return nil, err
		}
		next = append(next, steps...)
	} else {
		next = append(next, pulumi.String("the domain controller is in the aws layer: run with ssm-runas:layers all or aws"))
	}
	if cfg.Entra != nil && in.Layers.Entra() {
		if err := peruser.EntraLayer(ctx, cfg, in, access); err != nil {
			return nil, err
		}
	}
	out["nextSteps"] = pulumi.StringArray(next)
	return out, nil
}

// awsLayer registers the domain controller, the per-user AWS layer and the
// demo host, puts its stack outputs in out, and returns the next steps.
func awsLayer(ctx *pulumi.Context, cfg *settings.Config, in Inputs, access []peruser.Access, out pulumi.Map) ([]pulumi.StringInput, error) {
	d, p := cfg.DomainController, cfg.PerUser
	providers, err := peruser.Providers(ctx, cfg, in, d.Region)
	if err != nil {
		return nil, err
	}
	provider := pulumi.Provider(providers.In(d.Region))
	subnet := ""
	if len(d.Network.SubnetIDs) > 0 {
		subnet = d.Network.SubnetIDs[0]
	}
	dc, err := runas.NewDomainController(ctx, "domain-controller", &runas.DomainControllerArgs{
		Engine: d.Engine, Domain: d.Domain, NetBIOS: d.NetBIOSName, Region: d.Region,
		InstanceType: d.InstanceType, JoinUser: d.JoinUser, JoinOU: d.JoinOU,
		Seed:  dcbootstrap.SeedOf(d, p.Shell),
		VPCID: d.Network.VPCID, SubnetID: subnet, VPCCIDR: d.Network.CIDR, ClientCIDRs: d.Network.ClientCIDRs,
		StatusParameterName: StatusParameterName(ctx),
		// Hosts in the member accounts read the join secret.
		OrganizationID: cfg.Organization.ID,
	}, provider)
	if err != nil {
		return nil, err
	}
	realm := strings.ToUpper(d.Domain)
	out["domain"] = pulumi.String(d.Domain)
	out["realm"] = pulumi.String(realm)
	out["netbiosName"] = pulumi.String(d.NetBIOSName)
	out["engine"] = pulumi.String(d.Engine)
	out["domainControllerInstanceId"] = dc.InstanceID
	out["dnsServers"] = pulumi.StringArray{dc.PrivateIP}
	out["joinSecretArn"] = dc.JoinSecretARN
	out["joinSecretKeyArn"] = dc.JoinSecretKeyARN
	out["adminSecretArn"] = dc.AdminSecretARN
	out["joinOu"] = pulumi.String(d.JoinOUDN())
	out["statusParameter"] = dc.StatusParameter
	out["bootstrapLog"] = dc.LogPath
	out["vpcId"] = dc.VPCID
	out["subnetId"] = dc.SubnetID

	next := []pulumi.StringInput{
		pulumi.Sprintf("wait for the domain: aws ssm get-parameter --region %s --name %s --query Parameter.Value --output text (installing, promoting, seeding, then complete; failed means read %s on the instance)",
			d.Region, dc.StatusParameter, dc.LogPath),
		pulumi.Sprintf("follow a boot: aws ssm start-session --region %s --target %s, then read %s", d.Region, dc.InstanceID, dc.LogPath),
	}
	if d.Network.VPCID != "" {
		next = append(next, pulumi.Sprintf("hosts in %s must resolve %s: forward it to %s (DHCP options or a Route 53 Resolver rule); this stack leaves an existing VPC's DNS alone",
			d.Network.VPCID, d.Domain, dc.PrivateIP))
	}
	next = append(next, pulumi.Sprintf("hosts in member accounts join only where their VPC resolves %s to %s and reaches it on the Active Directory ports: share a Route 53 Resolver forwarding rule through RAM, route to the domain controller's VPC (peering or a transit gateway) and list their networks in domainController.network.clientCidrs (docs/domain-controller.md)",
		d.Domain, dc.PrivateIP))

	// The member template's join (hostjoin.SectionFor) takes the domain
	// controller's join secret and DNS server as parameters; the StackSet
	// waits for the policies that let member accounts read the secret.
	steps, err := peruser.AWSLayer(ctx, cfg, in, providers, access, deploy.OrganizationOptions{
		Parameters: pulumi.StringMap{
			hostjoin.ParamJoinSecretARN: dc.JoinSecretARN,
			hostjoin.ParamDNSServers:    dc.PrivateIP,
		},
		DependsOn: dc.JoinSecretShared(),
	})
	if err != nil {
		return nil, err
	}
	for _, s := range steps {
		next = append(next, pulumi.String(s))
	}

	if d.DemoHostEnabled() {
		host, err := demoHost(ctx, cfg, dc, provider)
		if err != nil {
			return nil, err
		}
		assoc, err := demoJoin(ctx, cfg, dc, provider)
		if err != nil {
			return nil, err
		}
		out["demoHostInstanceId"] = host.ID()
		out["demoJoinAssociationId"] = assoc.AssociationId
		next = append(next, pulumi.Sprintf("the demo host joins at the association's next run once the domain is complete; to run it now: aws ssm start-associations-once --region %s --association-ids %s",
			d.Region, assoc.AssociationId))
		first := ""
		for _, u := range d.Seed.Users {
			if !u.Disabled {
				first = strings.ToLower(u.Name)
				break
			}
		}
		next = append(next, pulumi.Sprintf("once the domain is complete and the per-user join association (tag %s=%s) has run on %s, a person whose Run As value is %s lands there as %s: aws ssm start-session --target %s",
			p.Hosts.TargetTagKey, p.Hosts.TargetTagValue, host.ID(), first, first, host.ID()))
	}
	return next, nil
}

// DemoJoinDocumentName is the Command document of the demo host's join in
// the stack's own account. The per-user model's member template carries
// the same script as ssm-runas-domain-join; the demo's has a name of its
// own so the two never collide in one account.
const DemoJoinDocumentName = "ssm-runas-demo-domain-join"

// demoJoin is the per-user join (hostjoin.Script, the script the member
// template's association runs) as a Command document and an association on
// the perUser host tag, with the domain and join secret of this stack.
func demoJoin(ctx *pulumi.Context, cfg *settings.Config, dc *runas.DomainController, provider pulumi.ResourceOption) (*ssm.Association, error) {
	d, p := cfg.DomainController, cfg.PerUser
	content := pulumi.All(dc.PrivateIP, dc.JoinSecretARN).ApplyT(func(v []any) (string, error) {
		script, err := hostjoin.Script(hostjoin.DomainControllerSpec(cfg, []string{v[0].(string)}, v[1].(string)))
		if err != nil {
			return "", fmt.Errorf("rendering the demo host's join: %w", err)
		}
		doc, err := json.Marshal(cfn.CommandContent{
			SchemaVersion: "2.2",
			Description:   "ssm-runas: joins the demo host to " + d.Domain + " and makes directory users resolve for Session Manager Run As",
			MainSteps: []cfn.CommandStep{{
				Action:       "aws:runShellScript",
				Name:         "joinDomain",
				Precondition: map[string][]string{"StringEquals": {"platformType", "Linux"}},
				Inputs: cfn.RunShellInputs{
					RunCommand:     strings.Split(strings.TrimRight(string(script), "\n"), "\n"),
					TimeoutSeconds: strconv.Itoa(hostjoin.TimeoutSeconds),
				},
			}},
		})
		return string(doc), err
	}).(pulumi.StringOutput)
	doc, err := ssm.NewDocument(ctx, "demo-join", &ssm.DocumentArgs{
		Name:           pulumi.String(DemoJoinDocumentName),
		DocumentType:   pulumi.String("Command"),
		DocumentFormat: pulumi.String("JSON"),
		Content:        content,
		Tags:           pulumi.StringMap{"managed-by": pulumi.String("ssm-runas")},
	}, provider)
	if err != nil {
		return nil, err
	}
	return ssm.NewAssociation(ctx, "demo-join", &ssm.AssociationArgs{
		AssociationName:    pulumi.String(DemoJoinDocumentName),
		Name:               doc.Name,
		DocumentVersion:    pulumi.String("$LATEST"),
		Targets:            ssm.AssociationTargetArray{&ssm.AssociationTargetArgs{Key: pulumi.String("tag:" + p.Hosts.TargetTagKey), Values: pulumi.StringArray{pulumi.String(p.Hosts.TargetTagValue)}}},
		ScheduleExpression: pulumi.String(p.Hosts.Schedule),
		ComplianceSeverity: pulumi.String("HIGH"),
	}, provider)
}

// demoHost is a small Amazon Linux instance in the domain controller's
// subnet, tagged for the per-user join association, whose role may read
// the join secret (hostjoin.SecretReadPolicy, the policy every joined host
// gets) and talk to Session Manager.
func demoHost(ctx *pulumi.Context, cfg *settings.Config, dc *runas.DomainController, provider pulumi.ResourceOption) (*ec2.Instance, error) {
	d, p := cfg.DomainController, cfg.PerUser
	const name = "demo-host"
	tags := pulumi.StringMap{"managed-by": pulumi.String("ssm-runas"), "Name": pulumi.String(name)}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description: pulumi.String("ssm-runas: demo host joined to " + d.Domain),
		AssumeRolePolicy: pulumi.String(string(policy.Document{Version: policy.Version, Statement: []policy.Statement{{
			Effect: policy.Allow, Principal: &policy.Principal{Service: policy.Strings{"ec2.amazonaws.com"}},
			Action: policy.Strings{"sts:AssumeRole"},
		}}}.JSON())),
		Tags: tags,
	}, provider)
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-ssm-core", &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
	}, provider); err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-join-secret", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: dc.JoinSecretARN.ApplyT(func(arn string) (string, error) {
			doc, err := hostjoin.SecretReadPolicy(arn)
			if err != nil {
				// The ARN the stack's own secret gets; only a stand-in
				// ARN (offline plans) can fail here.
				return "", err
			}
			return string(doc.JSON()), nil
		}).(pulumi.StringOutput),
	}, provider); err != nil {
		return nil, err
	}
	profile, err := iam.NewInstanceProfile(ctx, name+"-profile", &iam.InstanceProfileArgs{Role: role.Name, Tags: tags}, provider)
	if err != nil {
		return nil, err
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		VpcId:       dc.VPCID,
		Description: pulumi.String("ssm-runas: demo host, no inbound access (Session Manager needs none)"),
		Egress: ec2.SecurityGroupEgressArray{&ec2.SecurityGroupEgressArgs{
			Protocol: pulumi.String("-1"), FromPort: pulumi.Int(0), ToPort: pulumi.Int(0), CidrBlocks: pulumi.StringArray{pulumi.String("0.0.0.0/0")},
		}},
		Tags: tags,
	}, provider)
	if err != nil {
		return nil, err
	}
	hostTags := pulumi.StringMap{p.Hosts.TargetTagKey: pulumi.String(p.Hosts.TargetTagValue)}
	for k, v := range tags {
		hostTags[k] = v
	}
	return ec2.NewInstance(ctx, name, &ec2.InstanceArgs{
		Ami:                 pulumi.String("resolve:ssm:" + AmazonLinux2023AMIParameter),
		InstanceType:        pulumi.String(d.DemoHost.InstanceType),
		SubnetId:            dc.SubnetID,
		VpcSecurityGroupIds: pulumi.StringArray{sg.ID()},
		IamInstanceProfile:  profile.Name,
		MetadataOptions:     &ec2.InstanceMetadataOptionsArgs{HttpTokens: pulumi.String("required"), HttpEndpoint: pulumi.String("enabled")},
		RootBlockDevice:     &ec2.InstanceRootBlockDeviceArgs{Encrypted: pulumi.Bool(true), VolumeType: pulumi.String("gp3")},
		Tags:                hostTags,
	}, provider, pulumi.IgnoreChanges([]string{"ami"}), pulumi.DependsOn(dc.Ready()))
}
