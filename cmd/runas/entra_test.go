package main

import (
	"os"
	"strings"
	"testing"

	"github.com/ssm-runas/ssm-runas/internal/fakegraph"
)

func TestEntraSyncAttributes(t *testing.T) {
	g := fakegraph.New(t)
	t.Setenv(GraphTokenEnv, "test-token")
	g.AddUser("u1", "alice@corp.example", false, "")
	g.AddUser("u2", "bob@corp.example", false, "admin") // lost the admin role
	g.AddUser("u3", "carol@corp.example", false, "")
	g.SetGroup("SG-AWS-SSM-Admin")
	g.SetGroup("SG-AWS-SSM-Oracle", "u3")
	g.SetGroup("SG-AWS-SSM-Developer", "u1", "u3")
	g.SetGroup("SG-AWS-SSM-Support")

	args := []string{"entra", "sync-attributes", "--config", example, "--graph-url", g.BaseURL()}
	code, out, errOut := runCLI(t, args...)
	if code != 0 || g.Patches != 0 {
		t.Fatalf("dry run: exit %d, %d writes\n%s%s", code, g.Patches, out, errOut)
	}
	for _, want := range []string{
		`~ alice@corp.example  extensionAttribute1: "" -> developer`,
		`~ bob@corp.example    extensionAttribute1: admin -> ssm-revoked  in no role group`,
		`~ carol@corp.example  extensionAttribute1: "" -> oracle`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	if code, _, errOut := runCLI(t, append(args, "--apply")...); code != 0 || g.Patches != 3 {
		t.Fatalf("apply: exit %d, %d writes: %s", code, g.Patches, errOut)
	}
	code, out, errOut = runCLI(t, append(args, "--apply", "--output", "json")...)
	if code != 0 || g.Patches != 3 || !strings.Contains(out, `"changes": null`) || !strings.Contains(errOut, "wrote 0, 3 unchanged") {
		t.Fatalf("second run must write nothing: exit %d\n%s%s", code, out, errOut)
	}
}

func TestEntraMapAttribute(t *testing.T) {
	g := fakegraph.New(t)
	t.Setenv(GraphTokenEnv, "test-token")
	read := func(name string) []byte {
		b, err := os.ReadFile("../../pkg/runas/cloud/graph/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	g.SetSynchronization("5c4a1f2e-0b3d-4e6f-8a9b-1c2d3e4f5a6b", "AWS IAM Identity Center", read("templates.json"), read("jobs.json"), read("schema.json"))
	args := []string{"entra", "map-attribute", "--config", example, "--graph-url", g.BaseURL()}

	code, out, errOut := runCLI(t, args...)
	if code != 0 || g.SchemaPuts != 0 || !strings.Contains(out, "added\tProvision Microsoft Entra ID Users: (none) -> [extensionAttribute1]") ||
		!strings.Contains(errOut, "template aWSSingleSignon found by factory tag aWSSingleSignon") {
		t.Fatalf("dry run: exit %d, %d puts\n%s%s", code, g.SchemaPuts, out, errOut)
	}
	if code, _, errOut := runCLI(t, append(args, "--apply", "--start")...); code != 0 || g.SchemaPuts != 1 || g.Starts != 1 {
		t.Fatalf("apply: exit %d, %d puts, %d starts: %s", code, g.SchemaPuts, g.Starts, errOut)
	}
	if !strings.Contains(string(g.Schema()), `"targetAttributeName": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"`) {
		t.Fatal("the written schema lacks the mapping")
	}
	code, out, _ = runCLI(t, append(args, "--apply")...)
	if code != 0 || g.SchemaPuts != 1 || !strings.HasPrefix(out, "unchanged") {
		t.Fatalf("second run must write nothing: exit %d, %d puts\n%s", code, g.SchemaPuts, out)
	}
}
