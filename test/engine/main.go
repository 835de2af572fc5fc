// Command pulumi-resource-aws is a STAND-IN for the Pulumi AWS provider plugin, for running the
// real Pulumi engine over this program where the real plugin cannot be had (see docs/engine.md).
//
// It implements the provider protocol generically for every `aws:` resource type: it echoes the
// inputs as outputs, gives resources without a name a deterministic auto-name from the engine's
// random seed (kept on later runs, as the real provider keeps it), and adds the attributes AWS
// computes and the program reads (id, arn in the provider's partition and account, KMS keyId,
// SQS url, ...; see aws.go). It talks to no AWS API and validates nothing of AWS: what it proves
// is what the engine does with the program (config, plugins, policy pack, StackReference,
// determinism of a re-preview), never that AWS would accept the resources.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// version is @pulumi/aws's version, set by scripts/engine.ts with -ldflags "-X main.version=…":
// the engine loads the `aws` plugin of exactly the version the SDK asks for.
var version = ""

func main() {
	if version == "" {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (stand-in): built without -X main.version=<@pulumi/aws version>")
		os.Exit(1)
	}
	err := provider.Main("aws", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &standIn{}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type standIn struct {
	pulumirpc.UnimplementedResourceProviderServer
	mu  sync.RWMutex
	cfg *providerConfig
}

// providerConfig: what the stand-in takes from the aws.Provider's inputs.
type providerConfig struct {
	Region, Partition, DNSSuffix, Account string
	DefaultTags                           map[string]string
	// Complete is false when a value was still unknown (a preview before its inputs exist).
	Complete bool
}

func (s *standIn) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (s *standIn) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	// The SDK package (@pulumi/aws) is already generated; the engine needs no schema to deploy.
	schema, err := json.Marshal(map[string]any{
		"name": "aws", "version": version,
		"description": "stand-in for the AWS provider (rds-failsafe test/engine): no resource schemas",
	})
	return &pulumirpc.GetSchemaResponse{Schema: string(schema)}, err
}

func (s *standIn) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// --- provider configuration -------------------------------------------------------------------

func (s *standIn) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	_, failures := parseConfig(req.GetNews().GetFields())
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

func (s *standIn) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	oldInputs := req.GetOldInputs()
	if len(oldInputs.GetFields()) == 0 {
		oldInputs = req.GetOlds()
	}
	// Moving a provider to another region or account moves every resource of it: replace them.
	oldCfg, _ := parseConfig(oldInputs.GetFields())
	newCfg, _ := parseConfig(req.GetNews().GetFields())
	replace := map[string]bool{}
	if oldCfg.Complete && newCfg.Complete {
		if oldCfg.Region != newCfg.Region {
			replace["region"] = true
		}
		if oldCfg.Account != newCfg.Account {
			replace["allowedAccountIds"] = true
			replace["assumeRoles"] = true
		}
	}
	return diff(oldInputs.GetFields(), req.GetNews().GetFields(), replace, req.GetIgnoreChanges(), false), nil
}

func (s *standIn) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	fields := req.GetArgs().GetFields()
	if fields == nil {
		// Older engines send "aws:config:<key>" variables, JSON-encoded where not strings.
		fields = map[string]*structpb.Value{}
		for k, v := range req.GetVariables() { //nolint:staticcheck // engines without args
			fields[k[strings.LastIndex(k, ":")+1:]] = structpb.NewStringValue(v)
		}
	}
	cfg, failures := parseConfig(fields)
	if len(failures) > 0 {
		reasons := make([]string, len(failures))
		for i, f := range failures {
			reasons[i] = f.Reason
		}
		return nil, status.Error(codes.InvalidArgument, strings.Join(reasons, "; "))
	}
	s.mu.Lock()
	s.cfg = &cfg
	s.mu.Unlock()
	// No secrets, resources or outputs in requests: the stand-in only echoes plain values; the
	// engine re-marks as secret every output whose input was secret.
	return &pulumirpc.ConfigureResponse{SupportsPreview: true}, nil
}

func (s *standIn) config() (providerConfig, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.cfg == nil {
		return providerConfig{}, status.Error(codes.FailedPrecondition, "the aws stand-in was not configured")
	}
	return *s.cfg, nil
}

// parseConfig reads region, allowedAccountIds/forbiddenAccountIds, assumeRoles and defaultTags
// (the SDK sends the nested ones JSON-encoded). It fails where the AWS provider fails before any
// API call and where the stand-in cannot know its account: it has no credentials, so its account
// is the one of the last role in assumeRoles (what STS would answer), else the single
// allowedAccountIds entry.
func parseConfig(fields map[string]*structpb.Value) (providerConfig, []*pulumirpc.CheckFailure) {
	cfg := providerConfig{Complete: true, DefaultTags: map[string]string{}}
	var failures []*pulumirpc.CheckFailure
	fail := func(property, format string, args ...any) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: property, Reason: fmt.Sprintf(format, args...)})
	}
	get := func(key string) any {
		v, known := plain(fields[key])
		if !known {
			cfg.Complete = false
		}
		return v
	}

	region, _ := get("region").(string)
	if region == "" && cfg.Complete {
		region = firstNonEmpty(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
	}
	if cfg.Complete {
		switch {
		case region == "":
			fail("region", "the aws provider needs a region (aws:region, the provider's region, or AWS_REGION)")
		case !regionPattern.MatchString(region):
			fail("region", "region %q is not an AWS region name (like eu-west-1)", region)
		}
	}
	cfg.Region = region
	cfg.Partition, cfg.DNSSuffix = partitionOf(region)

	allowed := stringList(get("allowedAccountIds"))
	forbidden := stringList(get("forbiddenAccountIds"))
	for _, id := range append(append([]string{}, allowed...), forbidden...) {
		if !accountPattern.MatchString(id) {
			fail("allowedAccountIds", "account id %q is not 12 digits", id)
		}
	}

	roleAccount := ""
	if roles, ok := get("assumeRoles").([]any); ok {
		for i, r := range roles {
			arn, _ := asMap(r)["roleArn"].(string)
			m := rolePattern.FindStringSubmatch(arn)
			if m == nil {
				fail("assumeRoles", "assumeRoles[%d].roleArn %q is not an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>)", i, arn)
				continue
			}
			if region != "" && m[1] != cfg.Partition {
				fail("assumeRoles", "assumeRoles[%d].roleArn %s is in partition %s, but region %s is in %s", i, arn, m[1], region, cfg.Partition)
			}
			roleAccount = m[2]
		}
	}
	cfg.Account = roleAccount
	if cfg.Account == "" && len(allowed) == 1 {
		cfg.Account = allowed[0]
	}
	if cfg.Complete {
		switch {
		case cfg.Account == "":
			fail("allowedAccountIds", "the aws stand-in has no credentials: it takes its account from the last assumeRoles[].roleArn, or from a single allowedAccountIds entry; set one")
		case len(allowed) > 0 && !contains(allowed, cfg.Account):
			// The AWS provider's own message when the credentials' account is not allowed.
			fail("allowedAccountIds", "AWS account ID not allowed: %s (the account of the assumed role; allowedAccountIds %v)", cfg.Account, allowed)
		case contains(forbidden, cfg.Account):
			fail("forbiddenAccountIds", "AWS account ID not allowed: %s (in forbiddenAccountIds)", cfg.Account)
		}
	}

	if tags, ok := asMap(get("defaultTags"))["tags"].(map[string]any); ok {
		for k, v := range tags {
			if str, ok := v.(string); ok {
				cfg.DefaultTags[k] = str
			}
		}
	}
	return cfg, failures
}

// --- resources --------------------------------------------------------------------------------

func (s *standIn) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	urn := resource.URN(req.GetUrn())
	typ := string(urn.Type())
	if !strings.HasPrefix(typ, "aws:") {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{Reason: fmt.Sprintf("%s is not an aws: resource type", typ)}}}, nil
	}
	news := cloneStruct(req.GetNews())
	olds := req.GetOlds().GetFields()
	if key := nameKeyOf(typ); key != "" && absent(news.Fields[key]) {
		prefixKey := key + "Prefix"
		switch prefix := news.Fields[prefixKey]; {
		case isUnknown(prefix):
			news.Fields[key] = unknown()
		case stringOf(olds[key]) != "" && stringOf(olds[prefixKey]) == stringOf(prefix):
			// Keep the name it got when it was created, as the provider does: a new random suffix on
			// every run would replace the resource every time.
			news.Fields[key] = olds[key]
		default:
			fifo := typ == "aws:sqs/queue:Queue" && news.Fields["fifoQueue"].GetBoolValue()
			news.Fields[key] = structpb.NewStringValue(autoName(urn.Name(), stringOf(prefix), req.GetRandomSeed(), fifo))
		}
	}
	return &pulumirpc.CheckResponse{Inputs: news}, nil
}

func (s *standIn) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	typ := string(resource.URN(req.GetUrn()).Type())
	oldInputs := req.GetOldInputs().GetFields()
	if len(oldInputs) == 0 {
		oldInputs = req.GetOlds().GetFields() // engines that send no old inputs
	}
	key := nameKeyOf(typ)
	// A replacement that keeps the resource's name must delete the old one first: AWS refuses two
	// resources of one name (the provider does the same for names given explicitly).
	sameName := key != "" && stringOf(req.GetNews().GetFields()[key]) != "" &&
		proto.Equal(req.GetNews().GetFields()[key], oldInputs[key])
	return diff(oldInputs, req.GetNews().GetFields(), replaceKeysOf(typ), req.GetIgnoreChanges(), sameName), nil
}

// diff compares the top-level inputs; a changed key in replaceKeys replaces the resource.
func diff(olds, news map[string]*structpb.Value, replaceKeys map[string]bool, ignoreChanges []string, deleteFirst bool) *pulumirpc.DiffResponse {
	ignored := map[string]bool{}
	for _, path := range ignoreChanges {
		ignored[strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '[' })[0]] = true
	}
	keys := map[string]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true, DetailedDiff: map[string]*pulumirpc.PropertyDiff{}}
	for _, k := range sortedKeys(keys) {
		o, n := olds[k], news[k]
		if ignored[k] || strings.HasPrefix(k, "__") || (absent(o) && absent(n)) || proto.Equal(o, n) {
			continue
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case absent(o):
			kind = pulumirpc.PropertyDiff_ADD
		case absent(n):
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if replaceKeys[k] {
			kind++ // ADD→ADD_REPLACE, DELETE→DELETE_REPLACE, UPDATE→UPDATE_REPLACE
			resp.Replaces = append(resp.Replaces, k)
		}
		resp.Diffs = append(resp.Diffs, k)
		resp.DetailedDiff[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	resp.DeleteBeforeReplace = deleteFirst && len(resp.Replaces) > 0
	return resp
}

func (s *standIn) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	urn := resource.URN(req.GetUrn())
	props := cloneStruct(req.GetProperties())
	cfg, err := s.config()
	if err != nil {
		return nil, err
	}
	if !cfg.Complete && !req.GetPreview() {
		return nil, status.Error(codes.FailedPrecondition, "the aws stand-in's configuration has unknown values")
	}
	c := s.outputs(urn, props.Fields, cfg, func(string) string { return "" })
	for k, v := range c.Values {
		if absent(props.Fields[k]) {
			if req.GetPreview() {
				// Like the provider's plan: what AWS computes is unknown until the resource exists.
				props.Fields[k] = unknown()
			} else {
				props.Fields[k] = structpb.NewStringValue(v)
			}
		}
	}
	addTagsAll(props, cfg)
	id := c.ID
	if req.GetPreview() {
		id = ""
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (s *standIn) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	urn := resource.URN(req.GetUrn())
	props := cloneStruct(req.GetNews())
	cfg, err := s.config()
	if err != nil {
		return nil, err
	}
	olds := req.GetOlds().GetFields()
	// What AWS assigned at creation stays; what it derives from the (unchanged) name stays too.
	c := s.outputs(urn, props.Fields, cfg, func(k string) string { return stringOf(olds[k]) })
	for k, v := range c.Values {
		if absent(props.Fields[k]) {
			if old, ok := olds[k]; ok && !absent(old) {
				props.Fields[k] = old
			} else if req.GetPreview() {
				props.Fields[k] = unknown()
			} else {
				props.Fields[k] = structpb.NewStringValue(v)
			}
		}
	}
	addTagsAll(props, cfg)
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Read (refresh, import, Resource.get): the stand-in has no AWS behind it and keeps no state of its
// own, so a resource it is given the state of still exists unchanged, and one it is not (import,
// get) does not exist.
func (s *standIn) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if len(req.GetProperties().GetFields()) == 0 {
		return &pulumirpc.ReadResponse{}, nil
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (s *standIn) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (s *standIn) outputs(urn resource.URN, props map[string]*structpb.Value, cfg providerConfig, keep func(string) string) computed {
	in := map[string]string{}
	for k, v := range props {
		if str := stringOf(v); str != "" {
			in[k] = str
		}
	}
	w := where{Partition: cfg.Partition, DNSSuffix: cfg.DNSSuffix, Region: cfg.Region, Account: cfg.Account}
	if region := in["region"]; region != "" {
		w.Region = region // pulumi-aws 7: a resource may name its own region
	}
	return computeOutputs(string(urn.Type()), string(urn), urn.Name(), in, w, keep)
}

// addTagsAll: the provider's tagsAll, the provider's defaultTags overlaid by the resource's tags
// (only on resources that take `tags`; the stand-in has no schema to know the other taggable ones).
func addTagsAll(props *structpb.Struct, cfg providerConfig) {
	tags, ok := props.Fields["tags"]
	if !ok || !absent(props.Fields["tagsAll"]) {
		return
	}
	if isUnknown(tags) {
		props.Fields["tagsAll"] = unknown()
		return
	}
	all := map[string]any{}
	for k, v := range cfg.DefaultTags {
		all[k] = v
	}
	for k, v := range tags.GetStructValue().GetFields() {
		if isUnknown(v) {
			props.Fields["tagsAll"] = unknown()
			return
		}
		all[k] = v.AsInterface()
	}
	if value, err := structpb.NewValue(all); err == nil {
		props.Fields["tagsAll"] = value
	}
}

// --- functions --------------------------------------------------------------------------------

func (s *standIn) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	cfg, err := s.config()
	if err != nil {
		return nil, err
	}
	var result map[string]any
	switch req.GetTok() {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		result = map[string]any{
			"id": cfg.Account, "accountId": cfg.Account, "userId": "AROASTANDIN:stand-in",
			"arn": fmt.Sprintf("arn:%s:sts::%s:assumed-role/stand-in/stand-in", cfg.Partition, cfg.Account),
		}
	case "aws:index/getRegion:getRegion":
		result = map[string]any{"id": cfg.Region, "name": cfg.Region, "region": cfg.Region,
			"endpoint": fmt.Sprintf("ec2.%s.%s", cfg.Region, cfg.DNSSuffix), "description": cfg.Region}
	case "aws:index/getPartition:getPartition":
		result = map[string]any{"id": cfg.Partition, "partition": cfg.Partition, "dnsSuffix": cfg.DNSSuffix,
			"reverseDnsPrefix": reverse(cfg.DNSSuffix)}
	default:
		return nil, status.Errorf(codes.Unimplemented,
			"the aws stand-in (test/engine) answers no %s: it has no AWS behind it (docs/engine.md)", req.GetTok())
	}
	ret, err := structpb.NewStruct(result)
	return &pulumirpc.InvokeResponse{Return: ret}, err
}

// --- values -----------------------------------------------------------------------------------

func unknown() *structpb.Value { return structpb.NewStringValue(plugin.UnknownStringValue) }

func isUnknown(v *structpb.Value) bool {
	s, ok := v.GetKind().(*structpb.Value_StringValue)
	return ok && s.StringValue == plugin.UnknownStringValue
}

func absent(v *structpb.Value) bool {
	if v == nil || v.GetKind() == nil {
		return true
	}
	_, null := v.GetKind().(*structpb.Value_NullValue)
	return null
}

func stringOf(v *structpb.Value) string {
	if isUnknown(v) {
		return ""
	}
	return v.GetStringValue()
}

// plain turns a config value into Go values, decoding the JSON strings the SDK sends for nested
// provider inputs. known is false for an unknown value.
func plain(v *structpb.Value) (value any, known bool) {
	if absent(v) {
		return nil, true
	}
	if isUnknown(v) {
		return nil, false
	}
	if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
		trimmed := strings.TrimSpace(s.StringValue)
		if strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "{") {
			var decoded any
			if json.Unmarshal([]byte(trimmed), &decoded) == nil {
				return decoded, true
			}
		}
		return s.StringValue, true
	}
	return v.AsInterface(), true
}

func cloneStruct(s *structpb.Struct) *structpb.Struct {
	if s == nil {
		return &structpb.Struct{Fields: map[string]*structpb.Value{}}
	}
	c := proto.Clone(s).(*structpb.Struct)
	if c.Fields == nil {
		c.Fields = map[string]*structpb.Value{}
	}
	return c
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, item := range list {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func reverse(dnsSuffix string) string {
	parts := strings.Split(dnsSuffix, ".")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ".")
}
