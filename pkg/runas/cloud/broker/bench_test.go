package broker_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/brokertest"
	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/broker/rules"
)

// instantSTS answers AssumeRole at once, so the benchmark measures the
// broker's own work (event parsing, decision, logging), not the network.
type instantSTS struct{}

func (instantSTS) AssumeRole(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	exp := time.Now().Add(15 * time.Minute)
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("ASIAEXAMPLE"), SecretAccessKey: aws.String("x"), SessionToken: aws.String("t"), Expiration: &exp,
	}}, nil
}

func percentiles(b *testing.B, took []time.Duration) {
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	p := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Nanoseconds()) / 1000 }
	b.ReportMetric(p(0.50), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
}

// BenchmarkDecide is the pure decision: parse the caller, apply the rules.
func BenchmarkDecide(b *testing.B) {
	r := testRules()
	c := rules.Caller{ARN: "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Data_Eng_Developer_0123456789abcdef/alice@example.com", AccountID: member, PrincipalOrgID: org}
	req := rules.Request{Target: instance, Region: region}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if d := r.Decide(c, req); !d.Allowed {
			b.Fatal(d.Reason)
		}
		took = append(took, time.Since(start))
	}
	percentiles(b, took)
}

// BenchmarkHandle is a whole allowed request in process: the function URL
// event's body and identity read, the decision, the two AWS calls
// answered at once, the answer and the log line written.
func BenchmarkHandle(b *testing.B) {
	ssmStub := &brokertest.SessionManager{Targets: map[string][]string{region: {instance}}}
	br, err := broker.New(testRules(), instantSTS{}, ssmStub.Client, broker.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ev := readEvent(b, "function-url-request.json")
	ctx := context.Background()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		resp, err := br.Handle(ctx, ev)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%v %d %s", err, resp.StatusCode, resp.Body)
		}
		took = append(took, time.Since(start))
	}
	percentiles(b, took)
}
