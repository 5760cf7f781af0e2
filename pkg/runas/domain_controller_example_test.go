package runas_test

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ssm-runas/ssm-runas/pkg/runas"
	"github.com/ssm-runas/ssm-runas/pkg/runas/core/directory"
)

// A Samba AD domain controller in a VPC of its own, seeded with one person,
// on a provider the caller configures.
func ExampleNewDomainController() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		provider, err := aws.NewProvider(ctx, "aws-eu-west-1", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return err
		}
		dc, err := runas.NewDomainController(ctx, "domain-controller", &runas.DomainControllerArgs{
			Engine: runas.DomainControllerSamba, Domain: "corp.example.com", NetBIOS: "CORP", Region: "eu-west-1",
			InstanceType: "t3.small", JoinUser: "ssm-runas-join", JoinOU: "OU=LinuxHosts",
			VPCCIDR: "10.42.0.0/16", StatusParameterName: "/runas/corp/domain-controller/status",
			Seed: directory.Seed{
				Domain: "corp.example.com", OUs: []string{"OU=LinuxHosts"},
				Users:  []directory.User{{Name: "alice"}},
				Groups: []directory.Group{{Name: "Linux-Users", Members: []string{"alice"}}},
			},
		}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		ctx.Export("dnsServers", pulumi.StringArray{dc.PrivateIP})
		ctx.Export("joinSecretArn", dc.JoinSecretARN)
		ctx.Export("statusParameter", dc.StatusParameter)
		return nil
	})
}
