package audit

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/core/dcbootstrap"
	"github.com/ssm-runas/ssm-runas/pkg/runas/settings"
)

// Checks on the domain controller the domain-controller model builds.
const (
	// CheckDCStatus: the bootstrap's status is not complete (still
	// installing, promoting or seeding, or failed).
	CheckDCStatus = "domain-controller-status"
	// CheckDCStatusMissing: no status parameter: the stack is not deployed
	// in that region, or the bootstrap never started.
	CheckDCStatusMissing = "domain-controller-status-missing"
)

// DefaultPulumiProject is the Pulumi project of this repository's stacks
// (Pulumi.yaml), the second part of the status parameter's name.
const DefaultPulumiProject = "ssm-runas"

// ParametersAPI is the part of SSM the domain controller check needs.
type ParametersAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	ssm.GetParametersByPathAPIClient
}

// DCStatusParameter is the SSM parameter the domain controller's bootstrap
// writes its progress to, /runas/<project>/<stack>/domain-controller/status
// (dcbootstrap.StatusParameterName, the name the domain-controller stack
// gives it).
func DCStatusParameter(project, stack string) string {
	return dcbootstrap.StatusParameterName(project, stack)
}

// CheckDomainController reads the status the domain controller's
// bootstrap records, through api (the stack's account, in
// domainController.region), and reports anything but complete. With a stack name it reads that
// stack's parameter; without one, every stack's under /runas/<project>/.
// A failed bootstrap is reported with where its log is. Nothing is checked
// outside the domain-controller model.
func CheckDomainController(ctx context.Context, api ParametersAPI, c *settings.Config, project, stack string) ([]Finding, error) {
	d := c.DomainController
	if c.Model != settings.ModelDomainController || d == nil {
		return nil, nil
	}
	if project == "" {
		project = DefaultPulumiProject
	}
	var params []ssmtypes.Parameter
	if stack != "" {
		name := DCStatusParameter(project, stack)
		out, err := api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if errors.As(err, new(*ssmtypes.ParameterNotFound)) {
			return []Finding{dcMissing(name, d.Region)}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s in %s: %w", name, d.Region, err)
		}
		params = append(params, *out.Parameter)
	} else {
		prefix := dcbootstrap.StatusParameterPrefix(project)
		p := ssm.NewGetParametersByPathPaginator(api, &ssm.GetParametersByPathInput{Path: aws.String(strings.TrimSuffix(prefix, "/")), Recursive: aws.Bool(true)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("listing the parameters under %s in %s: %w", prefix, d.Region, err)
			}
			for _, prm := range page.Parameters {
				if _, ok := dcbootstrap.StatusParameterStack(project, aws.ToString(prm.Name)); ok {
					params = append(params, prm)
				}
			}
		}
		if len(params) == 0 {
			return []Finding{dcMissing(DCStatusParameter(project, "*"), d.Region)}, nil
		}
		sort.Slice(params, func(i, j int) bool { return aws.ToString(params[i].Name) < aws.ToString(params[j].Name) })
	}
	var findings []Finding
	for _, prm := range params {
		status := aws.ToString(prm.Value)
		if status == dcbootstrap.StatusComplete {
			continue
		}
		got := status
		if t := prm.LastModifiedDate; t != nil {
			got += " since " + t.UTC().Format(time.RFC3339)
		}
		switch status {
		case dcbootstrap.StatusFailed:
			got += ": the bootstrap stopped; its log is " + dcLogPath(d) + " on the domain controller (aws ssm start-session --region " + d.Region + " --target <domainControllerInstanceId>)"
		case dcbootstrap.StatusInstalling, dcbootstrap.StatusPromoting, dcbootstrap.StatusSeeding:
			got += ": the bootstrap is still running (it reboots once, after promoting), or stopped without recording a failure; its log is " + dcLogPath(d)
		default:
			got += ": not a status the bootstrap writes"
		}
		findings = append(findings, Finding{Check: CheckDCStatus, Subject: aws.ToString(prm.Name) + " (" + d.Region + ")", Want: dcbootstrap.StatusComplete, Got: got})
	}
	return findings, nil
}

func dcMissing(name, region string) Finding {
	return Finding{Check: CheckDCStatusMissing, Subject: name + " (" + region + ")", Want: "the bootstrap's status, " + dcbootstrap.StatusComplete,
		Got: "no parameter: the domain-controller stack is not deployed in this account and region, or the instance never started its bootstrap"}
}

// dcLogPath is where the engine's bootstrap logs on the instance.
func dcLogPath(d *settings.DomainController) string {
	if d.Engine == settings.EngineSamba {
		return dcbootstrap.SambaLogPath
	}
	return dcbootstrap.WindowsLogPath
}
