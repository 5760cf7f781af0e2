package awsorg_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssm-runas/ssm-runas/pkg/runas/cloud/awsorg"
)

// Each works through account-regions with a width that adapts; a Breaker
// stops the run when every account fails.
func ExampleEach() {
	jobs := []awsorg.Job{{Account: "111111111111", Region: "eu-west-1"}, {Account: "111111111111", Region: "us-east-1"}, {Account: "222222222222", Region: "eu-west-1"}}
	var mu sync.Mutex
	var done []string
	left := awsorg.Each(context.Background(), jobs, awsorg.PoolOptions{}, func(_ context.Context, j awsorg.Job) {
		mu.Lock()
		defer mu.Unlock()
		done = append(done, j.String())
	})
	sort.Strings(done)
	fmt.Println(done, len(left))
	// Output: [111111111111/eu-west-1 111111111111/us-east-1 222222222222/eu-west-1] 0
}

func ExampleBreaker() {
	b := awsorg.NewBreaker(2)
	down := errors.New("connect: connection refused")
	fmt.Println(b.Record("111111111111", down), b.Record("222222222222", down))
	fmt.Println(b.Err())
	// Output:
	// false true
	// stopped after every account-region in 2 accounts in a row failed; the last: connect: connection refused
}

// A factory makes the clients of every account from the management
// account's configuration: member accounts through one assumed role each.
func ExampleNewFactory() {
	f := awsorg.NewFactory(aws.Config{Region: "eu-west-1"}, "123456789012", awsorg.FactoryOptions{})
	fmt.Println(f.RoleARN("222222222222"))
	// Output: arn:aws:iam::222222222222:role/OrganizationAccountAccessRole
}
