package main

import (
	"context"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{
		"eu-west-1": "aws", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-east-1": "aws", "us-iso-east-1": "aws-iso",
	} {
		if got, _ := partitionOf(region); got != want {
			t.Errorf("partitionOf(%s) = %s, want %s", region, got, want)
		}
	}
}

func TestComputeOutputs(t *testing.T) {
	none := func(string) string { return "" }
	eu := where{Partition: "aws", DNSSuffix: "amazonaws.com", Region: "eu-west-1", Account: "222222222222"}
	cn := where{Partition: "aws-cn", DNSSuffix: "amazonaws.com.cn", Region: "cn-north-1", Account: "111111111111"}
	cases := []struct {
		typ  string
		in   map[string]string
		w    where
		key  string
		want string
	}{
		{"aws:sqs/queue:Queue", map[string]string{"name": "q"}, eu, "url", "https://sqs.eu-west-1.amazonaws.com/222222222222/q"},
		{"aws:sqs/queue:Queue", map[string]string{"name": "q"}, cn, "arn", "arn:aws-cn:sqs:cn-north-1:111111111111:q"},
		{"aws:sns/topic:Topic", map[string]string{"name": "t"}, eu, "arn", "arn:aws:sns:eu-west-1:222222222222:t"},
		{"aws:iam/role:Role", map[string]string{"name": "r"}, cn, "arn", "arn:aws-cn:iam::111111111111:role/r"},
		{"aws:lambda/function:Function", map[string]string{"name": "f"}, eu, "arn", "arn:aws:lambda:eu-west-1:222222222222:function:f"},
		{"aws:cloudwatch/logGroup:LogGroup", map[string]string{"name": "/aws/lambda/f"}, eu, "arn", "arn:aws:logs:eu-west-1:222222222222:log-group:/aws/lambda/f"},
		{"aws:kms/alias:Alias", map[string]string{"name": "alias/v", "targetKeyId": "k"}, eu, "targetKeyArn", "arn:aws:kms:eu-west-1:222222222222:key/k"},
		// A type without a row: the generic form, so new resource types need no change here.
		{"aws:cloudwatch/dashboard:Dashboard", map[string]string{"dashboardName": "d"}, eu, "dashboardArn", "arn:aws:cloudwatch::222222222222:dashboard/d"},
		{"aws:ssm/parameter:Parameter", map[string]string{"name": "p"}, cn, "arn", "arn:aws-cn:ssm:cn-north-1:111111111111:parameter/p"},
		{"aws:iam/openIdConnectProvider:OpenIdConnectProvider", map[string]string{"name": "o"}, eu, "arn", "arn:aws:iam::222222222222:open-id-connect-provider/o"},
	}
	for _, c := range cases {
		got := computeOutputs(c.typ, "urn:x", "x", c.in, c.w, none).Values[c.key]
		if got != c.want {
			t.Errorf("%s %s = %q, want %q", c.typ, c.key, got, c.want)
		}
	}
	key := computeOutputs("aws:kms/key:Key", "urn:k", "k", map[string]string{}, eu, none)
	if key.ID != key.Values["keyId"] || !strings.HasSuffix(key.Values["arn"], ":key/"+key.ID) {
		t.Errorf("kms key: id %s, outputs %v", key.ID, key.Values)
	}
	kept := computeOutputs("aws:kms/key:Key", "urn:k", "k", map[string]string{}, eu, func(k string) string {
		if k == "keyId" {
			return "kept"
		}
		return ""
	})
	if kept.Values["keyId"] != "kept" {
		t.Errorf("an update must keep the key id AWS assigned: %v", kept.Values)
	}
}

func TestCheckAutoNamesFromSeedAndKeepsTheName(t *testing.T) {
	s := &standIn{}
	urn := "urn:pulumi:dev::p::aws:sqs/queue:Queue::jobs"
	first, err := s.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: urn, News: mustStruct(t, map[string]any{"fifoQueue": true}), RandomSeed: []byte{0xab, 0xcd, 0xef, 0x01},
	})
	if err != nil {
		t.Fatal(err)
	}
	name := first.Inputs.Fields["name"].GetStringValue()
	if name != "jobs-abcdef0.fifo" {
		t.Fatalf("auto-name %q", name)
	}
	again, _ := s.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: urn, Olds: first.Inputs, News: mustStruct(t, map[string]any{"fifoQueue": true}), RandomSeed: []byte{1, 2, 3, 4},
	})
	if got := again.Inputs.Fields["name"].GetStringValue(); got != name {
		t.Errorf("a later run renamed %q to %q", name, got)
	}
	given, _ := s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, News: mustStruct(t, map[string]any{"name": "mine"})})
	if got := given.Inputs.Fields["name"].GetStringValue(); got != "mine" {
		t.Errorf("a given name became %q", got)
	}
}

func TestDiff(t *testing.T) {
	s := &standIn{}
	urn := "urn:pulumi:dev::p::aws:sqs/queue:Queue::jobs"
	olds := mustStruct(t, map[string]any{"name": "q", "delaySeconds": 1})
	same, _ := s.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, OldInputs: olds, News: olds})
	if same.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("no change reported as %v", same.Changes)
	}
	update, _ := s.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, OldInputs: olds, News: mustStruct(t, map[string]any{"name": "q", "delaySeconds": 2})})
	if update.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(update.Replaces) != 0 {
		t.Errorf("update: %v", update)
	}
	replace, _ := s.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, OldInputs: olds, News: mustStruct(t, map[string]any{"name": "r", "delaySeconds": 1})})
	if len(replace.Replaces) != 1 || replace.Replaces[0] != "name" || replace.DeleteBeforeReplace {
		t.Errorf("rename: %v", replace)
	}
	fifo, _ := s.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, OldInputs: olds, News: mustStruct(t, map[string]any{"name": "q", "delaySeconds": 1, "fifoQueue": true})})
	if len(fifo.Replaces) != 1 || !fifo.DeleteBeforeReplace {
		t.Errorf("a replacement that keeps the name must delete first: %v", fifo)
	}
}

func TestParseConfig(t *testing.T) {
	fields := func(m map[string]any) map[string]*structpb.Value { return mustStruct(t, m).Fields }
	role := `[{"roleArn":"arn:aws:iam::111111111111:role/deploy"}]`
	cfg, failures := parseConfig(fields(map[string]any{
		"region": "eu-west-1", "allowedAccountIds": `["111111111111"]`, "assumeRoles": role,
		"defaultTags": `{"tags":{"Application":"x"}}`,
	}))
	if len(failures) != 0 || cfg.Account != "111111111111" || cfg.Partition != "aws" || cfg.DefaultTags["Application"] != "x" {
		t.Errorf("%+v %v", cfg, failures)
	}
	_, failures = parseConfig(fields(map[string]any{
		"region": "eu-west-1", "allowedAccountIds": `["222222222222"]`, "assumeRoles": role,
	}))
	if len(failures) != 1 || !strings.Contains(failures[0].Reason, "AWS account ID not allowed: 111111111111") {
		t.Errorf("a role in another account than allowedAccountIds: %v", failures)
	}
	_, failures = parseConfig(fields(map[string]any{"region": "cn-north-1", "assumeRoles": role}))
	if len(failures) != 1 || !strings.Contains(failures[0].Reason, "partition") {
		t.Errorf("a role of another partition: %v", failures)
	}
	cfg, failures = parseConfig(fields(map[string]any{"region": "us-gov-west-1", "allowedAccountIds": `["333333333333"]`}))
	if len(failures) != 0 || cfg.Account != "333333333333" || cfg.Partition != "aws-us-gov" {
		t.Errorf("%+v %v", cfg, failures)
	}
	_, failures = parseConfig(fields(map[string]any{"region": "eu-west-1"}))
	if len(failures) != 1 {
		t.Errorf("no account at all: %v", failures)
	}
}

func TestCreatePreviewUpdate(t *testing.T) {
	s := &standIn{}
	if _, err := s.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: mustStruct(t, map[string]any{
		"region": "cn-north-1", "allowedAccountIds": `["111111111111"]`, "defaultTags": `{"tags":{"Stack":"dev"}}`,
	})}); err != nil {
		t.Fatal(err)
	}
	urn := "urn:pulumi:dev::p::aws:kms/key:Key::vault"
	inputs := mustStruct(t, map[string]any{"description": "v", "tags": map[string]any{"Side": "save"}})
	preview, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: inputs, Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	if preview.Id != "" || !isUnknown(preview.Properties.Fields["arn"]) || !isUnknown(preview.Properties.Fields["keyId"]) {
		t.Errorf("a preview must leave what AWS computes unknown: %v", preview)
	}
	created, _ := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: inputs})
	arn := created.Properties.Fields["arn"].GetStringValue()
	if !strings.HasPrefix(arn, "arn:aws-cn:kms:cn-north-1:111111111111:key/") || created.Id != created.Properties.Fields["keyId"].GetStringValue() {
		t.Errorf("created: %s %v", created.Id, created.Properties)
	}
	if tags := created.Properties.Fields["tagsAll"].GetStructValue().AsMap(); tags["Stack"] != "dev" || tags["Side"] != "save" {
		t.Errorf("tagsAll %v", tags)
	}
	updated, _ := s.Update(context.Background(), &pulumirpc.UpdateRequest{
		Urn: urn, Id: created.Id, Olds: created.Properties, News: mustStruct(t, map[string]any{"description": "w"}),
	})
	if updated.Properties.Fields["arn"].GetStringValue() != arn || updated.Properties.Fields["description"].GetStringValue() != "w" {
		t.Errorf("an update keeps the key's ARN and takes the new inputs: %v", updated.Properties)
	}
	read, _ := s.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urn, Id: "imported"})
	if read.Id != "" {
		t.Errorf("a resource the stand-in was given no state of does not exist: %v", read)
	}
}
